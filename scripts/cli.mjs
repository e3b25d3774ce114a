#!/usr/bin/env node
// npx fused-optim build   builds the native addon from source (cmake-js, else node-gyp)
// npx fused-optim info    prints the backend, ISA and threads this machine gets
// npx fused-optim report  profiles this machine and trains optimizers on MNIST (--help for flags)
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const [command] = process.argv.slice(2);
if (command === 'build') {
  const r = spawnSync(process.execPath, [join(here, 'build-addon.mjs'), '--strict'], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
} else if (command === 'info') {
  const { backendInfo } = await import('fused-optim');
  console.log(JSON.stringify(backendInfo(), null, 2));
} else if (command === 'report') {
  const { runReport } = await import('./report/index.mjs');
  process.exitCode = await runReport(process.argv.slice(3));
} else {
  console.log('usage: fused-optim build | info | report [--help]');
  process.exit(command === undefined || command === 'help' ? 0 : 1);
}
