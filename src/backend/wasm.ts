// The WebAssembly backend: the kernels of native/kernels compiled for WebAssembly SIMD
// (native/wasm, built by scripts/build-wasm.mjs, committed), for hosts where the native addon
// cannot be built. It gives the same bits as the native kernels and the TS backend, on one
// thread. A wasm module sees only its own memory, so a tensor elsewhere goes through the
// instance's work area in slices of CHUNK elements: copied in, updated, and the written streams
// copied back, while the slice is still in cache. A tensor that lies in the memory of an
// instance (TF.js's wasm heap, when that memory is shared with this backend: shareMemory) is
// read and written where it is.
import { elementBytes, tensorBuffer, tensorByteOffset, tensorLength, tensorSlice, typedSlice, viewLike } from './engine';
import { UNSIGNED_STATE } from './state-format';
import { type KindLayout, kindTableMismatch, packScalars } from './kinds';
import { type Backend, type KernelScalars, type KernelStreams, type Kind, type OutputField, REDUCE_OP_CODES, type StoredFields } from './types';
import {
  CHUNK, compileKernels, MAX_STREAMS, type Placed, placeAlone, placeKernels, placementBytes, WASM_FILE, type WasmApi, type WasmMemory,
  wasmApi,
} from './wasm-module';

type Tensor = Float32Array | Uint16Array | Uint8Array;

/** A wasm backend, and what only it offers: running in another module's memory. */
export interface WasmBackend extends Backend {
  /**
   * Lets steps whose tensors lie in `memory` (another module's, e.g. TF.js's wasm heap) run
   * there, on the tensors in place. `allocate(bytes)` gives a block of that memory the
   * instance keeps for good (its data, stack and work area), or 0 when it cannot. The instance
   * is placed now, and allocating may grow the memory: make views of it only afterwards.
   * Asking again for the same memory does nothing; when the module cannot run there (a shared
   * memory), a warning says so and those tensors are copied as any others. Returns whether
   * the kernels run in that memory.
   */
  shareMemory(memory: WasmMemory, allocate: (bytes: number) => number): boolean;
}

/** Instantiates the module, or returns why it cannot be (no file, no WebAssembly SIMD). */
export function loadWasm(): WasmBackend | Error {
  const api = wasmApi();
  if (api instanceof Error) return api;
  try {
    const module = compileKernels(api);
    return wasmBackend(api, module, placeAlone(api, module));
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
}

/** Typed views of an instance's memory, made anew whenever it grew (growing detaches the old ones). */
class Heap {
  private seen: ArrayBuffer | undefined;
  f32 = new Float32Array(0);
  f64 = new Float64Array(0);
  u32 = new Uint32Array(0);
  constructor(readonly memory: WasmMemory) {}
  fresh(): this {
    const buffer = this.memory.buffer;
    if (buffer !== this.seen) {
      this.seen = buffer;
      this.f32 = new Float32Array(buffer);
      this.f64 = new Float64Array(buffer);
      this.u32 = new Uint32Array(buffer);
    }
    return this;
  }
  holds(a: Tensor): boolean {
    return tensorBuffer(a as Float32Array) === this.memory.buffer;
  }
  /** A view of n elements of a's type at byte address `at`. */
  view(a: Tensor, at: number, n: number): Tensor {
    return viewLike(a, this.memory.buffer, at, n);
  }
}

/** A written slice of a tensor outside the instance's memory, to copy back from the work area. */
interface CopyBack {
  from: number;
  to: Tensor;
  at: number;
}

/** One stream of a call: the tensors read, where the written values go, and int8 block scales. */
interface Stream {
  list: Tensor[] | null;
  /** The list itself, or the params' outputs (out of place). */
  into: Tensor[] | null;
  read: boolean;
  write: boolean;
  absmax?: Float32Array[] | null;
  /** Out of place, the kernel can copy the old values into the output itself (fo_step's `source`). */
  kernelCopies?: boolean;
}

function wasmBackend(api: WasmApi, module: object, alone: Placed): WasmBackend {
  const layouts = checkedLayouts(alone);
  /**
   * Instances placed in other modules' memories (or why one could not be), held weakly: a
   * memory its module dropped (a TF.js backend disposed) is not kept alive by this backend.
   */
  const shared = new WeakMap<WasmMemory, Placed | Error>();
  let sharedMemories: WeakRef<WasmMemory>[] = [];
  const heaps = new WeakMap<Placed, Heap>();
  const heapOf = (p: Placed) => {
    let h = heaps.get(p);
    if (h === undefined) heaps.set(p, (h = new Heap(p.memory)));
    return h.fresh();
  };

  /** The instance placed in the memory some of `tensors` lie in, else the one with a memory of its own. */
  const instanceFor = (tensors: (Tensor | undefined)[]): Placed => {
    if (sharedMemories.length === 0) return alone;
    for (const t of tensors) {
      if (t === undefined) continue;
      const buffer = tensorBuffer(t as Float32Array);
      for (const ref of sharedMemories) {
        const memory = ref.deref();
        const placed = memory === undefined ? undefined : shared.get(memory);
        if (memory !== undefined && memory.buffer === buffer && placed !== undefined && !(placed instanceof Error)) return placed;
      }
    }
    return alone;
  };
  const place = (memory: WasmMemory, allocate: (bytes: number) => number): Placed | Error => {
    try {
      // A shared memory (a threaded TF.js build) cannot be imported by this module: say so before allocating.
      if (typeof SharedArrayBuffer === 'function' && memory.buffer instanceof SharedArrayBuffer)
        throw new Error('it is a shared memory, which this module does not import');
      // Addresses are unsigned 32-bit; a wasm function's i32 result reaches JS signed.
      const at = allocate(placementBytes(api, module)) >>> 0;
      if (!Number.isInteger(at) || at <= 0) throw new Error('no memory could be allocated there');
      const placed = placeKernels(api, module, memory, at);
      checkedLayouts(placed);
      return placed;
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      process.emitWarning(`fused-optim: the WebAssembly kernels cannot run in that module's memory (${error.message}); its tensors are copied`, {
        code: 'FUSED_OPTIM',
      });
      return error;
    }
  };

  /**
   * Runs `call(n, source)` over every slice of every tensor: each stream's slice is the tensor
   * itself when it lies in the instance's memory, else a copy in the work area (copied back if
   * written). Out of place, the params' slice is updated in its output: when both lie in the
   * instance's memory the kernel copies it there itself, group by group (`source`, the old
   * values' address), else it is copied first. `afterTensor` follows each tensor (LAMB's sums).
   */
  const overSlices = (
    p: Placed, streams: Stream[], blockSize: number, call: (n: number, source: number) => void, afterTensor?: (t: number) => void,
  ) => {
    const { work } = p, heap = heapOf(p), { u32 } = heap;
    const back: CopyBack[] = [];
    const from = { source: 0 };
    // The slots past this kind's streams are null: the stored-state kernels visit every slot, and
    // an address left from an earlier call could be a tensor of another module's memory.
    u32.fill(0, work.pointers / 4 + streams.length, work.pointers / 4 + MAX_STREAMS);
    u32.fill(0, work.absmaxPointers / 4 + streams.length, work.absmaxPointers / 4 + MAX_STREAMS);
    const params = streams[0].list as Tensor[];
    for (let t = 0; t < params.length; t++) {
      const length = tensorLength(params[t] as Float32Array);
      for (let at = 0; at < length; at += CHUNK) {
        const n = Math.min(CHUNK, length - at);
        back.length = 0;
        from.source = 0;
        streams.forEach((s, k) => {
          u32[work.pointers / 4 + k] = s.list === null ? 0 : slot(heap, s, t, at, n, work.slice(k), back, from);
          if (s.absmax != null && s.list !== null) {
            const blocks = Math.ceil(n / blockSize);
            heap.f32.set(typedSlice(s.absmax[t], at / blockSize, blocks), work.absmaxSlice(k) / 4);
            u32[work.absmaxPointers / 4 + k] = work.absmaxSlice(k);
          } else u32[work.absmaxPointers / 4 + k] = 0;
        });
        call(n, from.source);
        for (const b of back) (typedSlice(b.to, b.at, n) as Uint8Array).set(heap.view(b.to, b.from, n) as Uint8Array);
        streams.forEach((s, k) => {
          if (s.absmax == null || s.list === null || !s.write) return;
          const blocks = Math.ceil(n / blockSize);
          typedSlice(s.absmax[t], at / blockSize, blocks).set(heap.f32.subarray(work.absmaxSlice(k) / 4, work.absmaxSlice(k) / 4 + blocks));
        });
      }
      afterTensor?.(t);
    }
  };

  /**
   * The address stream `s`'s slice is updated at; what must be copied back afterwards goes to
   * `back`, an input the kernel copies into that address itself to `from.source`.
   */
  const slot = (
    heap: Heap, s: Stream, t: number, at: number, n: number, scratch: number, back: CopyBack[], from: { source: number },
  ): number => {
    const src = (s.list as Tensor[])[t], dst = s.into === null ? src : s.into[t];
    const bytes = elementBytes(src);
    const address = (a: Tensor) => tensorByteOffset(a as Float32Array) + at * bytes;
    if (s.write && dst !== src) {
      // Out of place: the kernel updates the output in place, from a copy of the input.
      if (s.kernelCopies === true && heap.holds(dst) && heap.holds(src)) {
        from.source = address(src);
        return address(dst);
      }
      const into = heap.holds(dst) ? address(dst) : scratch;
      (heap.view(src, into, n) as Uint8Array).set(typedSlice(src, at, n) as Uint8Array);
      if (into === scratch) back.push({ from: scratch, to: dst, at });
      return into;
    }
    if (heap.holds(src)) return address(src);
    if (s.read) (heap.view(src, scratch, n) as Uint8Array).set(typedSlice(src, at, n) as Uint8Array);
    if (s.write) back.push({ from: scratch, to: src, at });
    return scratch;
  };

  const step = <K extends Kind>(kind: K, streams: KernelStreams[K], scalars: KernelScalars[K]): void => {
    const layout = layouts[kind];
    const byName = streams as unknown as Record<string, Tensor[] | null | undefined> & StoredFields & OutputField;
    const lists = layout.streams.map((s) => byName[s.name] ?? null);
    const out = byName.paramOut ?? null;
    const p = instanceFor([out?.[0], ...lists.map((l) => l?.[0])]);
    const { work } = p, { f64 } = heapOf(p), w = p.exports;
    packScalars(kind, scalars, f64, work.scalars / 8);
    const intoOf = (k: number) => (k === 0 && out !== null ? out : lists[k]);
    if (byName.stateFormat) {
      const int8 = byName.stateFormat === 2;
      const blockSize = int8 ? (byName.blockSize as number) : 1;
      let unsignedMask = 0;
      const specs = layout.streams.map((s, k): Stream => {
        if (UNSIGNED_STATE.has(s.name)) unsignedMask |= 1 << k;
        const absmax = int8 && k >= 2 ? (byName[`${s.name}Absmax`] ?? null) : null;
        return { list: lists[k], into: intoOf(k), read: true, write: s.written, absmax, kernelCopies: true };
      });
      overSlices(p, specs, blockSize, (n, source) =>
        w.fo_stored_step(
          layout.index, byName.stateFormat, int8 ? blockSize : 0, unsignedMask, work.scalars, work.pointers, work.absmaxPointers, n, source,
        ),
      );
      return;
    }
    if (kind !== 'lamb') {
      const specs = layout.streams.map((s, k): Stream => ({ list: lists[k], into: intoOf(k), read: true, write: s.written, kernelCopies: true }));
      overSlices(p, specs, 1, (n, source) => w.fo_step(layout.index, work.scalars, work.pointers, n, source));
      return;
    }
    // LAMB: pass 1 updates the moments and sums ||p||², ||u||² over the tensor's slices; the
    // trust ratio follows (native/kernels/host_math.h); pass 2 applies it.
    const lrTrust: number[] = [];
    const sums = () => heapOf(p).f64.fill(0, work.sums / 8, work.sums / 8 + 2);
    sums();
    const pass = (reads: boolean[], writes: boolean[]) =>
      lists.map((list, k): Stream => ({ list, into: intoOf(k), read: reads[k], write: writes[k] }));
    overSlices(
      p, pass([true, true, true, true], [false, false, true, true]), 1,
      (n) => w.fo_lamb_moments(work.scalars, work.pointers, n, work.sums),
      (t) => {
        lrTrust[t] = w.fo_lamb_lr_trust(work.scalars, work.sums);
        sums();
      },
    );
    let tensor = 0;
    overSlices(
      p, pass([true, false, true, true], [true, false, false, false]), 1, // the apply pass reads no gradient
      (n) => w.fo_lamb_apply(work.scalars, work.pointers, n, lrTrust[tensor]),
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
      const p = instanceFor(tensors);
      const heap = heapOf(p);
      let result = 0;
      for (const x of tensors)
        for (let at = 0, length = tensorLength(x); at < length; at += CHUNK) {
          const n = Math.min(CHUNK, length - at);
          let address = tensorByteOffset(x) + at * 4;
          if (!heap.holds(x)) heap.f32.set(tensorSlice(x, at, n), (address = p.work.slice(0)) / 4);
          result = p.exports.fo_reduce(code, address, n, result);
        }
      return result;
    },
    prepare() {},
    shareMemory(memory, allocate) {
      let placed = shared.get(memory);
      if (placed === undefined) {
        shared.set(memory, (placed = place(memory, allocate)));
        sharedMemories = [...sharedMemories.filter((ref) => ref.deref() !== undefined), new WeakRef(memory)];
      }
      return !(placed instanceof Error);
    },
  };
}

/** The instance's kinds, checked against this package's table. */
function checkedLayouts(p: Placed): Record<string, KindLayout> {
  const bytes = new Uint8Array(p.memory.buffer);
  const at = p.exports.fo_kinds() >>> 0;
  const layouts = parseKinds(new TextDecoder().decode(bytes.subarray(at, bytes.indexOf(0, at))));
  const mismatch = kindTableMismatch(layouts, 'the wasm module');
  if (mismatch !== undefined) throw new Error(`${WASM_FILE} was built from other kernel sources: ${mismatch}`);
  for (const [kind, layout] of Object.entries(layouts))
    if (layout.streams.length > MAX_STREAMS) throw new Error(`wasm kind ${kind} has ${layout.streams.length} streams, more than ${MAX_STREAMS}`);
  return layouts;
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
