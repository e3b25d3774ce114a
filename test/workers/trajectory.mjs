// A deterministic training trajectory, run the same way on the main thread (the sequential
// reference) and inside worker_threads (test/concurrency.test.ts). It imports the package by
// name, so each worker loads its own copy of dist/ and its own instance of the native addon.
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import * as fused from 'fused-optim';
import { mulberry32 } from '../../scripts/report/random.mjs';

const FACTORIES = {
  AdamW: (p) => new fused.AdamW(p, { lr: 1e-2, weightDecay: 0.01, amsgrad: true }),
  SGD: (p) => new fused.SGD(p, { lr: 1e-2, momentum: 0.9, nesterov: true }),
  NAdam: (p) => new fused.NAdam(p),
  LAMB: (p) => new fused.LAMB(p, { weightDecay: 0.01 }),
  Adagrad: (p) => new fused.Adagrad(p, { lr: 0.05 }),
  RMSprop: (p) => new fused.RMSprop(p, { centered: true, momentum: 0.5 }),
  Lion: (p) => new fused.Lion(p, { lr: 1e-3, weightDecay: 0.1 }),
};

/** mulberry32 in [-1, 1): the same stream in every thread for a seed. */
function rng(seed) {
  const uniform = mulberry32(seed);
  return () => 2 * uniform() - 1;
}

/**
 * Trains `spec.optimizer` for `spec.steps` steps on tensors of `spec.lengths` with gradients drawn
 * from `spec.seed`; `spec.async` uses stepAsync. `data` may be given (e.g. SharedArrayBuffer views
 * holding the initial values); otherwise the initial values come from the seed too. Returns the
 * parameters' final values.
 */
export async function runTrajectory(spec, data) {
  const random = rng(spec.seed);
  const params = spec.lengths.map((n, i) => {
    const values = data?.[i] ?? new Float32Array(n);
    if (!data) for (let k = 0; k < n; k++) values[k] = random();
    return { data: values, grad: new Float32Array(n) };
  });
  const opt = FACTORIES[spec.optimizer](params);
  for (let step = 0; step < spec.steps; step++) {
    for (const p of params) for (let k = 0; k < p.grad.length; k++) p.grad[k] = random() * 0.1 + p.data[k] * 0.01;
    if (spec.async) await opt.stepAsync();
    else opt.step();
    spec.onStep?.(step);
  }
  return params.map((p) => p.data);
}

/** Reads `data` over and over until `control[0]` is set: the reader of the shared-memory test. */
function readUntilDone(data, control) {
  Atomics.store(control, 1, 1);
  Atomics.notify(control, 1);
  let reads = 0;
  let nonFinite = 0;
  while (Atomics.load(control, 0) === 0) {
    for (const view of data) {
      let sum = 0;
      for (let k = 0; k < view.length; k++) sum += view[k];
      if (!Number.isFinite(sum)) nonFinite++;
    }
    reads++;
  }
  return { reads, nonFinite };
}

if (!isMainThread && workerData?.role) {
  const { role, spec, shared, control } = workerData;
  const data = shared?.map((buffer) => new Float32Array(buffer));
  if (role === 'read') {
    parentPort.postMessage(readUntilDone(data, new Int32Array(control)));
  } else if (role === 'train') {
    if (control) Atomics.wait(new Int32Array(control), 1, 0);  // start once the reader is reading
    const result = await runTrajectory(spec, data);
    if (control) {
      Atomics.store(new Int32Array(control), 0, 1);
      Atomics.notify(new Int32Array(control), 0);
    }
    parentPort.postMessage({ backend: fused.backendInfo(), result: data ? null : result });
  } else if (role === 'start-then-exit') {
    // Starts a long stepAsync and reports it: the test then terminates this worker mid-step.
    const n = spec.lengths[0];
    const p = { data: new Float32Array(n).fill(1), grad: new Float32Array(n).fill(0.5) };
    const opt = new fused.AdamW([p]);
    for (;;) {
      const pending = opt.stepAsync();
      parentPort.postMessage('started');
      await pending;
    }
  }
}
