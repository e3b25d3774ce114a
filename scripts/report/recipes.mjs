// The optimizers the report trains, each with hyperparameters that suit a small MLP on MNIST at
// batch 64 (the classes' defaults are PyTorch's, several of them tuned for other problems).
import { Adagrad, Adam, AdamW, CosineAnnealingLR, LAMB, LinearLR, Lion, NAdam, RAdam, RMSprop, SequentialLR, SGD } from 'fused-optim';

/**
 * id → { label, make(params, totalSteps) → { optimizer, schedule?, clip? } }. `schedule` is stepped
 * after each optimizer step; `clip` is a max gradient norm.
 */
export const RECIPES = {
  sgd: { label: 'SGD lr 0.1', make: (p) => ({ optimizer: new SGD(p, { lr: 0.1 }) }) },
  nesterov: {
    label: 'SGD Nesterov 0.9, lr 0.05',
    make: (p) => ({ optimizer: new SGD(p, { lr: 0.05, momentum: 0.9, nesterov: true }) }),
  },
  adagrad: { label: 'Adagrad lr 0.02', make: (p) => ({ optimizer: new Adagrad(p, { lr: 0.02 }) }) },
  rmsprop: { label: 'RMSprop lr 1e-3', make: (p) => ({ optimizer: new RMSprop(p, { lr: 1e-3 }) }) },
  adam: { label: 'Adam lr 1e-3', make: (p) => ({ optimizer: new Adam(p, { lr: 1e-3 }) }) },
  adamw: { label: 'AdamW lr 1e-3, wd 0.01', make: (p) => ({ optimizer: new AdamW(p, { lr: 1e-3, weightDecay: 0.01 }) }) },
  'adamw-cosine': {
    label: 'AdamW lr 2e-3, warmup + cosine, clip 1',
    make: (p, totalSteps) => {
      const optimizer = new AdamW(p, { lr: 2e-3, weightDecay: 0.01 });
      const warmup = Math.max(1, Math.round(totalSteps / 10));
      const schedule = new SequentialLR(optimizer, {
        schedulers: [
          new LinearLR(optimizer, { startFactor: 0.05, endFactor: 1, totalIters: warmup }),
          new CosineAnnealingLR(optimizer, { tMax: Math.max(1, totalSteps - warmup), etaMin: 0 }),
        ],
        milestones: [warmup],
      });
      return { optimizer, schedule, clip: 1 };
    },
  },
  nadam: { label: 'NAdam lr 1e-3', make: (p) => ({ optimizer: new NAdam(p, { lr: 1e-3 }) }) },
  radam: { label: 'RAdam lr 1e-3', make: (p) => ({ optimizer: new RAdam(p, { lr: 1e-3 }) }) },
  lamb: { label: 'LAMB lr 5e-3, wd 0.01', make: (p) => ({ optimizer: new LAMB(p, { lr: 5e-3, weightDecay: 0.01 }) }) },
  lion: { label: 'Lion lr 1e-4', make: (p) => ({ optimizer: new Lion(p, { lr: 1e-4 }) }) },
};
