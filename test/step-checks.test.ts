// Hyperparameters are checked at every step, not only at construction: a misspelt key added to a
// group later is refused with a hint, and so are a negative or non-finite gradScale.
import { describe, expect, it } from 'vitest';
import { Adam, AdamW, clipCoefficient, SGD, StepLR, type Parameter } from '../src';
import { didYouMean } from '../src/functional/validate';

const param = (): Parameter => ({ data: new Float32Array([1, 2, 3]), grad: new Float32Array([0.5, -1, 2]) });

describe('a misspelt option added to a group after construction', () => {
  it.each([
    ['weight_decay', 'weightDecay'],
    ['weightdecay', 'weightDecay'],
    ['wieghtDecay', 'weightDecay'],
    ['weightDecy', 'weightDecay'],
    ['ams_grad', 'amsgrad'],
    ['Lr', 'lr'],
    ['beta', 'betas'],
    ['initial_lr', 'initialLr'],
  ])("%s is refused at step with \"did you mean '%s'\", and nothing changes", (key, meant) => {
    const p = param();
    const opt = new AdamW([p]);
    opt.step();
    const data = p.data.slice();
    const state = opt.stateDict();
    (opt.paramGroups[0] as Record<string, unknown>)[key] = 0.5;
    expect(() => opt.step()).toThrow(TypeError);
    expect(() => opt.step()).toThrow(`paramGroups[0].${key} is not an option of this optimizer and would be ignored (did you mean '${meant}'?)`);
    expect(p.data).toEqual(data);
    expect(opt.stateDict().state).toEqual(state.state);
    // removing it makes the next step run
    delete (opt.paramGroups[0] as Record<string, unknown>)[key];
    expect(opt.step()).toBe(true);
  });

  it('is caught also when a key is added after many steps with the same keys (the checked keys are not trusted blindly)', () => {
    const opt = new SGD([param()], { lr: 0.1 });
    for (let i = 0; i < 5; i++) opt.step();
    const group = opt.paramGroups[0] as Record<string, unknown>;
    delete group.name; // same key count, another key
    group.nesterof = true;
    expect(() => opt.step()).toThrow(/nesterof .*did you mean 'nesterov'/);
  });

  it('in stepAsync() too', async () => {
    const opt = new Adam([param()]);
    (opt.paramGroups[0] as Record<string, unknown>).eps_ = 1e-6;
    await expect(opt.stepAsync()).rejects.toThrow(/did you mean 'eps'/);
  });

  it('other keys of the user stay allowed, as in PyTorch', () => {
    const opt = new Adam([param()]);
    const group = opt.paramGroups[0] as Record<string, unknown>;
    group.layer = 'encoder';
    group.freezeAfterEpoch = 3;
    expect(opt.step()).toBe(true);
    expect(opt.stateDict().paramGroups[0].layer).toBe('encoder');
  });

  it('keys the schedulers write (initialLr, lr, betas) are known', () => {
    const opt = new Adam([param()]);
    const s = new StepLR(opt, { stepSize: 1 });
    for (let i = 0; i < 3; i++) {
      opt.step();
      s.step();
    }
    expect(opt.paramGroups[0].initialLr).toBe(1e-3);
  });
});

describe('gradScale at step', () => {
  it('a negative scale is refused (descent would become ascent), and nothing changes', () => {
    const p = param();
    const opt = new Adam([p]);
    const data = p.data.slice();
    expect(() => opt.step({ gradScale: -1 })).toThrow(RangeError);
    expect(() => opt.step({ gradScale: -1 })).toThrow('gradScale must be a finite number >= 0, got -1');
    expect(p.data).toEqual(data);
    expect(opt.state.size).toBe(0);
  });

  it('zero is allowed', () => {
    expect(new SGD([param()]).step({ gradScale: 0 })).toBe(true);
  });

  it.each([NaN, Infinity, -Infinity])('%s is refused with a pointer to skipIfNonFinite', (scale) => {
    const opt = new Adam([param()]);
    expect(() => opt.step({ gradScale: scale })).toThrow(RangeError);
    expect(() => opt.step({ gradScale: scale })).toThrow(/pass skipIfNonFinite: true/);
  });

  it('with skipIfNonFinite, a NaN scale (the clip coefficient of a NaN gradient) skips the step', () => {
    const p = { data: new Float32Array([1, 2]), grad: new Float32Array([NaN, 1]) };
    const opt = new Adam([p]);
    const { coefficient } = clipCoefficient([p], 1);
    expect(opt.step({ gradScale: coefficient, skipIfNonFinite: true })).toBe(false);
    expect(p.data).toEqual(new Float32Array([1, 2]));
  });

  it('a string is a TypeError', () => {
    expect(() => new Adam([param()]).step({ gradScale: '1' as never })).toThrow(TypeError);
  });
});

describe('didYouMean (the one "did you mean" of the package)', () => {
  const known = ['lr', 'betas', 'eps', 'weightDecay', 'amsgrad', 'maximize'];
  it.each([
    ['weight_decay', 'weightDecay'],
    ['WEIGHT_DECAY', 'weightDecay'],
    ['weigthDecay', 'weightDecay'],
    ['maximise', 'maximize'],
    ['lR', 'lr'],
    ['esp', 'eps'],
  ])('%s → %s', (key, meant) => expect(didYouMean(key, known)).toBe(meant));

  it.each(['layer', 'momentum', 'foo', 'epochs', 'weight'])('%s → nothing', (key) => {
    expect(didYouMean(key, known)).toBeUndefined();
  });
});

describe('gradScale in the functional layer', () => {
  it('a negative scale is refused there too, and nothing changes', async () => {
    const { functional } = await import('../src');
    const p = new Float32Array([1, 2]), g = new Float32Array([1, 1]);
    expect(() => functional.sgd([p], [g], [null], { lr: 0.1, weightDecay: 0, momentum: 0, dampening: 0, nesterov: false, gradScale: -1 })).toThrow(
      /gradScale must be a finite number >= 0/,
    );
    expect(p).toEqual(new Float32Array([1, 2]));
  });
});
