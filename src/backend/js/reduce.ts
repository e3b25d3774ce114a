import type { ReduceOp } from '../types';

export function reduce(tensors: Float32Array[], op: ReduceOp): number {
  if (op === 'maxAbs') {
    let best = 0;
    for (const x of tensors) {
      for (let i = 0; i < x.length; i++) {
        const a = Math.abs(x[i]);
        if (a !== a) return NaN;
        if (a > best) best = a;
      }
    }
    return best;
  }
  let sum = 0;
  for (const x of tensors) {
    if (op === 'sumSquares') for (let i = 0; i < x.length; i++) sum += x[i] * x[i];
    else for (let i = 0; i < x.length; i++) sum += Math.abs(x[i]);
  }
  return sum;
}
