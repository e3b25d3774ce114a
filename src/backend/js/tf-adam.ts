import type { KernelScalars, KernelStreams } from '../types';

const f = Math.fround;

/** Specification of native/kernels/tf_adam.cpp: tf.train.adam's update, in float32. */
export function tfAdam(t: KernelStreams['tf_adam'], s: KernelScalars['tf_adam']): void {
  const gradScale = f(s.gradScale), beta1 = f(s.beta1), omb1 = f(s.oneMinusBeta1), beta2 = f(s.beta2);
  const omb2 = f(s.oneMinusBeta2), omab1 = f(s.oneMinusAccBeta1), omab2 = f(s.oneMinusAccBeta2);
  const eps = f(s.eps), lr = f(s.lr);
  for (let k = 0; k < t.param.length; k++) {
    const p = t.param[k], g = t.grad[k], m = t.m[k], v = t.v[k];
    for (let i = 0; i < p.length; i++) {
      const gi = f(g[i] * gradScale);
      const mi = f(f(m[i] * beta1) + f(gi * omb1));
      const vi = f(f(v[i] * beta2) + f(f(gi * gi) * omb2));
      const mHat = f(mi / omab1), vHat = f(vi / omab2);
      p[i] = f(p[i] - f(f(mHat / f(f(Math.sqrt(vHat)) + eps)) * lr));
      m[i] = mi;
      v[i] = vi;
    }
  }
}
