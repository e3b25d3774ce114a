// worker_threads: several JS environments in one process, each loading the native addon and
// sharing its thread pool. Steps running at once in different workers must give the bits of the
// same runs one after another, shared-memory parameters must survive a concurrent reader, and a
// worker terminated mid-stepAsync must not take the process down.
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { firstBitDifference } from './helpers';
// @ts-expect-error -- a plain .mjs module shared with the workers (no types)
import { runTrajectory } from './workers/trajectory.mjs';

const WORKER = join(__dirname, 'workers', 'trajectory.mjs');

interface Spec {
  optimizer: string;
  seed: number;
  steps: number;
  lengths: number[];
  async: boolean;
}

function inWorker<T>(workerData: object): { worker: Worker; result: Promise<T> } {
  const worker = new Worker(WORKER, { workerData });
  const result = new Promise<T>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`worker exited (${code}) before answering`)));
  });
  return { worker, result };
}

// Tensors above the 64K-element threshold go through the shared pool; the small ones run inline.
const LENGTHS = [1, 17, 1000, 100_003];
const SPECS: Spec[] = [
  { optimizer: 'AdamW', seed: 1, steps: 12, lengths: LENGTHS, async: false },
  { optimizer: 'LAMB', seed: 2, steps: 12, lengths: LENGTHS, async: true },
  { optimizer: 'SGD', seed: 3, steps: 12, lengths: LENGTHS, async: true },
  { optimizer: 'NAdam', seed: 4, steps: 12, lengths: LENGTHS, async: false },
  { optimizer: 'RMSprop', seed: 5, steps: 12, lengths: LENGTHS, async: true },
  { optimizer: 'Lion', seed: 6, steps: 12, lengths: LENGTHS, async: false },
];

describe('worker_threads', () => {
  it('optimizers stepping at once in six workers give the bits of the same runs done one after another', async () => {
    const sequential: Float32Array[][] = [];
    for (const spec of SPECS) sequential.push(await runTrajectory(spec));
    const runs = SPECS.map((spec) => inWorker<{ backend: { name: string }; result: Float32Array[] }>({ role: 'train', spec }));
    const answers = await Promise.all(runs.map((r) => r.result));
    answers.forEach(({ backend, result }, i) => {
      expect(backend.name).toBe('native');
      expect(result.map((a, k) => firstBitDifference(a, sequential[i][k]))).toEqual(LENGTHS.map(() => -1));
    });
    // The runs really moved the parameters: equal bits are not equal starting points.
    const start: Float32Array[] = await runTrajectory({ ...SPECS[0], steps: 0 });
    expect(firstBitDifference(start[3], sequential[0][3])).not.toBe(-1);
  });

  it('parameters on a SharedArrayBuffer, stepped in one worker while another reads them, end with the sequential bits', async () => {
    const spec: Spec = { optimizer: 'AdamW', seed: 7, steps: 40, lengths: [5, 70_001], async: true };
    const shared = spec.lengths.map((n) => new SharedArrayBuffer(n * 4));
    const initial = spec.lengths.map((n, i) => {
      const values = new Float32Array(n).map((_, k) => Math.sin(k + i));
      new Float32Array(shared[i]).set(values);
      return values;
    });
    const expected: Float32Array[] = await runTrajectory(spec, initial.map((a) => a.slice()));
    const control = new SharedArrayBuffer(8);
    const reader = inWorker<{ reads: number; nonFinite: number }>({ role: 'read', shared, control });
    const trainer = inWorker<{ backend: { name: string } }>({ role: 'train', spec, shared, control });
    const [read, trained] = await Promise.all([reader.result, trainer.result]);
    expect(trained.backend.name).toBe('native');
    expect(read.reads).toBeGreaterThan(0);
    expect(read.nonFinite).toBe(0);
    spec.lengths.forEach((_, i) => expect(firstBitDifference(new Float32Array(shared[i]), expected[i])).toBe(-1));
  });

  it('terminating a worker while its stepAsync runs leaves this process working', async () => {
    const { worker, result } = inWorker<string>({ role: 'start-then-exit', spec: { lengths: [4_000_000] } });
    expect(await result).toBe('started');
    await worker.terminate();
    // The addon and its pool still serve this environment and new workers.
    const again = SPECS[0];
    const [fresh] = await Promise.all([inWorker<{ result: Float32Array[] }>({ role: 'train', spec: again }).result]);
    const sequential: Float32Array[] = await runTrajectory(again);
    expect(fresh.result.map((a, k) => firstBitDifference(a, sequential[k]))).toEqual(LENGTHS.map(() => -1));
  });
});
