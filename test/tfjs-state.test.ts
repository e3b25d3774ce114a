// fused-optim/tfjs with stored state (stateDtype 'bfloat16' / 'int8') and with Lookahead around
// the seven tf.train optimizers: the same bits on every fused-optim backend, float32 weights for
// getWeights/setWeights (so stock optimizers still read and write them), the unsigned int8 map
// for never-negative state, and Lookahead's trajectory as Lookahead around tf.train computes it.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../src';
import type { StateDtype } from '../src/backend/state-format';
import { stateFromFloat32, stateToFloat32 } from '../src/functional/stored';
import { type FusedOptimizer, fusedTrain } from '../src/tfjs';
import { expectBitEqual, randomArray, rng } from './helpers';
import { tf, tfLike, useTfBackend } from './tfjs-setup';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;
type Maker = (t: ReturnType<typeof fusedTrain>) => FusedOptimizer;

/** The six tf.train optimizers that keep state (sgd has none), by name. */
const STATEFUL: [string, Maker, () => Any][] = [
  ['momentum nesterov', (t) => t.momentum(0.01, 0.9, true), () => tf.train.momentum(0.01, 0.9, true)],
  ['adagrad', (t) => t.adagrad(0.05), () => tf.train.adagrad(0.05)],
  ['adadelta', (t) => t.adadelta(0.1, 0.9), () => tf.train.adadelta(0.1, 0.9)],
  ['adam', (t) => t.adam(0.01), () => tf.train.adam(0.01)],
  ['adamax', (t) => t.adamax(0.01, 0.9, 0.99, undefined, 0.01), () => tf.train.adamax(0.01, 0.9, 0.99, undefined, 0.01)],
  ['rmsprop centered momentum', (t) => t.rmsprop(0.005, 0.9, 0.5, 1e-10, true), () => tf.train.rmsprop(0.005, 0.9, 0.5, 1e-10, true)],
];
const SEVEN: [string, Maker, () => Any][] = [['sgd', (t) => t.sgd(0.05), () => tf.train.sgd(0.05)], ...STATEFUL];

/** A least-squares problem (gradients of order 0.1) with a 64×80 weight (5120 elements: int8 state by default) and an 80-element bias. */
function problem() {
  const r = rng(7);
  const w = tf.variable(tf.tensor2d(randomArray(64 * 80, r, 0.1), [64, 80]));
  const b = tf.variable(tf.tensor1d(randomArray(80, r, 0.1)));
  const x = tf.tensor2d(randomArray(16 * 64, r), [16, 64]);
  const y = tf.tensor2d(randomArray(16 * 80, r), [16, 80]);
  const loss = () => tf.add(tf.div(tf.sum(tf.square(tf.sub(tf.add(tf.matMul(x, w), b), y))), 16), tf.div(tf.sum(tf.pow(w, 4)), 100));
  const values = () => Float32Array.from([...w.dataSync(), ...b.dataSync()]);
  return { w, b, loss, values, dispose: () => tf.dispose([w, b, x, y]) };
}

/** Final variables and getWeights values after `steps` steps on fused-optim's `backend`. */
async function run(make: () => FusedOptimizer, steps: number, backend: 'native' | 'wasm' | 'js' = 'native') {
  const { w, b, loss, values, dispose } = problem();
  const opt = make();
  useBackend(backend);
  try {
    for (let s = 0; s < steps; s++) opt.minimize(loss, false, [w, b]);
  } finally {
    useBackend('native');
  }
  const weights = await opt.getWeights();
  const out = { params: values(), weights: weights.map((x) => ({ name: x.name, values: Float32Array.from(x.tensor.dataSync()) })) };
  opt.dispose();
  dispose();
  return out;
}

afterEach(() => useBackend('native'));

describe.each(['cpu', 'wasm'] as const)('stored state through fused-optim/tfjs on the %s backend', (backend) => {
  beforeAll(() => useTfBackend(backend));

  describe.each(['bfloat16', 'int8'] as const)('%s', (stateDtype) => {
    const stored = fusedTrain(tfLike, { stateDtype });
    const float = fusedTrain(tfLike);

    it.each(STATEFUL.map(([name, make]) => [name, make] as const))(
      '%s: the same bits on the native, wasm and js backends; float32 weights; the course of float32 state',
      async (name, make) => {
        const spec = await run(() => make(stored), 6, 'js');
        for (const target of ['native', 'wasm'] as const) {
          const got = await run(() => make(stored), 6, target);
          expectBitEqual(got.params, spec.params, `${target} params`);
          got.weights.forEach((x, i) => expectBitEqual(x.values, spec.weights[i].values, `${target} ${x.name}`));
        }
        const f32 = await run(() => make(float), 6);
        const suffixes = (ws: { name: string }[]) => ws.map((x) => x.name.replace(/^\d+\//, ''));
        expect(suffixes(spec.weights)).toEqual(suffixes(f32.weights));
        // The state really is stored: rounding it changes the trajectory... except Adadelta's:
        // TF.js's formula divides by the accumulator from before the step, so both accumulators
        // hold the same bits at every step (in any format) and the update is the gradient itself.
        let differs = false;
        for (let i = 0; i < f32.params.length; i++) differs ||= spec.params[i] !== f32.params[i];
        expect(differs).toBe(name !== 'adadelta');
        // ...but not its course: after 6 steps every variable is where float32 state takes it,
        // within 2% of the distance it moved (bfloat16 keeps 8 bits of mantissa, int8 about 5).
        const start = problem();
        const p0 = start.values();
        start.dispose();
        let moved = 0, apart = 0;
        for (let i = 0; i < p0.length; i++) {
          moved += (f32.params[i] - p0[i]) ** 2;
          apart += (spec.params[i] - f32.params[i]) ** 2;
        }
        expect(Math.sqrt(apart)).toBeLessThan(0.02 * Math.sqrt(moved));
      },
    );
  });
});

describe('stored state: getWeights and setWeights speak float32 with stock optimizers', () => {
  beforeAll(() => useTfBackend('cpu'));

  it('setWeights encodes stock state (the unsigned int8 map for adam v), getWeights decodes it, stock reads it back', async () => {
    const { w, b, loss, dispose } = problem();
    const stock = tf.train.adam(0.01);
    for (let s = 0; s < 3; s++) stock.minimize(loss, false, [w, b]);
    const saved: Any[] = await stock.getWeights();
    const fused = fusedTrain(tfLike, { stateDtype: 'int8', min8bitSize: 0 }).adam(0.01);
    await fused.setWeights(saved);
    const back = await fused.getWeights();
    expect(back.map((x) => x.name)).toEqual(saved.map((x: Any) => x.name));
    expect(back.every((x) => x.tensor.dtype === 'float32' || x.name === 'iter')).toBe(true);
    for (let i = 1; i < saved.length; i++) {
      const original = Float32Array.from(saved[i].tensor.dataSync() as Float32Array);
      const signed = !saved[i].name.endsWith('/v');
      const expected = stateToFloat32(stateFromFloat32(original, 'int8', signed), signed);
      expectBitEqual(Float32Array.from(back[i].tensor.dataSync()), expected, saved[i].name);
      if (!signed) {
        // The signed map would have given other values: the map in use is the unsigned one.
        const other = stateToFloat32(stateFromFloat32(original, 'int8', true), true);
        expect(expected.some((v, k) => v !== other[k]), saved[i].name).toBe(true);
      }
    }
    // Stock Adam takes the decoded state and steps on from it.
    const resumed = tf.train.adam(0.01);
    await resumed.setWeights(back);
    resumed.minimize(loss, false, [w, b]);
    expect(resumed.iterations).toBe(4);
    expect([...w.dataSync()].every(Number.isFinite)).toBe(true);
    tf.dispose(saved[0].tensor);
    [stock, fused, resumed].forEach((o) => o.dispose());
    dispose();
  });

  it('int8 keeps variables below min8bitSize in float32: an 80-element bias trains as with float32 state', async () => {
    const trainBias = async (t: ReturnType<typeof fusedTrain>) => {
      const { b, loss, dispose } = problem();
      const opt = t.adam(0.01);
      for (let s = 0; s < 5; s++) opt.minimize(loss, false, [b]);
      const out = Float32Array.from(b.dataSync());
      opt.dispose();
      dispose();
      return out;
    };
    const float = await trainBias(fusedTrain(tfLike));
    expectBitEqual(await trainBias(fusedTrain(tfLike, { stateDtype: 'int8' })), float, 'bias');
    // With min8bitSize 0 the bias's state is int8 too, and its trajectory another one.
    const forced = await trainBias(fusedTrain(tfLike, { stateDtype: 'int8', min8bitSize: 0 }));
    expect(forced.some((v, i) => v !== float[i])).toBe(true);
  });

  it.each([
    ['adamw', { lr: 0.01, weightDecay: 0.01 }],
    ['lion', { lr: 1e-3 }],
    ['nadam', { lr: 0.01, weightDecay: 0.01 }],
    ['radam', { lr: 0.01 }],
  ] as const)('%s takes stateDtype in its options; its weights are float32 and reload into int8 state bit-exactly', async (name, opts) => {
    const t = fusedTrain(tfLike);
    const make = (stateDtype: StateDtype) => t[name]({ ...opts, stateDtype });
    const { w, b, loss, values, dispose } = problem();
    const a = make('int8');
    for (let s = 0; s < 3; s++) a.minimize(loss, false, [w, b]);
    const weights = await a.getWeights();
    expect(weights.filter((x) => x.name !== 'iter').every((x) => x.tensor.dtype === 'float32')).toBe(true);
    expect(weights.some((x) => x.name === `${w.name}/expAvg`)).toBe(true);
    const p3 = values();
    const copy = make('int8');
    await copy.setWeights(weights);
    a.minimize(loss, false, [w, b]);
    const expected = values();
    w.assign(tf.tensor2d(p3.subarray(0, 5120), [64, 80]));
    b.assign(tf.tensor1d(p3.subarray(5120)));
    copy.minimize(loss, false, [w, b]);
    expectBitEqual(values(), expected, `${name} int8 state resumed from its float32 weights`);
    [a, copy].forEach((o) => o.dispose());
    dispose();
  });

  it('refuses a bad stateDtype at once, and a change once the optimizer has state', () => {
    expect(() => fusedTrain(tfLike, { stateDtype: 'int4' as StateDtype })).toThrow(/stateDtype must be one of 'float32', 'bfloat16', 'int8'/);
    expect(() => fusedTrain(tfLike, { min8bitSize: -1 })).toThrow(RangeError);
    const { w, b, loss, dispose } = problem();
    const opt = fusedTrain(tfLike).adam(0.01);
    opt.minimize(loss, false, [w, b]);
    expect(() => opt.configureState({ stateDtype: 'int8' })).toThrow(/before the first step/);
    expect(opt.getConfig()).toEqual(tf.train.adam(0.01).getConfig());
    // fusedTrain's stateDtype reaches nadam and radam too; their own option wins, as for adamw.
    const t8 = fusedTrain(tfLike, { stateDtype: 'int8' });
    expect(t8.nadam().getConfig().stateDtype).toBe('int8');
    expect(t8.radam({ stateDtype: 'bfloat16' }).getConfig().stateDtype).toBe('bfloat16');
    expect(t8.lamb().getConfig().stateDtype).toBeUndefined();
    opt.dispose();
    dispose();
  });
});

/** Lookahead around stock tf.train, as the paper states it: every k steps slow += α(fast − slow), fast = slow. */
function stockLookahead(make: () => Any, steps: number, k: number, alpha: number): Float32Array {
  const { w, b, loss, values, dispose } = problem();
  const opt = make();
  let slow = values();
  for (let s = 1; s <= steps; s++) {
    opt.minimize(loss, false, [w, b]);
    if (s % k === 0) {
      const fast = values();
      slow = slow.map((v, i) => Math.fround(v + Math.fround(alpha * Math.fround(fast[i] - v))));
      w.assign(tf.tensor2d(slow.subarray(0, 5120), [64, 80]));
      b.assign(tf.tensor1d(slow.subarray(5120)));
    }
  }
  const out = values();
  opt.dispose();
  dispose();
  return out;
}

describe.each(['cpu', 'wasm'] as const)('train.lookahead around the seven tf.train optimizers on the %s backend', (backend) => {
  beforeAll(() => useTfBackend(backend));
  const t = fusedTrain(tfLike);

  it.each(SEVEN.map(([name, make, stock]) => [name, make, stock] as const))(
    '%s: 11 steps with k = 3, alpha = 0.5 follow Lookahead around tf.train within 1e-5',
    async (_, make, stock) => {
      const expected = stockLookahead(stock, 11, 3, 0.5);
      const { params } = await run(() => t.lookahead(make(t), { k: 3, alpha: 0.5 }), 11);
      for (let i = 0; i < expected.length; i++)
        expect(Math.abs(params[i] - expected[i]), `[${i}]`).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(expected[i])));
      // Without lookahead the trajectory is another one (the syncs did happen).
      const plain = await run(() => make(t), 11);
      expect(plain.params.some((v, i) => Math.abs(v - expected[i]) > 1e-4)).toBe(true);
    },
  );

  it('saves the slow weights after the slots, reloads them and the config, and continues identically', async () => {
    const { w, b, loss, values, dispose } = problem();
    const a = t.lookahead(t.adam(0.01), { k: 3, alpha: 0.4 });
    for (let s = 0; s < 4; s++) a.minimize(loss, false, [w, b]);
    const weights = await a.getWeights();
    expect(weights.map((x) => x.name)).toEqual(['iter', `${w.name}/m`, `${b.name}/m`, `${w.name}/v`, `${b.name}/v`, `${w.name}/slow`, `${b.name}/slow`]);
    expect(a.getConfig()).toEqual({ ...tf.train.adam(0.01).getConfig(), lookahead: { k: 3, alpha: 0.4 } });
    const Adam = t.classes.Adam as Any;
    const copy = Adam.fromConfig(Adam, a.getConfig()) as FusedOptimizer;
    expect(copy.getConfig()).toEqual(a.getConfig());
    await copy.setWeights(weights);
    const p4 = values();
    for (let s = 0; s < 5; s++) a.minimize(loss, false, [w, b]);
    const expected = values();
    w.assign(tf.tensor2d(p4.subarray(0, 5120), [64, 80]));
    b.assign(tf.tensor1d(p4.subarray(5120)));
    for (let s = 0; s < 5; s++) copy.minimize(loss, false, [w, b]);
    expectBitEqual(values(), expected, 'resumed with lookahead');
    [a, copy].forEach((o) => o.dispose());
    dispose();
  });

  it('refuses a step that leaves a variable without a gradient, and a lookahead set after the first step', () => {
    const { w, b, loss, values, dispose } = problem();
    const a = t.lookahead(t.momentum(0.01, 0.9));
    a.minimize(loss, false, [w, b]);
    const before = values();
    const ones = tf.onesLike(w);
    expect(() => a.applyGradients([{ name: w.name, tensor: ones }, { name: b.name, tensor: null as Any }])).toThrow(
      /with lookahead every variable needs a gradient at every step/,
    );
    ones.dispose();
    expectBitEqual(values(), before, 'variables after the refused step');
    expect(a.iterations).toBe(1);
    expect(() => t.lookahead(a)).toThrow(/before the first step/);
    expect(() => t.lookahead({} as FusedOptimizer)).toThrow(TypeError);
    expect(() => t.lookahead(t.adam(), { k: 0 })).toThrow(RangeError);
    a.dispose();
    dispose();
  });
});
