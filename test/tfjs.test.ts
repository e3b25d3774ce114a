// fused-optim/tfjs on TF.js's cpu and wasm backends: the same trajectories as tf.train, TF.js's
// own optimizer test expectations, no tensor leaks, clear errors that change nothing, and
// getWeights/setWeights that stock optimizers understand (both ways).
import { beforeAll, describe, expect, it } from 'vitest';
import { AdamW, clipCoefficient, StepLR } from '../src';
import { type FusedOptimizer, fusedTrain, registerFusedOptimizers } from '../src/tfjs';
import { tf, tfLike, useTfBackend } from './tfjs-setup';

const train = fusedTrain(tfLike);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

interface Case {
  name: string;
  stock: () => Any;
  fused: () => FusedOptimizer;
}
const CASES: Case[] = [
  { name: 'sgd', stock: () => tf.train.sgd(0.05), fused: () => train.sgd(0.05) },
  { name: 'momentum', stock: () => tf.train.momentum(0.02, 0.9), fused: () => train.momentum(0.02, 0.9) },
  { name: 'momentum nesterov', stock: () => tf.train.momentum(0.02, 0.9, true), fused: () => train.momentum(0.02, 0.9, true) },
  { name: 'adagrad', stock: () => tf.train.adagrad(0.1), fused: () => train.adagrad(0.1) },
  { name: 'adadelta', stock: () => tf.train.adadelta(0.05, 0.9), fused: () => train.adadelta(0.05, 0.9) },
  { name: 'adam', stock: () => tf.train.adam(0.05), fused: () => train.adam(0.05) },
  { name: 'adam betas eps', stock: () => tf.train.adam(0.02, 0.8, 0.95, 1e-4), fused: () => train.adam(0.02, 0.8, 0.95, 1e-4) },
  { name: 'adamax decay', stock: () => tf.train.adamax(0.05, 0.9, 0.99, undefined, 0.05), fused: () => train.adamax(0.05, 0.9, 0.99, undefined, 0.05) },
  { name: 'rmsprop', stock: () => tf.train.rmsprop(0.01), fused: () => train.rmsprop(0.01) },
  { name: 'rmsprop centered momentum', stock: () => tf.train.rmsprop(0.01, 0.9, 0.5, 1e-6, true), fused: () => train.rmsprop(0.01, 0.9, 0.5, 1e-6, true) },
];

/** A smooth two-variable problem: w (3×4) and b (4), loss = mean((x·w + b - y)²) + ∑w⁴/10. */
function problem() {
  const w = tf.variable(tf.tensor2d([0.5, -0.2, 0.1, 0.3, -0.4, 0.8, 0.05, -0.6, 0.25, 0.1, -0.3, 0.7], [3, 4]));
  const b = tf.variable(tf.tensor1d([0.1, -0.1, 0.2, 0]));
  const x = tf.tensor2d([1, 2, -1, 0.5, -0.3, 2, -1, 1, 1], [3, 3]);
  const y = tf.tensor2d([1, 0, -1, 2, 0.5, 0.5, 0, -1, 1, -2, 1, 0], [3, 4]);
  const loss = () => tf.add(tf.mean(tf.square(tf.sub(tf.add(tf.matMul(x, w), b), y))), tf.div(tf.sum(tf.pow(w, 4)), 10));
  const dispose = () => tf.dispose([w, b, x, y]);
  return { w, b, loss, dispose };
}

function trajectory(opt: Any, steps: number, arrayForm: boolean): Float32Array[] {
  const { w, b, loss, dispose } = problem();
  const out: Float32Array[] = [];
  for (let s = 0; s < steps; s++) {
    if (arrayForm) opt.minimize(loss, false, [w, b]);
    else opt.minimize(loss);
    out.push(Float32Array.from([...w.dataSync(), ...b.dataSync()]));
  }
  dispose();
  opt.dispose();
  return out;
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, label: string): void {
  expect(actual.length, label).toBe(expected.length);
  for (let i = 0; i < expected.length; i++)
    expect(Math.abs(actual[i] - expected[i]), `${label} [${i}]: ${actual[i]} vs ${expected[i]}`).toBeLessThanOrEqual(tol * (1 + Math.abs(expected[i])));
}

describe.each(['cpu', 'wasm'] as const)('fused-optim/tfjs on the %s backend', (backend) => {
  beforeAll(() => useTfBackend(backend));

  it.each(CASES.map((c) => [c.name, c] as const))('%s: 20 steps follow tf.train within 1e-5', (_, c) => {
    const expected = trajectory(c.stock(), 20, true);
    const actual = trajectory(c.fused(), 20, true);
    expected.forEach((e, s) => expectClose(actual[s], e, 1e-5, `step ${s + 1}`));
    // The NamedTensorMap form (no varList) gives the same.
    const mapForm = trajectory(c.fused(), 20, false);
    mapForm.forEach((a, s) => expectClose(a, actual[s], 0, `map form step ${s + 1}`));
  });

  it('a stepOptions hook that makes tensors (growing the wasm heap) leaves the step correct', () => {
    const expected = trajectory(tf.train.adam(0.05), 3, true);
    const opt = train.adam(0.05);
    let size = 1 << 22;
    opt.stepOptions = () => {
      tf.dispose(tf.zeros([(size *= 2)])); // each step a larger tensor than the heap has held
      return {};
    };
    trajectory(opt, 3, true).forEach((a, s) => expectClose(a, expected[s], 1e-5, `step ${s + 1}`));
  });

  it("reproduces tfjs-core's own optimizer test expectations", () => {
    const twoSteps = (opt: Any, init: number[]): number[][] => {
      const x = tf.variable(tf.tensor1d(init));
      const f = () => tf.sum(tf.square(x));
      const cost = opt.minimize(f, true);
      expect(cost.dataSync()[0]).toBeCloseTo(init.reduce((s, v) => s + v * v, 0), 4);
      cost.dispose();
      const first = Array.from(x.dataSync() as Float32Array);
      expect(opt.minimize(f, false)).toBe(null);
      const second = Array.from(x.dataSync() as Float32Array);
      x.dispose();
      opt.dispose();
      return [first, second];
    };
    const check = (opt: Any, init: number[], first: number[], second: number[], tol = 1e-3) => {
      const [a, b] = twoSteps(opt, init);
      expectClose(a, first, tol, 'first step');
      expectClose(b, second, tol, 'second step');
    };
    check(train.sgd(0.1), [4], [3.2], [2.56]);
    check(train.momentum(0.1, 0.5), [1, 2], [0.8, 1.6], [0.54, 1.08]);
    check(train.momentum(0.1, 0.5, true), [1, 2], [0.7, 1.4], [0.44, 0.88]);
    check(train.adagrad(0.1, 0.1), [1, 2], [0.9012270405, 1.9003110428], [0.8347372764, 1.83015597828], 1e-2);
    check(train.adadelta(0.1, 0.95), [1, 2], [0.8, 1.6], [0.64, 1.28]);
    check(train.adam(0.1, 0.8, 0.9), [2, 4], [1.9, 3.9], [1.8000001, 3.8002]);
    check(train.adamax(0.1, 0.8, 0.9, undefined, 0.1), [2, 4], [1.9, 3.9], [1.80697, 3.8086]);
    check(train.rmsprop(0.1, 0.95, 0.1), [1, 2], [0.55279, 1.55279], [0.28745, 1.222943], 1e-2);
    check(train.rmsprop(0.1, 0.95, 0.1, 1e-8, true), [1, 2], [0.54117, 1.541169], [0.267785, 1.2035924], 1e-2);
  });

  it('keeps tf.memory().numTensors flat across steps, and dispose() frees what getWeights made', async () => {
    for (const c of CASES) {
      const { w, b, loss, dispose } = problem();
      const opt = c.fused();
      opt.minimize(loss, false, [w, b]);
      const after = tf.memory().numTensors;
      for (let s = 0; s < 5; s++) opt.minimize(loss, false, [w, b]);
      expect(tf.memory().numTensors, c.name).toBe(after);
      await opt.getWeights();
      opt.minimize(loss, false, [w, b]);
      expect(tf.memory().numTensors, `${c.name} after getWeights`).toBe(after);
      await opt.getWeights();
      opt.dispose();
      expect(tf.memory().numTensors, `${c.name} after dispose`).toBe(after);
      dispose();
    }
  });

  it('refuses bad input with a clear error and changes nothing', async () => {
    const { w, b, loss, dispose } = problem();
    const opt = train.adam(0.05);
    opt.minimize(loss, false, [w, b]);
    const snapshot = () => [...w.dataSync(), ...b.dataSync()];
    const state = async () => (await opt.getWeights()).map((n) => Array.from(n.tensor.dataSync() as Float32Array));
    const before = snapshot(), stateBefore = await state(), iterations = opt.iterations;
    const gw = tf.onesLike(w), gb = tf.onesLike(b);
    const n = tf.memory().numTensors;

    const ints = tf.variable(tf.tensor1d([1, 2], 'int32'));
    expect(() => opt.applyGradients([{ name: w.name, tensor: gw }, { name: ints.name, tensor: tf.onesLike(ints) }])).toThrow(/int32/);
    const stranger = tf.variable(tf.zeros([4]));
    expect(() => opt.applyGradients([{ name: w.name, tensor: gw }, { name: stranger.name, tensor: gb }])).toThrow(/held/);
    expect(() => opt.applyGradients([{ name: w.name, tensor: gw }, { name: b.name, tensor: gb }, { name: stranger.name, tensor: gb }])).toThrow(
      /not among the 2 variables/,
    );
    const disposed = tf.onesLike(b);
    disposed.dispose();
    expect(() => opt.applyGradients([{ name: w.name, tensor: gw }, { name: b.name, tensor: disposed }])).toThrow(/disposed/);
    expect(() => opt.applyGradients([{ name: w.name, tensor: gw }, { name: b.name, tensor: tf.ones([2, 2]) }])).toThrow(/shape \[2,2\]/);
    expect(() => opt.applyGradients({ nonexistent: gb })).toThrow(/not a registered variable/);

    expect(snapshot()).toEqual(before);
    expect(await state()).toEqual(stateBefore);
    expect(opt.iterations).toBe(iterations);
    tf.dispose([gw, gb, ints, stranger]);
    expect(tf.memory().numTensors).toBeLessThanOrEqual(n + 2); // the two rejected gradient tensors made inline
    opt.dispose();
    dispose();
  });

  it("getWeights has tf.train's names and order, and state moves both ways between fused and stock", async () => {
    for (const c of CASES.filter((k) => !k.name.startsWith('adamax'))) {
      const { w, b, loss, dispose } = problem();
      const params = () => [...w.dataSync(), ...b.dataSync()];
      const restore = (values: number[]) => {
        w.assign(tf.tensor2d(values.slice(0, 12), [3, 4]));
        b.assign(tf.tensor1d(values.slice(12)));
      };
      const stock = c.stock(), fused = c.fused();
      for (let s = 0; s < 3; s++) stock.minimize(loss, false, [w, b]);
      const p3 = params();
      const stockWeights: Any[] = await stock.getWeights();
      const probe = c.fused();
      probe.minimize(loss, false, [w, b]);
      expect((await probe.getWeights()).map((x) => x.name), c.name).toEqual(stockWeights.map((x) => x.name));
      // stock → fused: both continue 3 steps from the same state
      await fused.setWeights(stockWeights);
      expect(fused.iterations).toBe(3);
      restore(p3);
      for (let s = 0; s < 3; s++) stock.minimize(loss, false, [w, b]);
      const stockEnd = params();
      restore(p3);
      for (let s = 0; s < 3; s++) fused.minimize(loss, false, [w, b]);
      const p6 = params();
      expectClose(p6, stockEnd, 1e-5, `${c.name}: stock state continued by fused`);
      // fused → stock
      const back = c.stock();
      await back.setWeights(await fused.getWeights());
      for (let s = 0; s < 3; s++) fused.minimize(loss, false, [w, b]);
      const fusedEnd = params();
      restore(p6);
      for (let s = 0; s < 3; s++) back.minimize(loss, false, [w, b]);
      expectClose(params(), fusedEnd, 1e-5, `${c.name}: fused state continued by stock`);
      tf.dispose(stockWeights[0].tensor);
      [stock, fused, probe, back].forEach((o) => o.dispose());
      dispose();
    }
  });

  it('adamax (which tf.train cannot save) round-trips its state through getWeights/setWeights', async () => {
    const { w, b, loss, dispose } = problem();
    const a = train.adamax(0.05, 0.9, 0.99, undefined, 0.05);
    for (let s = 0; s < 3; s++) a.minimize(loss, false, [w, b]);
    const weights = await a.getWeights();
    expect(weights.map((x) => x.name)).toEqual(['iter', `${w.name}/m`, `${b.name}/m`, `${w.name}/v`, `${b.name}/v`]);
    const p3 = [...w.dataSync(), ...b.dataSync()];
    const copy = train.adamax(0.05, 0.9, 0.99, undefined, 0.05);
    await copy.setWeights(weights);
    a.minimize(loss, false, [w, b]);
    const expected = [...w.dataSync(), ...b.dataSync()];
    w.assign(tf.tensor2d(p3.slice(0, 12), [3, 4]));
    b.assign(tf.tensor1d(p3.slice(12)));
    copy.minimize(loss, false, [w, b]);
    expectClose([...w.dataSync(), ...b.dataSync()], expected, 0, 'adamax resumed');
    a.dispose();
    copy.dispose();
    dispose();
  });
});

describe('fused-optim/tfjs on a backend it reaches by copies', () => {
  beforeAll(() => useTfBackend('cpu-copy'));

  it('follows tf.train, keeps numTensors flat and says once that it copies', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      for (const c of CASES.filter((k) => k.name === 'adam' || k.name === 'rmsprop centered momentum')) {
        const expected = trajectory(c.stock(), 10, true);
        const actual = trajectory(c.fused(), 10, true);
        expected.forEach((e, s) => expectClose(actual[s], e, 1e-5, `${c.name} step ${s + 1}`));
      }
      const { w, b, loss, dispose } = problem();
      const opt = train.momentum(0.01, 0.9);
      opt.minimize(loss, false, [w, b]);
      const n = tf.memory().numTensors;
      for (let s = 0; s < 3; s++) opt.minimize(loss, false, [w, b]);
      expect(tf.memory().numTensors).toBe(n);
      opt.dispose();
      dispose();
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.filter((m) => m.includes("'cpu-copy' backend")).length).toBe(1);
  });
});

describe('fused-optim/tfjs new values on the cpu backend', () => {
  beforeAll(() => useTfBackend('cpu'));

  it('a large variable gets a new array of its own each step (not zero-filled, but every element written)', () => {
    const n = (1 << 14) + 3;
    const init = Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 100);
    const grad = tf.tensor1d(Float32Array.from({ length: n }, (_, i) => Math.cos(i)));
    const expected = (() => {
      const v = tf.variable(tf.tensor1d(init));
      tf.train.sgd(0.5).applyGradients({ [v.name]: grad });
      const out = Float32Array.from(v.dataSync());
      v.dispose();
      return out;
    })();
    const v = tf.variable(tf.tensor1d(init));
    const old = v.dataSync();
    const opt = train.sgd(0.5);
    opt.applyGradients({ [v.name]: grad });
    const now = v.dataSync() as Float32Array;
    expect(now).not.toBe(old);
    // Its own ArrayBuffer, exactly its size: never a slab of Node's shared Buffer pool.
    expect(now.byteOffset).toBe(0);
    expect(now.buffer.byteLength).toBe(4 * n);
    expectClose(now, expected, 0, 'sgd step');
    // The old value (an array user code may still hold) is untouched.
    expectClose(old, init, 0, 'old value');
    opt.dispose();
    tf.dispose([v, grad]);
  });
});
