// Crash-safe checkpoint files: saveCheckpoint / loadCheckpoint (and the sync forms), including
// a process killed with SIGKILL while it saves, many times over (scripts/checkpoint-kill.mjs).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Adam, loadCheckpoint, loadCheckpointSync, saveCheckpoint, saveCheckpointSync, serializeState } from '../src';

/** Kills in the test; `node scripts/checkpoint-kill.mjs` runs 200 by default. */
export const KILLS_IN_TEST = 12;

const dir = mkdtempSync(join(tmpdir(), 'fused-optim-ckpt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const root = join(__dirname, '..');

function trainedAdam() {
  const p = { data: new Float32Array([1, 2, 3]), grad: new Float32Array([0.1, -0.2, 0.3]) };
  const opt = new Adam([p]);
  opt.step();
  return { p, opt };
}

describe('saveCheckpoint / loadCheckpoint', () => {
  it('async: what is saved loads back bit-exact, and no temporary file stays', async () => {
    const path = join(dir, 'a.ckpt');
    const { p, opt } = trainedAdam();
    await saveCheckpoint(path, { optimizer: opt.stateDict(), weights: [p.data], epoch: 3 });
    const back = await loadCheckpoint<{ optimizer: ReturnType<Adam['stateDict']>; weights: Float32Array[]; epoch: number }>(path);
    expect(back).toEqual({ optimizer: opt.stateDict(), weights: [p.data], epoch: 3 });
    expect(readFileSync(path)).toEqual(Buffer.from(serializeState({ optimizer: opt.stateDict(), weights: [p.data], epoch: 3 })));
    expect(readdirSync(dir).filter((f) => f.includes('a.ckpt'))).toEqual(['a.ckpt']);
  });

  it('sync: the same, and a second save replaces the first', () => {
    const path = join(dir, 'b.ckpt');
    saveCheckpointSync(path, { v: 1 });
    saveCheckpointSync(path, { v: 2, t: new Float32Array([5]) });
    expect(loadCheckpointSync(path)).toEqual({ v: 2, t: new Float32Array([5]) });
    expect(readdirSync(dir).filter((f) => f.includes('b.ckpt'))).toEqual(['b.ckpt']);
  });

  it('a value that cannot be saved changes no file and leaves no temporary file', async () => {
    const path = join(dir, 'c.ckpt');
    saveCheckpointSync(path, { v: 1 });
    expect(() => saveCheckpointSync(path, { m: new Map() })).toThrow(/stateDict\.m is a Map/);
    await expect(saveCheckpoint(path, { s: new Set() })).rejects.toThrow(TypeError);
    expect(loadCheckpointSync(path)).toEqual({ v: 1 });
    expect(readdirSync(dir).filter((f) => f.includes('c.ckpt'))).toEqual(['c.ckpt']);
  });

  it('a truncated file is a RangeError naming the file and saying "truncated"', async () => {
    const path = join(dir, 'd.ckpt');
    saveCheckpointSync(path, { t: new Float32Array(100) });
    truncateSync(path, 200);
    expect(() => loadCheckpointSync(path)).toThrow(RangeError);
    expect(() => loadCheckpointSync(path)).toThrow(`${path}: truncated checkpoint`);
    await expect(loadCheckpoint(path)).rejects.toThrow(/truncated checkpoint/);
  });

  it('a missing file is the usual ENOENT error', async () => {
    await expect(loadCheckpoint(join(dir, 'none.ckpt'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(() => loadCheckpointSync(join(dir, 'none.ckpt'))).toThrow(/ENOENT/);
  });

  it('a folder that does not exist is an error, and nothing is created', () => {
    expect(() => saveCheckpointSync(join(dir, 'no', 'such', 'x.ckpt'), { v: 1 })).toThrow(/ENOENT/);
  });

  it('a path that is not a string is a TypeError', async () => {
    expect(() => saveCheckpointSync(3 as never, {})).toThrow(TypeError);
    await expect(loadCheckpoint('' as never)).rejects.toThrow(TypeError);
  });

  it('temporary files of a process that died are removed by the next save; those of live processes and other files stay', () => {
    const path = join(dir, 'e.ckpt');
    const host = hostname();
    const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' }).stdout.trim();
    const stale = `.e.ckpt.${host}.${dead}.abc.tmp`;
    const live = `.e.ckpt.${host}.${process.ppid}.abc.tmp`;
    const other = `.e.ckpt.otherhost.${dead}.abc.tmp`;
    for (const f of [stale, live, other]) writeFileSync(join(dir, f), 'partial');
    saveCheckpointSync(path, { v: 1 });
    const left = readdirSync(dir).filter((f) => f.includes('e.ckpt'));
    expect(left.sort()).toEqual([live, other, 'e.ckpt'].sort());
    expect(loadCheckpointSync(path)).toEqual({ v: 1 });
  });
});

describe('a process killed with SIGKILL while it saves', () => {
  it(`${KILLS_IN_TEST} times: the checkpoint always loads, whole, and is the last one seen or a later one`, () => {
    const r = spawnSync(process.execPath, ['scripts/checkpoint-kill.mjs', String(KILLS_IN_TEST), '--json'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const result = JSON.parse(r.stdout.trim().split('\n').at(-1) as string);
    expect(result.kills).toBe(KILLS_IN_TEST);
    expect(result.generations).toBeGreaterThan(0); // some saves completed between kills
    expect(result.leftoverFiles).toBe(0);
  }, 130_000);
});
