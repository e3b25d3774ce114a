#!/usr/bin/env node
// The `fused-optim` command (npx fused-optim ...).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const { version } = JSON.parse(readFileSync(join(here, '..', 'package.json'), 'utf8'));

const USAGE = `fused-optim ${version}: fast fused optimizer steps for Node.js

Usage: npx fused-optim <command>

Commands:
  info           print the backend this machine gets (native, wasm or js), its instruction set,
                 threads, the addon file loaded and why other candidates were skipped
  build          build the native addon from source (cmake-js, else node-gyp; needs a C++17
                 compiler and cmake or python3+make); once built it is loaded before the prebuild
  report         profile this machine and train optimizers on MNIST: tables, charts and
                 report.html in ./fused-optim-report (report --help lists its flags)
  help           print this text (also --help, -h)
  version        print the version (also --version, -v)

Addon loading order: FUSED_OPTIM_ADDON → local build (npx fused-optim build) →
prebuilds/<platform>-<arch> (linux-x64, linux-arm64; glibc ≥ 2.17) → WebAssembly → TypeScript.

Environment:
  FUSED_OPTIM_ADDON=path           load this fused_optim.node before any other
  FUSED_OPTIM_BACKEND=native|wasm|js
  FUSED_OPTIM_ISA=scalar|sse2|avx2|avx512f|avx512|neon   (only downward from what the CPU has)
  FUSED_OPTIM_THREADS=N
  FUSED_OPTIM_CACHE=dir            where \`build\` keeps the build tools it fetches (~/.cache/fused-optim)
`;

const [command, ...rest] = process.argv.slice(2);
if (command === 'build') {
  const r = spawnSync(process.execPath, [join(here, 'build-addon.mjs'), '--strict', ...rest], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
} else if (command === 'info') {
  const { backendInfo } = await import('fused-optim');
  console.log(JSON.stringify(backendInfo(), null, 2));
} else if (command === 'report') {
  const { runReport } = await import('./report/index.mjs');
  process.exitCode = await runReport(process.argv.slice(3));
} else if (command === 'version' || command === '--version' || command === '-v') {
  console.log(version);
} else if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
  console.log(USAGE);
} else {
  console.error(`fused-optim: unknown command '${command}'\n`);
  console.error(USAGE);
  process.exit(1);
}
