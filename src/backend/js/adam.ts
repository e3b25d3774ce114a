import { Decay, type KernelScalars, type KernelStreams } from '../types';

const f = Math.fround;

// The readable specification of native/kernels/adam.cpp: every operation is rounded to float32
// in the same order, so the native backend reproduces these results bit for bit.
export function adam(t: KernelStreams['adam'], s: KernelScalars['adam']): void {
  const gradScale = f(s.gradScale), l2 = f(s.l2), paramDecay = f(s.paramDecay);
  const omb1 = f(s.oneMinusBeta1), beta2 = f(s.beta2), omb2 = f(s.oneMinusBeta2);
  const stepSize = f(s.stepSize), bc2Sqrt = f(s.bc2Sqrt), eps = f(s.eps);
  const useL2 = s.decay === Decay.L2, decoupled = s.decay === Decay.Decoupled;
  for (let k = 0; k < t.param.length; k++) {
    const p = t.param[k], g = t.grad[k], m = t.expAvg[k], v = t.expAvgSq[k];
    const vmax = s.amsgrad && t.maxExpAvgSq ? t.maxExpAvgSq[k] : null;
    for (let i = 0; i < p.length; i++) {
      let pi = p[i];
      let gi = f(g[i] * gradScale);
      if (useL2) gi = f(gi + f(l2 * pi));
      if (decoupled) pi = f(pi * paramDecay);
      let mi = m[i];
      mi = f(mi + f(omb1 * f(gi - mi))); // lerp(m, g, 1 - beta1), as torch
      const vi = f(f(v[i] * beta2) + f(f(omb2 * gi) * gi));
      let vUsed = vi;
      if (vmax !== null) {
        const prev = vmax[i];
        vUsed = prev > vi ? prev : vi;
        vmax[i] = vUsed;
      }
      const denom = f(f(f(Math.sqrt(vUsed)) / bc2Sqrt) + eps);
      p[i] = f(pi - f(stepSize * f(mi / denom)));
      m[i] = mi;
      v[i] = vi;
    }
  }
}
