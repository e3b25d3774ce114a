import type { KernelScalars, KernelStreams } from '../types';

const f = Math.fround;

/** Specification of native/kernels/adadelta.cpp. */
export function adadelta(t: KernelStreams['adadelta'], s: KernelScalars['adadelta']): void {
  const gradScale = f(s.gradScale), wd = f(s.weightDecay), rho = f(s.rho), omr = f(s.oneMinusRho);
  const eps = f(s.eps), lr = f(s.lr);
  for (let k = 0; k < t.param.length; k++) {
    const p = t.param[k], g = t.grad[k], sq = t.squareAvg[k], acc = t.accDelta[k];
    for (let i = 0; i < p.length; i++) {
      const pi = p[i];
      let gi = f(g[i] * gradScale);
      if (s.hasWeightDecay) gi = f(gi + f(wd * pi));
      const sqi = f(f(sq[i] * rho) + f(f(omr * gi) * gi));
      const denom = f(Math.sqrt(f(sqi + eps)));
      const ai = acc[i];
      const delta = f(f(f(Math.sqrt(f(ai + eps))) / denom) * gi);
      sq[i] = sqi;
      acc[i] = f(f(ai * rho) + f(f(omr * delta) * delta));
      p[i] = f(pi - f(lr * delta));
    }
  }
}
