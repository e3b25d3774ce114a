// One package instance: a process that loads both the ESM and the CommonJS entry (two bundles of
// the same source) has one backend choice, whichever entry sets it.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(__dirname, '..');

function run(code: string) {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
    cwd: root,
    env: { ...process.env, FUSED_OPTIM_BACKEND: '', FUSED_OPTIM_ISA: '', FUSED_OPTIM_THREADS: '' },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`child failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1) as string);
}

const BOTH = `import * as esm from 'fused-optim';
  import { createRequire } from 'node:module';
  const cjs = createRequire(process.cwd() + '/package.json')('fused-optim');
  const seen = [];
  const look = () => seen.push([esm.backendInfo().name, cjs.backendInfo().name]);`;

describe('the ESM and CommonJS entries in one process', () => {
  it('are two module instances (so the test means something)', () => {
    expect(run(`${BOTH} console.log(JSON.stringify(esm.AdamW === cjs.AdamW));`)).toBe(false);
  });

  it('share the backend choice: useBackend through either holds for both', () => {
    const out = run(`${BOTH}
      look();
      esm.useBackend('wasm'); look();
      cjs.useBackend('js'); look();
      cjs.useBackend('native'); look();
      console.log(JSON.stringify(seen));`);
    expect(out).toEqual([['native', 'native'], ['wasm', 'wasm'], ['js', 'js'], ['native', 'native']]);
  });

  it('share threads and the ISA', () => {
    const out = run(`${BOTH}
      cjs.setThreads(1);
      const isas = esm.backendInfo().isas;
      esm.useIsa(isas[0]);
      console.log(JSON.stringify([cjs.backendInfo().threads, cjs.backendInfo().isa, isas[0]]));`);
    expect(out[0]).toBe(1);
    expect(out[1]).toBe(out[2]);
  });

  it('a CommonJS optimizer steps on the backend the ESM entry chose, with the same bits', () => {
    const out = run(`${BOTH}
      const step = (f) => { const p = { data: new Float32Array([1, 2, 3]), grad: new Float32Array([0.1, -0.2, 0.3]) };
        new f.AdamW([p], { lr: 0.1 }).step(); return Array.from(p.data); };
      esm.useBackend('js');
      const js = step(cjs);
      const name = cjs.backendInfo().name;
      esm.useBackend('native');
      console.log(JSON.stringify({ name, same: JSON.stringify(js) === JSON.stringify(step(cjs)) }));`);
    expect(out).toEqual({ name: 'js', same: true });
  });
});
