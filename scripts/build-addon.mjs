#!/usr/bin/env node
// Builds the native addon from source: cmake-js first, node-gyp (bundled with npm) if cmake is
// missing. Nothing is downloaded. As an install script it never fails the install: without a
// compiler the package still works on the WebAssembly backend, and one line says how to
// build later. `--strict` (npm run build:addon, CI) exits non-zero instead.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const strict = process.argv.includes('--strict');
const useGyp = process.argv.includes('--node-gyp');

if (process.env.FUSED_OPTIM_SKIP_BUILD === '1' && !strict) {
  console.log('fused-optim: FUSED_OPTIM_SKIP_BUILD=1, native addon not built; using the WebAssembly backend.');
  process.exit(0);
}

function run(command, args) {
  const r = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: process.env });
  return r.status === 0;
}

function resolveBin(pkg, bin) {
  try {
    return join(dirname(require.resolve(`${pkg}/package.json`)), bin);
  } catch {
    return null;
  }
}

function withCmakeJs() {
  const cmakeJs = resolveBin('cmake-js', 'bin/cmake-js');
  if (!cmakeJs) return false;
  return run(process.execPath, [cmakeJs, 'build', '--out', 'build']);
}

function withNodeGyp() {
  const gyp = resolveBin('node-gyp', 'bin/node-gyp.js') ?? process.env.npm_config_node_gyp;
  if (!gyp || !existsSync(gyp)) return false;
  return run(process.execPath, [gyp, 'rebuild']);
}

const built = useGyp ? withNodeGyp() : withCmakeJs() || withNodeGyp();
const addon = join(root, 'build', 'Release', 'fused_optim.node');
if (built && existsSync(addon)) {
  console.log(`fused-optim: native addon built: ${addon}`);
} else if (strict) {
  console.error('fused-optim: native addon build failed (see the compiler output above).');
  process.exit(1);
} else {
  console.warn(
    'fused-optim: native addon not built (needs cmake or python3+make, and a C++17 compiler); ' +
      'using the WebAssembly backend (same results, one thread). To build it later: npx fused-optim build',
  );
}
