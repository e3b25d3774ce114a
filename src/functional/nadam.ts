import type { StreamCache } from '../backend/types';
import { type AdamLikeCallOptions, checkAdamLike, momentStreams } from './adam-like';
import { planKernelCall, type PlannedUpdate } from './planned-update';
import { checkNumber } from './validate';

export interface NadamCallOptions extends AdamLikeCallOptions {
  /** psi of the momentum schedule mu_t = beta1 * (1 - 0.5 * 0.96^(t * psi)). */
  momentumDecay: number;
  /** Product of μ_1 … μ_{step-1} (1 at the first step); nadam() returns the product through μ_step. */
  muProduct: number;
}

const f = Math.fround;

/**
 * NAdam over many tensors with PyTorch 2.x's μ schedule. (torch 1.13 multiplied μ_t into the
 * next product twice; 2.0 fixed it. This follows 2.x, which keeps the product in float32.)
 */
export function planNadam(
  params: Float32Array[],
  grads: Float32Array[],
  expAvgs: Float32Array[],
  expAvgSqs: Float32Array[],
  options: NadamCallOptions,
  cache?: StreamCache,
): { run: PlannedUpdate; muProduct: number } {
  const { lr, weightDecay, gradScale, step, beta1, beta2, eps } = checkAdamLike(options);
  const momentumDecay = checkNumber('momentumDecay', options.momentumDecay, { min: 0 });
  const previous = checkNumber('muProduct', options.muProduct, { min: 0, max: 1 });
  const [param, grad, expAvg, expAvgSq] = momentStreams(params, grads, ['expAvgs', expAvgs], ['expAvgSqs', expAvgSqs], cache);
  const mu = beta1 * (1 - 0.5 * 0.96 ** (step * momentumDecay));
  const muNext = beta1 * (1 - 0.5 * 0.96 ** ((step + 1) * momentumDecay));
  const muProduct = f(f(previous) * f(mu));
  const muProductNext = muProduct * muNext;
  const run = planKernelCall(
    'nadam',
    { param, grad, expAvg, expAvgSq },
    {
      gradScale, weightDecay, hasWeightDecay: weightDecay !== 0, oneMinusBeta1: 1 - beta1, beta2,
      oneMinusBeta2: 1 - beta2, bc2: 1 - beta2 ** step, eps,
      gradStep: (lr * (1 - mu)) / (1 - muProduct),
      avgStep: (lr * muNext) / (1 - muProductNext),
    },
    cache,
  );
  return { run, muProduct };
}

/** Runs one NAdam update; returns the μ product to pass as muProduct next step. */
export function nadam(
  params: Float32Array[],
  grads: Float32Array[],
  expAvgs: Float32Array[],
  expAvgSqs: Float32Array[],
  options: NadamCallOptions,
): number {
  const { run, muProduct } = planNadam(params, grads, expAvgs, expAvgSqs, options);
  run();
  return muProduct;
}
