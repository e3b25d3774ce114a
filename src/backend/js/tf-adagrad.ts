import type { KernelScalars, KernelStreams } from '../types';

const f = Math.fround;

/** Specification of native/kernels/tf_adagrad.cpp: tf.train.adagrad's update, in float32. */
export function tfAdagrad(t: KernelStreams['tf_adagrad'], s: KernelScalars['tf_adagrad']): void {
  const gradScale = f(s.gradScale), eps = f(s.eps), lr = f(s.lr);
  for (let k = 0; k < t.param.length; k++) {
    const p = t.param[k], g = t.grad[k], acc = t.accumulator[k];
    for (let i = 0; i < p.length; i++) {
      const gi = f(g[i] * gradScale);
      const ai = f(acc[i] + f(gi * gi));
      p[i] = f(p[i] - f(f(gi / f(Math.sqrt(f(ai + eps)))) * lr));
      acc[i] = ai;
    }
  }
}
