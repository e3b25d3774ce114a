// The wasm backend running inside another module's memory (shareMemory: how fused-optim/tfjs
// reaches TF.js's wasm heap without copies): tensors lying there are read and written in place,
// any others go through the work area as usual, and either way the bits are the TS
// specification's: every kind, in place and out of place, stored bfloat16/int8 state, LAMB,
// reductions, lengths around the work area's slice of 16384 elements, views at odd offsets,
// and a memory that grew between steps. A memory the module cannot run in is said once, and
// its tensors are then copied.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { getBackend, useBackend } from '../src/backend';
import type { KernelScalars, Kind } from '../src/backend/types';
import type { WasmBackend } from '../src/backend/wasm';
import { compileKernels, moduleNeeds, type WasmApi, type WasmMemory, wasmApi } from '../src/backend/wasm-module';
import {
  type AnyArray, type Case, copyStoredStreams, copyStreams, KERNEL_CASES, makeStoredStreams, makeStreams, STORED_CASES, type StoredStreams,
  type Streams, TF_CASES,
} from './kernel-cases';
import { expectBitEqual, onJs, randomArray, rng } from './helpers';
import { tf, tfLike, useTfBackend } from './tfjs-setup';

const WebAssemblyApi = (globalThis as unknown as { WebAssembly: { Memory: new (d: object) => WasmMemory } }).WebAssembly;

afterEach(() => useBackend('native'));

/** A memory of another module's, with a bump allocator; `allocations` records each request. */
function foreignMemory(pages = 400, descriptor: object = {}) {
  const memory = new WebAssemblyApi.Memory({ initial: pages, ...descriptor });
  let top = 64;
  const allocations: number[] = [];
  const addresses: number[] = [];
  const allocate = (bytes: number) => {
    allocations.push(bytes);
    const at = top;
    addresses.push(at);
    top = Math.ceil((top + bytes) / 16) * 16;
    if (top > memory.buffer.byteLength) memory.grow(Math.ceil((top - memory.buffer.byteLength) / 65536));
    return at;
  };
  return { memory, allocate, allocations, addresses };
}

type Foreign = ReturnType<typeof foreignMemory>;

/** A copy of `a` in the foreign memory, `odd` elements past an aligned block (unaligned for SIMD). */
function inMemory<T extends AnyArray>(f: Foreign, a: T, odd = 1): T {
  const Ctor = a.constructor as new (buffer: ArrayBuffer, at: number, n: number) => T;
  const bytes = (a as Float32Array).BYTES_PER_ELEMENT;
  const at = f.allocate((a.length + odd + 1) * bytes) + odd * bytes;
  const view = new Ctor(f.memory.buffer, at, a.length);
  (view as Float32Array).set(a as Float32Array);
  return view;
}

function wasmSharing(f: Foreign): WasmBackend {
  useBackend('wasm');
  const backend = getBackend() as WasmBackend;
  backend.shareMemory(f.memory, f.allocate);
  return backend;
}

const run = (c: Case, streams: Streams | StoredStreams) =>
  getBackend().step(c.kind, streams as never, c.scalars as unknown as KernelScalars[Kind]);

const PARAM_CASES = [...KERNEL_CASES, ...TF_CASES].filter((c) => 'param' in c.streams);
// Tails around the SIMD width and the work area's slice.
const LENGTHS = [0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 16383, 16384, 16385, 40000];

function expectListsEqual(actual: Streams | StoredStreams, expected: Streams | StoredStreams, label: string): void {
  for (const [name, list] of Object.entries(expected)) {
    if (list === null || typeof list === 'number') continue;
    (list as AnyArray[]).forEach((e, k) => {
      const a = (actual[name] as AnyArray[])[k];
      expectBitEqual(new Float32Array(Float32Array.from(a as Float32Array)), new Float32Array(Float32Array.from(e as Float32Array)), `${label} ${name}[${k}]`);
    });
  }
}

describe('the wasm backend in another module\'s memory', () => {
  it('places its instance once, in a block that memory\'s allocator gives', () => {
    const f = foreignMemory();
    const backend = wasmSharing(f);
    backend.shareMemory(f.memory, f.allocate);
    expect(f.allocations).toHaveLength(1);
    // The module's data and stack, and a work area of five 64 KB slices.
    expect(f.allocations[0]).toBeGreaterThan(5 * 65536);
  });

  describe.each([
    ['every stream there, in place', { there: 'all', out: false }],
    ['params, gradients and outputs there, state outside, out of place', { there: 'param grad', out: true }],
    ['params outside, outputs there', { there: 'grad', out: true, outThere: true }],
    ['params there, outputs outside', { there: 'param', out: true, outThere: false }],
  ] as const)('%s', (_, how) => {
    it.each(PARAM_CASES.map((c) => [c.name, c] as const))('%s: the TS backend\'s bits', (_, c) => {
      const f = foreignMemory();
      const input = makeStreams(c, LENGTHS, 11);
      const expected = copyStreams(input);
      onJs(() => run(c, expected));
      wasmSharing(f);
      const actual: Streams = {};
      for (const [name, list] of Object.entries(input))
        actual[name] = list && list.map((a) => (how.there === 'all' || how.there.split(' ').includes(name) ? inMemory(f, a) : a.slice()));
      const params = actual.param as Float32Array[];
      const before = params.map((p) => p.slice());
      let paramOut: Float32Array[] | undefined;
      if (how.out) {
        const outThere = 'outThere' in how ? how.outThere : true;
        paramOut = params.map((p) => (outThere ? inMemory(f, new Float32Array(p.length).fill(-7), 3) : new Float32Array(p.length).fill(-7)));
        run(c, { ...actual, paramOut } as Streams);
        params.forEach((p, k) => expectBitEqual(p, before[k], `param[${k}] (only read)`));
        expectListsEqual({ ...actual, param: paramOut }, expected, c.name);
      } else {
        run(c, actual);
        expectListsEqual(actual, expected, c.name);
      }
    });
  });

  describe.each([['bfloat16', 0], ['int8', 256], ['int8', 4096]] as const)('stored %s state (block %i)', (dtype, blockSize) => {
    it.each(STORED_CASES.map((c) => [c.name, c] as const))('%s: params and gradients there, in place and out of place', (_, c) => {
      const f = foreignMemory();
      const input = makeStoredStreams(c, [0, 1, 17, 257, 4097, 16385, 40000], 5, dtype, blockSize);
      const expected = copyStoredStreams(input);
      onJs(() => run(c, expected));
      wasmSharing(f);
      for (const out of [false, true]) {
        const actual = copyStoredStreams(input);
        actual.param = (actual.param as Float32Array[]).map((a) => inMemory(f, a));
        actual.grad = (actual.grad as Float32Array[]).map((a) => inMemory(f, a, 3));
        // State there too, at odd byte offsets (Uint8Array codes).
        if (!out) for (const name of Object.keys(actual)) if (name.endsWith('Absmax') || !['param', 'grad'].includes(name)) {
          const list = actual[name];
          if (Array.isArray(list)) actual[name] = list.map((a) => inMemory(f, a));
        }
        const paramOut = out ? (actual.param as Float32Array[]).map((p) => inMemory(f, new Float32Array(p.length), 2)) : undefined;
        run(c, paramOut ? { ...actual, paramOut } : actual);
        expectListsEqual(out ? { ...actual, param: paramOut as Float32Array[] } : actual, expected, `${c.name} ${out ? 'out of place' : 'in place'}`);
      }
    });
  });

  it('tensors there are updated where they lie: the work area\'s slices are not used', () => {
    const f = foreignMemory();
    wasmSharing(f);
    // The instance's slices: after its data (64-byte aligned), a 64 KB stack and a 1 KB header.
    const api = wasmApi() as WasmApi;
    const { memorySize } = moduleNeeds(api, compileKernels(api));
    const dataAt = Math.ceil(f.addresses[0] / 64) * 64;
    const slicesAt = Math.ceil((dataAt + memorySize) / 64) * 64 + 65536 + 1024;
    // Made anew each time: allocating the tensors below may grow the memory (detaching views).
    const slices = () => new Uint32Array(f.memory.buffer, slicesAt, (5 * 65536) / 4);
    const untouched = () => slices().every((w) => w === 0x7fc0dead);
    const c = PARAM_CASES.find((x) => x.name === 'adam amsgrad l2') as Case;
    const input = makeStreams(c, [40000, 3], 6);
    const expected = copyStreams(input);
    onJs(() => run(c, expected));
    useBackend('wasm');
    const there: Streams = {};
    for (const [name, list] of Object.entries(input)) there[name] = list && list.map((a) => inMemory(f, a));
    slices().fill(0x7fc0dead);
    run(c, there);
    expectListsEqual(there, expected, 'in place there');
    expect(untouched()).toBe(true);
    // The same step with the params outside goes through the slices: the check above can fail.
    const outside = { ...copyStreams(input), grad: there.grad };
    run(c, outside);
    expect(untouched()).toBe(false);
  });

  it('a kind with fewer streams after one with more: only its own streams are touched', () => {
    const f = foreignMemory();
    wasmSharing(f);
    // Adam with amsgrad fills all five stream slots with addresses of tensors there ...
    const adam = PARAM_CASES.find((x) => x.name === 'adam amsgrad l2') as Case;
    const adamInput: Streams = {};
    for (const [name, list] of Object.entries(makeStreams(adam, [5000], 2))) adamInput[name] = list && list.map((a) => inMemory(f, a));
    run(adam, adamInput);
    const adamAfter = copyStreams(adamInput);
    // ... then stored-state steps of three streams (the stored kernels visit every slot).
    for (const [name, dtype, blockSize] of [['sgd momentum', 'int8', 256], ['tf adagrad', 'bfloat16', 0], ['lion', 'int8', 4096]] as const) {
      const c = STORED_CASES.find((x) => x.name === name) as Case;
      const input = makeStoredStreams(c, [5000, 17], 4, dtype, blockSize);
      const expected = copyStoredStreams(input);
      onJs(() => run(c, expected));
      const actual = copyStoredStreams(input);
      actual.param = (actual.param as Float32Array[]).map((a) => inMemory(f, a));
      useBackend('wasm');
      run(c, actual);
      expectListsEqual(actual, expected, name);
    }
    expectListsEqual(adamInput, adamAfter, 'the earlier adam tensors');
  });

  it('reductions over tensors there give the values of the same tensors copied in', () => {
    // Reductions are exact per backend, not across them (each sums in its own order): the
    // reference is the wasm backend itself on copies outside the memory.
    const r = rng(3);
    const xs = LENGTHS.map((n) => randomArray(n, r));
    useBackend('wasm');
    const ops = ['sumSquares', 'sumAbs', 'maxAbs'] as const;
    const expected = ops.map((op) => getBackend().reduce(xs, op));
    const f = foreignMemory();
    wasmSharing(f);
    const there = xs.map((x) => inMemory(f, x));
    const mixed = xs.map((x, i) => (i % 2 ? there[i] : x));
    ops.forEach((op, k) => {
      expect(getBackend().reduce(there, op)).toBe(expected[k]);
      expect(getBackend().reduce(mixed, op)).toBe(expected[k]);
    });
  });

  it('a memory that grew between steps: new views of it are updated in place', () => {
    const f = foreignMemory(40);
    const c = PARAM_CASES[0];
    const input = makeStreams(c, [5000, 16385], 2);
    const expected = copyStreams(input);
    onJs(() => {
      run(c, expected);
      run(c, expected);
    });
    wasmSharing(f);
    const addresses: Record<string, number[]> = {};
    const actual: Streams = {};
    for (const [name, list] of Object.entries(input))
      actual[name] = list && list.map((a) => inMemory(f, a));
    for (const [name, list] of Object.entries(actual)) addresses[name] = (list ?? []).map((a) => a.byteOffset);
    run(c, actual);
    f.memory.grow(20); // detaches every view
    const again: Streams = {};
    for (const [name, list] of Object.entries(actual))
      again[name] = list && list.map((a, k) => new Float32Array(f.memory.buffer, addresses[name][k], input[name]![k].length));
    run(c, again);
    expectListsEqual(again, expected, 'after growing');
  });

  it.each([
    ['a shared memory', () => foreignMemory(8, { maximum: 64, shared: true })],
    ['an allocator that gives nothing', () => ({ ...foreignMemory(), allocate: () => 0 })],
  ])('%s: a warning once, and its tensors copied (same bits)', (_, make) => {
    const f = make() as Foreign;
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    try {
      const backend = wasmSharing(f);
      backend.shareMemory(f.memory, f.allocate);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0][0])).toMatch(/cannot run in that module's memory.*copied/);
    } finally {
      warn.mockRestore();
    }
    const c = PARAM_CASES[0];
    const input = makeStreams(c, [3, 1000], 4);
    const expected = copyStreams(input);
    onJs(() => run(c, expected));
    const actual: Streams = {};
    const buffer = f.memory.buffer;
    let at = 64;
    for (const [name, list] of Object.entries(input))
      actual[name] = list && list.map((a) => {
        const v = new Float32Array(buffer, at, a.length);
        v.set(a);
        at += Math.ceil(a.length / 4) * 16 + 16;
        return v;
      });
    useBackend('wasm');
    run(c, actual);
    expectListsEqual(actual, expected, 'copied');
  });
});

describe('fused-optim/tfjs on the TF.js wasm backend, with fused-optim on its wasm backend', () => {
  it('places the kernels in TF.js\'s wasm memory once, and steps give the TS backend\'s bits', async () => {
    await useTfBackend('wasm');
    const { fusedTrain } = await import('../src/tfjs');
    // The module's own data (its table of kinds) in TF.js's heap tells where it was placed.
    const heap = () => Buffer.from(tf.backend().wasm.HEAPU8.buffer);
    const copiesOfItsData = () => {
      let count = 0;
      for (let at = heap().indexOf('kind adam\nscalar'); at >= 0; at = heap().indexOf('kind adam\nscalar', at + 1)) count++;
      return count;
    };
    const r = rng(9);
    const start = randomArray(70000, r, 0.1), grads = [randomArray(70000, r), randomArray(70000, r)];
    const trajectory = (backend: 'wasm' | 'js') => {
      useBackend(backend);
      const v = tf.variable(tf.tensor1d(start));
      const opt = fusedTrain(tfLike).momentum(0.05, 0.9, true);
      for (const g of grads) {
        const gt = tf.tensor1d(g);
        opt.applyGradients([{ name: v.name, tensor: gt }]);
        gt.dispose();
      }
      const out = Float32Array.from(v.dataSync());
      opt.dispose();
      v.dispose();
      return out;
    };
    const spec = trajectory('js');
    expect(copiesOfItsData()).toBe(0);
    const got = trajectory('wasm');
    expect(copiesOfItsData()).toBe(1);
    expectBitEqual(got, spec, 'momentum on wasm in TF.js memory');
    expectBitEqual(trajectory('wasm'), spec, 'momentum, again');
    expect(copiesOfItsData()).toBe(1);
  });
});
