import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AdamScalars, AdamTensors, Backend, ReduceOp } from './types';

/** What build/Release/fused_optim.node exports (native/addon.cpp). */
interface Addon {
  info(): { isa: string; threads: number; isas: string[] };
  selectIsa(isa: string): boolean;
  setThreads(n: number): void;
  adam(
    params: Float32Array[],
    grads: Float32Array[],
    expAvgs: Float32Array[],
    expAvgSqs: Float32Array[],
    maxExpAvgSqs: Float32Array[] | null,
    scalars: Float64Array,
  ): void;
  reduce(tensors: Float32Array[], op: number): number;
}

export interface NativeBackend extends Backend {
  readonly addon: Addon;
}

const ADDON_FILE = join('build', 'Release', 'fused_optim.node');

/** The package root: the nearest folder above this module whose package.json names us. */
function packageRoot(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if (JSON.parse(readFileSync(manifest, 'utf8')).name === 'fused-optim') return dir;
      } catch {
        // an unreadable package.json on the way up is not ours
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/** Loads the addon, or returns the reason it cannot be loaded. */
export function loadAddon(): Addon | Error {
  const root = packageRoot();
  if (root === null) return new Error('cannot locate the fused-optim package folder');
  const file = join(root, ADDON_FILE);
  if (!existsSync(file)) return new Error(`${file} is missing`);
  try {
    return createRequire(join(root, 'package.json'))(file) as Addon;
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
}

const REDUCE_OPS: Record<ReduceOp, number> = { sumSquares: 0, sumAbs: 1, maxAbs: 2 };

export function nativeBackend(addon: Addon): NativeBackend {
  // Reused every step: the layout is native/addon.cpp's AdamScalars, in order.
  const adamScalars = new Float64Array(11);
  return {
    name: 'native',
    addon,
    adam(t: AdamTensors, s: AdamScalars) {
      adamScalars[0] = s.gradScale;
      adamScalars[1] = s.l2;
      adamScalars[2] = s.paramDecay;
      adamScalars[3] = s.oneMinusBeta1;
      adamScalars[4] = s.beta2;
      adamScalars[5] = s.oneMinusBeta2;
      adamScalars[6] = s.stepSize;
      adamScalars[7] = s.bc2Sqrt;
      adamScalars[8] = s.eps;
      adamScalars[9] = s.decay;
      adamScalars[10] = s.amsgrad ? 1 : 0;
      addon.adam(t.params, t.grads, t.expAvgs, t.expAvgSqs, t.maxExpAvgSqs, adamScalars);
    },
    reduce(tensors, op) {
      return addon.reduce(tensors, REDUCE_OPS[op]);
    },
  };
}
