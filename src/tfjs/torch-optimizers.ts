// Optimizers TF.js lacks, with fused-optim's PyTorch semantics and an options object: AdamW,
// NAdam, RAdam, LAMB and Lion, each optionally inside Lookahead. Each keeps one of the package's
// own optimizers over Parameter objects (one per variable position) whose arrays are this step's
// fresh values and gradients.
import { AdamW } from '../optim/adam';
import { LAMB } from '../optim/lamb';
import { NAdam } from '../optim/nadam';
import { RAdam } from '../optim/radam';
import { Lion } from '../optim/lion';
import { Lookahead, type LookaheadStateDict } from '../optim/lookahead';
import type { Optimizer, ParamState, Parameter, StateDict } from '../optim/optimizer';
import type { StateDtype } from '../backend/state-format';
import { convertState, formatOf } from '../optim/stored-state';
import type { createBase, FusedStateOptions, LookaheadChoice, SlotValue } from './base';
import { checkLookahead } from './slot-optimizer';

type Inner = Optimizer<object> | Lookahead<object>;
type InnerClass = new (params: Parameter[], options: object) => Optimizer<object>;

/** Options of train.adamw / nadam / radam / lamb / lion: the class's options, plus an optional Lookahead. */
export interface TorchStyleOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  maximize?: boolean;
  amsgrad?: boolean;
  momentumDecay?: number;
  /** How the state is stored (adamw, nadam, radam and lion; see README "Low-memory state"). getWeights still gives float32. */
  stateDtype?: StateDtype;
  min8bitSize?: number;
  lookahead?: LookaheadChoice;
}

/** `stored`: the class offers stateDtype (LAMB keeps float32 state). */
export const TORCH_STYLE = {
  adamw: { className: 'FusedAdamW', inner: AdamW as unknown as InnerClass, lr: 1e-3, stored: true },
  nadam: { className: 'FusedNAdam', inner: NAdam as unknown as InnerClass, lr: 2e-3, stored: true },
  radam: { className: 'FusedRAdam', inner: RAdam as unknown as InnerClass, lr: 1e-3, stored: true },
  lamb: { className: 'FusedLAMB', inner: LAMB as unknown as InnerClass, lr: 1e-3, stored: false },
  lion: { className: 'FusedLion', inner: Lion as unknown as InnerClass, lr: 1e-4, stored: true },
} as const;
export type TorchStyleKind = keyof typeof TORCH_STYLE;

/** Number-valued state (step counts, NAdam's μ product) travels as a weight of [hi, lo] float32 parts. */
const NUMBER_MARK = '#';
const splitNumber = (x: number) => {
  const hi = Math.fround(x);
  return new Float32Array([hi, x - hi]);
};

export function createTorchStyle(FusedOptimizer: ReturnType<typeof createBase>) {
  abstract class TorchStyle extends FusedOptimizer {
    options: Record<string, unknown>;
    lookahead: LookaheadChoice | undefined;
    inner: Inner | undefined;
    params: Parameter[] = [];
    baseNames: string[] = [];
    pending = new Map<number, { size: number; name: string }>();
    loaded: { values: SlotValue[]; iterations: number } | undefined;

    abstract innerClass(): InnerClass;

    constructor(defaultLr: number, options: TorchStyleOptions = {}) {
      if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
      const { lookahead, ...rest } = options;
      const lr = rest.lr ?? defaultLr;
      super(lr);
      this.options = { ...rest, lr };
      this.lookahead = lookahead === undefined ? undefined : { ...lookahead };
      // Options are checked now, by the class that will use them.
      this.makeInner([{ data: new Float32Array(1), grad: null }]);
    }

    hasState(): boolean {
      return this.inner !== undefined || this.loaded !== undefined || this.iterations > 0;
    }

    configureState(options: FusedStateOptions): void {
      if (this.hasState()) throw new Error('stateDtype is fixed once the optimizer has state: set it before the first step');
      const next = { ...this.options };
      if (options.stateDtype !== undefined) next.stateDtype = options.stateDtype;
      if (options.min8bitSize !== undefined) next.min8bitSize = options.min8bitSize;
      new (this.innerClass())([{ data: new Float32Array(1), grad: null }], next);
      this.options = next;
    }

    configureLookahead(choice: LookaheadChoice): void {
      if (this.hasState()) throw new Error('lookahead must be set before the first step');
      this.lookahead = checkLookahead(choice);
    }

    makeInner(params: Parameter[]): Inner {
      const inner = new (this.innerClass())(params, this.options);
      return this.lookahead === undefined ? inner : new Lookahead(inner, this.lookahead);
    }

    override groupOptions(): Record<string, unknown> {
      const { lr: _lr, stateDtype: _dtype, min8bitSize: _min, ...rest } = this.options;
      return structuredClone(rest);
    }

    prepareState(index: number, size: number, name: string): void {
      this.pending.set(index, { size, name });
    }
    checkState(): void {}
    dropPreparedState(): void {
      this.pending.clear();
    }
    commitState(): void {
      this.pending.clear();
    }

    update(active: number[], oldValues: Float32Array[], params: Float32Array[], grads: Float32Array[], gradScale: number): boolean {
      // The class API updates its params in place: the new values start as the old ones.
      params.forEach((p, k) => p.set(oldValues[k]));
      if (this.inner === undefined || this.params.length === 0) {
        const count = this.known.length + this.pending.size;
        this.params = Array.from({ length: count }, (_, i) => {
          const size = this.known[i]?.size ?? (this.pending.get(i) as { size: number }).size;
          return { data: new Float32Array(size), grad: null, name: this.known[i]?.name ?? this.pending.get(i)?.name };
        });
        this.baseNames = this.params.map((p, i) => this.baseNames[i] ?? (p.name as string));
        this.inner = this.makeInner(this.params);
        if (this.loaded !== undefined) this.applyLoaded(this.loaded.values);
      }
      if (this.lookahead !== undefined && active.length !== this.params.length)
        throw new Error('applyGradients: with lookahead every variable needs a gradient at every step (its sync writes them all)');
      for (const p of this.params) p.grad = null;
      active.forEach((i, k) => {
        this.params[i].data = params[k];
        this.params[i].grad = grads[k];
      });
      Object.assign(this.inner.paramGroups[0], this.paramGroups[0]);
      this.loaded = undefined;
      return this.inner.step({ gradScale });
    }

    /** The inner optimizer's state dict, flattened to TF.js-style named weights. */
    slotValues(): SlotValue[] {
      if (this.inner === undefined) return this.loaded?.values.map((v) => ({ ...v, values: v.values.slice() })) ?? [];
      const sd = this.inner.stateDict();
      const look = this.lookahead === undefined ? undefined : (sd as LookaheadStateDict);
      // Stored state (stateDtype) is decoded: the weights are float32, as TF.js's are.
      const state = Object.fromEntries(
        Object.entries((look === undefined ? (sd as StateDict) : look.optimizer).state).map(([i, s]) => [
          i, formatOf(s) === 'float32' ? s : convertState(s, 'float32'),
        ]),
      );
      const out: SlotValue[] = [];
      const keys = [...new Set(Object.values(state).flatMap((s) => Object.keys(s)))];
      for (const key of keys)
        this.params.forEach((_, i) => {
          const value = state[i]?.[key];
          if (value instanceof Float32Array) out.push({ name: `${this.baseNames[i]}/${key}`, values: value, shape: this.known[i]?.shape });
          else if (typeof value === 'number') out.push({ name: `${this.baseNames[i]}/${NUMBER_MARK}${key}`, values: splitNumber(value) });
        });
      if (look !== undefined) {
        this.params.forEach((_, i) => look.slow[i] && out.push({ name: `${this.baseNames[i]}/slow`, values: look.slow[i], shape: this.known[i]?.shape }));
        out.push({ name: `lookahead/${NUMBER_MARK}stepCount`, values: splitNumber(look.stepCount) });
      }
      return out;
    }

    loadSlotValues(values: SlotValue[]): void {
      const bases: string[] = [];
      const sizes: number[] = [];
      const shapes: number[][] = [];
      for (const v of values) {
        const cut = v.name.lastIndexOf('/');
        const base = v.name.slice(0, cut), key = v.name.slice(cut + 1);
        if (cut < 0) throw new RangeError(`setWeights: '${v.name}' is not a '<variable>/<state>' name`);
        if (base === 'lookahead' || key.startsWith(NUMBER_MARK)) continue;
        if (!bases.includes(base)) {
          bases.push(base);
          sizes.push(v.values.length);
          shapes.push(v.shape ?? [v.values.length]);
        }
      }
      this.baseNames = bases;
      this.known = sizes.map((size, i) => ({ name: null, size, shape: shapes[i] }));
      this.loaded = { values, iterations: this.iterations };
      this.params = [];
      this.inner = undefined;
    }

    /** Rebuilds the inner optimizer's state dict from named weights and loads it. */
    applyLoaded(values: SlotValue[]): void {
      const inner = this.inner as Inner;
      const state: Record<number, ParamState> = {};
      const slow: Record<number, Float32Array> = {};
      let stepCount = 0;
      for (const v of values) {
        const cut = v.name.lastIndexOf('/');
        const base = v.name.slice(0, cut);
        let key = v.name.slice(cut + 1);
        const isNumber = key.startsWith(NUMBER_MARK);
        if (isNumber) key = key.slice(1);
        const number = v.values[0] + (v.values[1] ?? 0);
        if (base === 'lookahead') {
          if (key === 'stepCount') stepCount = number;
          continue;
        }
        const i = this.baseNames.indexOf(base);
        if (key === 'slow') slow[i] = v.values;
        else (state[i] ??= {})[key] = isNumber ? number : v.values;
      }
      const current = inner.stateDict();
      if (this.lookahead === undefined) inner.loadStateDict({ ...(current as StateDict), state } as never);
      else {
        const look = current as LookaheadStateDict;
        (inner as Lookahead<object>).loadStateDict({ ...look, optimizer: { ...look.optimizer, state }, slow, stepCount });
      }
    }

    getConfig(): Record<string, unknown> {
      return this.lookahead === undefined ? { ...this.options } : { ...this.options, lookahead: { ...this.lookahead } };
    }
  }

  const make = (kind: TorchStyleKind) => {
    const spec = TORCH_STYLE[kind];
    return class extends TorchStyle {
      static get className() {
        return spec.className;
      }
      constructor(options: TorchStyleOptions = {}) {
        super(spec.lr, options);
      }
      innerClass(): InnerClass {
        return spec.inner;
      }
      static fromConfig(cls: new (o: TorchStyleOptions) => TorchStyle, config: TorchStyleOptions) {
        return new cls(config);
      }
    };
  };
  return { AdamW: make('adamw'), NAdam: make('nadam'), RAdam: make('radam'), LAMB: make('lamb'), Lion: make('lion') };
}
