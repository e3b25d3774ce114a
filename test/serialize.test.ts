// Checkpoint bytes: serializeState refuses what it cannot give back; deserializeState says
// "truncated" when the bytes end early, and on any damaged or forged input throws a RangeError
// without allocating more than the input's size (fuzzed with fast-check).
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deserializeState, serializeState } from '../src';

/** Counts of the fuzz cases below (quoted in the README's Reliability section). */
export const FUZZ_RUNS = { roundTrip: 500, truncation: 2000, bitFlips: 3000, forged: 3000, randomBytes: 2000 };

const leaf = fc.oneof(
  fc.double(),
  fc.string(),
  fc.boolean(),
  fc.constant(null),
  fc.float32Array({ maxLength: 40 }),
  // Stored optimizer state (stateDtype): bfloat16 words and int8 codes, of every length mod 4.
  fc.uint16Array({ maxLength: 40 }),
  fc.uint8Array({ maxLength: 40 }),
);
const RESERVED = ['$f32', '$u16', '$u8', '$num'];
const stateLike = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 5 }),
  object: fc.dictionary(fc.string().filter((k) => !RESERVED.includes(k)), tie('value'), { maxKeys: 5 }),
})).object;

/** Total bytes of the tensors (Float32Array, Uint16Array, Uint8Array) in a value. */
function tensorBytes(value: unknown): number {
  if (value instanceof Float32Array || value instanceof Uint16Array || value instanceof Uint8Array) return value.byteLength;
  if (value !== null && typeof value === 'object') return Object.values(value).reduce((n: number, v) => n + tensorBytes(v), 0);
  return 0;
}

/** The checkpoint layout with any header text and area, and a valid checksum (a forgery). */
function forge(headerText: string, area: Uint8Array, headerLength?: number): Uint8Array {
  const header = new TextEncoder().encode(headerText);
  const areaStart = 16 + Math.ceil(header.length / 4) * 4;
  const out = new Uint8Array(areaStart + area.length + 4);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode('FOPTSTAT'));
  view.setUint32(8, 1, true);
  view.setUint32(12, headerLength ?? header.length, true);
  out.set(header, 16);
  out.set(area, areaStart);
  view.setUint32(out.length - 4, crc32(out.subarray(0, out.length - 4)) >>> 0, true);
  return out;
}

function expectRangeError(fn: () => unknown, message?: RegExp): void {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(RangeError);
  if (message) expect((error as Error).message).toMatch(message);
}

describe('serializeState refuses what it cannot round-trip, naming the path', () => {
  class Moments {
    m = new Float32Array(2);
  }
  const cycle: Record<string, unknown> = { a: 1 };
  cycle.self = cycle;
  it.each([
    ['a Map', { optimizer: { m: new Map() } }, /stateDict\.optimizer\.m is a Map/],
    ['a Set', { s: new Set([1]) }, /stateDict\.s is a Set/],
    ['a Date', { when: new Date(0) }, /stateDict\.when is a Date/],
    ['a class instance', { state: [new Moments()] }, /stateDict\.state\[0\] is a Moments/],
    ['a function', { lrLambda: () => 1 }, /stateDict\.lrLambda is a function/],
    ['a symbol', { s: Symbol('x') }, /stateDict\.s is a symbol/],
    ['a bigint', { n: 1n }, /stateDict\.n is a bigint/],
    ['undefined in an array', { a: [1, undefined] }, /stateDict\.a\[1\] is undefined/],
    ['a hole in an array', { a: [1, , 3] }, /stateDict\.a\[1\] is a hole/],
    ['another typed array', { q: new Int8Array(3) }, /stateDict\.q is a Int8Array/],
    ['a Float32Array subclass', { q: new (class Tensor extends Float32Array {})(2) }, /stateDict\.q is a Tensor/],
    ['a cycle', cycle, /stateDict\.self is a reference back/],
    ['a reserved key', { x: { $f32: [0, 1] } }, /stateDict\.x\.\$f32 is a key the file format reserves/],
    ['the bfloat16 tensor tag as a key', { x: { $u16: [0, 1] } }, /stateDict\.x\.\$u16 is a key the file format reserves/],
    ['the int8 tensor tag as a key', { x: { $u8: [0, 1] } }, /stateDict\.x\.\$u8 is a key the file format reserves/],
    ['a Uint16Array subclass', { q: new (class Words extends Uint16Array {})(2) }, /stateDict\.q is a Words/],
    ['symbol keys', { [Symbol('k')]: 1 }, /symbol keys/],
  ])('%s', (_what, value, message) => {
    expect(() => serializeState(value as object)).toThrow(TypeError);
    expect(() => serializeState(value as object)).toThrow(message);
  });

  it('odd property names are quoted in the path', () => {
    expect(() => serializeState({ 'fc 1.bias': { m: new Map() } })).toThrow('stateDict["fc 1.bias"].m is a Map');
  });

  it('what it accepts comes back as it was: -0, NaN, ±Infinity, nulls, strings, nested arrays, null-prototype objects', () => {
    const bare = Object.create(null) as Record<string, unknown>;
    bare.x = 1;
    const value = { z: -0, n: NaN, i: [Infinity, -Infinity], s: 'é\u0000', nil: null, deep: [[[new Float32Array([1, -0, NaN])]]], bare, __proto__x: 1 };
    const back = deserializeState(serializeState(value)) as typeof value;
    expect(Object.is(back.z, -0)).toBe(true);
    expect(back).toEqual({ ...value, bare: { x: 1 } });
    expect(Object.is((back.deep[0][0][0] as Float32Array)[1], -0)).toBe(true);
  });

  it('Uint16Array and Uint8Array (stored optimizer state) come back as themselves, bit for bit, each padded to 4 bytes', () => {
    const value = { words: new Uint16Array([1, 0xffff, 0x7fc0]), codes: new Uint8Array([0, 255, 128, 1, 7]), scale: new Float32Array([1.5]) };
    const bytes = serializeState(value);
    const back = deserializeState<typeof value>(bytes);
    expect(back.words).toBeInstanceOf(Uint16Array);
    expect(back.codes).toBeInstanceOf(Uint8Array);
    expect(back.scale).toBeInstanceOf(Float32Array);
    expect([...back.words]).toEqual([1, 0xffff, 0x7fc0]);
    expect([...back.codes]).toEqual([0, 255, 128, 1, 7]);
    expect([...back.scale]).toEqual([1.5]);
    const headerLength = new DataView(bytes.buffer, bytes.byteOffset).getUint32(12, true);
    // 6 bytes of words padded to 8, 5 of codes to 8, 4 of floats, then the checksum.
    expect(bytes.length).toBe(16 + Math.ceil(headerLength / 4) * 4 + 8 + 8 + 4 + 4);
  });

  it('an own "__proto__" key comes back as a key, not as the prototype', () => {
    const value = JSON.parse('{"__proto__": {"polluted": true}}');
    const back = deserializeState(serializeState(value)) as Record<string, unknown>;
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(Object.keys(back)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('a property whose value is undefined is left out (it reads the same)', () => {
    expect(deserializeState(serializeState({ a: undefined, b: 1 }))).toEqual({ b: 1 });
  });
});

describe('deserializeState on damaged input', () => {
  const sample = () => serializeState({ optimizer: { state: { 0: { step: 3, expAvg: new Float32Array(300).fill(0.5) } } }, w: [new Float32Array(7)] });

  it('a file cut anywhere says "truncated", not "checksum mismatch"', () => {
    const bytes = sample();
    for (const cut of [0, 3, 8, 12, 19, 20, 40, bytes.length - 1000, bytes.length - 5, bytes.length - 1])
      expectRangeError(() => deserializeState(bytes.subarray(0, cut)), /^truncated checkpoint/);
  });

  it('a changed byte says "checksum mismatch"', () => {
    const bytes = sample();
    bytes[bytes.length - 100] ^= 0x10;
    expectRangeError(() => deserializeState(bytes), /checksum mismatch/);
  });

  it('bytes appended to a good file are refused', () => {
    const bytes = sample();
    const longer = new Uint8Array(bytes.length + 8);
    longer.set(bytes);
    expectRangeError(() => deserializeState(longer), /corrupt checkpoint/);
  });

  it('a forged header naming one tensor many times over (a huge allocation) is refused before allocating', () => {
    const area = new Uint8Array(4096);
    const refs = Array.from({ length: 10000 }, () => ({ $f32: [0, 1024] }));
    expectRangeError(() => deserializeState(forge(JSON.stringify(refs), area)), /not where the one before it ends/);
    expectRangeError(() => deserializeState(forge(JSON.stringify({ t: { $f32: [0, 2 ** 40] } }), area)), /corrupt/);
  });

  it('a forged header nested 100,000 levels deep is a RangeError naming the depth', () => {
    expectRangeError(() => deserializeState(forge('['.repeat(1e5) + ']'.repeat(1e5), new Uint8Array(0))), /nested more than/);
  });

  it('not a Uint8Array is a TypeError', () => {
    expect(() => deserializeState('FOPTSTAT' as never)).toThrow(TypeError);
  });
});

describe('fuzzing deserializeState (fast-check)', () => {
  it(`round trip: ${FUZZ_RUNS.roundTrip} random state-like values come back bit-exact`, () => {
    fc.assert(
      fc.property(stateLike, (value) => {
        expect(deserializeState(serializeState(value))).toEqual(value);
      }),
      { numRuns: FUZZ_RUNS.roundTrip },
    );
  });

  it(`${FUZZ_RUNS.truncation} random truncations of random checkpoints: always RangeError "truncated"`, () => {
    fc.assert(
      fc.property(stateLike, fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (value, at) => {
        const bytes = serializeState(value);
        expectRangeError(() => deserializeState(bytes.subarray(0, Math.floor(at * bytes.length))), /^truncated checkpoint/);
      }),
      { numRuns: FUZZ_RUNS.truncation },
    );
  });

  it(`${FUZZ_RUNS.bitFlips} random checkpoints with 1 to 3 bits flipped anywhere: always RangeError`, () => {
    fc.assert(
      fc.property(stateLike, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 3 }), (value, flips) => {
        const bytes = serializeState(value).slice();
        const positions = new Set<string>();
        for (const [byte, bit] of flips) {
          const at = byte % bytes.length;
          if (positions.has(`${at}:${bit}`)) return; // two flips of one bit cancel out
          positions.add(`${at}:${bit}`);
          bytes[at] ^= 1 << bit;
        }
        expectRangeError(() => deserializeState(bytes));
      }),
      { numRuns: FUZZ_RUNS.bitFlips },
    );
  });

  it(`${FUZZ_RUNS.forged} forged files with valid checksums (random headers, references, lengths): a RangeError or a value no bigger than the input`, () => {
    const refArgs = fc.tuple(fc.oneof(fc.nat(64), fc.integer(), fc.constant(2 ** 53)), fc.oneof(fc.nat(16), fc.integer(), fc.constant(2 ** 31)));
    const ref = fc.oneof(fc.record({ $f32: refArgs }), fc.record({ $u16: refArgs }), fc.record({ $u8: refArgs }));
    const num = fc.record({ $num: fc.oneof(fc.constantFrom('NaN', 'Infinity', '-Infinity', '-0'), fc.string()) });
    const forgedValue = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: 'small' }, fc.jsonValue({ maxDepth: 1 }), ref, num, tie('array'), tie('object')),
      array: fc.array(tie('value'), { maxLength: 6 }),
      object: fc.dictionary(fc.string(), tie('value'), { maxKeys: 4 }),
    })).value;
    const headerText = fc.oneof(
      forgedValue.map((v) => JSON.stringify(v)),
      fc.string(), // not JSON at all
    );
    fc.assert(
      fc.property(headerText, fc.uint8Array({ maxLength: 256 }), fc.option(fc.nat()), (text, area, headerLength) => {
        const bytes = forge(text, area, headerLength ?? undefined);
        let result: unknown;
        try {
          result = deserializeState(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(RangeError);
          return;
        }
        expect(tensorBytes(result)).toBeLessThanOrEqual(bytes.length);
      }),
      { numRuns: FUZZ_RUNS.forged },
    );
  });

  it(`${FUZZ_RUNS.randomBytes} random byte strings, with and without the magic: always RangeError`, () => {
    const magic = new TextEncoder().encode('FOPTSTAT');
    fc.assert(
      fc.property(fc.boolean(), fc.uint8Array({ maxLength: 512 }), (withMagic, tail) => {
        const bytes = withMagic ? new Uint8Array([...magic, 1, 0, 0, 0, ...tail]) : tail;
        expectRangeError(() => deserializeState(bytes));
      }),
      { numRuns: FUZZ_RUNS.randomBytes },
    );
  });
});
