import type { KernelScalars, KernelStreams } from '../types';

const f = Math.fround;

/** Specification of native/kernels/tf_adamax.cpp: tf.train.adamax's update, in float32. */
export function tfAdamax(t: KernelStreams['tf_adamax'], s: KernelScalars['tf_adamax']): void {
  const gradScale = f(s.gradScale), beta1 = f(s.beta1), omb1 = f(s.oneMinusBeta1), beta2 = f(s.beta2);
  const eps = f(s.eps), stepSize = f(s.stepSize);
  for (let k = 0; k < t.param.length; k++) {
    const p = t.param[k], g = t.grad[k], m = t.m[k], u = t.u[k];
    for (let i = 0; i < p.length; i++) {
      const gi = f(g[i] * gradScale);
      const mi = f(f(m[i] * beta1) + f(gi * omb1));
      const decayed = f(u[i] * beta2), absG = Math.abs(gi);
      const ui = decayed > absG ? decayed : absG;
      p[i] = f(p[i] - f(stepSize * f(mi / f(ui + eps))));
      m[i] = mi;
      u[i] = ui;
    }
  }
}
