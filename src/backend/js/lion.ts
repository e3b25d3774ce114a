import type { KernelScalars, KernelStreams } from '../types';

const f = Math.fround;

/** Specification of native/kernels/lion.cpp. */
export function lion(t: KernelStreams['lion'], s: KernelScalars['lion']): void {
  const gradScale = f(s.gradScale), paramDecay = f(s.paramDecay), lr = f(s.lr);
  const beta1 = f(s.beta1), omb1 = f(s.oneMinusBeta1), beta2 = f(s.beta2), omb2 = f(s.oneMinusBeta2);
  for (let k = 0; k < t.param.length; k++) {
    const p = t.param[k], g = t.grad[k], m = t.expAvg[k];
    for (let i = 0; i < p.length; i++) {
      const gi = f(g[i] * gradScale), mi = m[i];
      const c = f(f(beta1 * mi) + f(omb1 * gi));
      const sign = c > 0 ? 1 : c < 0 ? -1 : c; // keeps ±0 and NaN
      p[i] = f(f(p[i] * paramDecay) - f(lr * sign));
      m[i] = f(f(beta2 * mi) + f(omb2 * gi));
    }
  }
}
