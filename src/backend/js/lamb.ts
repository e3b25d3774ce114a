import type { KernelScalars, KernelStreams } from '../types';

const f = Math.fround;

/**
 * Specification of native/kernels/lamb.cpp. Pass 1 updates the moments and measures ||p|| and
 * ||u|| per tensor; pass 2 recomputes u and applies p -= lr · trust · u, trust = ||p|| / ||u||
 * (1 when either is 0).
 */
export function lamb(t: KernelStreams['lamb'], s: KernelScalars['lamb']): void {
  const gradScale = f(s.gradScale), omb1 = f(s.oneMinusBeta1), beta2 = f(s.beta2), omb2 = f(s.oneMinusBeta2);
  const bc1 = f(s.bc1), bc2 = f(s.bc2), eps = f(s.eps), wd = f(s.weightDecay);
  const update = (pi: number, mi: number, vi: number) => {
    const u = f(f(mi / bc1) / f(f(Math.sqrt(f(vi / bc2))) + eps));
    return s.hasWeightDecay ? f(u + f(wd * pi)) : u;
  };
  for (let k = 0; k < t.param.length; k++) {
    const p = t.param[k], g = t.grad[k], m = t.expAvg[k], v = t.expAvgSq[k];
    let paramSq = 0, updateSq = 0;
    for (let i = 0; i < p.length; i++) {
      const gi = f(g[i] * gradScale);
      const mi = f(m[i] + f(omb1 * f(gi - m[i])));
      const vi = f(f(v[i] * beta2) + f(f(omb2 * gi) * gi));
      m[i] = mi;
      v[i] = vi;
      const u = update(p[i], mi, vi);
      paramSq += p[i] * p[i];
      updateSq += u * u;
    }
    const step = f(paramSq > 0 && updateSq > 0 ? s.lr * (Math.sqrt(paramSq) / Math.sqrt(updateSq)) : s.lr);
    for (let i = 0; i < p.length; i++) p[i] = f(p[i] - f(step * update(p[i], m[i], v[i])));
  }
}
