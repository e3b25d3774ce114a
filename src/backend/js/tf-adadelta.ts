import type { KernelScalars, KernelStreams } from '../types';

const f = Math.fround;

/**
 * Specification of native/kernels/tf_adadelta.cpp: tf.train.adadelta's update, in float32. The
 * update divides by the root of the accumulated squared gradient from before this step, as
 * TF.js does.
 */
export function tfAdadelta(t: KernelStreams['tf_adadelta'], s: KernelScalars['tf_adadelta']): void {
  const gradScale = f(s.gradScale), rho = f(s.rho), omr = f(s.oneMinusRho), eps = f(s.eps), lr = f(s.lr);
  for (let k = 0; k < t.param.length; k++) {
    const p = t.param[k], g = t.grad[k], accG = t.accumGrad[k], accU = t.accumUpdate[k];
    for (let i = 0; i < p.length; i++) {
      const gi = f(g[i] * gradScale);
      const ag = accG[i], au = accU[i];
      const newAg = f(f(ag * rho) + f(f(gi * gi) * omr));
      const update = f(f(f(Math.sqrt(f(au + eps))) / f(Math.sqrt(f(ag + eps)))) * gi);
      const newAu = f(f(au * rho) + f(f(update * update) * omr));
      p[i] = f(p[i] - f(update * lr));
      accG[i] = newAg;
      accU[i] = newAu;
    }
  }
}
