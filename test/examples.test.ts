// The shipped examples run as a user would run them, and do what they say.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(__dirname, '..');

describe('examples/train-mlp.mjs', () => {
  it('trains, stops early, checkpoints the best epoch and resumes it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fused-optim-example-'));
    try {
      const file = join(dir, 'best.ckpt');
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
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
