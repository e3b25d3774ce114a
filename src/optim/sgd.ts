// SGD with optional (Nesterov) momentum, as torch.optim.SGD: the functional form (sgd) and the
// class. Per element, with g the gradient times gradScale (negated to maximize):
//   g ← g + λ·θ
//   with momentum μ: b ← μ·b + (1 − τ)·g (the first step: b ← g); g ← nesterov ? g + μ·b : b
//   θ ← θ − lr·g
// Kernel: native/kernels/sgd.cpp, specified by src/backend/js/sgd.ts.
import { DEFAULT_BLOCK_SIZE } from '../backend/state-format';
import type { StreamCache } from '../backend/types';
import { addBookkeeping } from '../functional/bookkeeping';
import { checkOptions, type CommonOptions, commonScalars } from '../functional/common-options';
import { planKernelCall, type PlannedUpdate } from '../functional/planned-update';
import { runAll } from '../functional/step-runner';
import { splitState, type StateTensor } from '../functional/stored';
import { paramOutField, withParamsOut } from '../functional/outputs';
import { checkStateStreams, type StoredArgs } from '../functional/stored-layout';
import { checkStreams } from '../functional/stream-check';
import { checkBoolean, checkNumber, tensorLength } from '../functional/validate';
import { checkCommon, groupOptionsWith } from './option-checks';
import { Optimizer, type ParamGroup, type Parameter } from './optimizer';
import { datas, grads } from './state';
import { checkStoredOptions, formatFor, formatOf, STORED_DEFAULTS, storedZeros, type StoredStateOptions } from './stored-state';
import type { ParamState } from './types';

export interface SgdCallOptions extends CommonOptions {
  /** Momentum factor; 0 for none (momentumBuffers are then ignored). */
  momentum: number;
  /** Dampening for momentum. */
  dampening: number;
  /** Nesterov momentum. */
  nesterov: boolean;
  /**
   * Stored state only (stateDtype 'bfloat16' or 'int8', where a buffer cannot be null): the
   * buffers are new, so this step starts them at the gradient, as torch's first step does.
   */
  firstStep?: boolean;
}

/**
 * SGD over many tensors, as torch.optim.SGD. A null momentum buffer starts at this step's
 * gradient (torch's first step); the new buffer is written into momentumBuffers.
 */
export function planSgd(
  params: Float32Array[],
  grads: Float32Array[],
  momentumBuffers: (Float32Array | null)[] | null,
  options: SgdCallOptions,
  cache?: StreamCache,
  stored?: StoredArgs,
): PlannedUpdate {
  checkOptions(options);
  const { lr, weightDecay, gradScale } = commonScalars(options);
  const momentum = checkNumber('momentum', options.momentum, { min: 0 });
  const dampening = checkNumber('dampening', options.dampening);
  const nesterov = checkBoolean('nesterov', options.nesterov);
  if (nesterov && (momentum <= 0 || dampening !== 0))
    throw new RangeError('nesterov requires momentum > 0 and dampening = 0');
  const scalars = {
    gradScale, weightDecay, hasWeightDecay: weightDecay !== 0, momentum, oneMinusDampening: 1 - dampening, lr,
    hasMomentum: momentum !== 0, nesterov, firstStep: false,
  };
  // The buffers' argument: plain, or a state list in a stored format. paramsOut (if any) comes last.
  const lists = (buffers?: unknown, stream?: string) =>
    withParamsOut(options, params, [
      { name: 'grads', list: grads, written: false },
      ...(buffers === undefined ? [] : [{ name: 'momentumBuffers', list: buffers, written: true, stream }]),
    ]);
  const out = (checked: Float32Array[][]) => paramOutField(options, checked);
  if (stored !== undefined && momentum !== 0) {
    const firstStep = options.firstStep === undefined ? false : checkBoolean('firstStep', options.firstStep);
    const checked = checkStateStreams(lists(momentumBuffers, 'momentumBuffer'), cache, stored);
    const [param, grad, momentumBuffer] = checked.lists;
    const fields = checked.fields;
    return planKernelCall(
      'sgd', Object.assign({ param, grad, momentumBuffer }, fields, out(checked.lists)), Object.assign(scalars, { firstStep }), cache,
    );
  }
  if (momentum === 0) {
    const checked = checkStreams(lists(), cache);
    const [param, grad] = checked;
    return planKernelCall('sgd', { param, grad, momentumBuffer: null, ...out(checked) }, scalars, cache);
  }
  if (!Array.isArray(momentumBuffers) || !Array.isArray(params) || momentumBuffers.length !== params.length)
    throw new TypeError('momentumBuffers must be an array with one entry (Float32Array or null) per param');
  if (momentumBuffers.every((b) => b !== null)) {
    // The usual step: every buffer exists.
    const checked = checkStreams(lists(momentumBuffers), cache);
    const [param, grad, momentumBuffer] = checked;
    return planKernelCall('sgd', { param, grad, momentumBuffer, ...out(checked) }, scalars, cache);
  }
  // Tensors starting a buffer (torch's first step: buf = g) and the others run as two calls.
  // Everything is checked once over the whole lists (fresh buffers standing in for the nulls),
  // so overlaps across the two calls are caught and errors carry the caller's indices.
  const [param, grad] = checkStreams(lists());
  const fresh = momentumBuffers.map((b, i) => (b === null ? new Float32Array(tensorLength(param[i])) : null));
  const all = checkStreams(lists(momentumBuffers.map((b, i) => b ?? fresh[i])));
  const buffers = all[2], paramOut = out(all).paramOut;
  const calls = [false, true].map((first) => {
    const idx = param.map((_, i) => i).filter((i) => (fresh[i] !== null) === first);
    if (idx.length === 0) return () => undefined;
    const pick = (list: Float32Array[]) => idx.map((i) => list[i]);
    const outputs = paramOut === undefined ? {} : { paramOut: pick(paramOut) };
    return planKernelCall(
      'sgd', { param: pick(param), grad: pick(grad), momentumBuffer: pick(buffers), ...outputs }, Object.assign({}, scalars, { firstStep: first }),
    );
  });
  return (bookkeeping) =>
    addBookkeeping(runAll(calls, bookkeeping), () => fresh.forEach((b, i) => b !== null && (momentumBuffers[i] = b)), bookkeeping);
}

/**
 * One SGD update over many tensors. Float32 momentum buffers may be null (started at the
 * gradient, written back into the list); stored ones (options.stateDtype) must exist, with
 * options.firstStep saying whether they are new.
 */
export function sgd(
  params: Float32Array[],
  grads: Float32Array[],
  momentumBuffers: (StateTensor | null)[] | null,
  options: SgdCallOptions,
): void {
  checkOptions(options);
  const { lists, stored } = splitState(options, { momentumBuffers });
  planSgd(params, grads, lists.momentumBuffers as (Float32Array | null)[] | null, options, undefined, stored)();
}

export interface SgdOptions extends StoredStateOptions {
  /** Learning rate. Default 1e-3. */
  lr: number;
  /** Momentum factor (0 = plain SGD, no state). Default 0. */
  momentum: number;
  /** Dampening for momentum: the gradient enters the buffer scaled by 1 - dampening. Default 0. */
  dampening: number;
  /** L2 penalty added to the gradient. Default 0. */
  weightDecay: number;
  /** Nesterov momentum (needs momentum > 0 and dampening 0). Default false. */
  nesterov: boolean;
  /** Ascend instead of descend. Default false. */
  maximize: boolean;
}

/** Stochastic gradient descent with optional (Nesterov) momentum, as torch.optim.SGD. */
export class SGD extends Optimizer<SgdOptions> {
  protected override readonly stateType = 'SGD';
  constructor(params: Parameter[] | ParamGroup[], options: Partial<SgdOptions> = {}) {
    super(params, { lr: 1e-3, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false, ...STORED_DEFAULTS }, options);
  }

  /** @internal */
  protected checkGroup(g: ParamGroup & SgdOptions, where: string): void {
    checkCommon(where, g);
    checkNumber(`${where}.momentum`, g.momentum, { min: 0 });
    checkNumber(`${where}.dampening`, g.dampening);
    if (checkBoolean(`${where}.nesterov`, g.nesterov) && (g.momentum <= 0 || g.dampening !== 0))
      throw new RangeError(`${where}: nesterov requires momentum > 0 and dampening = 0`);
    checkStoredOptions(where, g);
  }

  /** @internal */
  protected planGroup(g: ParamGroup & SgdOptions, params: Parameter[], gradScale: number): PlannedUpdate {
    if (g.stateDtype !== 'float32' && g.momentum !== 0) return this.planStored(g, params, gradScale);
    const momentumBuffers = params.map((p) => (this.state.get(p)?.momentumBuffer as Float32Array | undefined) ?? null);
    let run: PlannedUpdate;
    try {
      run = planSgd(datas(params), grads(params), momentumBuffers, groupOptionsWith(g, { gradScale }), this.cacheFor(g, params));
    } catch (e) {
      throw this.locate(e, params, g);
    }
    return (bookkeeping) =>
      addBookkeeping(
        run(bookkeeping),
        () => {
          if (g.momentum !== 0)
            params.forEach((p, i) => this.state.set(p, { momentumBuffer: momentumBuffers[i] as Float32Array }));
        },
        bookkeeping,
      );
  }

  /**
   * Momentum stored as bfloat16 or int8, where a buffer cannot be null: a new buffer is created
   * zero and starts at the gradient in a call of its own (torch's first step); float32 buffers
   * (int8 groups keep small tensors in float32) start the usual way.
   */
  private planStored(g: ParamGroup & SgdOptions, params: Parameter[], gradScale: number): PlannedUpdate {
    const buckets = new Map<string, { params: Parameter[]; states: ParamState[]; first: boolean }>();
    const fresh = new Map<Parameter, ParamState>();
    for (const p of params) {
      let s = this.state.get(p);
      const first = s === undefined || s.momentumBuffer === undefined;
      if (first) fresh.set(p, (s = storedZeros(p, ['momentumBuffer'], formatFor(g, p))));
      const key = `${formatOf(s)} ${first}`;
      const bucket = buckets.get(key) ?? { params: [], states: [], first };
      bucket.params.push(p);
      bucket.states.push(s as ParamState);
      buckets.set(key, bucket);
    }
    const runs: PlannedUpdate[] = [];
    for (const b of buckets.values()) {
      const format = formatOf(b.states[0]);
      const float = format === 'float32';
      // float32: null buffers are started by planSgd itself, which writes the new ones into the list.
      const buffers = b.states.map((s) => (float && b.first ? null : (s.momentumBuffer as Float32Array)));
      const stored = float
        ? undefined
        : {
            layout: { dtype: format, blockSize: DEFAULT_BLOCK_SIZE },
            absmax: { momentumBuffers: b.states.map((s) => s.momentumBufferAbsmax) },
          };
      try {
        const run = planSgd(
          datas(b.params), grads(b.params), buffers, groupOptionsWith(g, { gradScale, firstStep: b.first }), undefined, stored,
        );
        runs.push((bookkeeping) =>
          addBookkeeping(run(bookkeeping), () => float && b.states.forEach((s, i) => (s.momentumBuffer = buffers[i] as Float32Array)), bookkeeping),
        );
      } catch (e) {
        throw this.locate(e, b.params, g);
      }
    }
    return (bookkeeping) => addBookkeeping(runAll(runs, bookkeeping), () => fresh.forEach((s, p) => this.state.set(p, s)), bookkeeping);
  }
}
