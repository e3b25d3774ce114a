import { addBookkeeping } from '../functional/bookkeeping';
import { runAll } from '../functional/step-runner';
import type { PlannedUpdate } from '../functional/planned-update';
import { planSgd } from '../functional/sgd';
import { checkBoolean, checkNumber } from '../functional/validate';
import { checkCommon } from './adam';
import { groupOptionsWith } from './option-checks';
import { Optimizer, type ParamGroup, type Parameter } from './optimizer';
import { datas, grads } from './state';
import {
  checkStoredOptions, formatFor, formatOf, STORED_DEFAULTS, storedZeros, type StoredStateOptions,
} from './stored-state';
import { DEFAULT_BLOCK_SIZE } from '../backend/state-format';
import type { ParamState } from './types';

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
