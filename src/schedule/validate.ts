// Option checking shared by the schedulers. Wrong JS types raise TypeError; values of the right
// type but outside the allowed range (NaN, Infinity, negative, not increasing...) raise
// RangeError. Every message starts with the owner and names the option, because a bare "invalid
// value" is useless once it has bubbled out of a training loop.

import { describeRule, didYouMean, meetsRule, type NumberRule } from '../functional/validate';
import type { ParamGroupLike, SchedulableOptimizer } from './types';

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return `[${value.map(show).join(', ')}]`;
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

export function typeError(owner: string, option: string, expected: string, value: unknown): never {
  throw new TypeError(`${owner}: option '${option}' must be ${expected}, got ${show(value)}`);
}

export function rangeError(owner: string, option: string, expected: string, value: unknown): never {
  throw new RangeError(`${owner}: option '${option}' must be ${expected}, got ${show(value)}`);
}

/**
 * Rejects unknown keys. PyTorch users will type `step_size` or `T_max` out of habit; silently
 * ignoring those would fall back to a default and train with the wrong schedule.
 */
export function readOptions(owner: string, options: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`${owner}: options must be an object, got ${show(options)}`);
  }
  const record = options as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (allowed.includes(key)) continue;
    const guess = didYouMean(key, allowed);
    const hint = guess !== undefined ? ` (did you mean '${guess}'?)` : ` (known options: ${allowed.join(', ')})`;
    throw new TypeError(`${owner}: unknown option '${key}'${hint}`);
  }
  return record;
}

/** Bounds of a number option (the functional layer's NumberRule, its integer flag aside). */
export type NumberBounds = Omit<NumberRule, 'integer'>;

/** A number following `rule`, else a TypeError/RangeError naming the owner and the option. */
function checkRule(owner: string, option: string, value: unknown, rule: NumberRule): number {
  if (typeof value !== 'number') typeError(owner, option, describeRule(rule), value);
  if (!meetsRule(value, rule)) rangeError(owner, option, describeRule(rule), value);
  return value;
}

export function checkNumber(owner: string, option: string, value: unknown, bounds: NumberBounds = {}): number {
  return checkRule(owner, option, value, bounds);
}

export function checkInteger(owner: string, option: string, value: unknown, bounds: NumberBounds = {}): number {
  return checkRule(owner, option, value, { ...bounds, integer: 'safe' });
}

export function checkBoolean(owner: string, option: string, value: unknown): boolean {
  if (typeof value !== 'boolean') typeError(owner, option, 'a boolean', value);
  return value;
}

export function checkEnum<T extends string>(owner: string, option: string, value: unknown, allowed: readonly T[]): T {
  const expected = `one of ${allowed.map((a) => `'${a}'`).join(', ')}`;
  if (typeof value !== 'string') typeError(owner, option, expected, value);
  if (!(allowed as readonly string[]).includes(value)) rangeError(owner, option, expected, value);
  return value as T;
}

export function checkFunction<F extends (...args: never[]) => unknown>(owner: string, option: string, value: unknown): F {
  if (typeof value !== 'function') typeError(owner, option, 'a function', value);
  return value as F;
}

/** A scalar applied to every group, or one value per group (PyTorch's `_format_param`). */
export function perGroup(
  owner: string,
  option: string,
  value: unknown,
  groupCount: number,
  check: (opt: string, v: unknown) => number,
): number[] {
  if (Array.isArray(value)) {
    if (value.length !== groupCount) {
      rangeError(owner, option, `a number or an array of ${groupCount} numbers (one per param group)`, value);
    }
    return value.map((v, i) => check(`${option}[${i}]`, v));
  }
  const v = check(option, value);
  return new Array<number>(groupCount).fill(v);
}

/** Strictly increasing integers: equal or out-of-order milestones are almost always a typo. */
export function checkMilestones(owner: string, option: string, value: unknown, min: number): number[] {
  if (!Array.isArray(value)) typeError(owner, option, 'an array of integers', value);
  const out: number[] = [];
  value.forEach((v, i) => {
    const m = checkInteger(owner, `${option}[${i}]`, v, { min });
    if (i > 0 && !(m > out[i - 1])) rangeError(owner, option, 'strictly increasing', value);
    out.push(m);
  });
  return out;
}

export function checkOptimizer(owner: string, optimizer: unknown): ParamGroupLike[] {
  if (optimizer === null || typeof optimizer !== 'object') {
    throw new TypeError(`${owner}: optimizer must be an object with a 'paramGroups' array, got ${show(optimizer)}`);
  }
  const groups = (optimizer as Partial<SchedulableOptimizer>).paramGroups;
  if (!Array.isArray(groups) || groups.length === 0) {
    throw new TypeError(`${owner}: optimizer.paramGroups must be a non-empty array, got ${show(groups)}`);
  }
  groups.forEach((g: unknown, i) => {
    if (g === null || typeof g !== 'object') {
      throw new TypeError(`${owner}: optimizer.paramGroups[${i}] must be an object, got ${show(g)}`);
    }
    const lr = (g as { lr?: unknown }).lr;
    if (typeof lr !== 'number') {
      throw new TypeError(`${owner}: optimizer.paramGroups[${i}].lr must be a number, got ${show(lr)}`);
    }
    if (!Number.isFinite(lr) || lr < 0) {
      throw new RangeError(`${owner}: optimizer.paramGroups[${i}].lr must be a finite number >= 0, got ${show(lr)}`);
    }
  });
  return groups;
}

// ---------------------------------------------------------------------------------------------
// State-dict reading: the input usually comes from JSON.parse, so nothing about it is trusted.

export function stateError(owner: string, key: string, expected: string, value: unknown): never {
  throw new TypeError(`${owner}.loadStateDict: '${key}' must be ${expected}, got ${show(value)}`);
}

export function stateRecord(owner: string, state: unknown, type: string): Record<string, unknown> {
  if (state === null || typeof state !== 'object' || Array.isArray(state)) {
    throw new TypeError(`${owner}.loadStateDict: expected a state object, got ${show(state)}`);
  }
  const rec = state as Record<string, unknown>;
  if (rec.type !== type) {
    throw new TypeError(`${owner}.loadStateDict: state is for ${show(rec.type)}, not ${show(type)}`);
  }
  return rec;
}

export function stateNumber(owner: string, rec: Record<string, unknown>, key: string): number {
  const v = rec[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) stateError(owner, key, 'a finite number', v);
  return v;
}

export function stateInteger(owner: string, rec: Record<string, unknown>, key: string): number {
  const v = rec[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) stateError(owner, key, 'an integer', v);
  return v;
}

export function stateNumbers(owner: string, rec: Record<string, unknown>, key: string, length: number): number[] {
  const v = rec[key];
  if (!Array.isArray(v) || v.length !== length || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    stateError(owner, key, `an array of ${length} finite numbers`, v);
  }
  return [...(v as number[])];
}

/**
 * JSON has no Infinity or NaN, but "best so far" legitimately starts at +/-Infinity; these
 * encode such values as strings so a state dict survives JSON.stringify unchanged.
 */
export function encodeNumber(x: number): number | string {
  return Number.isFinite(x) ? x : String(x);
}

export function decodeNumber(owner: string, rec: Record<string, unknown>, key: string): number {
  const v = rec[key];
  if (typeof v === 'number' && !Number.isNaN(v)) return v;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  if (v === 'NaN') return NaN;
  return stateError(owner, key, "a number or 'Infinity' / '-Infinity' / 'NaN'", v);
}
