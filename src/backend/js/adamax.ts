import type { KernelScalars, KernelStreams } from '../types';

const f = Math.fround;

/** Specification of native/kernels/adamax.cpp. */
export function adamax(t: KernelStreams['adamax'], s: KernelScalars['adamax']): void {
  const gradScale = f(s.gradScale), wd = f(s.weightDecay), omb1 = f(s.oneMinusBeta1), beta2 = f(s.beta2);
  const eps = f(s.eps), clr = f(s.clr);
  for (let k = 0; k < t.param.length; k++) {
    const p = t.param[k], g = t.grad[k], m = t.expAvg[k], u = t.expInf[k];
    for (let i = 0; i < p.length; i++) {
      const pi = p[i];
      let gi = f(g[i] * gradScale);
      if (s.hasWeightDecay) gi = f(gi + f(wd * pi));
      const mi = f(m[i] + f(omb1 * f(gi - m[i])));
      const decayed = f(u[i] * beta2), fresh = f(Math.abs(gi) + eps);
      const ui = decayed > fresh ? decayed : fresh;
      m[i] = mi;
      u[i] = ui;
      p[i] = f(pi - f(clr * f(mi / ui)));
    }
  }
}
