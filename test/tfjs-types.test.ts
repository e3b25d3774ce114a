// Type-level: with the real @tensorflow/tfjs namespace, fusedTrain(tf) type-checks and what it
// returns is a tf.Optimizer to TypeScript too (model.compile accepts it without a cast).
import { beforeAll, describe, expect, it } from 'vitest';
import type * as tfjs from '@tensorflow/tfjs';
import { fusedTrain, type FusedTrain } from '../src/tfjs';
import { tf, useTfBackend } from './tfjs-setup';

describe('fused-optim/tfjs types', () => {
  beforeAll(() => useTfBackend('cpu'));

  it('accepts the tfjs namespace and returns tf.Optimizer-typed optimizers', () => {
    const train: FusedTrain<tfjs.Optimizer> = fusedTrain(tf as typeof tfjs);
    const optimizer: tfjs.Optimizer = train.adam(1e-3);
    const model = (tf as typeof tfjs).sequential({ layers: [(tf as typeof tfjs).layers.dense({ units: 1, inputShape: [2] })] });
    model.compile({ optimizer: train.rmsprop(0.01), loss: 'meanSquaredError' });
    expect(optimizer.getClassName()).toBe('Adam');
    expect(train.adamw({ lr: 1e-3 }).learningRate).toBe(1e-3);
    model.dispose();
  });
});
