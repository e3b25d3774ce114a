// Optimizer classes: paper references for LAMB and Lion (not in PyTorch), textbook behaviour,
// state keyed by identity, per-group options, bit-exact resume through serialized checkpoints.
import { describe, expect, it } from 'vitest';
import {
  Adadelta, Adagrad, Adam, Adamax, AdamW, deserializeState, LAMB, Lion, Lookahead, NAdam, RAdam, RMSprop, SGD,
  serializeState, type Optimizer, type Parameter,
} from '../src';
import { expectBitEqual, expectClose, onJs, randomArray, rng, kernelTargets, onTarget } from './helpers';

const backends: [string, <T>(fn: () => T) => T][] = [
  ['js', onJs],
  ...kernelTargets().map((isa): [string, <T>(fn: () => T) => T] => [isa, (fn) => onTarget(isa, fn)]),
];

function makeParams(lengths: number[], seed: number): Parameter[] {
  const r = rng(seed);
  return lengths.map((n) => ({ data: randomArray(n, r), grad: null }));
}

function gradSequence(lengths: number[], steps: number, seed: number): Float32Array[][] {
  const r = rng(seed);
  return Array.from({ length: steps }, () => lengths.map((n, k) => randomArray(n, r, [1, 0.01, 10][k % 3])));
}

/** LAMB, You et al. 2019 Algorithm 2, in double precision, straight from the paper. */
function lambReference(init: number[][], grads: Float32Array[][], lr: number, b1: number, b2: number, eps: number, wd: number): number[][][] {
  const x = init.map((a) => [...a]);
  const m = init.map((a) => a.map(() => 0));
  const v = init.map((a) => a.map(() => 0));
  return grads.map((gs, t) => {
    gs.forEach((g, k) => {
      const u = x[k].map((_, i) => {
        m[k][i] = b1 * m[k][i] + (1 - b1) * g[i];
        v[k][i] = b2 * v[k][i] + (1 - b2) * g[i] * g[i];
        const mh = m[k][i] / (1 - b1 ** (t + 1)), vh = v[k][i] / (1 - b2 ** (t + 1));
        return mh / (Math.sqrt(vh) + eps) + wd * x[k][i];
      });
      const xn = Math.hypot(...x[k]), un = Math.hypot(...u);
      const trust = xn > 0 && un > 0 ? xn / un : 1;
      x[k] = x[k].map((xi, i) => xi - lr * trust * u[i]);
    });
    return x.map((a) => [...a]);
  });
}

/** Lion, Chen et al. 2023 Algorithm 1, in double precision. */
function lionReference(init: number[][], grads: Float32Array[][], lr: number, b1: number, b2: number, wd: number): number[][][] {
  const x = init.map((a) => [...a]);
  const m = init.map((a) => a.map(() => 0));
  return grads.map((gs) => {
    gs.forEach((g, k) => {
      x[k] = x[k].map((xi, i) => {
        const c = b1 * m[k][i] + (1 - b1) * g[i];
        m[k][i] = b2 * m[k][i] + (1 - b2) * g[i];
        return xi - lr * (Math.sign(c) + wd * xi);
      });
    });
    return x.map((a) => [...a]);
  });
}

describe.each(backends)('paper references on %s', (_, on) => {
  const lengths = [1, 7, 33, 4];
  it('LAMB follows Algorithm 2 (trust ratio 1 for an all-zero tensor)', () => {
    on(() => {
      const params = makeParams(lengths, 1);
      params[3].data.fill(0); // ||p|| = 0: trust ratio 1
      const init = params.map((p) => [...p.data]);
      const grads = gradSequence(lengths, 25, 2);
      const ref = lambReference(init, grads, 0.01, 0.9, 0.999, 1e-6, 0.01);
      const opt = new LAMB(params, { lr: 0.01, weightDecay: 0.01 });
      grads.forEach((gs, t) => {
        params.forEach((p, k) => (p.grad = gs[k]));
        opt.step();
        params.forEach((p, k) => expectClose(p.data, ref[t][k], `LAMB step ${t + 1} tensor ${k}`));
      });
    });
  });

  it('Lion follows Algorithm 1', () => {
    on(() => {
      const params = makeParams(lengths, 3);
      const init = params.map((p) => [...p.data]);
      const grads = gradSequence(lengths, 25, 4);
      const ref = lionReference(init, grads, 1e-3, 0.9, 0.99, 0.1);
      const opt = new Lion(params, { lr: 1e-3, weightDecay: 0.1 });
      grads.forEach((gs, t) => {
        params.forEach((p, k) => (p.grad = gs[k]));
        opt.step();
        params.forEach((p, k) => expectClose(p.data, ref[t][k], `Lion step ${t + 1} tensor ${k}`));
      });
    });
  });
});

describe.each(backends)('behaviour on %s', (_, on) => {
  it('worked exercise: AdamW from θ₀ = 2 on (θ−1)², lr 0.1, wd 0.01 gives θ₁ = 1.898', () => {
    on(() => {
      const theta: Parameter = { data: new Float32Array([2]), grad: null };
      const opt = new AdamW([theta], { lr: 0.1, betas: [0.9, 0.999], weightDecay: 0.01 });
      theta.grad = new Float32Array([2 * (theta.data[0] - 1)]);
      opt.step();
      expect(theta.data[0]).toBeCloseTo(1.898, 6);
    });
  });

  it('on x² + 10y² from (10, 10), lr 0.01, 100 steps: momentum 0.9 ends closer than plain SGD', () => {
    on(() => {
      const distance = (momentum: number) => {
        const p: Parameter = { data: new Float32Array([10, 10]), grad: new Float32Array(2) };
        const opt = new SGD([p], { lr: 0.01, momentum });
        for (let i = 0; i < 100; i++) {
          p.grad = new Float32Array([2 * p.data[0], 20 * p.data[1]]);
          opt.step();
        }
        return Math.hypot(p.data[0], p.data[1]);
      };
      const plain = distance(0), heavy = distance(0.9);
      expect(heavy).toBeLessThan(plain);
      expect(plain).toBeGreaterThan(1); // plain SGD is still far: x shrinks by 0.98 per step
    });
  });

  it('a 2-2-1 sigmoid network learns XOR with Adam (lr 0.1) to MSE < 0.01 within 2000 steps', () => {
    on(() => {
      const r = rng(7);
      const w1: Parameter = { data: Float32Array.from({ length: 4 }, () => r() * 2 - 1), grad: null };
      const b1: Parameter = { data: new Float32Array(2), grad: null };
      const w2: Parameter = { data: Float32Array.from({ length: 2 }, () => r() * 2 - 1), grad: null };
      const b2: Parameter = { data: new Float32Array(1), grad: null };
      const opt = new Adam([w1, b1, w2, b2], { lr: 0.1 });
      const X = [[0, 0], [0, 1], [1, 0], [1, 1]], Y = [0, 1, 1, 0];
      const sig = (z: number) => 1 / (1 + Math.exp(-z));
      let mse = Infinity, steps = 0;
      for (; steps < 2000 && mse >= 0.01; steps++) {
        const gw1 = new Float32Array(4), gb1 = new Float32Array(2), gw2 = new Float32Array(2), gb2 = new Float32Array(1);
        mse = 0;
        X.forEach(([a, b], n) => {
          const h = [0, 1].map((j) => sig(w1.data[2 * j] * a + w1.data[2 * j + 1] * b + b1.data[j]));
          const y = sig(w2.data[0] * h[0] + w2.data[1] * h[1] + b2.data[0]);
          const err = y - Y[n];
          mse += (err * err) / 4;
          const dy = (err / 2) * y * (1 - y);
          gb2[0] += dy;
          [0, 1].forEach((j) => {
            gw2[j] += dy * h[j];
            const dh = dy * w2.data[j] * h[j] * (1 - h[j]);
            gb1[j] += dh;
            gw1[2 * j] += dh * a;
            gw1[2 * j + 1] += dh * b;
          });
        });
        [w1.grad, b1.grad, w2.grad, b2.grad] = [gw1, gb1, gw2, gb2];
        opt.step();
      }
      expect(mse).toBeLessThan(0.01);
      expect(steps).toBeLessThanOrEqual(2000);
    });
  });
});

type Factory = (params: Parameter[]) => Optimizer<object> | Lookahead;
const FACTORIES: [string, Factory][] = [
  ['SGD nesterov', (p) => new SGD(p, { lr: 0.01, momentum: 0.9, nesterov: true, weightDecay: 0.01 })],
  ['Adagrad', (p) => new Adagrad(p, { lrDecay: 0.01, initialAccumulatorValue: 0.1 })],
  ['RMSprop centered momentum', (p) => new RMSprop(p, { centered: true, momentum: 0.9 })],
  ['Adadelta', (p) => new Adadelta(p, { weightDecay: 0.01 })],
  ['Adam amsgrad', (p) => new Adam(p, { amsgrad: true, weightDecay: 0.01 })],
  ['AdamW', (p) => new AdamW(p)],
  ['Adamax', (p) => new Adamax(p)],
  ['NAdam', (p) => new NAdam(p)],
  ['RAdam', (p) => new RAdam(p)],
  ['LAMB', (p) => new LAMB(p, { weightDecay: 0.01 })],
  ['Lion', (p) => new Lion(p, { weightDecay: 0.1 })],
  ['Lookahead(Adam)', (p) => new Lookahead(new Adam(p), { k: 3, alpha: 0.5 })],
];

describe('resume from a serialized checkpoint is bit-identical', () => {
  const lengths = [1, 7, 33, 100];
  it.each(FACTORIES)('%s: 10 steps, save, load into a fresh optimizer, 10 more = 20 straight', (_, make) => {
    const grads = gradSequence(lengths, 20, 21);
    const straight = makeParams(lengths, 20);
    const optStraight = make(straight);
    grads.forEach((gs) => {
      straight.forEach((p, k) => (p.grad = gs[k]));
      optStraight.step();
    });

    const first = makeParams(lengths, 20);
    const opt1 = make(first);
    grads.slice(0, 10).forEach((gs) => {
      first.forEach((p, k) => (p.grad = gs[k]));
      opt1.step();
    });
    const bytes = serializeState({ optimizer: opt1.stateDict(), params: first.map((p) => p.data) });
    const saved = deserializeState<{ optimizer: never; params: Float32Array[] }>(bytes);
    const resumed: Parameter[] = saved.params.map((data) => ({ data, grad: null }));
    const opt2 = make(resumed);
    opt2.loadStateDict(saved.optimizer);
    grads.slice(10).forEach((gs) => {
      resumed.forEach((p, k) => (p.grad = gs[k]));
      opt2.step();
    });
    resumed.forEach((p, k) => expectBitEqual(p.data, straight[k].data, `param ${k}`));
  });

  it('a corrupted checkpoint is rejected', () => {
    const bytes = serializeState({ a: new Float32Array([1, 2, 3]), b: Infinity });
    expect(deserializeState<{ b: number }>(bytes).b).toBe(Infinity);
    const bad = bytes.slice();
    bad[bad.length - 7] ^= 1;
    expect(() => deserializeState(bad)).toThrow(/checksum/);
    expect(() => deserializeState(bytes.subarray(0, 10))).toThrow(RangeError);
  });
});

describe('Optimizer semantics', () => {
  it('state follows the parameter, not its position: a subset or reordering never mixes moments', () => {
    const [a, b] = makeParams([5, 5], 30);
    const [a2, b2] = [{ data: a.data.slice(), grad: null }, { data: b.data.slice(), grad: null }] as Parameter[];
    const g = gradSequence([5, 5], 3, 31);
    const opt = new Adam([a, b], { lr: 0.1 });
    const ref = new Adam([b2, a2], { lr: 0.1 }); // other order
    g.forEach(([ga, gb], t) => {
      a.grad = ga;
      b.grad = t === 1 ? null : gb; // b misses step 2
      a2.grad = ga;
      b2.grad = t === 1 ? null : gb;
      opt.step();
      ref.step();
    });
    expectBitEqual(a.data, a2.data, 'a');
    expectBitEqual(b.data, b2.data, 'b');
    expect(opt.state.get(a)?.step).toBe(3);
    expect(opt.state.get(b)?.step).toBe(2);
  });

  it('a changed group option takes effect on the next step, per group', () => {
    const [a, b] = makeParams([3, 3], 40);
    const before = [a.data.slice(), b.data.slice()];
    const opt = new SGD([{ params: [a], lr: 0.1 }, { params: [b], lr: 0.2 }]);
    a.grad = new Float32Array([1, 1, 1]);
    b.grad = new Float32Array([1, 1, 1]);
    opt.paramGroups[0].lr = 0.5;
    opt.step();
    expect(before[0][0] - a.data[0]).toBeCloseTo(0.5, 6);
    expect(before[1][0] - b.data[0]).toBeCloseTo(0.2, 6);
  });

  it('zeroGrad fills with zeros, or sets null with setToNone', () => {
    const [a] = makeParams([4], 50);
    a.grad = new Float32Array([1, 2, 3, 4]);
    const opt = new SGD([a]);
    opt.zeroGrad();
    expect([...(a.grad as Float32Array)]).toEqual([0, 0, 0, 0]);
    opt.zeroGrad({ setToNone: true });
    expect(a.grad).toBeNull();
    const before = a.data.slice();
    opt.step(); // no gradient: skipped
    expectBitEqual(a.data, before, 'unchanged');
  });

  it('state dicts move between backends unchanged', () => {
    const lengths = [9, 40];
    const grads = gradSequence(lengths, 6, 60);
    const native = makeParams(lengths, 61);
    const viaJs: Parameter[] = native.map((p) => ({ data: p.data.slice(), grad: null }));
    const o1 = new AdamW(native, { amsgrad: true });
    grads.forEach((gs) => {
      native.forEach((p, k) => (p.grad = gs[k]));
      o1.step();
    });
    const o2 = new AdamW(viaJs, { amsgrad: true });
    onJs(() => {
      grads.slice(0, 3).forEach((gs) => {
        viaJs.forEach((p, k) => (p.grad = gs[k]));
        o2.step();
      });
    });
    const o3 = new AdamW(viaJs, { amsgrad: true });
    o3.loadStateDict(o2.stateDict());
    grads.slice(3).forEach((gs) => {
      viaJs.forEach((p, k) => (p.grad = gs[k]));
      o3.step();
    });
    native.forEach((p, k) => expectBitEqual(viaJs[k].data, p.data, `param ${k}`));
  });
});
