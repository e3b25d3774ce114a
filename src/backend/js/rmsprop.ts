import type { KernelScalars, KernelStreams } from '../types';

const f = Math.fround;

/** Specification of native/kernels/rmsprop.cpp. */
export function rmsprop(t: KernelStreams['rmsprop'], s: KernelScalars['rmsprop']): void {
  const gradScale = f(s.gradScale), wd = f(s.weightDecay), alpha = f(s.alpha), oma = f(s.oneMinusAlpha);
  const eps = f(s.eps), lr = f(s.lr), momentum = f(s.momentum);
  for (let k = 0; k < t.param.length; k++) {
    const p = t.param[k], g = t.grad[k], sq = t.squareAvg[k];
    const ga = s.centered && t.gradAvg ? t.gradAvg[k] : null;
    const buf = s.hasMomentum && t.momentumBuffer ? t.momentumBuffer[k] : null;
    for (let i = 0; i < p.length; i++) {
      const pi = p[i];
      let gi = f(g[i] * gradScale);
      if (s.hasWeightDecay) gi = f(gi + f(wd * pi));
      const sqi = f(f(sq[i] * alpha) + f(f(oma * gi) * gi));
      sq[i] = sqi;
      let avg = f(Math.sqrt(sqi));
      if (ga !== null) {
        const gai = f(ga[i] + f(oma * f(gi - ga[i])));
        ga[i] = gai;
        avg = f(Math.sqrt(f(sqi - f(gai * gai))));
      }
      avg = f(avg + eps);
      if (buf !== null) {
        const b = f(f(buf[i] * momentum) + f(gi / avg));
        buf[i] = b;
        p[i] = f(pi - f(lr * b));
      } else {
        p[i] = f(pi - f(lr * f(gi / avg)));
      }
    }
  }
}
