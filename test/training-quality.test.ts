// Training quality of the low-memory state formats on a real task: the same MLP (101,770
// parameters), the same data order and the same initialization on real MNIST digits, trained
// with AdamW whose state is float32, bfloat16 or int8. The stored formats must reach a final
// validation accuracy within 0.5 points and a final validation loss within 3% of float32.
import { describe, expect, it } from 'vitest';
import { AdamW } from '../src';
import { rng } from './helpers';
import { loadMnist, makeMlp } from './support/mnist-mlp';

const EPOCHS = 1, BATCH = 32;

const { train: ordered, validation } = loadMnist();
// One fixed shuffle (Fisher-Yates, seeded), the same for every format.
const samples = ordered.slice();
const random = rng(3);
for (let i = samples.length - 1; i > 0; i--) {
  const j = Math.floor(random() * (i + 1));
  [samples[i], samples[j]] = [samples[j], samples[i]];
}

async function train(stateDtype: 'float32' | 'bfloat16' | 'int8') {
  const mlp = makeMlp(42);
  const opt = new AdamW(mlp.params, { lr: 1e-3, weightDecay: 0.01, stateDtype });
  for (let epoch = 0; epoch < EPOCHS; epoch++)
    for (let at = 0, step = 0; at + BATCH <= samples.length; at += BATCH, step++) {
      mlp.lossAndGrad(samples.slice(at, at + BATCH));
      opt.step();
      // Let the event loop turn now and then: vitest's worker messages time out after 60 s.
      if (step % 25 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    }
  return { ...mlp.evaluate(validation), stateBytes: opt.stateBytes(), parameters: mlp.params.reduce((n, p) => n + p.data.length, 0) };
}

describe('AdamW on MNIST digits (784-128-10 MLP, one epoch of 8000 digits in batches of 32, 2000 held out)', () => {
  it('bfloat16 and int8 state end within 0.5 accuracy points and 3% loss of float32, with half and about a quarter of its memory', async () => {
    const f32 = await train('float32'), bf16 = await train('bfloat16'), int8 = await train('int8');
    expect(f32.parameters).toBeGreaterThanOrEqual(100_000);
    expect(f32.accuracy).toBeGreaterThan(88); // the task is learnt at all
    for (const other of [bf16, int8]) {
      expect(Math.abs(other.accuracy - f32.accuracy)).toBeLessThanOrEqual(0.5);
      expect(Math.abs(other.loss - f32.loss) / f32.loss).toBeLessThanOrEqual(0.03);
    }
    expect(bf16.stateBytes).toBe(f32.stateBytes / 2);
    expect(int8.stateBytes).toBeLessThan(f32.stateBytes * 0.27);
  }, 120_000);
});
