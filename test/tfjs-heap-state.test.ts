// Float32 optimizer state of fused-optim/tfjs kept in TF.js's wasm heap while fused-optim runs on
// its own wasm backend (src/tfjs/heap-state.ts): the state lies there after a step, steps give
// the TS specification's bits, and the heap growing between steps (which detaches every view of
// it), getWeights/setWeights, a switch of fused-optim's backend and dispose all keep the values.
import { afterEach, describe, expect, it } from 'vitest';
import { useBackend } from '../src/backend';
import { fusedTrain } from '../src/tfjs';
import { expectBitEqual, randomArray, rng } from './helpers';
import type { NamedTensor } from '../src/tfjs/tf-like';
import { tf, tfLike, useTfBackend } from './tfjs-setup';

afterEach(() => useBackend('native'));

const N = 40000;
const r = rng(21);
const START = [randomArray(N, r, 0.1), randomArray(333, r, 0.1)];
const GRADS = Array.from({ length: 4 }, () => [randomArray(N, r, 0.01), randomArray(333, r, 0.01)]);

type Maker = (train: ReturnType<typeof fusedTrain>) => ReturnType<ReturnType<typeof fusedTrain>['adam']>;
const MAKERS: [string, Maker, number][] = [
  ['momentum (Nesterov)', (t) => t.momentum(0.05, 0.9, true), 1],
  ['adam', (t) => t.adam(1e-2), 2],
  ['rmsprop (centered, momentum)', (t) => t.rmsprop(1e-2, 0.9, 0.5, 1e-7, true), 3],
];

interface SlotState {
  state: Float32Array[][];
}

/** A variable holding `values` (tf.variable keeps a copy of its initial tensor). */
function variableOf(values: Float32Array) {
  const t = tf.tensor1d(values);
  const v = tf.variable(t);
  t.dispose();
  return v;
}

/** The wasm heap's current buffer. */
const heapBuffer = (): ArrayBuffer => tf.backend().wasm.HEAPU8.buffer;

/** Grows TF.js's wasm heap through its allocator: 4 MB blocks held until one does not fit, then freed. */
function growHeap(): void {
  const module = tf.backend().wasm;
  const before = heapBuffer();
  const held: number[] = [];
  while (heapBuffer() === before) {
    if (held.length > 1000) throw new Error('the wasm heap did not grow');
    held.push(module._malloc(1 << 22));
  }
  for (const a of held) module._free(a);
}

/** One applyGradients of GRADS[k] to `vars`, the gradient tensors disposed after. */
function applyStep(opt: { applyGradients(g: { name: string; tensor: unknown }[]): void }, vars: { name: string }[], k: number): void {
  const ts = GRADS[k].map((g) => tf.tensor1d(g));
  opt.applyGradients(vars.map((v, i) => ({ name: v.name, tensor: ts[i] })));
  tf.dispose(ts);
}

/**
 * Steps through GRADS with fused-optim on `backend` (`between(step)` runs after each step), and
 * returns the variables' final values and the optimizer's getWeights values.
 */
async function trajectory(make: Maker, backend: 'wasm' | 'js', between: (opt: SlotState, step: number) => void = () => {}) {
  useBackend(backend);
  const vars = START.map(variableOf);
  const opt = make(fusedTrain(tfLike));
  GRADS.forEach((_, step) => {
    applyStep(opt, vars, step);
    between(opt as unknown as SlotState, step);
  });
  const values = vars.map((v) => Float32Array.from(v.dataSync()));
  const weights = (await opt.getWeights()).slice(1).map((w: NamedTensor) => Float32Array.from(w.tensor.dataSync()));
  opt.dispose();
  tf.dispose(vars);
  return { values, weights, opt: opt as unknown as SlotState };
}

function expectSame(a: Float32Array[], b: Float32Array[], label: string): void {
  expect(a.length).toBe(b.length);
  a.forEach((x, i) => expectBitEqual(x, b[i], `${label} [${i}]`));
}

describe.each(MAKERS)('fused-optim/tfjs %s on TF.js wasm, fused-optim on its wasm backend', (label, make, slots) => {
  it('keeps the float32 slot state in TF.js\'s wasm heap, and gives the TS backend\'s bits', async () => {
    await useTfBackend('wasm');
    const spec = await trajectory(make, 'js');
    let inHeap = 0;
    const got = await trajectory(make, 'wasm', (opt) => {
      expect(opt.state.length).toBe(slots);
      for (const list of opt.state) for (const a of list) if (a.buffer === heapBuffer()) inHeap++;
    });
    expect(inHeap).toBe(slots * START.length * GRADS.length);
    expectSame(got.values, spec.values, `${label} values`);
    expectSame(got.weights, spec.weights, `${label} getWeights`);
  });

  it('keeps the values when the heap grows between steps (every view of it detached)', async () => {
    await useTfBackend('wasm');
    const spec = await trajectory(make, 'js');
    let grew = 0;
    const got = await trajectory(make, 'wasm', (_, step) => {
      if (step !== 1) return;
      growHeap();
      grew++;
    });
    expect(grew).toBe(1);
    expectSame(got.values, spec.values, `${label} values`);
    expectSame(got.weights, spec.weights, `${label} getWeights`);
  });
});

describe('heap-kept state through setWeights, a backend switch and dispose', () => {
  it('setWeights replaces it, a switch to the TS backend mid-training reads it where it lies, dispose brings it back out', async () => {
    await useTfBackend('wasm');
    // Momentum: its update has no per-step scalars that setWeights recomputes (Adam's beta powers).
    const make = MAKERS[0][1];
    const spec = await trajectory(make, 'js');
    // The same steps, with the state saved and loaded into a new optimizer half way, and the
    // last step on the TS backend.
    useBackend('wasm');
    const vars = START.map(variableOf);
    let opt = make(fusedTrain(tfLike));
    const step = (k: number) => applyStep(opt, vars, k);
    step(0);
    step(1);
    const saved = await opt.getWeights();
    const copies = saved.map((w: NamedTensor) => ({ name: w.name, tensor: tf.clone(w.tensor) }));
    opt.dispose();
    const gone = (opt as unknown as SlotState).state.flat();
    expect(gone.every((a) => a.buffer !== heapBuffer())).toBe(true);
    opt = make(fusedTrain(tfLike));
    await opt.setWeights(copies);
    tf.dispose(copies.map((c: NamedTensor) => c.tensor));
    step(2);
    expect((opt as unknown as SlotState).state.flat().every((a) => a.buffer === heapBuffer())).toBe(true);
    useBackend('js');
    step(3);
    expectSame(vars.map((v) => Float32Array.from(v.dataSync())), spec.values, 'values');
    const weights = (await opt.getWeights()).slice(1).map((w: NamedTensor) => Float32Array.from(w.tensor.dataSync()));
    expectSame(weights, spec.weights, 'getWeights');
    opt.dispose();
    expect((opt as unknown as SlotState).state.flat().every((a) => a.buffer !== heapBuffer() && a.length > 0)).toBe(true);
    tf.dispose(vars);
  });

  it('leaves the state in JS arrays with fused-optim on the native addon (it reads any memory)', async () => {
    await useTfBackend('wasm');
    useBackend('native');
    const v = variableOf(START[0]);
    const opt = fusedTrain(tfLike).adam(1e-2);
    const g = tf.tensor1d(GRADS[0][0]);
    opt.applyGradients([{ name: v.name, tensor: g }]);
    expect((opt as unknown as SlotState).state.flat().every((a) => a.buffer !== heapBuffer())).toBe(true);
    opt.dispose();
    tf.dispose([v, g]);
  });
});

describe('heap-kept state when the heap grows inside a step', () => {
  it.each(['wasm', 'js', 'native'] as const)(
    'a stepOptions hook that grows the heap: the step still gives the TS backend\'s bits (fused-optim on %s after the first steps)',
    async (later) => {
      await useTfBackend('wasm');
      const make = MAKERS[1][1];
      const spec = await trajectory(make, 'js');
      useBackend('wasm');
      const vars = START.map(variableOf);
      const opt = make(fusedTrain(tfLike));
      let grew = 0;
      GRADS.forEach((_, k) => {
        if (k === 2) {
          useBackend(later);
          opt.stepOptions = () => (growHeap(), grew++, {});
        }
        applyStep(opt, vars, k);
      });
      expect(grew).toBe(2);
      expectSame(vars.map((v) => Float32Array.from(v.dataSync())), spec.values, `values, ${later} after growth`);
      opt.dispose();
      tf.dispose(vars);
    },
  );
});

describe('heap blocks of the state', () => {
  /** Records TF.js's allocator calls while `f` runs. */
  async function recordingAllocator<T>(f: (given: number[], freed: number[]) => Promise<T>) {
    const module = tf.backend().wasm;
    // Emscripten binds _malloc and _free lazily: their first call replaces them with the
    // module's exports, and would replace these wrappers too.
    module._free(module._malloc(16));
    const malloc = module._malloc, free = module._free;
    const given: number[] = [], freed: number[] = [];
    module._malloc = (bytes: number) => {
      const a = malloc.call(module, bytes) >>> 0;
      given.push(a);
      return a;
    };
    module._free = (a: number) => {
      freed.push(a >>> 0);
      return free.call(module, a);
    };
    try {
      return { result: await f(given, freed), given, freed };
    } finally {
      module._malloc = malloc;
      module._free = free;
    }
  }

  it('are freed once each: by dispose, and when a step fails after placing new state', async () => {
    await useTfBackend('wasm');
    await trajectory(MAKERS[0][1], 'wasm');  // fused-optim's kernels placed in the heap (a block kept for good)
    useBackend('wasm');
    const { given, freed, result: addresses } = await recordingAllocator(async (given, freed) => {
      const vars = START.map(variableOf);
      const t = fusedTrain(tfLike);
      const opt = t.lookahead(t.momentum(0.05, 0.9), { k: 2 });
      const grads = GRADS[0].map((g) => tf.tensor1d(g));
      // Lookahead refuses a step that leaves a variable out, after the new state was placed.
      expect(() => opt.applyGradients([{ name: vars[0].name, tensor: grads[0] }, { name: vars[1].name, tensor: null as never }])).toThrow(
        /every variable needs a gradient/,
      );
      // Blocks still out: the two variables' and the two gradients' only (the failed step's new
      // values and its state's blocks are back).
      expect(given.length - freed.length).toBe(4);
      opt.applyGradients(vars.map((v, i) => ({ name: v.name, tensor: grads[i] })));
      const placed = (opt as unknown as SlotState).state.flat().map((a) => (expect(a.buffer).toBe(heapBuffer()), a.byteOffset));
      opt.dispose();
      tf.dispose([...vars, ...grads]);
      return placed;
    });
    expect(addresses.length).toBe(2);
    for (const a of addresses) expect(given).toContain(a);
    // Every block handed out while this ran (the state's, the failed step's, TF.js's own
    // tensors', all disposed) came back as often as it was handed out: none kept, none freed twice.
    const count = (list: number[], a: number) => list.filter((x) => x === a).length;
    for (const a of new Set([...given, ...freed])) expect(count(freed, a), `block ${a}`).toBe(count(given, a));
  });
});
