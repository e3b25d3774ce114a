#!/usr/bin/env node
// Builds the prebuilt addons shipped in the npm package, prebuilds/linux-{x64,arm64}/fused_optim.node,
// in a Debian bullseye chroot (glibc 2.31, GCC 10) so that they load on every glibc ≥ 2.17 distribution
// (Debian 10+, Ubuntu 18.04+, RHEL 8+, Amazon Linux 2): libstdc++ and libgcc are linked statically,
// and the script refuses a binary that asks for a newer symbol version than GLIBC_2.17 / GLIBCXX_3.4.22.
//
//   npm run prebuilds          (as root: debootstrap and chroot; about 2 minutes warm, 5-10 cold)
//
// The chroot is cached outside the repository (FUSED_OPTIM_CACHE, default ~/.cache/fused-optim) and
// created on the first run with `debootstrap --variant=minbase bullseye` from DEBIAN_MIRROR. The
// sources are compiled by CMakeLists.txt itself (the same source lists and per-ISA flags as
// `npx fused-optim build`), with the Node-API headers of the node-addon-api and node-api-headers
// packages in node_modules: nothing is downloaded from nodejs.org. The arm64 build uses bullseye's
// cross compiler. Builds are incremental (make, in build folders kept in the chroot; `--clean` starts
// afresh); fixed paths, no debug info and a stripped output make them byte-identical to a clean
// build (`--twice` also builds each binary from scratch and compares).
//
// It writes prebuilds/inputs.sha256, the SHA-256 of every input below; a test compares it with the
// current sources, so a kernel changed without rebuilding the prebuilds cannot go unnoticed. Then it
// runs scripts/smoke-prebuilds.mjs (arm64 under qemu-user against x64 and the TS backend) unless
// `--no-smoke`.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Per target: Node's arch name, the CMake processor, the compiler in the chroot. */
export const TARGETS = {
  x64: { processor: 'x86_64', compiler: 'g++', machine: 'Advanced Micro Devices X86-64' },
  arm64: { processor: 'aarch64', compiler: 'aarch64-linux-gnu-g++', machine: 'AArch64' },
};
/** The newest symbol versions a prebuild may need: glibc 2.17 (CentOS 7 / the first arm64 glibc). */
export const MAX_VERSIONS = { GLIBC: '2.17', GLIBCXX: '3.4.22' };
const CHROOT_PACKAGES = ['g++', 'g++-aarch64-linux-gnu', 'cmake', 'make', 'binutils'];
const LINK_FLAGS = '-static-libstdc++ -static-libgcc -s';

function headerDirs() {
  const nodeModules = join(root, 'node_modules');
  return {
    'node-api-headers': join(nodeModules, 'node-api-headers', 'include'),
    'node-addon-api': join(nodeModules, 'node-addon-api'),
  };
}

function filesUnder(dir, keep = () => true) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile() && keep(f))
    .sort();
}

/**
 * Every file that goes into the binaries, in a fixed order (also what the staleness test hashes):
 * native/** but the wasm build, the CMake file with the flags, this script, the Node-API headers.
 */
export function prebuildInputs() {
  const native = filesUnder(join(root, 'native'), (f) => !relative(join(root, 'native'), f).startsWith('wasm'));
  const headers = Object.values(headerDirs()).flatMap((d) => filesUnder(d, (f) => f.endsWith('.h')));
  return [...native, join(root, 'CMakeLists.txt'), fileURLToPath(import.meta.url), ...headers].map((f) =>
    relative(root, f).split('\\').join('/'),
  );
}

export function inputsHash() {
  const hash = createHash('sha256');
  for (const file of prebuildInputs()) hash.update(file).update('\0').update(readFileSync(join(root, file))).update('\0');
  return hash.digest('hex');
}

/** The newest GLIBC_ and GLIBCXX_ versions an ELF file needs, from `readelf -V` (any architecture). */
export function neededVersions(file) {
  const r = spawnSync('readelf', ['-V', '--wide', file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`readelf -V ${file} failed: ${r.stderr || r.error?.message}`);
  const newest = {};
  for (const [, lib, version] of r.stdout.matchAll(/Name: (GLIBCXX|GLIBC)_([0-9.]+)/g))
    if (newest[lib] === undefined || compareVersions(version, newest[lib]) > 0) newest[lib] = version;
  return newest;
}

export function compareVersions(a, b) {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

function sha256(file) {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

function run(command, args, options = {}) {
  const r = spawnSync(command, args, { stdio: 'inherit', ...options });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`})`);
  return r;
}

/** Runs a shell command inside the chroot with a clean, fixed environment. */
function inChroot(chroot, script, options = {}) {
  return run('chroot', [chroot, '/bin/sh', '-ec', script], {
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root', LC_ALL: 'C', DEBIAN_FRONTEND: 'noninteractive', SOURCE_DATE_EPOCH: '0' },
    ...options,
  });
}

function ensureChroot(chroot, mirror) {
  const bootstrapped = join(chroot, '.fused-optim-bootstrapped');
  if (!existsSync(bootstrapped)) {
    console.log(`== creating the bullseye chroot in ${chroot} (debootstrap from ${mirror}, a few minutes)`);
    rmSync(chroot, { recursive: true, force: true });
    mkdirSync(dirname(chroot), { recursive: true });
    run('debootstrap', ['--variant=minbase', 'bullseye', chroot, mirror]);
    writeFileSync(bootstrapped, `${mirror}\n`);
  }
  const toolsMarker = join(chroot, '.fused-optim-packages');
  const wanted = `${CHROOT_PACKAGES.join(' ')}\n`;
  if (!existsSync(toolsMarker) || readFileSync(toolsMarker, 'utf8') !== wanted) {
    console.log(`== installing ${CHROOT_PACKAGES.join(' ')} in the chroot`);
    cpSync('/etc/resolv.conf', join(chroot, 'etc', 'resolv.conf'), { dereference: true });
    inChroot(chroot, `apt-get update -q && apt-get install -y -q --no-install-recommends ${CHROOT_PACKAGES.join(' ')} && apt-get clean`);
    writeFileSync(toolsMarker, wanted);
  }
}

/**
 * Mirrors what CMakeLists.txt needs into /fused-optim/src in the chroot, rewriting only the files
 * whose content changed (and deleting the ones gone), so that make rebuilds only what changed.
 */
function stageSources(chroot) {
  const src = join(chroot, 'fused-optim', 'src');
  const wanted = new Map([[join(src, 'CMakeLists.txt'), join(root, 'CMakeLists.txt')]]);
  for (const f of filesUnder(join(root, 'native'), (x) => !relative(join(root, 'native'), x).startsWith('wasm')))
    wanted.set(join(src, relative(root, f)), f);
  for (const [name, dir] of Object.entries(headerDirs())) {
    if (!existsSync(dir)) throw new Error(`${dir} is missing: run npm ci first`);
    for (const f of filesUnder(dir, (x) => x.endsWith('.h'))) wanted.set(join(src, 'include', name, relative(dir, f)), f);
  }
  let changed = 0;
  for (const [to, from] of wanted) {
    const content = readFileSync(from);
    if (existsSync(to) && readFileSync(to).equals(content)) continue;
    mkdirSync(dirname(to), { recursive: true });
    writeFileSync(to, content);
    changed++;
  }
  for (const f of filesUnder(src)) if (!wanted.has(f)) rmSync(f), changed++;
  console.log(`== sources staged in ${src}: ${changed} of ${wanted.size} files changed since the last run`);
}

function buildOne(chroot, arch, buildDir, clean) {
  const { processor, compiler } = TARGETS[arch];
  const cross = arch === 'x64' ? '' : `-DCMAKE_SYSTEM_NAME=Linux -DCMAKE_SYSTEM_PROCESSOR=${processor} `;
  inChroot(
    chroot,
    `${clean ? `rm -rf ${buildDir}` : ':'}
     echo "   $(${compiler} --version | head -n1)"
     cmake -S /fused-optim/src -B ${buildDir} -DCMAKE_BUILD_TYPE=Release ${cross}-DCMAKE_CXX_COMPILER=${compiler} \\
       '-DCMAKE_JS_INC=/fused-optim/src/include/node-api-headers;/fused-optim/src/include/node-addon-api' \\
       '-DCMAKE_SHARED_LINKER_FLAGS=${LINK_FLAGS}' > ${buildDir}.configure.log 2>&1 || { tail -n 40 ${buildDir}.configure.log; exit 1; }
     cmake --build ${buildDir} -j ${cpuCount()} > ${buildDir}.build.log 2>&1 || { tail -n 80 ${buildDir}.build.log; exit 1; }
     echo "   compiled $(grep -c 'Building CXX' ${buildDir}.build.log) files$(grep -q 'Linking CXX' ${buildDir}.build.log && echo ', linked' || echo ', nothing to link')"`,
  );
  return join(chroot, buildDir, 'fused_optim.node');
}

function cpuCount() {
  return Number(spawnSync('nproc', [], { encoding: 'utf8' }).stdout.trim()) || 2;
}

function checkBinary(file, arch) {
  const header = spawnSync('readelf', ['-h', file], { encoding: 'utf8' }).stdout;
  if (!header.includes(TARGETS[arch].machine)) throw new Error(`${file} is not a ${arch} binary:\n${header}`);
  const versions = neededVersions(file);
  for (const [lib, max] of Object.entries(MAX_VERSIONS))
    if (versions[lib] !== undefined && compareVersions(versions[lib], max) > 0)
      throw new Error(`${file} needs ${lib}_${versions[lib]}, newer than ${lib}_${max}`);
  const needed = [...spawnSync('readelf', ['-d', file], { encoding: 'utf8' }).stdout.matchAll(/\(NEEDED\).*\[(.+)\]/g)].map((m) => m[1]);
  return { versions, needed };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const twice = args.includes('--twice');
  const fromScratch = args.includes('--clean');
  const smoke = !args.includes('--no-smoke');
  const cache = process.env.FUSED_OPTIM_CACHE ?? join(homedir(), '.cache', 'fused-optim');
  const mirror = process.env.DEBIAN_MIRROR ?? 'http://deb.debian.org/debian';
  const chroot = join(cache, 'bullseye');
  const started = Date.now();
  try {
    if (process.getuid?.() !== 0) throw new Error('debootstrap and chroot need root: run this as root (sudo npm run prebuilds)');
    ensureChroot(chroot, mirror);
    stageSources(chroot);
    for (const arch of Object.keys(TARGETS)) {
      console.log(`== linux-${arch}: CMakeLists.txt in the bullseye chroot, ${LINK_FLAGS}`);
      const built = buildOne(chroot, arch, `/fused-optim/build-${arch}`, fromScratch);
      if (twice) {
        const again = buildOne(chroot, arch, `/fused-optim/build-${arch}-again`, true);
        if (sha256(again) !== sha256(built)) throw new Error(`linux-${arch}: two builds of the same sources differ (${built}, ${again})`);
        console.log('   rebuilt: byte-identical');
      }
      const { versions, needed } = checkBinary(built, arch);
      const out = join(root, 'prebuilds', `linux-${arch}`, 'fused_optim.node');
      const previous = existsSync(out) ? sha256(out) : null;
      mkdirSync(dirname(out), { recursive: true });
      cpSync(built, out);
      const hash = sha256(out);
      console.log(`   needs ${Object.entries(versions).map(([l, v]) => `${l}_${v}`).join(', ') || 'no versioned symbols'}; links ${needed.join(' ')}`);
      console.log(`   wrote ${relative(root, out)} (${statSync(out).size} bytes, sha256 ${hash.slice(0, 16)}…, ${previous === hash ? 'identical to the previous one' : previous ? 'changed' : 'new'})`);
    }
    writeFileSync(join(root, 'prebuilds', 'inputs.sha256'), `${inputsHash()}\n`);
    console.log(`== wrote prebuilds/inputs.sha256 (${prebuildInputs().length} input files)`);
    if (smoke) run(process.execPath, [join(root, 'scripts', 'smoke-prebuilds.mjs')]);
    console.log(`== done in ${Math.round((Date.now() - started) / 1000)} s`);
  } catch (e) {
    console.error(`fused-optim: prebuilds not built: ${e.message}`);
    process.exit(1);
  }
}
