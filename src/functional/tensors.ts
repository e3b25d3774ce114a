// Fused element-wise passes over many tensors, one backend call each.
import { checkStreams } from './stream-check';
import { planKernelCall } from './planned-update';
import { checkNumber } from './validate';

/** dst[i] += scale · src[i] for every tensor pair: averages micro-batch gradients without JS loops. */
export function accumulate(dst: Float32Array[], src: Float32Array[], scale = 1): void {
  const k = checkNumber('scale', scale);
  const [d, s] = checkStreams([
    { name: 'dst', list: dst, written: true },
    { name: 'src', list: src, written: false },
  ]);
  planKernelCall('accumulate', { dst: d, src: s }, { scale: k })();
}

/** x[i] *= factor for every tensor. */
export function scale(tensors: Float32Array[], factor: number): void {
  const k = checkNumber('factor', factor);
  const [x] = checkStreams([{ name: 'tensors', list: tensors, written: true }]);
  planKernelCall('scale', { x }, { factor: k })();
}

/** Clamps every value to [-clipValue, clipValue] (NaN stays NaN). */
export function clampValues(tensors: Float32Array[], clipValue: number): void {
  const c = checkNumber('clipValue', clipValue, { min: 0 });
  const [x] = checkStreams([{ name: 'tensors', list: tensors, written: true }]);
  planKernelCall('clamp', { x }, { clipValue: c })();
}

/** Lookahead's sync: slow += alpha · (fast − slow), then fast = slow. */
export function lookaheadSync(slow: Float32Array[], fast: Float32Array[], alpha: number): void {
  const a = checkNumber('alpha', alpha, { min: 0, max: 1 });
  const [s, f] = checkStreams([
    { name: 'slow', list: slow, written: true },
    { name: 'fast', list: fast, written: true },
  ]);
  planKernelCall('lookahead', { slow: s, fast: f }, { alpha: a })();
}
