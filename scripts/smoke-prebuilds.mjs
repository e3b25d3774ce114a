#!/usr/bin/env node
// Smoke test of the committed prebuilds: every optimizer, the TF.js drop-in's kernels and the
// norms on fixed inputs, hashed,
// with the linux-arm64 addon run under qemu-user, the linux-x64 one here, and the TS backend; on
// every ISA each addon offers (arm64 must offer neon). All hashes must be equal.
//
//   npm run prebuilds:smoke       (needs qemu-user, dpkg and apt; about a minute warm)
//
// The arm64 Node.js is Debian trixie's `nodejs` with its libraries, downloaded with an apt state of
// its own (architecture arm64) into FUSED_OPTIM_CACHE (default ~/.cache/fused-optim) and unpacked
// with `dpkg -x` into a private root: nothing is installed on the host.
// `node scripts/smoke-prebuilds.mjs --hashes` is the workload itself (prints JSON).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const SUITE = 'trixie';

/** Fixed inputs: lengths around the vector widths, one large enough to use the worker threads. */
function tensors() {
  return [1, 7, 33, 1003, 100003].map((n, t) => {
    const data = new Float32Array(n);
    const grad = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      data[i] = Math.sin(i * 0.37 + t);
      grad[i] = Math.cos(i * 0.11 - t) * 0.5;
    }
    return { data, grad };
  });
}

/**
 * The array's bytes with every NaN written as one pattern. An operation that makes a NaN (the
 * square root of a negative, as TF.js's centered RMSprop takes for a zero gradient) gives the
 * CPU's default NaN, whose sign differs between x86 (negative) and Arm (positive), in the
 * kernels and in JS alike; every other bit must be equal.
 */
function canonicalBytes(a) {
  const copy = Float32Array.from(a, (x) => (Number.isNaN(x) ? NaN : x));
  const bits = new Uint32Array(copy.buffer);
  for (let i = 0; i < copy.length; i++) if (Number.isNaN(copy[i])) bits[i] = 0x7fc00000;
  return new Uint8Array(copy.buffer);
}

async function hashes() {
  const f = await import(pathToFileURL(join(root, 'dist', 'index.js')).href);
  const cases = {
    sgd: (p) => new f.SGD(p, { lr: 0.1 }),
    'sgd-nesterov': (p) => new f.SGD(p, { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01 }),
    'sgd-dampening-maximize': (p) => new f.SGD(p, { lr: 0.1, momentum: 0.9, dampening: 0.1, maximize: true }),
    adagrad: (p) => new f.Adagrad(p, { lrDecay: 0.01, weightDecay: 0.01 }),
    rmsprop: (p) => new f.RMSprop(p, {}),
    'rmsprop-centered-momentum': (p) => new f.RMSprop(p, { centered: true, momentum: 0.9 }),
    adadelta: (p) => new f.Adadelta(p, { weightDecay: 0.01 }),
    adam: (p) => new f.Adam(p, { weightDecay: 0.01 }),
    'adam-amsgrad': (p) => new f.Adam(p, { amsgrad: true }),
    adamw: (p) => new f.AdamW(p, {}),
    'adamw-amsgrad-maximize': (p) => new f.AdamW(p, { amsgrad: true, maximize: true }),
    adamax: (p) => new f.Adamax(p, {}),
    nadam: (p) => new f.NAdam(p, { weightDecay: 0.01 }),
    radam: (p) => new f.RAdam(p, {}),
    lamb: (p) => new f.LAMB(p, { weightDecay: 0.01 }),
    lion: (p) => new f.Lion(p, { weightDecay: 0.1 }),
    // Stored state on every tensor (min8bitSize 0): bfloat16 words and int8 blocks with absmax.
    'adamw-bfloat16': (p) => new f.AdamW(p, { stateDtype: 'bfloat16' }),
    'adamw-int8': (p) => new f.AdamW(p, { stateDtype: 'int8', min8bitSize: 0 }),
    'sgd-momentum-int8': (p) => new f.SGD(p, { lr: 0.1, momentum: 0.9, stateDtype: 'int8', min8bitSize: 0 }),
    'rmsprop-centered-int8': (p) => new f.RMSprop(p, { centered: true, momentum: 0.9, stateDtype: 'int8', min8bitSize: 0 }),
    'lion-bfloat16': (p) => new f.Lion(p, { stateDtype: 'bfloat16' }),
    'adagrad-int8': (p) => new f.Adagrad(p, { stateDtype: 'int8', min8bitSize: 0 }),
  };
  const run = () => {
    const out = {};
    for (const [name, make] of Object.entries(cases)) {
      const params = tensors();
      const opt = make(params);
      for (let s = 0; s < 4; s++) opt.step();
      const h = createHash('sha256');
      for (const p of params) h.update(canonicalBytes(p.data));
      out[name] = h.digest('hex').slice(0, 16);
    }
    Object.assign(out, tfjsHashes());
    const grads = tensors().map((p) => p.grad);
    // Norms sum in double lanes whose count depends on the ISA: equal to 1e-12, not bit for bit.
    out.norms = [1, 2, 3, Infinity].map((p) => f.gradNorm(grads, p));
    return out;
  };
  // The TF.js drop-in's own kernels (tf.train's formulas), on tfjs-core's cpu backend.
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-cpu');
  await tf.setBackend('cpu');
  const { fusedTrain } = await import(pathToFileURL(join(root, 'dist', 'tfjs.js')).href);
  const train = fusedTrain(tf);
  const tfCases = {
    'tf-adam': () => train.adam(0.01),
    'tf-adagrad': () => train.adagrad(0.1),
    'tf-adadelta': () => train.adadelta(1, 0.95, 1e-6),
    'tf-adamax': () => train.adamax(0.01, 0.9, 0.999, 1e-7, 0.01),
    'tf-rmsprop-centered-momentum': () => train.rmsprop(0.01, 0.9, 0.5, 1e-7, true),
    'tf-momentum-nesterov': () => train.momentum(0.01, 0.9, true),
  };
  const tfjsHashes = () => {
    const out = {};
    for (const [name, make] of Object.entries(tfCases)) {
      const opt = make();
      const vars = tensors().map(({ data }, i) => tf.variable(tf.tensor1d(data), true, `w${i}`));
      const grads = tensors().map(({ grad }) => tf.tensor1d(grad));
      for (let s = 0; s < 4; s++) opt.applyGradients(vars.map((v, i) => ({ name: v.name, tensor: grads[i] })));
      const h = createHash('sha256');
      for (const v of vars) h.update(canonicalBytes(v.dataSync()));
      out[name] = h.digest('hex').slice(0, 16);
      opt.dispose();
      for (const x of [...vars, ...grads]) x.dispose();
    }
    return out;
  };
  const info = f.backendInfo();
  const byIsa = {};
  if (info.name === 'native') {
    for (const isa of info.isas) {
      f.useIsa(isa);
      byIsa[isa] = run();
    }
  } else byIsa[info.name] = run();
  return { info, byIsa };
}

function apt(aptDir, args) {
  const options = [
    `Dir::Etc::SourceList=${join(aptDir, 'sources.list')}`, `Dir::Etc::SourceParts=${join(aptDir, 'empty')}`,
    `Dir::Etc::Preferences=${join(aptDir, 'empty', 'preferences')}`, `Dir::Etc::PreferencesParts=${join(aptDir, 'empty')}`,
    `Dir::State=${join(aptDir, 'state')}`, `Dir::State::status=${join(aptDir, 'status')}`, `Dir::Cache=${join(aptDir, 'cache')}`,
    'APT::Architecture=arm64', 'APT::Architectures=arm64', 'Debug::NoLocking=1', 'APT::Sandbox::User=root',
  ].flatMap((o) => ['-o', o]);
  const r = spawnSync('apt-get', [...options, '-q', '-y', ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`})`);
}

/** Debian's arm64 nodejs and its libraries unpacked into <cache>/arm64-node (once). */
function arm64Node(cache) {
  const rootfs = join(cache, `arm64-node-${SUITE}`);
  const ready = join(rootfs, '.fused-optim-ready');
  // trixie's packages put everything under /usr; its base-files (not unpacked) adds /lib → usr/lib
  const usrMerge = () => existsSync(join(rootfs, 'lib')) || symlinkSync('usr/lib', join(rootfs, 'lib'));
  if (existsSync(ready)) return usrMerge(), rootfs;
  const aptDir = join(cache, `apt-arm64-${SUITE}`);
  console.log(`== downloading Debian ${SUITE}'s arm64 nodejs into ${rootfs}`);
  rmSync(rootfs, { recursive: true, force: true });
  for (const d of ['empty', 'state/lists/partial', 'cache/archives/partial']) mkdirSync(join(aptDir, d), { recursive: true });
  writeFileSync(
    join(aptDir, 'sources.list'),
    `deb [arch=arm64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${process.env.DEBIAN_MIRROR ?? 'http://deb.debian.org/debian'} ${SUITE} main\n`,
  );
  writeFileSync(join(aptDir, 'status'), '');
  apt(aptDir, ['update']);
  apt(aptDir, ['install', '--download-only', '--no-install-recommends', 'nodejs']);
  const archives = join(aptDir, 'cache', 'archives');
  const debs = readdirSync(archives).filter((f) => f.endsWith('.deb'));
  mkdirSync(rootfs, { recursive: true });
  for (const deb of debs) {
    const r = spawnSync('dpkg', ['-x', join(archives, deb), rootfs], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`dpkg -x ${deb} failed`);
  }
  usrMerge();
  console.log(`   unpacked ${debs.length} packages`);
  writeFileSync(ready, `${debs.sort().join('\n')}\n`);
  return rootfs;
}

function workload(command, args, env) {
  const r = spawnSync(command, [...args, fileURLToPath(import.meta.url), '--hashes'], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, FUSED_OPTIM_BACKEND: '', FUSED_OPTIM_ISA: '', ...env },
    maxBuffer: 1 << 24,
  });
  if (r.status !== 0) throw new Error(`${command} failed (${r.error?.message ?? `exit ${r.status}`}):\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1));
}

if (process.argv.includes('--hashes')) {
  console.log(JSON.stringify(await hashes()));
} else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  try {
    const cache = process.env.FUSED_OPTIM_CACHE ?? join(homedir(), '.cache', 'fused-optim');
    const build = spawnSync(process.execPath, [join(root, 'node_modules', 'tsup', 'dist', 'cli-default.js'), '--silent'], { cwd: root, stdio: 'inherit' });
    if (build.status !== 0) throw new Error('tsup failed');
    const rootfs = arm64Node(cache);
    const addon = (arch) => join(root, 'prebuilds', `linux-${arch}`, 'fused_optim.node');
    const libs = ['/lib/aarch64-linux-gnu', '/usr/lib/aarch64-linux-gnu'].join(':');
    const runs = {
      ts: workload(process.execPath, [], { FUSED_OPTIM_BACKEND: 'js' }),
      'linux-x64 prebuild': workload(process.execPath, [], { FUSED_OPTIM_ADDON: addon('x64') }),
      'linux-arm64 prebuild (qemu)': workload(
        'qemu-aarch64',
        ['-L', rootfs, '-E', `LD_LIBRARY_PATH=${libs}`, join(rootfs, 'usr', 'bin', 'node')],
        { FUSED_OPTIM_ADDON: addon('arm64') },
      ),
    };
    const reference = runs.ts.byIsa.js;
    let failures = 0;
    for (const [name, { info, byIsa }] of Object.entries(runs)) {
      if (name !== 'ts' && (info.name !== 'native' || info.addonSource !== 'FUSED_OPTIM_ADDON'))
        throw new Error(`${name}: the addon did not load: ${JSON.stringify(info)}`);
      for (const [isa, hashesOf] of Object.entries(byIsa)) {
        const differ = Object.keys(reference).filter((k) =>
          k === 'norms'
            ? hashesOf.norms.some((x, i) => !(Math.abs(x - reference.norms[i]) <= 1e-12 * reference.norms[i]))
            : hashesOf[k] !== reference[k],
        );
        failures += differ.length;
        console.log(`   ${name.padEnd(28)} ${isa.padEnd(7)} ${differ.length === 0 ? `${Object.keys(reference).length} results equal to the TS backend's` : `DIFFERENT: ${differ.join(', ')}`}`);
      }
    }
    if (!runs['linux-arm64 prebuild (qemu)'].info.isas.includes('neon')) throw new Error('the arm64 addon does not offer neon');
    if (failures > 0) throw new Error(`${failures} results differ from the TS backend`);
    console.log(`== prebuilds smoke test passed in ${Math.round((Date.now() - started) / 1000)} s (arm64 reports ${runs['linux-arm64 prebuild (qemu)'].info.isa})`);
  } catch (e) {
    console.error(`fused-optim: prebuilds smoke test failed: ${e.message}`);
    process.exit(1);
  }
}
