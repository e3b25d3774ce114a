import type { KernelScalars, KernelStreams } from '../types';

const f = Math.fround;

/** Specification of native/kernels/sgd.cpp (torch.optim.SGD's update, in float32). */
export function sgd(t: KernelStreams['sgd'], s: KernelScalars['sgd']): void {
  const gradScale = f(s.gradScale), wd = f(s.weightDecay), momentum = f(s.momentum);
  const omd = f(s.oneMinusDampening), lr = f(s.lr);
  for (let k = 0; k < t.param.length; k++) {
    const p = t.param[k], g = t.grad[k];
    const buf = s.hasMomentum && t.momentumBuffer ? t.momentumBuffer[k] : null;
    for (let i = 0; i < p.length; i++) {
      const pi = p[i];
      let gi = f(g[i] * gradScale);
      if (s.hasWeightDecay) gi = f(gi + f(wd * pi));
      if (buf !== null) {
        // The first step starts the buffer at the gradient itself, as torch does.
        const b = s.firstStep ? gi : f(f(buf[i] * momentum) + f(omd * gi));
        buf[i] = b;
        gi = s.nesterov ? f(gi + f(momentum * b)) : b;
      }
      p[i] = f(pi - f(lr * gi));
    }
  }
}
