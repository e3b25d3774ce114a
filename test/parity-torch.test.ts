// PyTorch parity: 25-step trajectories recorded from torch (scripts/fixtures/gen_optim.py) must
// be reproduced by every optimizer class within rtol 1e-4 / atol 1e-6, on the TS backend and on
// every native ISA of this machine.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import * as lib from '../src';
import type { Optimizer, ParamGroup, Parameter } from '../src';
import { expectClose, onJs, kernelTargets, onTarget } from './helpers';

interface Fixture {
  optimizer: string;
  cases: {
    name: string;
    options?: Record<string, unknown>;
    groups?: { paramIndices: number[]; options: Record<string, unknown> }[];
    init: number[][];
    grads: number[][][];
    params: number[][][];
    lrChanges?: Record<string, number>;
  }[];
}

const dir = join(__dirname, 'fixtures', 'optim');
const fixtures: Fixture[] = readdirSync(dir).map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')));
const classes = lib as unknown as Record<string, new (p: Parameter[] | ParamGroup[], o?: object) => Optimizer<object>>;

function replay(fx: Fixture, c: Fixture['cases'][number], label: string): void {
  const params: Parameter[] = c.init.map((v) => ({ data: Float32Array.from(v), grad: null }));
  const Ctor = classes[fx.optimizer];
  const opt = c.groups
    ? new Ctor(c.groups.map((g) => ({ params: g.paramIndices.map((i) => params[i]), ...g.options })))
    : new Ctor(params, c.options);
  c.grads.forEach((grads, t) => {
    const lr = c.lrChanges?.[String(t)];
    if (lr !== undefined) for (const g of opt.paramGroups) g.lr = lr;
    grads.forEach((g, k) => (params[k].grad = Float32Array.from(g)));
    opt.step();
    params.forEach((p, k) => expectClose(p.data, c.params[t][k], `${label} step ${t + 1} param ${k}`));
  });
}

const cases = fixtures.flatMap((fx) => fx.cases.map((c) => [`${fx.optimizer} ${c.name}`, fx, c] as const));

describe('PyTorch parity, TS backend', () => {
  it.each(cases)('%s', (label, fx, c) => onJs(() => replay(fx, c, label)));
});

describe.each(kernelTargets())('PyTorch parity, kernels for %s', (isa) => {
  it.each(cases)('%s', (label, fx, c) => onTarget(isa, () => replay(fx, c, label)));
});
