// The kinds table of src/backend/kinds.ts against the native addon's and the wasm module's own
// (both generated from native/kernels/kinds.h): equal here, and any difference refused at load
// with the kind and the field named, never packed into scalars the kernel does not expect.
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadAddon } from '../src/backend/addon-loader';
import { type Domain, KINDS, type KindLayout, kindTableMismatch } from '../src/backend/kinds';
import { parseKinds } from '../src/backend/wasm';
import { compileKernels, placeAlone, type WasmApi, wasmApi } from '../src/backend/wasm-module';

const root = join(__dirname, '..');
const built = join(root, 'build', 'Release', 'fused_optim.node');
const addon = createRequire(import.meta.url)(built);
const addonKinds = (): Record<string, KindLayout> => addon.kinds();

/** The wasm module's own table, as fo_kinds() writes it. */
function wasmKindsText(): string {
  const api = wasmApi() as WasmApi;
  const { exports, memory } = placeAlone(api, compileKernels(api));
  const bytes = new Uint8Array(memory.buffer);
  const at = exports.fo_kinds();
  return new TextDecoder().decode(bytes.subarray(at, bytes.indexOf(0, at)));
}

describe('the kinds table', () => {
  it("is the addon's and the wasm module's", () => {
    expect(kindTableMismatch(addonKinds(), 'the addon')).toBeUndefined();
    expect(kindTableMismatch(parseKinds(wasmKindsText()), 'the wasm module')).toBeUndefined();
  });

  // Each a deliberately wrong table and what the check must say of it.
  const wrong: [string, (t: Record<string, KindLayout>) => void, string][] = [
    ['a scalar missing', (t) => t.adam.scalars.pop(), 'kind adam: scalar 10 is missing in the addon, "amsgrad" here'],
    ['a scalar extra', (t) => t.clamp.scalars.push({ name: 'lr', domain: 'real' }), 'kind clamp: scalar 1 is "lr" in the addon, missing here'],
    ['two scalars swapped', (t) => t.lion.scalars.reverse(), 'kind lion: scalar 0 is "oneMinusBeta2" in the addon, "gradScale" here'],
    ['a flag not marked as one', (t) => (t.sgd.scalars[6].domain = 'real'), `kind sgd: scalar hasMomentum's domain is "real" in the addon, "flag" here`],
    ['a stream missing', (t) => t.rmsprop.streams.pop(), 'kind rmsprop: stream 4 is missing in the addon, "momentumBuffer" here'],
    ['a stream renamed', (t) => (t.lookahead.streams[1].name = 'quick'), 'kind lookahead: stream 1 is "quick" in the addon, "fast" here'],
    ['a stream read-only', (t) => (t.adagrad.streams[2].written = false), `kind adagrad: stream sum's written is false in the addon, true here`],
    ['a stream always on', (t) => (t.adam.streams[4].enabledBy = 'always'), `kind adam: stream maxExpAvgSq's enabledBy is "always" in the addon, "amsgrad" here`],
    ['a kind missing', (t) => delete t.lamb, 'the addon has no kind lamb'],
    ['a kind unknown here', (t) => (t.adamw = structuredClone(t.adam)), 'the addon has a kind adamw this package does not know'],
  ];
  it.each(wrong)('reports %s by kind and field', (_, tamper, message) => {
    const table = addonKinds();
    tamper(table);
    expect(kindTableMismatch(table, 'the addon')).toBe(message);
  });

  it('reports a wasm module whose text lacks a scalar', () => {
    const text = wasmKindsText().replace('scalar rectified flag\n', '');
    expect(kindTableMismatch(parseKinds(text), 'the wasm module')).toBe('kind radam: scalar 11 is missing in the wasm module, "rectified" here');
  });

  it('reports a build from before the scalar domains', () => {
    const table = addonKinds() as unknown as Record<string, { scalars: unknown[] }>;
    for (const layout of Object.values(table)) layout.scalars = layout.scalars.map((s) => (s as { name: string }).name);
    expect(kindTableMismatch(table as never, 'the addon')).toMatch(/^kind adam: the addon lists its scalars without their domains/);
  });
});

describe("the addon's checks of scalar domains, derived from the marks in kinds.h", () => {
  const bad: Record<Domain, number | undefined> = { real: undefined, flag: 0.5, decay: 3, positive: 0 };
  const cases = Object.entries(KINDS).flatMap(([kind, row]) =>
    Object.entries(row.scalars as Record<string, Domain>)
      .filter(([, domain]) => bad[domain] !== undefined)
      .map(([name, domain]) => [`${kind}.${name}`, kind, name, domain] as const),
  );
  const expected: Record<Domain, string> = { real: '', flag: 'must be 0 or 1', decay: 'must be 0, 1 or 2', positive: 'must be > 0 for' };

  it.each(cases)('%s out of its domain is a RangeError', (_, kind, name, domain) => {
    const layout = addonKinds()[kind];
    const scalars = Float64Array.from(layout.scalars, (s) => (s.name === name ? (bad[domain] as number) : s.domain === 'positive' ? 1 : 0));
    const streams = Object.fromEntries(layout.streams.map((s) => [s.name, []]));
    expect(() => addon.step(layout.index, streams, scalars)).toThrow(new RangeError(`scalar ${name} ${expected[domain]}${domain === 'positive' ? ` ${kind}` : ''}`));
    scalars[layout.scalars.findIndex((s) => s.name === name)] = domain === 'positive' ? 1 : 0;
    expect(() => addon.step(layout.index, streams, scalars)).not.toThrow();
  });
});

describe('an addon file whose kinds table differs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fused-optim-kinds-'));
  const stale = join(dir, 'stale.node');
  copyFileSync(built, stale);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is skipped with the reason, and the next candidate (the local build) loaded', () => {
    const real = createRequire(import.meta.url);
    // the file at `stale` stands for an addon built from sources where Adam had no amsgrad scalar
    const load = (file: string) => {
      if (file !== stale) return real(file);
      const kinds = addonKinds();
      kinds.adam.scalars.pop();
      return { ...addon, kinds: () => kinds };
    };
    const loaded = loadAddon({ FUSED_OPTIM_ADDON: stale }, load);
    expect(loaded.source).toBe('local build');
    expect(loaded.file).toBe(built);
    expect(loaded.skipped).toEqual([
      `FUSED_OPTIM_ADDON=${stale}: built from other kernel sources (kind adam: scalar 10 is missing in the addon, "amsgrad" here); rebuild it: npx fused-optim build`,
    ]);
  });
});
