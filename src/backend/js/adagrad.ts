import type { KernelScalars, KernelStreams } from '../types';

const f = Math.fround;

/** Specification of native/kernels/adagrad.cpp. */
export function adagrad(t: KernelStreams['adagrad'], s: KernelScalars['adagrad']): void {
  const gradScale = f(s.gradScale), wd = f(s.weightDecay), clr = f(s.clr), eps = f(s.eps);
  for (let k = 0; k < t.param.length; k++) {
    const p = t.param[k], g = t.grad[k], sum = t.sum[k];
    for (let i = 0; i < p.length; i++) {
      const pi = p[i];
      let gi = f(g[i] * gradScale);
      if (s.hasWeightDecay) gi = f(gi + f(wd * pi));
      const si = f(sum[i] + f(gi * gi));
      const denom = f(f(Math.sqrt(si)) + eps);
      sum[i] = si;
      p[i] = f(pi - f(clr * f(gi / denom)));
    }
  }
}
