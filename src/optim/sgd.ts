import { andThen, type Run } from '../functional/plan';
import { planSgd } from '../functional/sgd';
import { checkBoolean, checkNumber } from '../functional/validate';
import { checkCommon } from './adam';
import { Optimizer, withOptions, type ParamGroup, type Parameter } from './optimizer';
import { datas, grads } from './state';

export interface SgdOptions {
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
    super(params, { lr: 1e-3, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false }, options);
  }

  /** @internal */
  protected checkGroup(g: ParamGroup & SgdOptions, where: string): void {
    checkCommon(where, g);
    checkNumber(`${where}.momentum`, g.momentum, { min: 0 });
    checkNumber(`${where}.dampening`, g.dampening);
    if (checkBoolean(`${where}.nesterov`, g.nesterov) && (g.momentum <= 0 || g.dampening !== 0))
      throw new RangeError(`${where}: nesterov requires momentum > 0 and dampening = 0`);
  }

  /** @internal */
  protected planGroup(g: ParamGroup & SgdOptions, params: Parameter[], gradScale: number): Run {
    const momentumBuffers = params.map((p) => (this.state.get(p)?.momentumBuffer as Float32Array | undefined) ?? null);
    let run: Run;
    try {
      run = planSgd(datas(params), grads(params), momentumBuffers, withOptions(g, { gradScale }), this.cacheFor(g, params));
    } catch (e) {
      throw this.locate(e, params, g);
    }
    return (later) =>
      andThen(
        run(later),
        () => {
          if (g.momentum !== 0)
            params.forEach((p, i) => this.state.set(p, { momentumBuffer: momentumBuffers[i] as Float32Array }));
        },
        later,
      );
  }
}
