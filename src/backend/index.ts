// Backend selection. The choice is made on first use from FUSED_OPTIM_BACKEND, FUSED_OPTIM_ISA
// and FUSED_OPTIM_THREADS, and can be changed later with useBackend / useIsa / setThreads.
import { type AddonLoad, type AddonSource, loadAddon } from './addon-loader';
import { jsBackend } from './js';
import { type NativeBackend, nativeBackend } from './native';
import { packageRoot } from './package-root';
import { loadWasm } from './wasm';
import type { Backend, BackendName } from './types';

export type { Backend, BackendName } from './types';

export interface BackendInfo {
  name: BackendName;
  /** Instruction set in use: 'scalar' | 'sse2' | 'avx2' | 'avx512f' | 'avx512' | 'neon'; 'wasm' or 'js' for those backends. */
  isa: string;
  /** Threads a native step may use (including the calling thread); 1 for the wasm and TS backends. */
  threads: number;
  /** Instruction sets this CPU can run, lowest first ([] when the addon is not loaded). */
  isas: string[];
  /** Why the native backend is unavailable, when it is. */
  nativeError?: string;
  /** The native addon file loaded, and where it came from (FUSED_OPTIM_ADDON, local build, prebuild). */
  addonFile?: string;
  addonSource?: AddonSource;
  /** Addon files passed over before the one loaded (or all of them), each with the reason. */
  addonSkipped: string[];
}

interface BackendState {
  native?: NativeBackend | Error;
  /** Which addon file loaded and what was skipped (for backendInfo). */
  addonLoad?: AddonLoad;
  wasm?: Backend | Error;
  current?: Backend;
}

/**
 * The backend choice, kept once per installed copy of the package however many times its code
 * is loaded: the ESM and CommonJS entries are two bundles of this source, and one program (or
 * its dependencies) may load both. `useBackend` through one must hold for the other, as
 * `setThreads` does (the addon itself is loaded once per process). Keyed by the package folder,
 * so two different installed versions keep apart.
 */
const shared: BackendState = sharedState();

function sharedState(): BackendState {
  let root: string | null = null;
  try {
    root = packageRoot();
  } catch {
    // not loaded from a file: this copy keeps its own state
  }
  const key = Symbol.for(`fused-optim backend state: ${root ?? 'unknown'}`);
  const global = globalThis as unknown as Record<symbol, BackendState | undefined>;
  return (global[key] ??= {});
}

function warn(message: string): void {
  process.emitWarning(message, { code: 'FUSED_OPTIM' });
}

function getNative(): NativeBackend | Error {
  if (shared.native !== undefined) return shared.native;
  const load = (shared.addonLoad = loadAddon());
  const { addon } = load;
  if (addon === null) {
    shared.native = new Error(`no native addon loaded (${load.skipped.join('; ')})`);
    return shared.native;
  }
  const native = (shared.native = nativeBackend(addon));
  const isa = process.env.FUSED_OPTIM_ISA;
  if (isa) selectIsa(native, isa);
  const threads = process.env.FUSED_OPTIM_THREADS;
  if (threads) {
    const n = Number(threads);
    if (Number.isInteger(n) && n >= 1 && n <= 256) addon.setThreads(n);
    else warn(`FUSED_OPTIM_THREADS=${threads} is not an integer from 1 to 256; ignored`);
  }
  return native;
}

function selectIsa(backend: NativeBackend, isa: string): boolean {
  if (backend.addon.selectIsa(isa)) return true;
  const { isas, isa: using } = backend.addon.info();
  warn(`FUSED_OPTIM_ISA=${isa} is not supported by this CPU (supported: ${isas.join(', ')}); using ${using}`);
  return false;
}

function getWasm(): Backend | Error {
  return (shared.wasm ??= loadWasm());
}

/**
 * The backend in use: the native addon when it loads; else the WebAssembly build of the same
 * kernels; else the pure-TypeScript one. All three give the same bits.
 */
export function getBackend(): Backend {
  const current = shared.current;
  if (current !== undefined) return current;
  const wanted = process.env.FUSED_OPTIM_BACKEND;
  if (wanted !== undefined && wanted !== '' && wanted !== 'native' && wanted !== 'wasm' && wanted !== 'js')
    warn(`FUSED_OPTIM_BACKEND=${wanted} is not 'native', 'wasm' or 'js'; ignored`);
  if (wanted === 'js') return (shared.current = jsBackend);
  if (wanted === 'wasm') {
    const w = getWasm();
    if (w instanceof Error) throw new Error(`FUSED_OPTIM_BACKEND=wasm but the WebAssembly backend cannot load: ${w.message}`);
    return (shared.current = w);
  }
  const n = getNative();
  if (!(n instanceof Error)) return (shared.current = n);
  if (wanted === 'native') throw new Error(`FUSED_OPTIM_BACKEND=native but the native addon cannot load: ${n.message}`);
  const w = getWasm();
  const fallback = w instanceof Error ? 'the pure-TypeScript backend' : 'the WebAssembly backend (one thread, same results)';
  // once per process: the state (and so this choice) is shared by the ESM and CJS entries
  warn(`${n.message}; using ${fallback}. For native speed: npx fused-optim build`);
  return (shared.current = w instanceof Error ? jsBackend : w);
}

/** Switches every optimizer to the given backend (state is shared: it lives in Float32Arrays). */
export function useBackend(name: BackendName): void {
  if (name === 'js') {
    shared.current = jsBackend;
    return;
  }
  if (name === 'wasm') {
    const w = getWasm();
    if (w instanceof Error) throw new Error(`the WebAssembly backend cannot load: ${w.message}`);
    shared.current = w;
    return;
  }
  if (name !== 'native') throw new TypeError(`backend must be 'native', 'wasm' or 'js', got ${String(name)}`);
  const n = getNative();
  if (n instanceof Error) throw new Error(`the native backend cannot load: ${n.message}`);
  shared.current = n;
}

/** Forces a native instruction set no higher than the CPU supports; RangeError otherwise. */
export function useIsa(isa: string): void {
  const n = getNative();
  if (n instanceof Error) throw new Error(`the native backend cannot load: ${n.message}`);
  if (typeof isa !== 'string') throw new TypeError('isa must be a string');
  if (!n.addon.selectIsa(isa))
    throw new RangeError(`isa '${isa}' is not supported by this CPU (supported: ${n.addon.info().isas.join(', ')})`);
}

/** Sets the number of threads native steps use (including the calling thread). */
export function setThreads(threads: number): void {
  if (typeof threads !== 'number') throw new TypeError('threads must be a number');
  if (!Number.isInteger(threads) || threads < 1 || threads > 256)
    throw new RangeError(`threads must be an integer from 1 to 256, got ${threads}`);
  const n = getNative();
  if (n instanceof Error) throw new Error(`the native backend cannot load: ${n.message}`);
  n.addon.setThreads(threads);
}

export function backendInfo(): BackendInfo {
  const backend = getBackend();
  const n = getNative();
  const nativeInfo = n instanceof Error ? null : n.addon.info();
  const info: BackendInfo =
    backend.name === 'native' && nativeInfo
      ? { name: 'native', isa: nativeInfo.isa, threads: nativeInfo.threads, isas: nativeInfo.isas, addonSkipped: [] }
      : { name: backend.name, isa: backend.name, threads: 1, isas: nativeInfo?.isas ?? [], addonSkipped: [] };
  if (n instanceof Error) info.nativeError = n.message;
  const load = shared.addonLoad;
  info.addonSkipped = [...(load?.skipped ?? [])];
  if (load?.file !== undefined) {
    info.addonFile = load.file;
    info.addonSource = load.source;
  }
  return info;
}
