import { checkOptions, checkStreams, type CommonOptions, commonScalars, plan } from './plan';
import { checkBoolean, checkNumber } from './validate';

export interface SgdOptions extends CommonOptions {
  momentum: number;
  dampening: number;
  nesterov: boolean;
}

/**
 * SGD over many tensors, as torch.optim.SGD. A null momentum buffer starts at this step's
 * gradient (torch's first step); the new buffer is written into momentumBuffers.
 */
export function planSgd(
  params: Float32Array[],
  grads: Float32Array[],
  momentumBuffers: (Float32Array | null)[] | null,
  options: SgdOptions,
): () => void {
  checkOptions(options);
  const { lr, weightDecay, gradScale } = commonScalars(options);
  const momentum = checkNumber('momentum', options.momentum, { min: 0 });
  const dampening = checkNumber('dampening', options.dampening);
  const nesterov = checkBoolean('nesterov', options.nesterov);
  if (nesterov && (momentum <= 0 || dampening !== 0))
    throw new RangeError('nesterov requires momentum > 0 and dampening = 0');
  const [param, grad] = checkStreams([
    { name: 'params', list: params, written: true },
    { name: 'grads', list: grads, written: false },
  ]);
  const scalars = {
    gradScale, weightDecay, hasWeightDecay: weightDecay !== 0, momentum, oneMinusDampening: 1 - dampening, lr,
    hasMomentum: momentum !== 0, nesterov, firstStep: false,
  };
  if (momentum === 0) return plan('sgd', { param, grad, momentumBuffer: null }, scalars);
  if (!Array.isArray(momentumBuffers) || momentumBuffers.length !== param.length)
    throw new TypeError('momentumBuffers must be an array with one entry (Float32Array or null) per param');
  // Tensors whose buffer exists and those starting one run as two calls with different flags.
  const fresh = momentumBuffers.map((b, i) => (b === null ? new Float32Array(param[i].length) : null));
  const pick = (first: boolean) => param.map((_, i) => i).filter((i) => (fresh[i] !== null) === first);
  const calls = [false, true].map((first) => {
    const idx = pick(first);
    if (idx.length === 0) return () => {};
    const buffers = idx.map((i) => (first ? fresh[i] : momentumBuffers[i]));
    const [p, g, b] = checkStreams([
      { name: 'params', list: idx.map((i) => param[i]), written: true },
      { name: 'grads', list: idx.map((i) => grad[i]), written: false },
      { name: 'momentumBuffers', list: buffers, written: true },
    ]);
    return plan('sgd', { param: p, grad: g, momentumBuffer: b }, { ...scalars, firstStep: first });
  });
  return () => {
    calls.forEach((run) => run());
    fresh.forEach((b, i) => b !== null && (momentumBuffers[i] = b));
  };
}

export function sgd(
  params: Float32Array[],
  grads: Float32Array[],
  momentumBuffers: (Float32Array | null)[] | null,
  options: SgdOptions,
): void {
  planSgd(params, grads, momentumBuffers, options)();
}
