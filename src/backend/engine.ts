// Engine intrinsics: the functions every layer uses to look at a user's typed arrays.
//
// Threat model. The native addon unwraps raw pointers from typed arrays and, for many-tensor
// steps, reuses them across steps while every array is unchanged (src/backend/stream-cache.ts).
// User code runs between our checks and the addon call only through things it can patch: a
// typed array's own or inherited `length`, getters on list elements, Function.prototype.call,
// the global Float32Array, Object's statics, array iterators. So everything that decides what
// memory the addon may touch goes through functions captured here at load time, lengths are
// read from private views nobody else holds, and resizable or growable buffers (whose length
// can change without detaching) are refused or checked with these accessors. The invariant:
// the addon never receives a pointer/length pair that the engine itself did not confirm after
// the last point where user code could run.

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
/** The buffer, byte offset and byte length as the engine knows them. */
export const tensorBuffer = (a: Float32Array): ArrayBufferLike => bufferOf(a) as ArrayBufferLike;
export const tensorByteOffset = (a: Float32Array): number => byteOffsetOf(a) as number;
export const tensorByteLength = (a: Float32Array): number => byteLengthOf(a) as number;
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

/** Bytes per element of a tensor of any TensorType. */
export const elementBytes = (a: Float32Array | Uint16Array | Uint8Array): number => REAL_CONSTRUCTORS[tagOf(a) as TensorType].BYTES_PER_ELEMENT;

/** n elements of `a`'s type at byte `byteOffset` of `buffer` (another memory than a's, e.g. a wasm module's). */
export function viewLike<T extends Float32Array | Uint16Array | Uint8Array>(a: T, buffer: ArrayBuffer, byteOffset: number, n: number): T {
  return new REAL_CONSTRUCTORS[tagOf(a) as TensorType](buffer, byteOffset, n) as T;
}

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

export function isDetached(a: Float32Array): boolean {
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
export function plainView(a: Float32Array): Float32Array {
  if (getPrototypeOf(a) === REAL_CONSTRUCTORS[tagOf(a) as TensorType].prototype && !hasOwn(a, 'length')) return a;
  return privateView(a);
}
