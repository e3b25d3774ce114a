// What the kernel tests share: a case (a kind, its scalars, how to fill each stream) and the
// random float32 streams made from it, copied or moved to odd byte offsets.
import { getBackend } from '../src/backend';
import type { KernelScalars, Kind } from '../src/backend/types';
import { randomArray, rng, viewAt } from './helpers';

export type Init = 'signed' | 'positive' | 'small';
export interface Case {
  name: string;
  kind: Kind;
  scalars: Record<string, number | boolean>;
  streams: Record<string, Init | null>;
}

export const common = { gradScale: -0.75, weightDecay: 0.02, hasWeightDecay: true };
export const adamLike = { param: 'signed', grad: 'signed', expAvg: 'small', expAvgSq: 'positive' } as const;
export type Streams = Record<string, Float32Array[] | null>;

export function makeStreams(c: Case, lengths: number[], seed: number): Streams {
  const r = rng(seed);
  const out: Streams = {};
  for (const [name, init] of Object.entries(c.streams)) {
    out[name] =
      init === null
        ? null
        : lengths.map((n) => {
            const a = randomArray(n, r, init === 'small' ? 0.01 : 1);
            if (init === 'positive') for (let i = 0; i < n; i++) a[i] = Math.abs(a[i]) + 1e-3;
            return a;
          });
  }
  return out;
}

export function copyStreams(s: Streams, offset = 0): Streams {
  const out: Streams = {};
  for (const [name, list] of Object.entries(s))
    out[name] = list && list.map((a, i) => (offset ? viewAt(a, offset + 2 * i) : a.slice()));
  return out;
}

/** Runs the case's kernel on the current backend over these streams. */
export function runCase(c: Case, streams: Streams): void {
  getBackend().step(c.kind, streams as never, c.scalars as unknown as KernelScalars[Kind]);
}
