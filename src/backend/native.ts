import { onResizableBuffer } from './engine';
import { KINDS, type KindLayout, packScalars, scalarCount } from './kinds';
import { lengthsHold } from './stream-cache';
import { type Backend, type KernelScalars, type Kind, REDUCE_OP_CODES, type StreamCache } from './types';

/** What fused_optim.node exports (native/addon.cpp); addon-loader.ts finds the file. */
export interface Addon {
  info(): { isa: string; threads: number; isas: string[] };
  selectIsa(isa: string): boolean;
  setThreads(n: number): void;
  /** Wakes the worker threads if a step of this many elements will use them. */
  wake(elements: number): void;
  kinds(): Record<string, KindLayout>;
  step(kind: number, streams: object, scalars: Float64Array): void;
  /** The same on a libuv worker; keepAlive (the streams object) is held until it resolves. */
  stepAsync(kind: number, streams: object, scalars: Float64Array, keepAlive: object): Promise<void>;
  /** Unwraps the lists once; the handle stands in for `streams` in step/stepAsync. */
  pin(kind: number, streams: object): object;
  reduce(tensors: Float32Array[], op: number): number;
  /** The benchmark's yardsticks (not kinds): a += b, c += b, d += b; and a read-only float sum. */
  probe(streams: { a: Float32Array[]; b: Float32Array[]; c: Float32Array[]; d: Float32Array[] }): void;
  probeRead(tensors: Float32Array[]): number;
}

export interface NativeBackend extends Backend {
  readonly addon: Addon;
}

export function nativeBackend(addon: Addon): NativeBackend {
  /**
   * What to hand the addon: with a cache, the caller has checked that these are the very arrays
   * it last saw, so the addon's unwrapped pointers from then (a pinned handle, which also keeps
   * the arrays alive) are still right. Unwrapping 4 lists of 1000 tensors costs more than
   * updating them. Their lengths were verified after this step planned its lists (verifyCache,
   * which gives the caller's error), and are checked again here, with no user code between this
   * and the kernel: user code can still run in between (a replaced array iterator, say), and a
   * buffer detached by it makes the addon unwrap (and reject) the arrays anew.
   */
  const pinned = (index: number, streams: object, cache: StreamCache | undefined): object => {
    if (cache === undefined) return streams;
    if (cache.handle !== undefined && !lengthsHold(cache)) cache.handle = undefined;
    return (cache.handle ??= addon.pin(index, streams)) as object;
  };
  // The addon's table matches KINDS (addon-loader.ts checked it); only its indices are its own.
  const layouts = addon.kinds();
  // One reusable Float64Array per kind.
  const packed = new Map<Kind, Float64Array>();
  for (const kind of Object.keys(KINDS) as Kind[]) packed.set(kind, new Float64Array(scalarCount(kind)));
  const pack = <K extends Kind>(kind: K, scalars: KernelScalars[K]): Float64Array => {
    const out = packed.get(kind) as Float64Array;
    packScalars(kind, scalars, out);
    return out;
  };
  return {
    name: 'native',
    addon,
    step(kind, streams, scalars, cache) {
      const index = layouts[kind].index;
      addon.step(index, pinned(index, streams, cache), pack(kind, scalars));
    },
    stepAsync(kind, streams, scalars, cache) {
      const index = layouts[kind].index;
      const lists = Object.values(streams) as (Float32Array[] | null)[];
      for (let k = 0; k < lists.length; k++)
        for (let i = 0; i < (lists[k]?.length ?? 0); i++)
          if (onResizableBuffer((lists[k] as Float32Array[])[i]))
            throw new TypeError('stepAsync cannot update arrays on a resizable ArrayBuffer: it could shrink mid-step');
      // The packed scalars are copied by the addon before this returns: the shared array is free again.
      return addon.stepAsync(index, pinned(index, streams, cache), pack(kind, scalars), streams);
    },
    prepare(elements) {
      addon.wake(elements);
    },
    reduce(tensors, op) {
      return addon.reduce(tensors, REDUCE_OP_CODES[op]);
    },
  };
}
