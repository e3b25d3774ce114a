#!/usr/bin/env node
// Builds the native addon from source into build/Release, where it wins over the shipped prebuild:
// cmake-js first, node-gyp (bundled with npm) if cmake is missing. No Node headers are downloaded
// (Node-API headers come from node-addon-api and node-api-headers). In a development checkout the
// build tools are devDependencies; in an installed package (`npx fused-optim build`) they are
// fetched once with npm into FUSED_OPTIM_CACHE (default ~/.cache/fused-optim/build-tools).
// Run by `prepare` (the repository's own npm ci) it never fails: the prebuild or the WebAssembly
// backend still work, and one line says how to build later. `--strict` (npx fused-optim build,
// npm run build:addon, CI) exits non-zero instead.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const strict = process.argv.includes('--strict');
const useGyp = process.argv.includes('--node-gyp');

if (process.env.FUSED_OPTIM_SKIP_BUILD === '1' && !strict) {
  console.log('fused-optim: FUSED_OPTIM_SKIP_BUILD=1, native addon not built (the prebuild, if any, or the WebAssembly backend will be used).');
  process.exit(0);
}

let env = process.env;

function run(command, args) {
  const r = spawnSync(command, args, { cwd: root, stdio: 'inherit', env });
  return r.status === 0;
}

function resolveBin(pkg, bin, from = require) {
  try {
    return join(dirname(from.resolve(`${pkg}/package.json`)), bin);
  } catch {
    return null;
  }
}

/**
 * cmake-js and node-addon-api, from the package's own node_modules, else fetched into a cache
 * folder once (strict builds only) and made resolvable through NODE_PATH, which both cmake-js and
 * binding.gyp's `require('node-addon-api')` honour. Returns cmake-js's bin, or null.
 */
function buildTools() {
  const own = resolveBin('cmake-js', 'bin/cmake-js');
  if (own && resolveBin('node-addon-api', '')) return own;
  if (!strict) return own;
  const dir = join(process.env.FUSED_OPTIM_CACHE ?? join(homedir(), '.cache', 'fused-optim'), 'build-tools');
  const fromCache = createRequire(join(dir, 'package.json'));
  const wanted = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).devDependencies;
  const specs = ['cmake-js', 'node-addon-api'].map((p) => `${p}@${wanted[p]}`);
  if (!resolveBin('cmake-js', '', fromCache) || !resolveBin('node-addon-api', '', fromCache)) {
    console.log(`fused-optim: fetching the build tools (${specs.join(', ')}) into ${dir}`);
    const npm = process.env.npm_execpath?.endsWith('.js') ? [process.execPath, process.env.npm_execpath] : ['npm'];
    const r = spawnSync(npm[0], [...npm.slice(1), 'install', '--prefix', dir, '--no-save', '--ignore-scripts', '--no-audit', '--no-fund', ...specs], {
      stdio: 'inherit',
      shell: npm[0] === 'npm' && process.platform === 'win32',
    });
    if (r.status !== 0) return null;
  }
  const modules = join(dir, 'node_modules');
  env = { ...process.env, NODE_PATH: [modules, process.env.NODE_PATH].filter(Boolean).join(process.platform === 'win32' ? ';' : ':') };
  return resolveBin('cmake-js', 'bin/cmake-js', fromCache);
}

function withCmakeJs() {
  const cmakeJs = buildTools();
  if (!cmakeJs) return false;
  return run(process.execPath, [cmakeJs, 'build', '--out', 'build']);
}

function withNodeGyp() {
  const gyp = resolveBin('node-gyp', 'bin/node-gyp.js') ?? process.env.npm_config_node_gyp;
  if (!gyp || !existsSync(gyp)) return false;
  buildTools();
  // Every core: node-gyp's make runs one job unless told.
  return run(process.execPath, [gyp, 'rebuild', '--jobs', 'max']);
}

const built = useGyp ? withNodeGyp() : withCmakeJs() || withNodeGyp();
const addon = join(root, 'build', 'Release', 'fused_optim.node');
if (built && existsSync(addon)) {
  console.log(`fused-optim: native addon built: ${addon} (loaded before the prebuild from now on)`);
} else if (strict) {
  console.error('fused-optim: native addon build failed (see the compiler output above).');
  process.exit(1);
} else {
  console.warn(
    'fused-optim: native addon not built (needs cmake or python3+make, and a C++17 compiler); ' +
      'the prebuild for this platform, if any, or else the WebAssembly backend will be used. To build it later: npx fused-optim build',
  );
}
