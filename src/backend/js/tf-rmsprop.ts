import type { KernelScalars, KernelStreams } from '../types';

const f = Math.fround;

/** Specification of native/kernels/tf_rmsprop.cpp: tf.train.rmsprop's update, in float32. */
export function tfRmsprop(t: KernelStreams['tf_rmsprop'], s: KernelScalars['tf_rmsprop']): void {
  const gradScale = f(s.gradScale), alpha = f(s.alpha), oma = f(s.oneMinusAlpha), momentum = f(s.momentum);
  const eps = f(s.eps), lr = f(s.lr);
  for (let k = 0; k < t.param.length; k++) {
    const p = t.param[k], g = t.grad[k], ms = t.ms[k], mom = t.mom[k];
    const mg = s.centered && t.mg ? t.mg[k] : null;
    for (let i = 0; i < p.length; i++) {
      const gi = f(g[i] * gradScale);
      const msi = f(f(ms[i] * alpha) + f(f(gi * gi) * oma));
      let denom = f(msi + eps);
      if (mg !== null) {
        const mgi = f(f(mg[i] * alpha) + f(gi * oma));
        mg[i] = mgi;
        denom = f(msi - f(f(mgi * mgi) + eps));
      }
      const momi = f(f(mom[i] * momentum) + f(f(gi * lr) / f(Math.sqrt(denom))));
      p[i] = f(p[i] - momi);
      ms[i] = msi;
      mom[i] = momi;
    }
  }
}
