// The base of the seven tf.train optimizers: state kept in TF.js's slots (names, order, float32
// values on save whatever stateDtype stores), stored state and Lookahead configured before the
// first step, and the config fields they add.
import { DEFAULT_BLOCK_SIZE, DEFAULT_MIN_8BIT_SIZE, type StateDtype, UNSIGNED_STATE } from '../backend/state-format';
import type { Kind } from '../backend/types';
import { type PlannedUpdate, planKernelCall } from '../functional/planned-update';
import { checkStateDtype, checkStateStreams } from '../functional/stored-layout';
import { splitState, type StateTensor, stateFromFloat32, stateToFloat32 } from '../functional/stored';
import { lookaheadSync } from '../functional/tensors';
import { checkNumber, isFloat32Array, typeTagOf } from '../functional/validate';
import { createBase, type FusedStateOptions, type LookaheadChoice, type SlotValue } from './base';
import { type HeapModule, HeapState } from './heap-state';
import type { TfLike } from './tf-like';

export interface Slot {
  /** TF.js's suffix: the weight is named `${variable}/${suffix}`. */
  suffix: string;
  /** The kernel's stream (native/kernels/kinds.h): it decides the int8 map (UNSIGNED_STATE). */
  stream: string;
  initial: number;
}

const formatOfTensor = (t: StateTensor): StateDtype =>
  isFloat32Array(t) ? 'float32' : typeTagOf(t) === 'Uint16Array' ? 'bfloat16' : 'int8';

/** Elements of a state tensor in any format. */
const lengthOf = (t: StateTensor): number => (formatOfTensor(t) === 'int8' ? (t as { codes: Uint8Array }).codes : (t as Float32Array)).length;

/** A state tensor's values as float32: the array itself for float32 state, else decoded. */
const toFloat32 = (t: StateTensor, stream: string): Float32Array =>
  isFloat32Array(t) ? t : stateToFloat32(t, !UNSIGNED_STATE.has(stream), DEFAULT_BLOCK_SIZE);

export function checkLookahead(choice: LookaheadChoice): Required<LookaheadChoice> {
  if (choice === null || typeof choice !== 'object') throw new TypeError('lookahead must be an object { k, alpha }');
  const { k = 5, alpha = 0.5 } = choice;
  return { k: checkNumber('lookahead.k', k, { min: 1, integer: true }), alpha: checkNumber('lookahead.alpha', alpha, { min: 0, max: 1 }) };
}

export function createSlotOptimizer(tf: TfLike) {
  const FusedOptimizer = createBase(tf);

  /** State kept in slots (one tensor per slot kind and variable position), as tfjs-core keeps it. */
  abstract class SlotOptimizer extends FusedOptimizer {
    state: StateTensor[][] = [];
    /** Weight names by slot and position (TF.js's originalName). */
    names: string[][] = [];
    prepared = new Map<number, { arrays: StateTensor[]; names: string[]; variable: string }>();
    stateDtype: StateDtype = 'float32';
    min8bitSize = DEFAULT_MIN_8BIT_SIZE;
    lookahead: Required<LookaheadChoice> | undefined;
    /** Lookahead's slow weights and their variables' names, by position. */
    slow: Float32Array[] = [];
    slowNames: string[] = [];
    /** Float32 state placed in TF.js's wasm heap (placeState), if any. */
    heap: HeapState | undefined;

    abstract slots(): Slot[];
    abstract kind(): Kind;
    /** The kernel's scalars for this step. */
    abstract scalars(gradScale: number): object;
    /** Per-step scalars move on (accumulated beta powers). */
    afterStep(): void {}
    afterLoad(_iterations: number): void {}

    configureState(options: FusedStateOptions): void {
      if (this.hasState()) throw new Error('stateDtype is fixed once the optimizer has state: set it before the first step');
      if (options.stateDtype !== undefined) this.stateDtype = checkStateDtype('stateDtype', options.stateDtype);
      if (options.min8bitSize !== undefined) this.min8bitSize = checkNumber('min8bitSize', options.min8bitSize, { min: 0, integer: true });
    }

    configureLookahead(choice: LookaheadChoice): void {
      if (this.hasState()) throw new Error('lookahead must be set before the first step');
      this.lookahead = checkLookahead(choice);
    }

    hasState(): boolean {
      return this.iterations > 0 || this.known.length > 0 || this.state.some((l) => l.length > 0);
    }

    /** int8 leaves tensors below min8bitSize in float32, as the optimizer classes do. */
    formatFor(size: number): StateDtype {
      return this.stateDtype === 'int8' && size < this.min8bitSize ? 'float32' : this.stateDtype;
    }

    prepareState(index: number, size: number, name: string): void {
      if (this.state[0]?.[index] !== undefined) return;
      const format = this.formatFor(size);
      this.prepared.set(index, {
        arrays: this.slots().map((s) => stateFromFloat32(new Float32Array(size).fill(s.initial), format, !UNSIGNED_STATE.has(s.stream))),
        names: this.slots().map((s) => `${name}/${s.suffix}`),
        variable: name,
      });
    }

    checkState(index: number, size: number): void {
      for (const list of this.state) {
        const a = list[index];
        const length = a === undefined ? size : lengthOf(a);
        if (length !== size)
          throw new RangeError(`applyGradients: the optimizer state at position ${index} has ${length} elements, the variable ${size}`);
      }
      const slow = this.slow[index];
      if (slow !== undefined && slow.length !== size)
        throw new RangeError(`applyGradients: the lookahead weights at position ${index} have ${slow.length} elements, the variable ${size}`);
    }

    dropPreparedState(): void {
      for (const { arrays } of this.prepared.values())
        for (const a of arrays) if (this.heap !== undefined && isFloat32Array(a)) this.heap.release(a);
      this.prepared.clear();
    }

    /** Applies `f` to every state tensor, committed and prepared, replacing it with what `f` returns. */
    mapState(f: (a: StateTensor) => StateTensor): void {
      for (const list of this.state) list.forEach((a, i) => (list[i] = f(a)));
      for (const { arrays } of this.prepared.values()) arrays.forEach((a, i) => (arrays[i] = f(a)));
    }

    override refreshState(): void {
      const heap = this.heap;
      if (heap !== undefined) this.mapState((a) => (isFloat32Array(a) ? heap.fresh(a) : a));
    }

    override placeState(module: HeapModule | undefined): void {
      if (module === undefined) return;
      if (this.heap !== undefined && this.heap.module.memory !== module.memory) this.evictState();
      const heap = (this.heap ??= new HeapState(module, this));
      this.refreshState();
      this.mapState((a) => (isFloat32Array(a) && !heap.holds(a) ? heap.adopt(a) : a));
      // Each adoption may have grown the heap, detaching the views made before it.
      this.refreshState();
    }

    /** Brings heap-kept state back into JS arrays and frees its blocks. */
    evictState(): void {
      const heap = this.heap;
      if (heap === undefined) return;
      this.refreshState();
      this.mapState((a) => (isFloat32Array(a) && heap.holds(a) ? a.slice() : a));
      heap.releaseAll();
      this.heap = undefined;
    }

    override dispose(): void {
      this.evictState();
      super.dispose();
    }

    commitState(applied: boolean): void {
      const count = this.slots().length;
      for (const [index, { arrays, names, variable }] of this.prepared) {
        for (let s = 0; s < count; s++) {
          (this.state[s] ??= [])[index] = arrays[s];
          (this.names[s] ??= [])[index] = names[s];
        }
        this.slowNames[index] ??= variable;
      }
      this.prepared.clear();
      if (applied) this.afterStep();
    }

    /** The state tensor of slot `s` at a position: committed, or prepared by this step. */
    stateAt(s: number, i: number): StateTensor {
      return this.state[s]?.[i] ?? (this.prepared.get(i) as { arrays: StateTensor[] }).arrays[s];
    }

    update(active: number[], oldValues: Float32Array[], params: Float32Array[], grads: Float32Array[], gradScale: number): boolean {
      const slots = this.slots();
      const look = this.lookahead;
      if (look !== undefined) {
        const positions = Math.max(this.known.length, ...[...this.prepared.keys(), ...active].map((i) => i + 1));
        if (active.length !== positions)
          throw new Error('applyGradients: with lookahead every variable needs a gradient at every step (its sync writes them all)');
      }
      // One kernel call per storage format (int8 keeps tensors below min8bitSize in float32),
      // every call planned (checked) before any runs.
      const byFormat = new Map<StateDtype, number[]>();
      active.forEach((i, k) => {
        const format = slots.length === 0 ? 'float32' : formatOfTensor(this.stateAt(0, i));
        byFormat.set(format, [...(byFormat.get(format) ?? []), k]);
      });
      const scalars = this.scalars(gradScale);
      const runs: PlannedUpdate[] = [...byFormat].map(([format, ks]) =>
        this.planKernel(
          format, ks.map((k) => oldValues[k]), ks.map((k) => params[k]), ks.map((k) => grads[k]),
          slots.map((_, s) => ks.map((k) => this.stateAt(s, active[k]))), scalars,
        ),
      );
      // The slow weights start as the values the first step sees (Lookahead's φ₀ = θ₀).
      const newSlow = look === undefined ? [] : active.map((i, k) => this.slow[i] ?? oldValues[k].slice());
      for (const run of runs) run();
      if (look !== undefined) {
        active.forEach((i, k) => (this.slow[i] = newSlow[k]));
        if ((this.iterations + 1) % look.k === 0) lookaheadSync(newSlow, params, look.alpha);
      }
      return true;
    }

    /** Extra streams the kind takes that are absent here (SGD without momentum). */
    absentStreams(): string[] {
      return [];
    }

    /** One out-of-place kernel call: the variables' values are read from `params`, the new ones written to `paramOut`. */
    planKernel(
      format: StateDtype, params: Float32Array[], paramOut: Float32Array[], grads: Float32Array[], state: StateTensor[][], scalars: object,
    ): PlannedUpdate {
      const slots = this.slots();
      const lists = Object.fromEntries(slots.map((slot, s) => [slot.stream, state[s]]));
      const { lists: stored, stored: storedArgs } = splitState({ stateDtype: format }, lists);
      const args = [
        // Read only: TF.js may share a variable's buffer with other tensors (even a gradient).
        { name: 'param', list: params, written: false },
        { name: 'grad', list: grads, written: false },
        ...slots.map((slot) => ({ name: slot.stream, list: stored[slot.stream], written: true, stream: slot.stream })),
        { name: 'paramOut', list: paramOut, written: true, output: true },
      ];
      const { lists: checked, fields } = checkStateStreams(args, undefined, storedArgs);
      const streams: Record<string, unknown> = { ...fields };
      args.forEach((a, k) => (streams[a.name] = checked[k]));
      for (const name of this.absentStreams()) streams[name] = null;
      return planKernelCall(this.kind(), streams as never, scalars as never);
    }

    /** The state as float32 (stored state decoded), in TF.js's order: each slot kind for every variable, then Lookahead's. */
    slotValues(): SlotValue[] {
      const out: SlotValue[] = [];
      this.refreshState();
      // Copies of heap-kept state: the tensors made from these values can grow the heap.
      const own = (a: StateTensor, stream: string) => (isFloat32Array(a) && this.heap?.holds(a) ? a.slice() : toFloat32(a, stream));
      this.slots().forEach((slot, s) =>
        (this.state[s] ?? []).forEach((values, i) =>
          out.push({ name: this.names[s][i], values: own(values, slot.stream), shape: this.known[i]?.shape }),
        ),
      );
      if (this.lookahead !== undefined)
        this.slow.forEach((values, i) => out.push({ name: `${this.slowNames[i]}/slow`, values, shape: this.known[i]?.shape }));
      return out;
    }

    loadSlotValues(values: SlotValue[], iterations: number): void {
      const slots = this.slots();
      const kinds = slots.length + (this.lookahead === undefined ? 0 : 1);
      if (kinds === 0) {
        if (values.length !== 0) throw new Error(`${this.getClassName()} optimizer does not have settable weights.`);
      } else if (values.length % kinds !== 0)
        throw new RangeError(
          `setWeights: ${values.length} slot weights do not divide into ${kinds} slot kinds (${slots.map((s) => s.suffix)}` +
            `${this.lookahead === undefined ? '' : ', slow'})`,
        );
      const n = kinds === 0 ? 0 : values.length / kinds;
      const part = (s: number) => values.slice(s * n, (s + 1) * n);
      if (this.lookahead !== undefined)
        part(slots.length).forEach((v, i) => {
          if (v.values.length !== values[i].values.length)
            throw new RangeError(`setWeights: '${v.name}' has ${v.values.length} elements, the state of its variable ${values[i].values.length}`);
        });
      // Encoded in this optimizer's format (stateDtype), whatever the saved one was.
      this.evictState();
      this.state = slots.map((slot, s) =>
        part(s).map((v) => stateFromFloat32(v.values, this.formatFor(v.values.length), !UNSIGNED_STATE.has(slot.stream))),
      );
      this.names = slots.map((_, s) => part(s).map((v) => v.name));
      this.slow = this.lookahead === undefined ? [] : part(slots.length).map((v) => v.values);
      this.slowNames = this.lookahead === undefined ? [] : part(slots.length).map((v) => v.name.slice(0, v.name.lastIndexOf('/')));
      this.known = Array.from({ length: n }, (_, i) => ({
        name: null, size: values[i].values.length, shape: values[i].shape ?? [values[i].values.length],
      }));
      this.afterLoad(iterations);
    }

    /** TF.js's config, plus the fused options when they are not the defaults (stock optimizers ignore them). */
    withFusedConfig(config: Record<string, unknown>): Record<string, unknown> {
      const out = { ...config };
      if (this.stateDtype !== 'float32') out.stateDtype = this.stateDtype;
      if (this.stateDtype === 'int8') out.min8bitSize = this.min8bitSize;
      if (this.lookahead !== undefined) out.lookahead = { ...this.lookahead };
      return out;
    }
  }

  /** Builds an optimizer from a saved config, with the fused options it records. */
  const fromSaved = <T extends SlotOptimizer>(opt: T, config: Record<string, unknown>): T => {
    opt.configureState(config as FusedStateOptions);
    if (config.lookahead != null) opt.configureLookahead(config.lookahead as LookaheadChoice);
    return opt;
  };

  return { FusedOptimizer, SlotOptimizer, fromSaved };
}
