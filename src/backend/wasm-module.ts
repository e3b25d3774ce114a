// The kernels' WebAssembly module and where an instance of it lives. The module is built
// position-independent (scripts/build-wasm.mjs): its memory, the address of its data and its
// stack are imports. So one module runs either in a memory of its own or inside another
// module's memory (TF.js's wasm backend), where it reads and writes that module's tensors in
// place instead of copying them in and out.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from './package-root';

// The little of the WebAssembly API used here (the project's TS lib has no DOM types).
export interface WasmMemory {
  buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmModuleClass {
  new (bytes: Uint8Array): object;
  customSections(module: object, name: string): ArrayBuffer[];
}
export interface WasmApi {
  Module: WasmModuleClass;
  Instance: new (module: object, imports: object) => { exports: unknown };
  Memory: new (descriptor: { initial: number }) => WasmMemory;
  Table: new (descriptor: { initial: number; element: 'anyfunc' }) => object;
  Global: new (descriptor: { value: 'i32'; mutable: boolean }, value: number) => object;
}

/** The module's exports (native/wasm/exports.cpp). */
export interface KernelExports {
  fo_kinds(): number;
  /** `source`: 0 in place; else the old params' address, the new ones written to stream 0's. */
  fo_step(kind: number, scalars: number, streams: number, n: number, source: number): void;
  fo_lamb_moments(scalars: number, streams: number, n: number, sums: number): void;
  fo_lamb_lr_trust(scalars: number, sums: number): number;
  fo_lamb_apply(scalars: number, streams: number, n: number, lrTrust: number): void;
  /** A slice's reduction combined with the running result. */
  fo_reduce(op: number, x: number, n: number, acc: number): number;
  fo_stored_step(
    kind: number, format: number, blockSize: number, unsignedMask: number, scalars: number, streams: number, absmax: number, n: number,
    source: number,
  ): void;
}

/** Elements per slice of a tensor copied through the work area: 64 KB per float32 stream, well inside a core's L2. */
export const CHUNK = 1 << 14;
export const MAX_STREAMS = 5;
/** int8 state: one absmax per block of at least 256 elements. */
const ABSMAX_PER_SLICE = CHUNK / 256;
const STACK_BYTES = 1 << 16;
const PAGE = 1 << 16;
export const WASM_FILE = join('native', 'wasm', 'fused_optim.wasm');

/** Addresses of the work area JavaScript fills for each call: scalars, stream pointers, LAMB sums, slices. */
export interface WorkArea {
  scalars: number;
  pointers: number;
  absmaxPointers: number;
  sums: number;
  /** Stream k's slice (CHUNK float32). */
  slice(k: number): number;
  /** Stream k's slice's block scales (int8 state). */
  absmaxSlice(k: number): number;
}

/** One instance of the module and the memory it lives in. */
export interface Placed {
  exports: KernelExports;
  memory: WasmMemory;
  work: WorkArea;
}

const WORK_HEADER = 1024;
const WORK_BYTES = WORK_HEADER + MAX_STREAMS * CHUNK * 4 + MAX_STREAMS * ABSMAX_PER_SLICE * 4;

export function wasmApi(): WasmApi | Error {
  const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  return api === undefined ? new Error('this runtime has no WebAssembly') : api;
}

/** Compiles the committed module (no instance yet). */
export function compileKernels(api: WasmApi): object {
  const root = packageRoot();
  if (root === null) throw new Error('cannot locate the fused-optim package folder');
  return new api.Module(readFileSync(join(root, WASM_FILE)));
}

/** What the module's dylink.0 section says it needs: bytes and alignment (log2) of its data, entries of its function table. */
export function moduleNeeds(api: WasmApi, module: object): { memorySize: number; memoryAlign: number; tableSize: number } {
  const [section] = api.Module.customSections(module, 'dylink.0');
  if (section === undefined) throw new Error(`${WASM_FILE} is not position-independent (no dylink.0 section): rebuild it`);
  const bytes = new Uint8Array(section);
  let at = 0;
  const leb = () => {
    let value = 0, shift = 0, byte: number;
    do {
      byte = bytes[at++];
      value += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    return value;
  };
  while (at < bytes.length) {
    const type = bytes[at++], size = leb(), end = at + size;
    if (type === 1) return { memorySize: leb(), memoryAlign: leb(), tableSize: leb() };
    at = end;
  }
  throw new Error(`${WASM_FILE}: its dylink.0 section has no memory information`);
}

/** Bytes an instance needs in its memory: data, stack and work area. */
export function placementBytes(api: WasmApi, module: object): number {
  const { memorySize, memoryAlign } = moduleNeeds(api, module);
  // Room to align the data, and the stack after it to 64 bytes.
  return 2 ** memoryAlign + align64(memorySize) + 64 + STACK_BYTES + WORK_BYTES;
}

const align64 = (n: number) => Math.ceil(n / 64) * 64;

/**
 * Instantiates the module in `memory` with its data, stack and work area in the
 * placementBytes(…) bytes from `at`, which nothing else may use while the instance lives.
 */
export function placeKernels(api: WasmApi, module: object, memory: WasmMemory, at: number): Placed {
  const { memorySize, memoryAlign, tableSize } = moduleNeeds(api, module);
  const dataAt = Math.ceil(at / 2 ** memoryAlign) * 2 ** memoryAlign;
  const stackTop = align64(dataAt + memorySize) + STACK_BYTES;
  if (stackTop + WORK_BYTES > memory.buffer.byteLength) throw new RangeError('the memory is too small for the kernels placed in it');
  const i32 = (value: number, mutable = false) => new api.Global({ value: 'i32', mutable }, value);
  const instance = new api.Instance(module, {
    env: {
      memory,
      __indirect_function_table: new api.Table({ initial: tableSize + 1, element: 'anyfunc' }),
      __memory_base: i32(dataAt),
      __table_base: i32(1),
      __stack_pointer: i32(stackTop, true),
    },
  });
  const exports = instance.exports as KernelExports & { __wasm_call_ctors?: () => void };
  // Applies the relocations of the data (function and data addresses in tables) to where it was put.
  exports.__wasm_call_ctors?.();
  const base = stackTop, slices = base + WORK_HEADER, absmax = slices + MAX_STREAMS * CHUNK * 4;
  // The header starts zeroed (no stream pointers): a block from another module's allocator may not be.
  new Uint8Array(memory.buffer, base, WORK_HEADER).fill(0);
  const work: WorkArea = {
    scalars: base,
    pointers: base + 512,
    sums: base + 576,
    absmaxPointers: base + 640,
    slice: (k) => slices + k * CHUNK * 4,
    absmaxSlice: (k) => absmax + k * ABSMAX_PER_SLICE * 4,
  };
  return { exports, memory, work };
}

/** An instance in a memory of its own. */
export function placeAlone(api: WasmApi, module: object): Placed {
  // Address 0 stays unused: a null stream pointer means an absent stream.
  const at = 1024;
  const memory = new api.Memory({ initial: Math.ceil((at + placementBytes(api, module)) / PAGE) });
  return placeKernels(api, module, memory, at);
}
