// Checks of what an optimizer is given: option names (a misspelt one must not pass silently), a
// group's parameters, the step's gradScale; and the cheap way to add options to a group's.
import { checkBeta } from '../functional/common-options';
import { checkBoolean, checkNumber, didYouMean, isFloat32Array } from '../functional/validate';
import type { Parameter } from './types';

/**
 * A group's options with a few more: what `{ ...group, ...extra }` means, at a hundredth of its
 * cost. Node 20's V8 takes 2-4 µs to spread an object into a literal that adds properties
 * after it (measured: 2.5 µs for a parameter group plus two options), every step, every group.
 */
export function groupOptionsWith<T extends object, E extends object>(group: T, extra: E): T & E {
  return Object.assign({}, group, extra);
}

/** Keys a parameter group may carry besides the optimizer's options. */
export const GROUP_EXTRAS = ['params', 'name', 'initialLr'];

/** Rejects option names the optimizer does not have: a misspelt option must not pass silently. */
export function checkKnownKeys(where: string, object: object, known: readonly string[]): void {
  for (const key of Object.keys(object)) {
    if (known.includes(key)) continue;
    const near = didYouMean(key, known);
    const hint = near ? ` (did you mean '${near}'?)` : ` (known: ${known.join(', ')})`;
    throw new TypeError(`${where} has no option '${key}'${hint}`);
  }
}

/**
 * Rejects the keys of a group that look like a misspelt option (another case, snake_case, a
 * typo): set after construction, the optimizer would never read them. Other keys are the
 * user's own business, as in PyTorch.
 */
export function checkMisspeltKeys(where: string, keys: readonly string[], known: readonly string[]): void {
  for (const key of keys) {
    if (known.includes(key)) continue;
    const near = didYouMean(key, known);
    if (near !== undefined)
      throw new TypeError(`${where}.${key} is not an option of this optimizer and would be ignored (did you mean '${near}'?)`);
  }
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The step's gradScale: finite and >= 0 (a negative one turns descent into ascent). */
export function checkGradScale(value: unknown): number {
  if (typeof value !== 'number') throw new TypeError(`gradScale must be a number, got ${typeof value}`);
  if (!Number.isFinite(value))
    throw new RangeError(
      `gradScale must be a finite number >= 0, got ${value} (a non-finite scale, from clipCoefficient of a ` +
        `gradient holding NaN or Infinity say, can skip the step instead: pass skipIfNonFinite: true)`,
    );
  if (value < 0) throw new RangeError(`gradScale must be a finite number >= 0, got ${value}`);
  return value;
}


/**
 * Refuses a group key that looks like a misspelt option. The keys are listed every step (a user
 * may add one at any time), but examined one by one only when they differ from the keys of the
 * last check: about 0.2 µs a group when nothing changed.
 */
export class GroupKeyCheck {
  /** Each group's keys when they were last checked. */
  private readonly checked = new WeakMap<object, string[]>();

  constructor(private readonly known: readonly string[]) {}

  check(group: object, where: string): void {
    const keys = Object.keys(group);
    const checked = this.checked.get(group);
    if (checked !== undefined && sameKeys(keys, checked)) return;
    checkMisspeltKeys(where, keys, this.known);
    this.checked.set(group, keys);
  }
}

/** A new group's parameters: objects with Float32Array data and grad (or null), none in `seen`. */
export function checkGroupParams(where: string, params: readonly Parameter[], seen: Set<Parameter>): void {
  params.forEach((p, i) => {
    if (p === null || typeof p !== 'object' || !isFloat32Array(p.data))
      throw new TypeError(`${where}.params[${i}].data must be a Float32Array`);
    if (p.grad !== null && p.grad !== undefined && !isFloat32Array(p.grad))
      throw new TypeError(`${where}.params[${i}].grad must be a Float32Array or null`);
    if (seen.has(p)) throw new RangeError(`${where}.params[${i}] appears in more than one place`);
    seen.add(p);
  });
}

export function checkBetas(where: string, betas: unknown): [number, number] {
  if (!Array.isArray(betas) || betas.length !== 2) throw new TypeError(`${where}.betas must be [beta1, beta2]`);
  checkBeta(`${where}.betas[0]`, betas[0]);
  checkBeta(`${where}.betas[1]`, betas[1]);
  return betas as [number, number];
}

/** lr, weightDecay, maximize: checked for every optimizer's groups. */
export function checkCommon(where: string, g: { lr: unknown; weightDecay?: unknown; maximize?: unknown }): void {
  checkNumber(`${where}.lr`, g.lr, { min: 0 });
  if (g.weightDecay !== undefined) checkNumber(`${where}.weightDecay`, g.weightDecay, { min: 0 });
  if (g.maximize !== undefined) checkBoolean(`${where}.maximize`, g.maximize);
}
