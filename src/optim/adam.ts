import { planAdam } from '../functional/adam';
import { checkBoolean, checkNumber } from '../functional/validate';
import { Optimizer, type ParamGroup, type Parameter, type ParamState } from './optimizer';

export interface AdamOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  maximize: boolean;
}

const ADAM_DEFAULTS: AdamOptions = {
  lr: 1e-3,
  betas: [0.9, 0.999],
  eps: 1e-8,
  weightDecay: 0,
  amsgrad: false,
  maximize: false,
};

export function checkBetas(where: string, betas: unknown): [number, number] {
  if (!Array.isArray(betas) || betas.length !== 2) throw new TypeError(`${where}.betas must be [beta1, beta2]`);
  checkNumber(`${where}.betas[0]`, betas[0], { min: 0, max: 1, maxExclusive: true });
  checkNumber(`${where}.betas[1]`, betas[1], { min: 0, max: 1, maxExclusive: true });
  return betas as [number, number];
}

abstract class AdamFamily extends Optimizer<AdamOptions> {
  protected abstract readonly decoupled: boolean;

  constructor(params: Parameter[] | ParamGroup[], options: Partial<AdamOptions>, defaults: AdamOptions) {
    super(params, { ...defaults, ...options });
  }

  protected checkGroup(g: ParamGroup & AdamOptions, where: string): void {
    checkNumber(`${where}.lr`, g.lr, { min: 0 });
    checkBetas(where, g.betas);
    checkNumber(`${where}.eps`, g.eps, { min: 0 });
    checkNumber(`${where}.weightDecay`, g.weightDecay, { min: 0 });
    checkBoolean(`${where}.amsgrad`, g.amsgrad);
    checkBoolean(`${where}.maximize`, g.maximize);
  }

  protected planGroup(g: ParamGroup & AdamOptions, params: Parameter[], gradScale: number): () => void {
    // Parameters that missed steps (grad null) have their own count: one call per count,
    // which is one call per group in the usual case.
    const byStep = new Map<number, { params: Parameter[]; states: ParamState[] }>();
    const fresh = new Map<Parameter, ParamState>();
    for (const p of params) {
      let s = this.state.get(p);
      if (s === undefined) {
        const n = p.data.length;
        s = { step: 0, expAvg: new Float32Array(n), expAvgSq: new Float32Array(n) };
        fresh.set(p, s);
      }
      if (g.amsgrad && !(s.maxExpAvgSq instanceof Float32Array)) {
        if (!fresh.has(p)) s = { ...s };
        s.maxExpAvgSq = new Float32Array(p.data.length);
        fresh.set(p, s);
      }
      const next = (s.step as number) + 1;
      const bucket = byStep.get(next) ?? { params: [], states: [] };
      bucket.params.push(p);
      bucket.states.push(s);
      byStep.set(next, bucket);
    }
    const runs = [...byStep].map(([step, { params: ps, states }]) => {
      const run = planAdam(
        this.decoupled,
        ps.map((p) => p.data),
        ps.map((p) => p.grad as Float32Array),
        states.map((s) => s.expAvg as Float32Array),
        states.map((s) => s.expAvgSq as Float32Array),
        g.amsgrad ? states.map((s) => s.maxExpAvgSq as Float32Array) : null,
        {
          step,
          lr: g.lr,
          beta1: g.betas[0],
          beta2: g.betas[1],
          eps: g.eps,
          weightDecay: g.weightDecay,
          amsgrad: g.amsgrad,
          maximize: g.maximize,
          gradScale,
        },
      );
      return () => {
        run();
        for (const s of states) s.step = step;
      };
    });
    return () => {
      for (const [p, s] of fresh) this.state.set(p, s);
      for (const run of runs) run();
    };
  }
}

/** Adam (Kingma & Ba, 2015) with L2 weight decay, as torch.optim.Adam. */
export class Adam extends AdamFamily {
  protected readonly decoupled = false;
  constructor(params: Parameter[] | ParamGroup[], options: Partial<AdamOptions> = {}) {
    super(params, options, ADAM_DEFAULTS);
  }
}

/** AdamW (Loshchilov & Hutter, 2019): decoupled weight decay, as torch.optim.AdamW. */
export class AdamW extends AdamFamily {
  protected readonly decoupled = true;
  constructor(params: Parameter[] | ParamGroup[], options: Partial<AdamOptions> = {}) {
    super(params, options, { ...ADAM_DEFAULTS, weightDecay: 1e-2 });
  }
}
