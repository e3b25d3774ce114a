// Argument checks shared by every public entry point. They run before any memory is touched,
// throw TypeError (wrong kind of value) or RangeError (right kind, wrong value) naming the
// argument, and so leave every array unchanged when a call is rejected.

export interface NumberRule {
  min?: number;
  max?: number;
  /** min itself is not allowed */
  minExclusive?: boolean;
  /** max itself is not allowed */
  maxExclusive?: boolean;
  integer?: boolean;
}

function describe(rule: NumberRule): string {
  const parts: string[] = [];
  if (rule.min !== undefined) parts.push(`${rule.minExclusive ? '>' : '>='} ${rule.min}`);
  if (rule.max !== undefined) parts.push(`${rule.maxExclusive ? '<' : '<='} ${rule.max}`);
  return `${rule.integer ? 'an integer' : 'a finite number'}${parts.length ? ' ' + parts.join(' and ') : ''}`;
}

export function checkNumber(name: string, value: unknown, rule: NumberRule = {}): number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, got ${typeof value}`);
  const ok =
    Number.isFinite(value) &&
    (!rule.integer || Number.isInteger(value)) &&
    (rule.min === undefined || (rule.minExclusive ? value > rule.min : value >= rule.min)) &&
    (rule.max === undefined || (rule.maxExclusive ? value < rule.max : value <= rule.max));
  if (!ok) throw new RangeError(`${name} must be ${describe(rule)}, got ${value}`);
  return value;
}

export function checkBoolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new TypeError(`${name} must be a boolean, got ${typeof value}`);
  return value;
}

// The engine's own functions, taken when this module loads, before user code can replace them
// (as Node's internals do with their "primordials"). What decides whether the addon may reuse
// pointers must not go through anything user code can patch later: a typed array's own or
// inherited `length`, Function.prototype.call, the global Float32Array, Object's statics.
const RealFloat32Array = Float32Array;
const float32Proto = RealFloat32Array.prototype;
const { getPrototypeOf, getOwnPropertyDescriptor, hasOwn } = Object;
// uncurry(f)(self, ...args) is f.call(self, ...args), with the real call.
const uncurry = Function.prototype.bind.bind(Function.prototype.call) as <A extends unknown[], R>(
  fn: (...args: A) => R,
) => (self: unknown, ...args: A) => R;
const typedArrayProto = getPrototypeOf(float32Proto) as object;
const intrinsic = (target: object, name: string | symbol) =>
  uncurry((getOwnPropertyDescriptor(target, name) as PropertyDescriptor).get as () => unknown);
const tagOf = intrinsic(typedArrayProto, Symbol.toStringTag);
const lengthGetter = (getOwnPropertyDescriptor(typedArrayProto, 'length') as PropertyDescriptor).get;
const lengthOf = intrinsic(typedArrayProto, 'length');
const bufferOf = intrinsic(typedArrayProto, 'buffer');
const byteOffsetOf = intrinsic(typedArrayProto, 'byteOffset');
const byteLengthOf = intrinsic(typedArrayProto, 'byteLength');

/** True only for a genuine Float32Array (not an object that merely inherits its prototype). */
export const isFloat32Array = (a: unknown): a is Float32Array => tagOf(a) === 'Float32Array';
/** The element count as the engine knows it, whatever properties the object defines. */
export const tensorLength = (a: Float32Array): number => lengthOf(a) as number;
const tensorBuffer = (a: Float32Array): ArrayBufferLike => bufferOf(a) as ArrayBufferLike;
/**
 * A new Float32Array on the same memory as `a`, seen by no one else: no user code can give it
 * its own `length` or another prototype, so its plain `length` stays the engine's (0 once the
 * buffer is detached) for as long as the built-in getter itself is intact.
 */
export const privateView = <T extends Float32Array>(a: T): T =>
  (tagOf(a) === 'Float32Array'
    ? new RealFloat32Array(tensorBuffer(a), byteOffsetOf(a) as number, tensorLength(a))
    : typedSlice(a, 0, tensorLength(a))) as T;

/** Whether the built-in typed-array `length` getter is still what plain `.length` reaches. */
export const lengthGetterIntact = (): boolean =>
  getPrototypeOf(float32Proto) === typedArrayProto &&
  !hasOwn(float32Proto, 'length') &&
  getOwnPropertyDescriptor(typedArrayProto, 'length')?.get === lengthGetter;

/** Elements [at, at + n) of `a` as a new plain array on the same memory, made by engine accessors only. */
export const tensorSlice = (a: Float32Array, at: number, n: number): Float32Array =>
  new RealFloat32Array(tensorBuffer(a), (byteOffsetOf(a) as number) + at * 4, n);
/** The typed-array types a tensor may have: float32 data, and the stored state's bfloat16 words and int8 codes. */
export type TensorType = 'Float32Array' | 'Uint16Array' | 'Uint8Array';
const REAL_CONSTRUCTORS = { Float32Array, Uint16Array, Uint8Array } as const;
/** The engine's type tag of a typed array (undefined for anything else), through the real getter. */
export const typeTagOf = (a: unknown): string | undefined => tagOf(a) as string | undefined;

/** Elements [at, at + n) of a tensor of any TensorType as a new plain array on the same memory (engine accessors only). */
export function typedSlice<T extends Float32Array | Uint16Array | Uint8Array>(a: T, at: number, n: number): T {
  const Ctor = REAL_CONSTRUCTORS[tagOf(a) as TensorType];
  return new Ctor(bufferOf(a) as ArrayBuffer, (byteOffsetOf(a) as number) + at * Ctor.BYTES_PER_ELEMENT, n) as T;
}

const resizableGetter = getOwnPropertyDescriptor(ArrayBuffer.prototype, 'resizable')?.get;
const growableGetter = getOwnPropertyDescriptor(SharedArrayBuffer.prototype, 'growable')?.get;
const resizableOf = resizableGetter && uncurry(resizableGetter);
const growableOf = growableGetter && uncurry(growableGetter);
const RealUint8Array = Uint8Array;

/** True when the array's memory could shrink: a resizable ArrayBuffer (shared ones only grow). */
export function onResizableBuffer(a: Float32Array): boolean {
  if (resizableOf === undefined) return false;
  try {
    return resizableOf(tensorBuffer(a)) === true;
  } catch {
    return false; // a SharedArrayBuffer
  }
}

/**
 * True when the array's length can change without its buffer being detached: a resizable
 * ArrayBuffer, or a growable SharedArrayBuffer (a length-tracking view grows with it).
 */
export function onChangeableBuffer(a: Float32Array): boolean {
  if (onResizableBuffer(a)) return true;
  if (growableOf === undefined) return false;
  try {
    return growableOf(tensorBuffer(a)) === true;
  } catch {
    return false; // an ArrayBuffer
  }
}

function isDetached(a: Float32Array): boolean {
  // A view on a detached buffer reads as empty; only an empty view needs the (throwing) probe.
  if (tensorLength(a) !== 0) return false;
  try {
    new RealUint8Array(tensorBuffer(a), 0, 0);
    return false;
  } catch {
    return true;
  }
}

/**
 * The array itself when its `length` is the engine's, else a plain view of the same memory. A
 * subclass or an own property could make `length` say anything, and the pure-TS kernels loop
 * to `length`: a view makes every backend update exactly the validated elements.
 */
function plainView(a: Float32Array): Float32Array {
  if (getPrototypeOf(a) === REAL_CONSTRUCTORS[tagOf(a) as TensorType].prototype && !hasOwn(a, 'length')) return a;
  return privateView(a);
}

/**
 * A list of Float32Arrays; with `like`, each must have the same length as its partner. Returns
 * a copy of the list, read once: a list whose elements are getters (or a Proxy) cannot show
 * the checks one array and the kernel another.
 */
export function checkTensorList(
  name: string,
  list: unknown,
  like?: { name: string; list: Float32Array[] },
  type: TensorType = 'Float32Array',
  blockSize?: number,
): Float32Array[] {
  if (!Array.isArray(list)) throw new TypeError(`${name} must be an array of ${type}`);
  const count = list.length;
  const copy = new Array<Float32Array>(count);
  for (let i = 0; i < count; i++) {
    // Stored state (Uint16Array, Uint8Array) goes through the same checks, typed as the float lists.
    const t = list[i] as Float32Array;
    if (tagOf(t) !== type) throw new TypeError(`${name}[${i}] must be a ${type}`);
    if (isDetached(t)) throw new TypeError(`${name}[${i}] has a detached buffer`);
    copy[i] = plainView(t);
  }
  if (like !== undefined) {
    if (count !== like.list.length)
      throw new RangeError(`${name} has ${count} tensors, ${like.name} has ${like.list.length}`);
    for (let i = 0; i < count; i++) {
      const n = tensorLength(copy[i]), m = tensorLength(like.list[i]);
      // An int8 state's absmax list: one scale per block of its tensor.
      if (blockSize !== undefined && n !== Math.ceil(m / blockSize))
        throw new RangeError(`${name}[${i}] has length ${n}, ${like.name}[${i}] (length ${m}) has ${Math.ceil(m / blockSize)} blocks of ${blockSize}`);
      if (blockSize === undefined && n !== m) throw new RangeError(`${name}[${i}] has length ${n}, ${like.name}[${i}] has length ${m}`);
    }
  }
  return copy;
}

interface Span {
  start: number;
  end: number;
  label: string;
  writable: boolean;
}

/**
 * Rejects memory shared between arrays when at least one of them is written: an update that
 * reads what another tensor's update just wrote would silently corrupt training. Arrays that
 * are only read (gradients) may alias each other.
 */
export function checkNoOverlap(lists: { name: string; list: Float32Array[]; writable: boolean }[]): void {
  const byBuffer = new Map<ArrayBufferLike, Span[]>();
  let shared = false;
  for (const { name, list, writable } of lists) {
    for (let i = 0; i < list.length; i++) {
      const a = list[i];
      if (tensorLength(a) === 0) continue;
      const start = byteOffsetOf(a) as number;
      const span = { start, end: start + (byteLengthOf(a) as number), label: `${name}[${i}]`, writable };
      const buffer = tensorBuffer(a);
      const spans = byBuffer.get(buffer);
      if (spans === undefined) byBuffer.set(buffer, [span]);
      else {
        spans.push(span);
        shared = true;
      }
    }
  }
  if (!shared) return;
  for (const spans of byBuffer.values()) {
    if (spans.length < 2) continue;
    spans.sort((a, b) => a.start - b.start);
    // Sweep in address order, remembering the span reaching furthest and the furthest writable one.
    let reach = spans[0];
    let writableReach: Span | null = spans[0].writable ? spans[0] : null;
    for (let k = 1; k < spans.length; k++) {
      const s = spans[k];
      const hit = s.writable ? (s.start < reach.end ? reach : null) : writableReach && s.start < writableReach.end ? writableReach : null;
      if (hit) throw new RangeError(`${s.label} overlaps ${hit.label} in memory; the update would corrupt one of them`);
      if (s.end > reach.end) reach = s;
      if (s.writable && (writableReach === null || s.end > writableReach.end)) writableReach = s;
    }
  }
}
