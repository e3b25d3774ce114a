// The WebAssembly backend: the kernels of native/kernels compiled for WebAssembly SIMD
// (native/wasm, built by scripts/build-wasm.mjs, committed), for hosts where the native addon
// cannot be built. It gives the same bits as the native kernels and the TS backend, on one
// thread. A wasm module cannot see the caller's Float32Arrays, so each tensor goes through the
// module's memory in slices of CHUNK elements: copied in, updated, and the written streams
// copied back, while the slice is still in cache.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tensorLength, tensorSlice, typedSlice } from './engine';
import { packageRoot } from './package-root';
import { UNSIGNED_STATE } from './state-format';
import { type KindLayout, kindTableMismatch, packScalars } from './kinds';
import { type Backend, type KernelScalars, type KernelStreams, type Kind, type OutputField, REDUCE_OP_CODES, type StoredFields } from './types';

// The little of the WebAssembly API used here (the project's TS lib has no DOM types).
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
interface Memory {
  buffer: ArrayBuffer;
  grow(pages: number): number;
}

interface Exports {
  memory: Memory;
  __heap_base: { value: number };
  fo_kinds(): number;
  fo_step(kind: number, scalars: number, streams: number, n: number): void;
  fo_lamb_moments(scalars: number, streams: number, n: number, sums: number): void;
  fo_lamb_lr_trust(scalars: number, sums: number): number;
  fo_lamb_apply(scalars: number, streams: number, n: number, lrTrust: number): void;
  /** A slice's reduction combined with the running result. */
  fo_reduce(op: number, x: number, n: number, acc: number): number;
  fo_stored_step(
    kind: number, format: number, blockSize: number, unsignedMask: number, scalars: number, streams: number, absmax: number, n: number,
  ): void;
}

/** Elements per slice: 64 KB per stream, five streams at most, well inside a core's L2. */
const CHUNK = 1 << 14;
const MAX_STREAMS = 5;
const WASM_FILE = join('native', 'wasm', 'fused_optim.wasm');

/** Instantiates the module, or returns why it cannot be (no file, no WebAssembly SIMD). */
export function loadWasm(): Backend | Error {
  const root = packageRoot();
  if (root === null) return new Error('cannot locate the fused-optim package folder');
  const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (api === undefined) return new Error('this runtime has no WebAssembly');
  try {
    const module = new api.Module(readFileSync(join(root, WASM_FILE)));
    return wasmBackend(new api.Instance(module, {}).exports as Exports);
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
}

function wasmBackend(w: Exports): Backend {
  // Memory map above the module's own data: scalars, stream pointers, LAMB sums, one slice per stream.
  const base = Math.ceil(w.__heap_base.value / 64) * 64;
  const scalarsAt = base, pointersAt = base + 512, sumsAt = base + 576, absmaxPointersAt = base + 640, slicesAt = base + 1024;
  // int8 state: the absmax of each stream's slice, one float per block of at least 256 elements.
  const absmaxAt = slicesAt + MAX_STREAMS * CHUNK * 4;
  const absmaxSlice = (k: number) => absmaxAt + k * (CHUNK / 256) * 4;
  const end = absmaxAt + MAX_STREAMS * (CHUNK / 256) * 4;
  if (w.memory.buffer.byteLength < end) w.memory.grow(Math.ceil((end - w.memory.buffer.byteLength) / 65536));
  // Views made after growing (growing detaches the old ones); the memory never grows again.
  const bytes = new Uint8Array(w.memory.buffer), f32 = new Float32Array(w.memory.buffer);
  const f64 = new Float64Array(w.memory.buffer), u32 = new Uint32Array(w.memory.buffer);
  const slice = (k: number) => slicesAt + k * CHUNK * 4;

  const kindsAt = w.fo_kinds();
  const layouts = parseKinds(new TextDecoder().decode(bytes.subarray(kindsAt, bytes.indexOf(0, kindsAt))));
  const mismatch = kindTableMismatch(layouts, 'the wasm module');
  if (mismatch !== undefined) throw new Error(`${WASM_FILE} was built from other kernel sources: ${mismatch}`);
  for (const [kind, layout] of Object.entries(layouts))
    if (layout.streams.length > MAX_STREAMS) throw new Error(`wasm kind ${kind} has ${layout.streams.length} streams, more than ${MAX_STREAMS}`);

  /**
   * Runs `call(n)` over every slice of every tensor with the slices of the streams in `reads`
   * copied in, and copies back those in `writes`, into `into` (the lists themselves, but the
   * outputs for the params out of place); `afterTensor` follows each tensor (LAMB's per-tensor sums).
   */
  const overSlices = (
    lists: (Float32Array[] | null)[],
    into: (Float32Array[] | null)[],
    reads: boolean[],
    writes: boolean[],
    call: (n: number) => void,
    afterTensor?: (t: number) => void,
  ) => {
    lists.forEach((list, k) => (u32[pointersAt / 4 + k] = list === null ? 0 : slice(k)));
    const tensors = (lists[0] as Float32Array[]).length;
    for (let t = 0; t < tensors; t++) {
      const length = tensorLength((lists[0] as Float32Array[])[t]);
      for (let at = 0; at < length; at += CHUNK) {
        const n = Math.min(CHUNK, length - at);
        for (let k = 0; k < lists.length; k++) {
          const list = lists[k];
          if (list !== null && reads[k]) f32.set(tensorSlice(list[t], at, n), slice(k) / 4);
        }
        call(n);
        for (let k = 0; k < lists.length; k++) {
          const list = into[k];
          if (list !== null && writes[k]) tensorSlice(list[t], at, n).set(f32.subarray(slice(k) / 4, slice(k) / 4 + n));
        }
      }
      afterTensor?.(t);
    }
  };

  /** A step whose state streams are stored (bfloat16 words or int8 codes), slice by slice like overSlices. */
  const stepStored = (layout: KindLayout, streams: Record<string, unknown> & StoredFields & OutputField): void => {
    const int8 = streams.stateFormat === 2;
    const blockSize = int8 ? (streams.blockSize as number) : 0;
    const lists = layout.streams.map((s) => (streams[s.name] ?? null) as (Float32Array | Uint16Array | Uint8Array)[] | null);
    const absmax = layout.streams.map((s, k) => (int8 && k >= 2 ? ((streams[`${s.name}Absmax`] ?? null) as Float32Array[] | null) : null));
    let unsignedMask = 0;
    layout.streams.forEach((s, k) => {
      if (UNSIGNED_STATE.has(s.name)) unsignedMask |= 1 << k;
      u32[pointersAt / 4 + k] = lists[k] === null ? 0 : slice(k);
      u32[absmaxPointersAt / 4 + k] = absmax[k] === null || lists[k] === null ? 0 : absmaxSlice(k);
    });
    const params = lists[0] as Float32Array[];
    for (let t = 0; t < params.length; t++) {
      const length = tensorLength(params[t]);
      for (let at = 0; at < length; at += CHUNK) {
        const n = Math.min(CHUNK, length - at);
        const blocks = int8 ? Math.ceil(n / blockSize) : 0;
        lists.forEach((list, k) => {
          if (list === null) return;
          const src = typedSlice(list[t], at, n);
          new (src.constructor as Uint8ArrayConstructor)(w.memory.buffer, slice(k), n).set(src as Uint8Array);
          const scales = absmax[k];
          if (scales !== null) f32.set(typedSlice(scales[t], at / blockSize, blocks), absmaxSlice(k) / 4);
        });
        w.fo_stored_step(layout.index, streams.stateFormat, blockSize, unsignedMask, scalarsAt, pointersAt, absmaxPointersAt, n);
        lists.forEach((list, k) => {
          if (list === null || !layout.streams[k].written) return;
          const dst = typedSlice(k === 0 ? (streams.paramOut ?? list)[t] : list[t], at, n);
          (dst as Uint8Array).set(new (dst.constructor as Uint8ArrayConstructor)(w.memory.buffer, slice(k), n));
          const scales = absmax[k];
          if (scales !== null) typedSlice(scales[t], at / blockSize, blocks).set(f32.subarray(absmaxSlice(k) / 4, absmaxSlice(k) / 4 + blocks));
        });
      }
    }
  };

  const step = <K extends Kind>(kind: K, streams: KernelStreams[K], scalars: KernelScalars[K]): void => {
    const layout = layouts[kind];
    const byName = streams as unknown as Record<string, Float32Array[] | null | undefined>;
    const lists = layout.streams.map((s) => byName[s.name] ?? null);
    packScalars(kind, scalars, f64, scalarsAt / 8);
    const stored = streams as unknown as Record<string, unknown> & StoredFields & OutputField;
    if (stored.stateFormat) return stepStored(layout, stored);
    // Out of place: the params are read from their lists and written to the outputs.
    const into = stored.paramOut == null ? lists : [stored.paramOut, ...lists.slice(1)];
    if (kind !== 'lamb') {
      const writes = layout.streams.map((s) => s.written);
      overSlices(lists, into, writes.map(() => true), writes, (n) => w.fo_step(layout.index, scalarsAt, pointersAt, n));
      return;
    }
    // LAMB: pass 1 updates the moments and sums ||p||², ||u||² over the tensor's slices; the
    // trust ratio follows (native/kernels/host_math.h); pass 2 applies it.
    const lrTrust: number[] = [];
    f64[sumsAt / 8] = f64[sumsAt / 8 + 1] = 0;
    overSlices(
      lists,
      into,
      [true, true, true, true],
      [false, false, true, true],
      (n) => w.fo_lamb_moments(scalarsAt, pointersAt, n, sumsAt),
      (t) => {
        lrTrust[t] = w.fo_lamb_lr_trust(scalarsAt, sumsAt);
        f64[sumsAt / 8] = f64[sumsAt / 8 + 1] = 0;
      },
    );
    let tensor = 0;
    overSlices(
      lists,
      into,
      [true, false, true, true], // the apply pass reads no gradient
      [true, false, false, false],
      (n) => w.fo_lamb_apply(scalarsAt, pointersAt, n, lrTrust[tensor]),
      () => tensor++,
    );
  };

  return {
    name: 'wasm',
    step,
    // One thread, on the caller's: the update happens now, the promise only reports it.
    async stepAsync(kind, streams, scalars) {
      step(kind, streams, scalars);
    },
    reduce(tensors, op) {
      const code = REDUCE_OP_CODES[op];
      let result = 0;
      for (const x of tensors)
        for (let at = 0, length = tensorLength(x); at < length; at += CHUNK) {
          const n = Math.min(CHUNK, length - at);
          f32.set(tensorSlice(x, at, n), slicesAt / 4);
          result = w.fo_reduce(code, slicesAt, n, result);
        }
      return result;
    },
    prepare() {},
  };
}

/** fo_kinds()'s text: "kind <name>", then "scalar <name> <domain>" and "stream <name> <written> <enabledBy>" lines. */
export function parseKinds(text: string): Record<string, KindLayout> {
  const layouts: Record<string, KindLayout> = {};
  let current: KindLayout | undefined;
  for (const line of text.split('\n')) {
    const [what, name, a, b] = line.split(' ');
    if (what === 'kind') current = layouts[name] = { index: Object.keys(layouts).length, scalars: [], streams: [] };
    else if (what === 'scalar') current?.scalars.push({ name, domain: a });
    else if (what === 'stream') current?.streams.push({ name, written: a === '1', enabledBy: b });
  }
  return layouts;
}
