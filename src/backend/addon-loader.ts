// Which native addon file to load. In order: the file FUSED_OPTIM_ADDON names, a local build
// (`npx fused-optim build` → build/Release), the prebuild shipped for this platform
// (prebuilds/<platform>-<arch>/, glibc only). A file is used only if it is a fused-optim addon
// whose table of kernel kinds is this package's (src/backend/kinds.ts): an addon built from
// other sources would read scalars it was never given. Every candidate not used is recorded with
// the reason, for backendInfo() and the fallback message.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { kindTableMismatch } from './kinds';
import type { Addon } from './native';
import { packageRoot } from './package-root';

export type AddonSource = 'FUSED_OPTIM_ADDON' | 'local build' | 'prebuild';

export interface AddonLoad {
  addon: Addon | null;
  /** The file loaded, when one was. */
  file?: string;
  source?: AddonSource;
  /** Each candidate passed over, with the reason: "<what>: <why>". */
  skipped: string[];
}

/** Platforms with a prebuild in the package (built against glibc 2.17). */
export const PREBUILT_PLATFORMS = ['linux-x64', 'linux-arm64'];

const ADDON_NAME = 'fused_optim.node';

/** Whether a /proc/<pid>/maps listing shows musl's dynamic loader or libc mapped. */
export function mapsShowMusl(maps: string): boolean {
  return /\/ld-musl-[\w-]+\.so|\/libc\.musl-[\w-]+\.so/.test(maps);
}

/** True when this process runs on musl libc (Alpine): glibc binaries must not be loaded into it. */
export function onMusl(): boolean {
  if (process.platform !== 'linux') return false;
  try {
    return mapsShowMusl(readFileSync('/proc/self/maps', 'utf8'));
  } catch {
    const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
    return header !== undefined && header.glibcVersionRuntime === undefined;
  }
}

/** Loads a .node file (require: through its cache, ESM and CJS share one instance). */
export type AddonRequire = (file: string, root: string | null) => unknown;

const requireAddon: AddonRequire = (file, root) => createRequire(join(root ?? process.cwd(), 'package.json'))(file);

/** Why a loaded module cannot serve as the addon, or undefined when it can. */
export function unusableAddon(module: unknown): string | undefined {
  const addon = module as Partial<Addon>;
  for (const name of ['info', 'kinds', 'step', 'stepAsync', 'pin', 'reduce', 'selectIsa', 'setThreads', 'wake'] as const)
    if (typeof addon[name] !== 'function') return `not a fused-optim addon (no ${name}())`;
  const mismatch = kindTableMismatch((addon as Addon).kinds(), 'the addon');
  return mismatch === undefined ? undefined : `built from other kernel sources (${mismatch}); rebuild it: npx fused-optim build`;
}

function tryLoad(file: string, root: string | null, load: AddonRequire): Addon | string {
  if (!existsSync(file)) return 'not found';
  // require() would run a .js or parse a .json
  if (!file.endsWith('.node')) return 'not a .node file';
  try {
    const addon = load(file, root);
    return unusableAddon(addon) ?? (addon as Addon);
  } catch (e) {
    // dlopen errors repeat the path; the candidate's name already says it
    return (e instanceof Error ? e.message : String(e)).split(file).join('').replace(/^[\s:]+/, '') || 'failed to load';
  }
}

/** `load` stands in for require() in tests. */
export function loadAddon(env: NodeJS.ProcessEnv = process.env, load: AddonRequire = requireAddon): AddonLoad {
  const skipped: string[] = [];
  const root = packageRoot();
  const attempt = (source: AddonSource, file: string, label: string): AddonLoad | null => {
    const addon = tryLoad(file, root, load);
    if (typeof addon !== 'string') return { addon, file, source, skipped };
    skipped.push(`${label}: ${addon}`);
    return null;
  };

  const explicit = env.FUSED_OPTIM_ADDON;
  if (explicit) {
    const loaded = attempt('FUSED_OPTIM_ADDON', resolve(explicit), `FUSED_OPTIM_ADDON=${explicit}`);
    if (loaded) return loaded;
    process.emitWarning(`${skipped.at(-1)}; trying the other addon files`, { code: 'FUSED_OPTIM' });
  }
  if (root === null) {
    skipped.push('local build and prebuilds: cannot locate the fused-optim package folder');
    return { addon: null, skipped };
  }

  const local = join(root, 'build', 'Release', ADDON_NAME);
  if (existsSync(local)) {
    const loaded = attempt('local build', local, local);
    if (loaded) return loaded;
  } else skipped.push('no local build');

  const platform = `${process.platform}-${process.arch}`;
  if (!PREBUILT_PLATFORMS.includes(platform)) skipped.push(`no prebuild for ${platform}`);
  else if (onMusl()) skipped.push(`prebuilds/${platform} needs glibc, this system has musl libc (Alpine)`);
  else {
    const loaded = attempt('prebuild', join(root, 'prebuilds', platform, ADDON_NAME), `prebuilds/${platform}`);
    if (loaded) return loaded;
  }
  return { addon: null, skipped };
}
