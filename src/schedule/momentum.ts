// Momentum cycling (OneCycleLR, CyclicLR) writes either `momentum` (SGD, RMSprop) or `betas[0]`
// (Adam family). PyTorch decides once per optimizer from `optimizer.defaults`; a structural
// optimizer has no defaults, so the decision is made per group.

import type { ParamGroupLike } from './types';

export type MomentumKey = 'betas' | 'momentum';

/** Decides which key each group cycles; betas win when both exist, as in PyTorch. */
export function momentumKeys(owner: string, groups: ParamGroupLike[]): MomentumKey[] {
  return groups.map((g, i) => {
    if (Array.isArray(g.betas)) {
      if (g.betas.length < 1 || typeof g.betas[0] !== 'number') {
        throw new TypeError(`${owner}: paramGroups[${i}].betas must be an array of numbers to cycle beta1`);
      }
      return 'betas';
    }
    if (typeof g.momentum === 'number') return 'momentum';
    throw new TypeError(
      `${owner}: option 'cycleMomentum' needs every param group to have 'betas' or 'momentum', ` +
        `but paramGroups[${i}] has neither; pass cycleMomentum: false for this optimizer`,
    );
  });
}

export function readMomentum(group: ParamGroupLike, key: MomentumKey): number {
  return key === 'betas' ? (group.betas as number[])[0] : (group.momentum as number);
}

export function writeMomentum(group: ParamGroupLike, key: MomentumKey, value: number): void {
  if (key === 'betas') {
    // A fresh array, as PyTorch builds a fresh tuple: optimizers commonly share one defaults
    // `betas` array between groups, and writing into it would move every group at once.
    const betas = group.betas as number[];
    group.betas = [value, ...betas.slice(1)];
  } else {
    group.momentum = value;
  }
}
