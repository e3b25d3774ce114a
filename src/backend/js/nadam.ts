import type { KernelScalars, KernelStreams } from '../types';

const f = Math.fround;

/** Specification of native/kernels/nadam.cpp. */
export function nadam(t: KernelStreams['nadam'], s: KernelScalars['nadam']): void {
  const gradScale = f(s.gradScale), wd = f(s.weightDecay), omb1 = f(s.oneMinusBeta1), beta2 = f(s.beta2);
  const omb2 = f(s.oneMinusBeta2), bc2 = f(s.bc2), eps = f(s.eps);
  const gradStep = f(s.gradStep), avgStep = f(s.avgStep);
  for (let k = 0; k < t.param.length; k++) {
    const p = t.param[k], g = t.grad[k], m = t.expAvg[k], v = t.expAvgSq[k];
    for (let i = 0; i < p.length; i++) {
      let pi = p[i];
      let gi = f(g[i] * gradScale);
      if (s.hasWeightDecay) gi = f(gi + f(wd * pi));
      const mi = f(m[i] + f(omb1 * f(gi - m[i])));
      const vi = f(f(v[i] * beta2) + f(f(omb2 * gi) * gi));
      const denom = f(f(Math.sqrt(f(vi / bc2))) + eps);
      pi = f(pi - f(gradStep * f(gi / denom)));
      p[i] = f(pi - f(avgStep * f(mi / denom)));
      m[i] = mi;
      v[i] = vi;
    }
  }
}
