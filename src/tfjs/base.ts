// The part every fused TF.js optimizer shares: what TF.js calls (applyGradients, minimize,
// getWeights/setWeights, dispose), checked before anything changes, the data routes of
// routes.ts, the per-position plan and the learning-rate and step-option hooks.
import type { StateDtype } from '../backend/state-format';
import { hasNonFinite } from '../grad/clip';
import { checkBoolean, checkNumber } from '../functional/validate';
import type { HeapModule } from './heap-state';
import { type Output, routeFor } from './routes';
import type { NamedTensor, NamedTensorMap, TfLike, TfOptimizerBase, TfTensor, TfVariable } from './tf-like';

/** Per-step options: a gradient scale (e.g. a clip coefficient) and skip-on-NaN, as Optimizer.step takes. */
export interface FusedStepOptions {
  gradScale?: number;
  skipIfNonFinite?: boolean;
}

/** Options for every step, or a function of this step's gradients (read-only float32 views) returning them. */
export type StepOptionsHook = FusedStepOptions | ((grads: Float32Array[]) => FusedStepOptions);

/** How optimizer state is stored (README "Low-memory state"): fusedTrain's options, or adamw's… */
export interface FusedStateOptions {
  /** 'float32' (default), 'bfloat16' or 'int8'; getWeights/setWeights still give float32. */
  stateDtype?: StateDtype;
  /** With 'int8', tensors smaller than this keep float32 state. Default 4096. */
  min8bitSize?: number;
}

/** Lookahead (Zhang et al., 2019): every k steps the slow weights move alpha of the way to the fast ones. */
export interface LookaheadChoice {
  /** Steps between syncs. Default 5. */
  k?: number;
  /** Default 0.5. */
  alpha?: number;
}

/** One parameter group, as the LR schedulers of fused-optim see an optimizer. */
export interface FusedParamGroup {
  lr: number;
  [option: string]: unknown;
}

/** State of one slot kind (e.g. 'm') for one variable, by its TF.js weight name. */
export interface SlotValue {
  name: string;
  values: Float32Array;
  /** The variable's shape, which TF.js gives its slot variables too. */
  shape?: number[];
}

export interface Known {
  /** The variable's name; null for state loaded by setWeights, adopted at the next step. */
  name: string | null;
  size: number;
  shape: number[];
}

export interface FusedOptimizerBase extends TfOptimizerBase {
  learningRate: number;
  stepOptions: StepOptionsHook | undefined;
  readonly lastStepApplied: boolean;
  readonly paramGroups: FusedParamGroup[];
  applyGradients(variableGradients: NamedTensorMap | NamedTensor[]): void;
  minimize(f: () => TfTensor, returnCost?: boolean, varList?: TfVariable[]): TfTensor | null;
  getWeights(): Promise<NamedTensor[]>;
  setWeights(weightValues: NamedTensor[]): Promise<void>;
  getConfig(): Record<string, unknown>;
  /** Sets how the state is stored (stateDtype, min8bitSize); only before the first step. fusedTrain's options call it. */
  configureState(options: FusedStateOptions): void;
  /** Wraps the optimizer in Lookahead; only before the first step. train.lookahead calls it. */
  configureLookahead(choice: LookaheadChoice): void;
  dispose(): void;
}

const finite = (name: string, value: unknown) => checkNumber(name, value);

/**
 * The abstract base, made once per `tf`: it extends that tf's Optimizer, so tf.layers accepts it.
 * Its members carry no `protected`: TypeScript cannot emit declarations for non-public members
 * of a class made inside a function. What users see is the FusedOptimizerBase interface.
 */
export function createBase(tf: TfLike) {
  const TfOptimizer = tf.Optimizer as unknown as abstract new () => TfOptimizerBase & { iterations_: number };

  abstract class FusedOptimizer extends TfOptimizer implements FusedOptimizerBase {
    learningRate: number;
    stepOptions: StepOptionsHook | undefined = undefined;
    lastStepApplied = true;
    /** The variables seen at each position of applyGradients' list (TF.js keys state by position too). */
    known: Known[] = [];
    /** Tensors handed out by getWeights: ours, disposed at the next getWeights, step or dispose. */
    exported: TfTensor[] = [];
    group: FusedParamGroup | undefined;

    constructor(learningRate: number) {
      super();
      this.learningRate = finite('learningRate', learningRate);
    }

    /** A one-group view for fused-optim's LR schedulers: `lr` is `learningRate`. */
    get paramGroups(): FusedParamGroup[] {
      if (this.group === undefined) {
        const group = this.groupOptions();
        Object.defineProperty(group, 'lr', {
          enumerable: true,
          get: () => this.learningRate,
          set: (v: number) => {
            this.learningRate = finite('lr', v);
          },
        });
        this.group = group as FusedParamGroup;
      }
      return [this.group];
    }

    /** Other options a scheduler may drive (momentum), as accessors on the group. */
    groupOptions(): Record<string, unknown> {
      return {};
    }

    /** Creates state for positions seen for the first time (installed only if the step succeeds). */
    abstract prepareState(index: number, size: number, name: string): void;
    /** Checks the state of a position against its variable's size (after setWeights). */
    abstract checkState(index: number, size: number): void;
    /**
     * The update of the variables at `active` (positions): their values are read from
     * `oldValues` (never written: TF.js shares buffers) and the new ones written to `params`.
     */
    abstract update(active: number[], oldValues: Float32Array[], params: Float32Array[], grads: Float32Array[], gradScale: number): boolean;
    /** Installs the state prepareState made; counters move on. */
    abstract commitState(applied: boolean): void;
    abstract dropPreparedState(): void;
    abstract slotValues(): SlotValue[];
    abstract loadSlotValues(values: SlotValue[], iterations: number): void;
    abstract getConfig(): Record<string, unknown>;
    /** Sets stateDtype / min8bitSize; only before the first step. */
    abstract configureState(options: FusedStateOptions): void;
    /** Wraps the optimizer in Lookahead; only before the first step. */
    abstract configureLookahead(choice: LookaheadChoice): void;
    /** Takes new views of state kept in a wasm heap (any TF.js allocation since the last step may have grown it). */
    refreshState(): void {}
    /** Moves the state (the new positions' too) into `heap` when the route offers one (heap-state.ts); allocates. */
    placeState(_heap: HeapModule | undefined): void {}

    applyGradients(variableGradients: NamedTensorMap | NamedTensor[]): void {
      this.releaseExported();
      this.refreshState();
      const entries = entriesOf(variableGradients);
      const variables = tf.engine().registeredVariables;
      const seen = new Set<string>();
      const active: number[] = [];
      const vars: TfVariable[] = [];
      const grads: TfTensor[] = [];
      // Everything is checked before anything changes.
      entries.forEach(({ name, tensor }, i) => {
        const where = `applyGradients: '${name}' (position ${i})`;
        if (typeof name !== 'string') throw new TypeError(`applyGradients: the name at position ${i} must be a string`);
        const v = variables[name];
        if (v === undefined) throw new Error(`${where} is not a registered variable`);
        if (seen.has(name)) throw new Error(`${where} appears twice in one step`);
        seen.add(name);
        if (v.isDisposed) throw new Error(`${where}: the variable is disposed`);
        if (v.dtype !== 'float32') throw new TypeError(`${where}: the variable is ${v.dtype}; fused optimizers update float32 only`);
        const known = this.known[i];
        if (known === undefined && this.known.length > 0)
          throw new Error(
            `${where} was not among the ${this.known.length} variables this optimizer has trained; ` +
              'a fused optimizer keeps state by position, as TF.js does: use a new optimizer for a new set of variables',
          );
        if (known !== undefined && known.name !== null && known.name !== name)
          throw new Error(
            `${where}: this position held '${known.name}' in earlier steps; a variable not seen before cannot take ` +
              "another's state (use a new optimizer for a new set of variables)",
          );
        if (known !== undefined && known.size !== v.size)
          throw new RangeError(`${where} has ${v.size} elements, its optimizer state has ${known.size}`);
        if (tensor == null) return;
        if (tensor.isDisposed) throw new Error(`${where}: the gradient is disposed`);
        if (tensor.dtype !== 'float32') throw new TypeError(`${where}: the gradient is ${tensor.dtype}, not float32`);
        if (tensor.size !== v.size || tensor.shape.length !== v.shape.length || tensor.shape.some((d, k) => d !== v.shape[k]))
          throw new RangeError(`${where}: the gradient has shape [${tensor.shape}], the variable [${v.shape}]`);
        this.checkState(i, v.size);
        active.push(i);
        vars.push(v);
        grads.push(tensor);
      });
      let outputs: Output[] = [];
      try {
        entries.forEach(({ name }, i) => {
          if (this.known[i] === undefined) this.prepareState(i, variables[name].size, name);
        });
        const opened = routeFor(tf).open(
          [...grads, ...vars],
          vars.map((v) => v.size),
          vars.map((v) => v.shape),
        );
        outputs = opened.outputs;
        const { gradScale, skip: skipping } = this.readStepOptions(opened.views.slice(0, grads.length));
        // The hook may have made tensors, and placing the state allocates: either can grow a
        // wasm heap, so every view (of the tensors and of heap-kept state) is taken again after.
        this.placeState(opened.stateHeap);
        this.refreshState();
        opened.refresh();
        const skip = skipping === 'yes' || (skipping === 'ifNonFinite' && grads.length > 0 && hasNonFinite(opened.views.slice(0, grads.length)));
        const gradViews = opened.views.slice(0, grads.length), oldValues = opened.views.slice(grads.length);
        let applied = false;
        if (!skip)
          applied = this.update(active, oldValues, outputs.map((o) => o.array), gradViews, gradScale);
        if (applied) for (let k = 0; k < outputs.length; k++) outputs[k].commit(vars[k]);
        else for (const o of outputs) o.discard();
        entries.forEach(({ name }, i) => {
          const { size, shape } = variables[name];
          this.known[i] = { name, size, shape: [...shape] };
        });
        this.commitState(applied);
        this.lastStepApplied = applied;
        if (applied) this.iterations_ = this.iterations + 1;
      } catch (e) {
        for (const o of outputs) o.discard();
        this.dropPreparedState();
        throw e;
      }
    }

    /** The step's options; whether it is skipped, or skipped if a gradient holds NaN or Infinity. */
    readStepOptions(grads: Float32Array[]): { gradScale: number; skip: 'yes' | 'no' | 'ifNonFinite' } {
      const hook = this.stepOptions;
      const options = typeof hook === 'function' ? hook(grads) : (hook ?? {});
      if (options === null || typeof options !== 'object') throw new TypeError('stepOptions must give an object');
      for (const key of Object.keys(options))
        if (key !== 'gradScale' && key !== 'skipIfNonFinite')
          throw new TypeError(`stepOptions has no option '${key}' (known: gradScale, skipIfNonFinite)`);
      const skipIfNonFinite = options.skipIfNonFinite === undefined ? false : checkBoolean('skipIfNonFinite', options.skipIfNonFinite);
      const scale = options.gradScale;
      if (skipIfNonFinite && typeof scale === 'number' && !Number.isFinite(scale)) return { gradScale: 1, skip: 'yes' };
      const gradScale = scale === undefined ? 1 : checkNumber('gradScale', scale);
      return { gradScale, skip: skipIfNonFinite ? 'ifNonFinite' : 'no' };
    }

    minimize(f: () => TfTensor, returnCost = false, varList?: TfVariable[]): TfTensor | null {
      const { value, grads } = this.computeGradients(f, varList);
      try {
        if (varList != null) this.applyGradients(varList.map((v) => ({ name: v.name, tensor: grads[v.name] })));
        else this.applyGradients(grads);
      } catch (e) {
        tf.dispose(grads);
        value.dispose();
        throw e;
      }
      tf.dispose(grads);
      if (returnCost) return value;
      value.dispose();
      return null;
    }

    releaseExported(): void {
      tf.dispose(this.exported);
      this.exported = [];
    }

    /**
     * TF.js's layout: `iter` first, then each slot kind for every variable. The tensors are the
     * optimizer's, valid until its next step, getWeights() or dispose(): do not dispose them.
     */
    async getWeights(): Promise<NamedTensor[]> {
      this.releaseExported();
      const iter = tf.scalar(this.iterations, 'int32');
      const slots = this.slotValues().map((s) => {
        const shape = s.shape !== undefined && s.shape.reduce((a, b) => a * b, 1) === s.values.length ? s.shape : [s.values.length];
        return { name: s.name, tensor: tf.tensor(s.values.slice(), shape, 'float32') };
      });
      this.exported = [iter, ...slots.map((s) => s.tensor)];
      return [{ name: 'iter', tensor: iter }, ...slots];
    }

    /** Copies the values before it returns (tf.layers disposes the tensors right after). */
    async setWeights(weightValues: NamedTensor[]): Promise<void> {
      if (!Array.isArray(weightValues) || weightValues.length === 0)
        throw new TypeError('setWeights expects [iter, ...slot weights] as getWeights returns them');
      const iterations = Number((await weightValues[0].tensor.data())[0]);
      if (!Number.isInteger(iterations) || iterations < 0) throw new RangeError(`setWeights: iter must be a count, got ${iterations}`);
      const values: SlotValue[] = [];
      for (const w of weightValues.slice(1)) {
        if (w.tensor.dtype !== 'float32') throw new TypeError(`setWeights: '${w.name}' is ${w.tensor.dtype}, not float32`);
        values.push({ name: w.name, values: Float32Array.from(await w.tensor.data()), shape: [...w.tensor.shape] });
      }
      this.loadSlotValues(values, iterations);
      this.iterations_ = iterations;
      this.known = this.known.map((k) => ({ ...k, name: null }));
    }

    dispose(): void {
      this.releaseExported();
    }
  }
  return FusedOptimizer;
}

/** The (name, gradient) pairs of applyGradients' argument, in order. */
function entriesOf(v: NamedTensorMap | NamedTensor[]): { name: string; tensor: TfTensor | null | undefined }[] {
  if (Array.isArray(v)) return v.map((e, i) => {
    if (e === null || typeof e !== 'object') throw new TypeError(`applyGradients: entry ${i} must be { name, tensor }`);
    return { name: e.name, tensor: e.tensor };
  });
  if (v === null || typeof v !== 'object') throw new TypeError('applyGradients expects a NamedTensorMap or NamedTensor[]');
  return Object.keys(v).map((name) => ({ name, tensor: v[name] }));
}

export type FusedOptimizerClass = ReturnType<typeof createBase>;
