#!/usr/bin/env node
// npm run test:sanitize: builds the addon with AddressSanitizer and UndefinedBehaviorSanitizer
// into build-sanitize/ (build/Release is left alone) and runs the whole vitest suite against it
// through FUSED_OPTIM_ADDON. Node itself is not instrumented, so the ASan runtime is preloaded.
// Any sanitizer report fails the run. ASan stops the process at its first error and writes the
// report under build-sanitize/reports/, which must be empty at the end (so even a child process
// that a test expected to fail cannot hide one). UBSan (GCC's runtime ignores log_path when ASan
// is loaded) prints to stderr and stops the process: undefined behaviour is not recoverable
// here (-fno-sanitize-recover), so the test running it fails.
//
//   node scripts/test-sanitize.mjs [--skip-build] [-- vitest arguments, e.g. test/kernels.test.ts]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const out = join(root, 'build-sanitize');
const addon = join(out, 'Release', 'fused_optim.node');
const reports = join(out, 'reports');
const args = process.argv.slice(2);
const dashes = args.indexOf('--');
const vitestArgs = dashes < 0 ? [] : args.slice(dashes + 1);
const skipBuild = args.slice(0, dashes < 0 ? undefined : dashes).includes('--skip-build');

function run(command, argv, env = process.env) {
  const r = spawnSync(command, argv, { cwd: root, stdio: 'inherit', env });
  return r.status ?? 1;
}

function fail(message) {
  console.error(`test:sanitize: ${message}`);
  process.exit(1);
}

if (!skipBuild) {
  const cmakeJs = join(dirname(require.resolve('cmake-js/package.json')), 'bin', 'cmake-js');
  // The flags live in CMakeLists.txt (FUSED_OPTIM_SANITIZE): cmake-js sets CMAKE_CXX_FLAGS itself.
  const status = run(process.execPath, [cmakeJs, 'build', '--out', out, '--CDFUSED_OPTIM_SANITIZE=ON']);
  if (status !== 0 || !existsSync(addon)) fail('the sanitizer build failed');
}
// Instrumented code calls into both runtimes; an addon built without the flags calls neither.
const image = readFileSync(addon);
for (const symbol of ['__asan_report_', '__ubsan_handle_'])
  if (!image.includes(symbol)) fail(`${addon} is not instrumented (no ${symbol}* calls): rebuild without --skip-build`);

// The runtime the compiler linked against; it must come first in the process, before node's own
// libraries, to intercept malloc and friends.
const libasan = spawnSync('g++', ['-print-file-name=libasan.so'], { encoding: 'utf8' }).stdout.trim();
if (!libasan.startsWith('/') || !existsSync(libasan)) fail(`libasan.so not found (g++ says '${libasan}')`);

rmSync(reports, { recursive: true, force: true });
mkdirSync(reports, { recursive: true });
const env = {
  ...process.env,
  FUSED_OPTIM_ADDON: addon,
  LD_PRELOAD: libasan,
  // detect_leaks=0: node and V8 keep allocations until exit on purpose (and the addon's thread
  // pool is leaked on purpose, see native/pool.cpp); LeakSanitizer would report those. Leaks of
  // the addon's own making are what the soak script (npm run soak) measures instead.
  // handle_segv=0: V8 handles SIGSEGV itself (WebAssembly bounds checks use guard pages).
  ASAN_OPTIONS: [
    'detect_leaks=0',
    'handle_segv=0',
    'abort_on_error=0',
    'exitcode=86',
    'detect_stack_use_after_return=0',
    `log_path=${join(reports, 'asan')}`,
    'log_exe_name=1',
  ].join(':'),
  UBSAN_OPTIONS: ['halt_on_error=1', 'print_stacktrace=1', 'exitcode=87', `log_path=${join(reports, 'ubsan')}`].join(
    ':',
  ),
};

// The addon must really be the instrumented one, in a process set up as the suite's will be.
const probe = spawnSync(
  process.execPath,
  [
    '-e',
    `const f = require(${JSON.stringify(join(root, 'dist', 'index.cjs'))});
     const info = f.backendInfo();
     const maps = require('node:fs').readFileSync('/proc/self/maps', 'utf8');
     console.log(JSON.stringify({ info, asan: maps.includes('libasan'), addon: maps.includes(${JSON.stringify(addon)}) }));`,
  ],
  { cwd: root, env, encoding: 'utf8' },
);
let seen;
try {
  seen = JSON.parse(probe.stdout.trim().split('\n').at(-1));
} catch {
  fail(`the probe process failed (${probe.status}): ${probe.stderr}`);
}
if (seen.info.name !== 'native' || !seen.asan || !seen.addon)
  fail(`the probe did not run the instrumented addon: ${JSON.stringify(seen)}`);
console.log(`test:sanitize: ${addon} loaded under ${libasan}; running the suite`);

const started = Date.now();
const status = run(process.execPath, [join(dirname(require.resolve('vitest/package.json')), 'vitest.mjs'), 'run', ...vitestArgs], env);
const found = readdirSync(reports);
for (const file of found) {
  console.error(`\n==== sanitizer report ${file}`);
  console.error(readFileSync(join(reports, file), 'utf8'));
}
console.log(`test:sanitize: suite exited ${status} after ${((Date.now() - started) / 1000).toFixed(0)} s; ${found.length} sanitizer report(s)`);
if (found.length > 0) fail(`${found.length} sanitizer report(s), listed above`);
if (status !== 0) fail(`the suite failed under the sanitizers (exit ${status})`);
console.log('test:sanitize: no sanitizer reports');
