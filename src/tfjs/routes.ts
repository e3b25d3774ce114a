// How tensor data gets in and out of a fused step, per TF.js backend.
//
// TF.js tensors are immutable and share buffers (clone, reshape and contiguous slices can view a
// variable's memory), so a step never writes a variable's buffer: it writes each new value into
// a fresh buffer that then becomes the variable's value (`assign`). The old value and the
// gradients are read where they lie.
// - cpu: the backend's own Float32Arrays are read in place (readSync returns them), the new
//   value (written there by an out-of-place step: paramOut) is a new Float32Array handed to
//   tf.tensor, which keeps it without copying. It is never a recycled one: readSync/dataSync
//   hand user code the live array of a tensor, so an array once given to TF.js may be held, and
//   read, long after its tensor is disposed.
// - wasm: gradients and old values are viewed in the wasm heap; the new value is a fresh heap
//   tensor (makeOutput) written through a view. Writing in place would also be wrong there: the
//   XNNPACK packed-weight cache does not see in-place writes. When fused-optim itself runs on
//   its wasm backend (no native addon), its kernels are placed inside TF.js's wasm memory
//   (shareMemory), so they read and write those heap tensors where they are.
// - any other backend (webgl, webgpu, tensorflow): dataSync copies out, tf.tensor copies back.
import { getBackend } from '../backend';
import type { WasmBackend } from '../backend/wasm';
import type { WasmMemory } from '../backend/wasm-module';
import type { HeapModule } from './heap-state';
import type { TfBackend, TfLike, TfTensor, TfVariable } from './tf-like';

/** A new value being made for one variable: `array` is written, then `commit` assigns it. */
export interface Output {
  array: Float32Array;
  commit(variable: TfVariable): void;
  discard(): void;
}

export interface Route {
  readonly name: 'cpu' | 'wasm' | 'copy';
  /**
   * Allocates the new values first (on wasm an allocation can grow the heap and detach earlier
   * views), then returns read-only views of the tensors and the outputs' arrays.
   */
  open(read: TfTensor[], sizes: number[], shapes: number[][]): Opened;
}

export interface Opened {
  views: Float32Array[];
  outputs: Output[];
  /** Takes the views again: code that ran since (a step-options hook making tensors) may have grown the wasm heap. */
  refresh(): void;
  /** Where float32 optimizer state is best kept: TF.js's wasm heap, when fused-optim's wasm kernels run in it (heap-state.ts). */
  stateHeap?: HeapModule;
}

let warnedCopy = false;

export function routeFor(tf: TfLike): Route {
  const name = tf.getBackend();
  const backend = tf.backend();
  if (name === 'cpu' && typeof backend.readSync === 'function') return cpuRoute(tf, backend);
  if (name === 'wasm' && typeof backend.makeOutput === 'function' && typeof backend.typedArrayFromHeap === 'function')
    return wasmRoute(tf, backend);
  if (!warnedCopy) {
    warnedCopy = true;
    process.emitWarning(
      `fused-optim/tfjs: the '${name}' backend's memory is not reachable from JS; each step copies the ` +
        'gradients and variables out (dataSync) and the new values back (tf.tensor)',
      { code: 'FUSED_OPTIM_TFJS_COPY' },
    );
  }
  return copyRoute(tf);
}

function float32(values: unknown, what: string): Float32Array {
  if (!(values instanceof Float32Array)) throw new TypeError(`${what}: the backend did not give float32 data`);
  return values;
}

/** From this many elements a new value's array is taken without zero-filling (freshArray). */
const UNFILLED_FROM = 1 << 14;

/**
 * A new Float32Array for a new value. Large ones are not zero-filled: a step writes every
 * element (an out-of-place step reads the old value and writes the new one here) before TF.js
 * can see the array, and when
 * the allocator hands back a recently freed block, calloc's zeroing of it is a whole extra pass
 * (0.3–0.4 ms of a 1M-element step: bench/README.md). Each array gets its own ArrayBuffer
 * (allocUnsafeSlow, never the shared Buffer pool), as `new Float32Array(n)` would.
 */
function freshArray(n: number): Float32Array {
  if (n < UNFILLED_FROM) return new Float32Array(n);
  const bytes = Buffer.allocUnsafeSlow(n * 4);
  return new Float32Array(bytes.buffer, bytes.byteOffset, n);
}

/** New values in fresh JS arrays, each handed to its variable as a new tensor (never in place). */
function jsOutputs(tf: TfLike, sizes: number[], shapes: number[][]): Output[] {
  return sizes.map((n, i): Output => {
    const array = freshArray(n);
    return {
      array,
      commit(variable) {
        const t = tf.tensor(array, shapes[i], 'float32');
        variable.assign(t);
        t.dispose();
      },
      discard() {},
    };
  });
}

function cpuRoute(tf: TfLike, backend: TfBackend): Route {
  const readSync = backend.readSync as (dataId: object) => unknown;
  return {
    name: 'cpu',
    open(read, sizes, shapes) {
      const views = read.map((t) => float32(readSync.call(backend, t.dataId), 'readSync'));
      return { views, outputs: jsOutputs(tf, sizes, shapes), refresh() {} };
    },
  };
}

function wasmRoute(tf: TfLike, backend: TfBackend): Route {
  const makeOutput = backend.makeOutput as NonNullable<TfBackend['makeOutput']>;
  const fromHeap = backend.typedArrayFromHeap as NonNullable<TfBackend['typedArrayFromHeap']>;
  return {
    name: 'wasm',
    open(read, sizes, shapes) {
      // Before any view of the heap is made: placing the kernels there allocates, which can grow it.
      const stateHeap = shareHeap(backend);
      const infos = shapes.map((shape) => makeOutput.call(backend, shape, 'float32'));
      const view = (t: { dataId: object; shape: number[]; dtype: string }) => float32(fromHeap.call(backend, t), 'wasm heap');
      const views = read.map(view);
      const outputs = infos.map((info): Output => {
        let owned = true;
        return {
          array: view(info),
          commit(variable) {
            const t = tf.engine().makeTensorFromTensorInfo(info, backend);
            owned = false;
            variable.assign(t);
            t.dispose();
          },
          discard() {
            if (owned) backend.disposeData?.(info.dataId, true);
            owned = false;
          },
        };
      });
      const refresh = () => {
        read.forEach((t, i) => (views[i] = view(t)));
        infos.forEach((info, i) => (outputs[i].array = view(info)));
      };
      return { views, outputs, refresh, stateHeap };
    },
  };
}

/**
 * Places fused-optim's wasm kernels in TF.js's wasm memory, when fused-optim runs on its wasm
 * backend; then that heap is where the optimizer state is best kept too.
 */
function shareHeap(backend: TfBackend): HeapModule | undefined {
  const ours = getBackend();
  if (ours.name !== 'wasm') return undefined;
  const module = backend.wasm;
  const memory = (module?.asm?.memory ?? module?.wasmMemory) as WasmMemory | undefined;
  const malloc = module?._malloc, free = module?._free;
  if (memory === undefined || typeof memory.grow !== 'function' || typeof malloc !== 'function') return undefined;
  if (!(ours as WasmBackend).shareMemory(memory, (bytes) => malloc.call(module, bytes))) return undefined;
  if (typeof free !== 'function') return undefined;
  return { memory, malloc: (bytes) => malloc.call(module, bytes), free: (address) => free.call(module, address) };
}

function copyRoute(tf: TfLike): Route {
  return {
    name: 'copy',
    open(read, sizes, shapes) {
      const views = read.map((t) => Float32Array.from(t.dataSync()));
      return { views, outputs: jsOutputs(tf, sizes, shapes), refresh() {} };
    },
  };
}
