import { getBackend } from '../backend';
import { clampValues, scale } from '../functional/tensors';
import { checkBoolean, checkNumber, checkTensorList, isFloat32Array } from '../functional/validate';
import type { Parameter } from '../optim/types';
import { gradNorm } from './norm';

export interface ClipOptions {
  /** Throw when the total norm is NaN or Infinity (torch's error_if_nonfinite). Default false. */
  errorIfNonfinite?: boolean;
}

/** The gradients to work on: Float32Arrays as given, or the non-null .grad of parameters. */
export function gradsOf(params: Parameter[] | Float32Array[]): Float32Array[] {
  if (!Array.isArray(params)) throw new TypeError('params must be an array of parameters or Float32Arrays');
  const grads = params.flatMap((p, i) => {
    if (isFloat32Array(p)) return [p];
    if (p === null || typeof p !== 'object') throw new TypeError(`params[${i}] must be a parameter or a Float32Array`);
    return p.grad === null || p.grad === undefined ? [] : [p.grad];
  });
  return checkTensorList('grads', grads);
}

/**
 * The norm of all gradients and the factor clipGradNorm would scale them by,
 * min(1, maxNorm / (norm + 1e-6)), without touching them: pass it as step({ gradScale }) and
 * the clip costs one read of the gradients instead of a read and a write.
 */
export function clipCoefficient(
  params: Parameter[] | Float32Array[],
  maxNorm: number,
  normType = 2,
  { errorIfNonfinite = false }: ClipOptions = {},
): { totalNorm: number; coefficient: number } {
  checkNumber('maxNorm', maxNorm, { min: 0 });
  checkBoolean('errorIfNonfinite', errorIfNonfinite);
  const totalNorm = gradNorm(gradsOf(params), normType);
  if (errorIfNonfinite && !Number.isFinite(totalNorm))
    throw new RangeError(
      `the total norm of order ${normType} of the gradients is ${totalNorm}; pass errorIfNonfinite: false to clip anyway`,
    );
  return { totalNorm, coefficient: Math.min(1, maxNorm / (totalNorm + 1e-6)) };
}

/**
 * torch.nn.utils.clip_grad_norm_: scales all gradients in place so their global norm is at
 * most maxNorm (the coefficient is maxNorm / (norm + 1e-6), clamped to 1). Returns the norm
 * before clipping.
 */
export function clipGradNorm(
  params: Parameter[] | Float32Array[],
  maxNorm: number,
  normType = 2,
  options: ClipOptions = {},
): number {
  const { totalNorm, coefficient } = clipCoefficient(params, maxNorm, normType, options);
  // A NaN norm makes every gradient NaN, as torch's multiplication by a NaN coefficient does.
  if (Number.isNaN(coefficient)) for (const g of gradsOf(params)) g.fill(Number.NaN);
  else scale(gradsOf(params), coefficient);
  return totalNorm;
}

/** torch.nn.utils.clip_grad_value_: clamps every gradient value to [-clipValue, clipValue]. */
export function clipGradValue(params: Parameter[] | Float32Array[], clipValue: number): void {
  clampValues(gradsOf(params), clipValue);
}

/** True when any value is NaN or ±Infinity: one read-only pass over all tensors. */
export function hasNonFinite(tensors: Float32Array[]): boolean {
  return !Number.isFinite(getBackend().reduce(checkTensorList('tensors', tensors), 'maxAbs'));
}
