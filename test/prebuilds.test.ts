// The prebuilt addons shipped in the package (scripts/build-prebuilds.mjs) and the addon loading
// order: FUSED_OPTIM_ADDON → local build → prebuilds/<platform>-<arch> → wasm → TS.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mapsShowMusl, onMusl } from '../src/backend/addon-loader';
import { machineIsas } from './helpers';

const root = join(__dirname, '..');
const platform = `${process.platform}-${process.arch}`;
const prebuild = (arch: string) => join(root, 'prebuilds', `linux-${arch}`, 'fused_optim.node');

function node(args: string[], { cwd = root, env = {} as Record<string, string> } = {}) {
  const r = spawnSync(process.execPath, args, {
    cwd,
    env: { ...process.env, FUSED_OPTIM_BACKEND: '', FUSED_OPTIM_ISA: '', FUSED_OPTIM_THREADS: '', FUSED_OPTIM_ADDON: '', ...env },
    encoding: 'utf8',
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function json(code: string, options?: Parameters<typeof node>[1]) {
  const r = node(['--input-type=module', '-e', code], options);
  if (r.status !== 0) throw new Error(`child failed (${r.status}): ${r.stderr}`);
  return { out: JSON.parse(r.stdout.trim().split('\n').at(-1) as string), stderr: r.stderr };
}

const fromScript = (expr: string) =>
  json(`import * as s from './scripts/build-prebuilds.mjs'; console.log(JSON.stringify(${expr}));`).out;

const INFO = "import { backendInfo } from 'fused-optim'; console.log(JSON.stringify(backendInfo()));";

describe('the committed prebuilds', () => {
  it('were built from the current native sources, CMakeLists.txt and headers (else: npm run prebuilds)', () => {
    const inputs: string[] = fromScript('s.prebuildInputs()');
    expect(inputs).toEqual(expect.arrayContaining(['CMakeLists.txt', 'native/addon.cpp', 'native/kernels/adam.cpp', 'scripts/build-prebuilds.mjs']));
    expect(inputs.some((f) => f.startsWith('native/wasm/'))).toBe(false);
    expect(inputs.some((f) => f.endsWith('napi.h'))).toBe(true);
    expect(readFileSync(join(root, 'prebuilds', 'inputs.sha256'), 'utf8').trim()).toBe(fromScript('s.inputsHash()'));
  });

  it.each(['x64', 'arm64'])('linux-%s needs nothing newer than GLIBC_2.17 and GLIBCXX_3.4.22', (arch) => {
    const versions: Record<string, string> = fromScript(`s.neededVersions(${JSON.stringify(prebuild(arch))})`);
    expect(versions.GLIBC).toBeDefined();
    expect(fromScript(`s.compareVersions(${JSON.stringify(versions.GLIBC)}, '2.17')`)).toBeLessThanOrEqual(0);
    if (versions.GLIBCXX !== undefined)
      expect(fromScript(`s.compareVersions(${JSON.stringify(versions.GLIBCXX)}, '3.4.22')`)).toBeLessThanOrEqual(0);
    const header = spawnSync('readelf', ['-h', prebuild(arch)], { encoding: 'utf8' }).stdout;
    expect(header).toMatch(arch === 'x64' ? /Machine:\s+Advanced Micro Devices X86-64/ : /Machine:\s+AArch64/);
  });

  it('the version comparison orders numerically', () => {
    expect(fromScript("[s.compareVersions('2.17', '2.9'), s.compareVersions('3.4.22', '3.4.22'), s.compareVersions('2.2.5', '2.17')].map(Math.sign)")).toEqual([1, 0, -1]);
  });
});

describe('addon loading order', () => {
  it('FUSED_OPTIM_ADDON comes first: here the linux-x64 prebuild, although a local build exists', () => {
    const { out } = json(INFO, { env: { FUSED_OPTIM_ADDON: prebuild('x64') } });
    expect(out).toMatchObject({ name: 'native', isa: machineIsas().at(-1), addonSource: 'FUSED_OPTIM_ADDON', addonFile: prebuild('x64'), addonSkipped: [] });
  });

  it('a FUSED_OPTIM_ADDON that does not load is reported and warned about, and the local build is used', () => {
    const { out, stderr } = json(INFO, { env: { FUSED_OPTIM_ADDON: '/nonexistent/fused_optim.node' } });
    expect(out).toMatchObject({ name: 'native', addonSource: 'local build', addonFile: join(root, 'build', 'Release', 'fused_optim.node') });
    expect(out.addonSkipped).toEqual(['FUSED_OPTIM_ADDON=/nonexistent/fused_optim.node: not found']);
    expect(stderr).toMatch(/FUSED_OPTIM_ADDON=\/nonexistent\/fused_optim\.node: not found; trying the other addon files/);
  });

  it.each([
    ['package.json', 'not a .node file'],
    ['native/wasm/fused_optim.wasm', 'not a .node file'],
  ])('FUSED_OPTIM_ADDON=%s is skipped (%s), never required as code', (file, reason) => {
    const { out } = json(INFO, { env: { FUSED_OPTIM_ADDON: file } });
    expect(out.addonSource).toBe('local build');
    expect(out.addonSkipped).toEqual([`FUSED_OPTIM_ADDON=${file}: ${reason}`]);
  });

  it('a .node file that does not load is skipped with the loader error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fused-optim-bad-'));
    try {
      const bad = join(dir, 'fused_optim.node');
      writeFileSync(bad, 'not an ELF file');
      const { out } = json(INFO, { env: { FUSED_OPTIM_ADDON: bad } });
      expect(out.addonSource).toBe('local build');
      expect(out.addonSkipped).toHaveLength(1);
      expect(out.addonSkipped[0]).toMatch(new RegExp(`^FUSED_OPTIM_ADDON=${bad}: .*(invalid ELF header|file too short)`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the report's and the bench's probes", () => {
  it('come from the addon instance the package loaded, here a FUSED_OPTIM_ADDON relative to the working directory', () => {
    const code = `import { backendInfo, useIsa } from 'fused-optim';
      import { probeAddon } from './scripts/report/throughput.mjs';
      const addon = probeAddon();
      useIsa(backendInfo().isas[0]); // seen by the probe's addon only if it is the package's own instance
      console.log(JSON.stringify({ file: backendInfo().addonFile, isa: addon.info().isa, lowest: backendInfo().isas[0], best: machineBest }));`;
    const { out } = json(code.replace('machineBest', JSON.stringify(machineIsas().at(-1))), { env: { FUSED_OPTIM_ADDON: 'prebuilds/linux-x64/fused_optim.node' } });
    expect(out.file).toBe(prebuild('x64'));
    expect(out.lowest).not.toBe(out.best);
    expect(out.isa).toBe(out.lowest);
  });

  it('are none when the native backend cannot load', () => {
    // a copy of the package with no local build and no prebuilds
    const dir = mkdtempSync(join(tmpdir(), 'fused-optim-noaddon-'));
    try {
      for (const part of ['package.json', 'dist', 'scripts/report']) cpSync(join(root, part), join(dir, part), { recursive: true });
      symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
      const code = `import { backendInfo } from 'fused-optim';
        import { probeAddon } from './scripts/report/throughput.mjs';
        console.log(JSON.stringify({ probe: probeAddon(), ...backendInfo() }));`;
      const { out } = json(code, { cwd: dir });
      expect(out.nativeError).toMatch(/no native addon loaded/);
      expect(out.probe).toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('musl detection (the prebuilds need glibc)', () => {
  it('recognises musl mapped into a process, and not glibc', () => {
    expect(mapsShowMusl('7f3a1c000000-7f3a1c014000 r--p 00000000 08:01 131 /lib/ld-musl-x86_64.so.1\n')).toBe(true);
    expect(mapsShowMusl('ffff9a000000-ffff9a0a0000 r-xp 00000000 08:01 77 /usr/lib/libc.musl-aarch64.so.1\n')).toBe(true);
    expect(mapsShowMusl('7f3a1c000000-7f3a1c028000 r--p 00000000 08:01 412 /usr/lib/x86_64-linux-gnu/libc.so.6\n')).toBe(false);
  });

  it('finds glibc in this process, so the prebuild is tried', () => {
    expect(onMusl()).toBe(false);
  });
});

describe('the npm package', () => {
  let work: string;
  let tarball: string;
  let files: string[];
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'fused-optim-pack-'));
    // dist/ is built by `npm test`'s pretest; prepare (which would rebuild the addon) is not needed here.
    const pack = spawnSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: root, encoding: 'utf8' });
    if (pack.status !== 0) throw new Error(`npm pack failed: ${pack.stderr}`);
    const [result] = JSON.parse(pack.stdout);
    tarball = join(work, result.filename);
    files = result.files.map((f: { path: string }) => f.path);
  }, 120_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('ships the runtime, both prebuilds, the sources `fused-optim build` needs, examples and README', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'prebuilds/linux-x64/fused_optim.node', 'prebuilds/linux-arm64/fused_optim.node',
        'native/wasm/fused_optim.wasm', 'native/addon.cpp', 'native/kernels/adam.cpp', 'CMakeLists.txt', 'binding.gyp',
        'scripts/cli.mjs', 'scripts/build-addon.mjs', 'examples/train-mlp.mjs', 'scripts/report/index.mjs', 'README.md', 'package.json',
      ]),
    );
  });

  it('ships the LICENSE file when the repository has one', () => {
    expect(files.includes('LICENSE')).toBe(existsSync(join(root, 'LICENSE')));
  });

  it('leaves out tests, fixture generators, maintainer scripts and local builds', () => {
    const unwanted = files.filter((f) => /^(test|build|bench|scripts\/(fixtures|build-prebuilds|smoke-prebuilds|build-wasm|lock-platform))\b|\.test\.ts$/.test(f));
    expect(unwanted).toEqual([]);
  });

  it('has no install-time scripts, no gyp build, and no dependency but tinybench', () => {
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(Object.keys(manifest.scripts).filter((s) => /^(pre|post)?install$/.test(s))).toEqual([]);
    expect(manifest.gypfile).toBe(false);
    // tinybench times the report's hardware section (scripts/report/throughput.mjs), which must
    // run from an installed package; it has no dependencies of its own.
    expect(Object.keys(manifest.dependencies ?? {})).toEqual(['tinybench']);
    const tinybench = JSON.parse(readFileSync(join(root, 'node_modules', 'tinybench', 'package.json'), 'utf8'));
    expect(tinybench.dependencies ?? {}).toEqual({});
  });

  it('installed from its tarball into a fresh project, loads the prebuild for this platform on the best ISA, and runs no script', () => {
    const project = join(work, 'project');
    rmSync(project, { recursive: true, force: true });
    mkdirSync(project, { recursive: true });
    writeFileSync(join(project, 'package.json'), '{ "name": "consumer", "private": true }\n');
    // --prefer-offline: the cache from `npm ci` holds tinybench's tarball, not always its
    // registry document, which resolving the tarball's `^` range needs (the registry is reachable).
    const install = spawnSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--foreground-scripts', tarball], { cwd: project, encoding: 'utf8' });
    expect(install.status, install.stderr).toBe(0);
    const installed = join(project, 'node_modules', 'fused-optim');
    expect(readdirSync(join(project, 'node_modules')).filter((d) => !d.startsWith('.')).sort()).toEqual(['fused-optim', 'tinybench']);
    expect(existsSync(join(installed, 'build'))).toBe(false); // npm would have run node-gyp into build/

    const code = `import { backendInfo, AdamW } from 'fused-optim';
      const p = { data: new Float32Array(1000).fill(1), grad: new Float32Array(1000).fill(0.5) };
      new AdamW([p], { lr: 0.1 }).step();
      console.log(JSON.stringify({ ...backendInfo(), theta: p.data[999] }));`;
    const { out, stderr } = json(code, { cwd: project });
    expect(out).toMatchObject({
      name: 'native',
      isa: machineIsas().at(-1),
      addonSource: 'prebuild',
      addonFile: join(installed, 'prebuilds', platform, 'fused_optim.node'),
      addonSkipped: ['no local build'],
    });
    expect(out.theta).toBeCloseTo(1 - 0.1 - 0.1 * 0.01, 6);
    expect(stderr).not.toMatch(/fused-optim build/);
  }, 120_000);

  it("the installed report's throughput code times with tinybench against the probes of the addon instance the package loaded", () => {
    const project = join(work, 'project');
    const code = `import { backendInfo, useIsa } from 'fused-optim';
      import { measureAll, probeAddon, stepTasks, PROBE_WRITE } from './node_modules/fused-optim/scripts/report/throughput.mjs';
      const addon = probeAddon();
      useIsa(backendInfo().isas[0]); // seen by the probe's addon only if it is the package's own instance
      const probe = { isa: addon.info().isa, lowest: backendInfo().isas[0], file: backendInfo().addonFile };
      const tasks = stepTasks(4096, { addon });
      const done = [];
      const spin = () => { const until = performance.now() + 4; while (performance.now() < until); };
      const seconds = measureAll({ AdamW: tasks.AdamW[1], [PROBE_WRITE]: tasks[PROBE_WRITE][1], spin }, { time: 20, iterations: 5, warmup: 1 }, (name) => done.push(name));
      console.log(JSON.stringify({ seconds, done, probe }));`;
    const { out } = json(code, { cwd: project });
    expect(out.probe.file).toBe(join(project, 'node_modules', 'fused-optim', 'prebuilds', platform, 'fused_optim.node'));
    expect(out.probe.isa).toBe(out.probe.lowest);
    expect(out.done).toEqual(['AdamW', 'probe 4r/3w', 'spin']);
    expect(out.seconds.AdamW).toBeGreaterThan(0);
    expect(out.seconds['probe 4r/3w']).toBeGreaterThan(0);
    // seconds, not tinybench's milliseconds: a call that spins for 4 ms is timed at 4 ms or more
    expect(out.seconds.spin).toBeGreaterThanOrEqual(0.004);
    expect(out.seconds.spin).toBeLessThan(1);
  });

  it('`npx fused-optim --version` and `--help` exit 0 with the version and the commands', () => {
    const project = join(work, 'project');
    const version = node([join(project, 'node_modules', '.bin', 'fused-optim'), '--version'], { cwd: project });
    expect(version).toMatchObject({ status: 0, stdout: `${JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version}\n` });
    const help = node([join(project, 'node_modules', '.bin', 'fused-optim'), '--help'], { cwd: project });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/build\s+build the native addon from source/);
    expect(help.stdout).toMatch(/FUSED_OPTIM_ADDON/);
    expect(node([join(project, 'node_modules', '.bin', 'fused-optim'), 'frobnicate'], { cwd: project }).status).toBe(1);
  });
});
