// TensorFlow.js set up on its 'wasm' (XNNPACK, SIMD) or 'cpu' backend under Node, shared by the
// bench and the report. The packages are dev dependencies: tfjs() is null without them.
//
// All packages resolve to their CommonJS Node bundles ("main"), so they share one tfjs-core
// instance (one engine, one kernel registry); the ESM builds would create a second engine.
// Under Node TF.js never reports multithreading support (it needs a worker-based pthread pool),
// so the single-threaded SIMD binary runs; the flag is pinned anyway. tf.enableProdMode() only
// silences TF.js's own console banners in tfjs-core 4.x.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';

const require = createRequire(import.meta.url);
let loaded;

/** { tf, tfwasm, layers } (layers null when tfjs-layers is absent), or null without tfjs-core + both backends. */
export function tfjs() {
  if (loaded !== undefined) return loaded;
  try {
    const tf = require('@tensorflow/tfjs-core');
    require('@tensorflow/tfjs-backend-cpu');
    const tfwasm = require('@tensorflow/tfjs-backend-wasm');
    let layers = null;
    try {
      layers = require('@tensorflow/tfjs-layers');
    } catch {
      // the optimizer-only uses need no layers
    }
    loaded = { tf, tfwasm, layers };
  } catch {
    loaded = null;
  }
  return loaded;
}

let wasmPathsSet = false;

/** Makes 'cpu' or 'wasm' TF.js's backend; returns { name, variant, file, version }. */
export async function useTfjsBackend(backend) {
  if (backend !== 'cpu' && backend !== 'wasm') throw new Error(`useTfjsBackend: unknown backend '${backend}' (expected 'cpu' or 'wasm')`);
  const libs = tfjs();
  if (libs === null) throw new Error('TensorFlow.js (@tensorflow/tfjs-core, -backend-cpu, -backend-wasm) is not installed');
  const { tf, tfwasm } = libs;
  tf.enableProdMode();
  let file = null;
  let variant = 'js';
  if (backend === 'wasm') {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    variant = simd ? 'simd' : 'plain';
    const dir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + sep; // .../dist/
    file = join(dir, simd ? 'tfjs-backend-wasm-simd.wasm' : 'tfjs-backend-wasm.wasm');
    if (!existsSync(file)) throw new Error(`useTfjsBackend: ${file} not found`);
    if (!wasmPathsSet) {
      tfwasm.setWasmPaths(dir); // a directory prefix (must end with a separator); read via fs in Node
      wasmPathsSet = true;
    }
  }
  // Emscripten's Node glue (run when the wasm backend initializes) adds process 'uncaughtException'
  // and 'unhandledRejection' listeners that just rethrow: Node's default behaviour, but every later
  // crash then points into tf-backend-wasm.node.js. Drop exactly the listeners added during initialization.
  const events = ['uncaughtException', 'unhandledRejection'];
  const before = events.map((e) => process.listeners(e));
  const ok = await tf.setBackend(backend);
  events.forEach((e, i) => {
    for (const l of process.listeners(e)) if (!before[i].includes(l)) process.removeListener(e, l);
  });
  if (!ok) throw new Error(`useTfjsBackend: TF.js backend '${backend}' failed to initialize`);
  await tf.ready();
  if (tf.getBackend() !== backend) throw new Error(`useTfjsBackend: active backend is '${tf.getBackend()}', not '${backend}'`);
  return { name: backend, variant, file, version: tf.version_core };
}
