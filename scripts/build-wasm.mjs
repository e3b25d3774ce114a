#!/usr/bin/env node
// Builds native/wasm/fused_optim.wasm: the kernels of native/kernels compiled once more, for
// WebAssembly SIMD (FUSED_ISA_WASM), plus native/wasm/exports.cpp. The output is committed, so
// installing the package needs no wasm toolchain; rebuild it after changing a kernel:
//
//   apt-get install -y clang lld wasi-libc libc++-14-dev-wasm32 libc++abi-14-dev-wasm32 libclang-rt-14-dev-wasm32
//   node scripts/build-wasm.mjs
//
// It also writes the SHA-256 of its inputs next to the output; a test compares that with the
// current sources, so a kernel changed without rebuilding the wasm cannot go unnoticed.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'native', 'wasm', 'fused_optim.wasm');

/** The files the wasm is built from, in a fixed order (also what the staleness test hashes). */
export function wasmInputs() {
  const kernels = readdirSync(join(root, 'native', 'kernels')).sort().map((f) => join('native', 'kernels', f));
  return [...kernels, join('native', 'wasm', 'exports.cpp'), join('scripts', 'build-wasm.mjs')];
}

export function inputsHash() {
  const hash = createHash('sha256');
  for (const file of wasmInputs()) hash.update(file).update('\0').update(readFileSync(join(root, file))).update('\0');
  return hash.digest('hex');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const clang = process.env.CLANG ?? 'clang++-14';
  const sources = wasmInputs().filter((f) => f.endsWith('.cpp'));
  const args = [
    // Position-independent (a PIE importing its memory, data address and stack pointer:
    // src/backend/wasm-module.ts places it), so that it can also run inside TF.js's wasm memory.
    // clang 14 emits relocatable wasm code only for the emscripten triple; no Emscripten
    // runtime or libc is linked, the kernels need none.
    '--target=wasm32-unknown-emscripten', '-fPIC', '-std=c++17', '-O3',
    // The same no-contraction rule as every native ISA: bit-identical results.
    '-msimd128', '-mbulk-memory', '-ffp-contract=off',
    '-fno-exceptions', '-fno-rtti', '-fno-threadsafe-statics', '-DFUSED_ISA_WASM',
    '-isystem', '/usr/lib/llvm-14/include/wasm32-wasi/c++/v1', '-isystem', '/usr/include/wasm32-wasi',
    '-nostdlib', '-Wl,--no-entry', '-Wl,--experimental-pic', '-Wl,-pie', '-Wl,--import-memory', '-Wl,--strip-all',
    // Applies the data's relocations once the instance knows where its data is.
    '-Wl,--export-if-defined=__wasm_call_ctors',
    ...sources.map((f) => join(root, f)), '-o', out,
  ];
  const r = spawnSync(clang, args, { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`fused-optim: ${clang} failed${r.error ? ` (${r.error.message})` : ''}; see the comment at the top of scripts/build-wasm.mjs`);
    process.exit(1);
  }
  writeFileSync(`${out}.sha256`, `${inputsHash()}\n`);
  console.log(`fused-optim: wrote ${out} (${readFileSync(out).length} bytes)`);
}
