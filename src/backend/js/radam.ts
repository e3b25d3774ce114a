import type { KernelScalars, KernelStreams } from '../types';

const f = Math.fround;

/** Specification of native/kernels/radam.cpp. */
export function radam(t: KernelStreams['radam'], s: KernelScalars['radam']): void {
  const gradScale = f(s.gradScale), wd = f(s.weightDecay), omb1 = f(s.oneMinusBeta1), beta2 = f(s.beta2);
  const omb2 = f(s.oneMinusBeta2), bc1 = f(s.bc1), bc2Sqrt = f(s.bc2Sqrt), eps = f(s.eps);
  const lr = f(s.lr), rect = f(s.rect);
  for (let k = 0; k < t.param.length; k++) {
    const p = t.param[k], g = t.grad[k], m = t.expAvg[k], v = t.expAvgSq[k];
    for (let i = 0; i < p.length; i++) {
      const pi = p[i];
      let gi = f(g[i] * gradScale);
      if (s.hasWeightDecay) gi = f(gi + f(wd * pi));
      const mi = f(m[i] + f(omb1 * f(gi - m[i])));
      const vi = f(f(v[i] * beta2) + f(f(omb2 * gi) * gi));
      let update = f(f(mi / bc1) * lr);
      if (s.rectified) {
        const adaptive = f(bc2Sqrt / f(f(Math.sqrt(vi)) + eps));
        update = f(f(update * adaptive) * rect);
      }
      p[i] = f(pi - update);
      m[i] = mi;
      v[i] = vi;
    }
  }
}
