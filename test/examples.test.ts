// The shipped examples run as a user would run them, and do what they say.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCheckpointSync } from '../src';

const root = join(__dirname, '..');

describe('examples/train-mlp.mjs', () => {
  it('trains, stops early, checkpoints the best epoch with saveCheckpoint and resumes it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fused-optim-example-'));
    try {
      const file = join(dir, 'best.ckpt');
      // What an earlier run killed while saving would have left: saveCheckpoint clears it away.
      const deadPid = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' }).stdout.trim();
      writeFileSync(join(dir, `.best.ckpt.${hostname()}.${deadPid}.0a1b2c.tmp`), 'half a checkpoint');
      const r = spawnSync(process.execPath, [join(root, 'examples', 'train-mlp.mjs'), file], { cwd: root, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      expect(existsSync(file)).toBe(true);
      const stop = /early stop: .* best epoch (\d+)/.exec(r.stdout);
      expect(stop).not.toBeNull();
      const restored = /restored epoch (\d+) .*: validation loss ([\d.]+), accuracy ([\d.]+)%/.exec(r.stdout);
      expect(restored?.[1]).toBe(stop?.[1]);
      expect(Number(restored?.[3])).toBeGreaterThan(90);
      // The restored weights give the validation loss the best epoch logged.
      const logged = new RegExp(`epoch +${restored?.[1]} .*validation loss ([\\d.]+)`).exec(r.stdout);
      if (logged) expect(logged[1]).toBe(restored?.[2]);
      // The file is a checkpoint of the best epoch (weights, AdamW state and schedule), and no
      // temporary file is left beside it.
      const saved = loadCheckpointSync<{ epoch: number; weights: Record<string, Float32Array>; optimizer: { type: string }; schedule: object }>(file);
      expect(saved.epoch).toBe(Number(stop?.[1]));
      expect(Object.keys(saved.weights)).toEqual(['w1', 'b1', 'w2', 'b2']);
      expect(saved.weights.w1).toBeInstanceOf(Float32Array);
      expect(saved.optimizer.type).toBe('AdamW');
      expect(saved.schedule).toBeTypeOf('object');
      expect(readdirSync(dir)).toEqual(['best.ckpt']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
