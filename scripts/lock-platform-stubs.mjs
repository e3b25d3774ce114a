#!/usr/bin/env node
// The registry this project installs from serves only the linux-x64/arm64 builds of some
// packages with per-platform optional binaries (rollup's). `npm install` then leaves the other
// platforms out of package-lock.json, and `npm ci` refuses the lockfile as out of sync. This
// records each missing platform package in the lockfile with its os/cpu, which is all npm ci
// needs to skip it on a machine it does not fit. Run after `npm install` changes the lockfile.
import { readFileSync, writeFileSync } from 'node:fs';

const file = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(file, 'utf8'));
const OS = { android: 'android', darwin: 'darwin', freebsd: 'freebsd', linux: 'linux', openbsd: 'openbsd', openharmony: 'openharmony', win32: 'win32' };
const CPU = { arm: 'arm', 'arm-eabi': 'arm', arm64: 'arm64', x64: 'x64', ia32: 'ia32', loong64: 'loong64', ppc64: 'ppc64', riscv64: 'riscv64', s390x: 's390x' };
let added = 0;
for (const [path, pkg] of Object.entries(lock.packages)) {
  for (const [name, version] of Object.entries(pkg.optionalDependencies ?? {})) {
    const where = `node_modules/${name}`;
    if (lock.packages[where] || !name.startsWith('@rollup/rollup-')) continue;
    const [os, cpu, abi] = name.slice('@rollup/rollup-'.length).split('-');
    const entry = { version, cpu: [CPU[cpu] ?? cpu], dev: true, optional: true, os: [OS[os] ?? os] };
    if (abi === 'gnu' || abi === 'gnueabihf') entry.libc = ['glibc'];
    if (abi === 'musl' || abi === 'musleabihf') entry.libc = ['musl'];
    lock.packages[where] = entry;
    added++;
    void path;
  }
}
lock.packages = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : 1)));
writeFileSync(file, JSON.stringify(lock, null, 2) + '\n');
console.log(`recorded ${added} platform packages missing from the lockfile`);
