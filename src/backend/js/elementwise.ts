import type { KernelScalars, KernelStreams } from '../types';

const f = Math.fround;

/** slow += alpha · (fast − slow); fast = slow. */
export function lookahead(t: KernelStreams['lookahead'], s: KernelScalars['lookahead']): void {
  const alpha = f(s.alpha);
  for (let k = 0; k < t.slow.length; k++) {
    const slow = t.slow[k], fast = t.fast[k];
    for (let i = 0; i < slow.length; i++) {
      const v = f(slow[i] + f(alpha * f(fast[i] - slow[i])));
      slow[i] = v;
      fast[i] = v;
    }
  }
}

export function scale(t: KernelStreams['scale'], s: KernelScalars['scale']): void {
  const factor = f(s.factor);
  for (const x of t.x) for (let i = 0; i < x.length; i++) x[i] = f(x[i] * factor);
}

/** dst += scale · src */
export function accumulate(t: KernelStreams['accumulate'], s: KernelScalars['accumulate']): void {
  const k = f(s.scale);
  for (let j = 0; j < t.dst.length; j++) {
    const dst = t.dst[j], src = t.src[j];
    for (let i = 0; i < dst.length; i++) dst[i] = f(dst[i] + f(k * src[i]));
  }
}

/** Clamps to [-clipValue, clipValue]; NaN stays NaN, as torch.clamp. */
export function clamp(t: KernelStreams['clamp'], s: KernelScalars['clamp']): void {
  const hi = f(s.clipValue), lo = -hi;
  for (const x of t.x)
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      x[i] = lo > v ? lo : v > hi ? hi : v;
    }
}
