import { getBackend } from '../backend';
import { checkTensorList } from '../functional/validate';

function checkNormType(normType: unknown): number {
  if (typeof normType !== 'number') throw new TypeError(`normType must be a number, got ${typeof normType}`);
  if (!(normType > 0)) throw new RangeError(`normType must be > 0 or Infinity, got ${normType}`);
  return normType;
}

/** Norm of the p-norms of tensors with p = Infinity or any p other than 1 and 2, without overflow. */
function generalNorm(tensors: Float32Array[], p: number): number {
  const scale = getBackend().reduce(tensors, 'maxAbs');
  if (scale === 0 || !Number.isFinite(scale)) return scale;
  // Dividing by the largest magnitude keeps every term in [0, 1]: no overflow for any p.
  let sum = 0;
  for (const x of tensors) for (let i = 0; i < x.length; i++) sum += (Math.abs(x[i]) / scale) ** p;
  return scale * sum ** (1 / p);
}

/**
 * The global p-norm of many tensors viewed as one vector, as torch.nn.utils.clip_grad_norm_
 * computes it: 2 (default), 1, Infinity or any p > 0. Accumulated in double in one pass.
 */
export function gradNorm(tensors: Float32Array[], normType = 2): number {
  const p = checkNormType(normType);
  const list = checkTensorList('tensors', tensors);
  if (p === 2) return Math.sqrt(getBackend().reduce(list, 'sumSquares'));
  if (p === 1) return getBackend().reduce(list, 'sumAbs');
  if (p === Infinity) return getBackend().reduce(list, 'maxAbs');
  return generalNorm(list, p);
}
