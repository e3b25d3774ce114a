// TensorFlow.js for the fused-optim/tfjs tests: the union package (it registers the gradients)
// with its cpu backend, and the wasm backend, all on the CommonJS bundles so there is one
// tfjs-core instance.
import { createRequire } from 'node:module';
import { dirname, sep } from 'node:path';
import type * as tfjs from '@tensorflow/tfjs';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const tf = require('@tensorflow/tfjs') as any;
const tfwasm = require('@tensorflow/tfjs-backend-wasm') as { setWasmPaths(path: string): void };
export const tfLike = tf as typeof tfjs;

let wasmReady = false;

let copyReady = false;

/**
 * Switches TF.js to 'cpu' or 'wasm' (single-threaded SIMD in Node), or to 'cpu-copy': the cpu
 * kernels under another name, which fused-optim/tfjs does not know and so reaches by copies
 * (the route webgl, webgpu and tfjs-node take).
 */
export async function useTfBackend(name: 'cpu' | 'wasm' | 'cpu-copy'): Promise<void> {
  tf.enableProdMode();
  if (name === 'cpu-copy' && !copyReady) {
    const { MathBackendCPU } = require('@tensorflow/tfjs-backend-cpu') as { MathBackendCPU: new () => unknown };
    tf.registerBackend('cpu-copy', () => new MathBackendCPU(), 0);
    tf.copyRegisteredKernels('cpu', 'cpu-copy');
    copyReady = true;
  }
  if (name === 'wasm' && !wasmReady) {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    tfwasm.setWasmPaths(dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + sep);
    const events = ['uncaughtException', 'unhandledRejection'];
    const listeners = (e: string) => process.listeners(e as 'uncaughtException') as unknown[];
    const before = events.map(listeners);
    await tf.setBackend('wasm');
    // Emscripten's glue adds rethrowing process listeners; drop them again.
    events.forEach((e, i) =>
      listeners(e)
        .filter((l) => !before[i].includes(l))
        .forEach((l) => process.off(e as 'uncaughtException', l as () => void)),
    );
    wasmReady = true;
  }
  if (!(await tf.setBackend(name))) throw new Error(`TF.js backend ${name} did not initialize`);
}
