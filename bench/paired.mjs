// The headline ratios measured in pairs: each kernel and its probe called in turn, one call each
// per round, the ratio taken per round and its median reported. On a shared VM whose memory
// bandwidth drifts by 2x within minutes, this is the fairest comparison: both calls of a round
// see the same machine.
import { functional, gradNorm, useBackend } from 'fused-optim';

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

function timeOnce(fn) {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t);
}

/**
 * % of the probe for AdamW (4 read / 3 write) and gradNorm (read only) at n elements. `addon` is
 * probeAddon()'s: the addon the native backend runs, so kernel and probe share its threads.
 */
export function pairedRatios(addon, n, rounds) {
  useBackend('native');
  const make = (f) => Float32Array.from({ length: n }, (_, i) => f(i));
  const p = make((i) => Math.sin(i)), g = make((i) => 1e-2 * Math.cos(i)), m = make(() => 0), v = make(() => 0);
  let step = 0;
  const adamw = () =>
    functional.adamw([p], [g], [m], [v], null, {
      step: ++step, lr: 1e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, amsgrad: false, maximize: false,
    });
  const probe = () => addon.probe({ a: [p], b: [g], c: [m], d: [v] });
  const norm = () => gradNorm([g]);
  const readProbe = () => addon.probeRead([g]);
  const pairs = { AdamW: [adamw, probe], gradNorm: [norm, readProbe] };
  const out = {};
  for (const [name, [kernel, yardstick]] of Object.entries(pairs)) {
    for (let r = 0; r < 5; r++) (kernel(), yardstick());
    const ratios = [];
    for (let r = 0; r < rounds; r++) ratios.push(timeOnce(yardstick) / timeOnce(kernel));
    out[name] = Math.round(100 * median(ratios));
  }
  return out;
}
