// Low-memory optimizer state (stateDtype): AdamW with float32, bfloat16 and int8 state over the
// same parameters and gradients, through the Optimizer class (all cores), timed in turn so all
// three see the same moments of a shared machine: each ratio is the median of per-round ratios.
// Also the bytes of state per parameter, and (with --blocks) int8 at every block size.
// `node bench/lowmem.mjs [--quick] [--blocks]` runs this part alone; `npm run bench` includes it.
import { pathToFileURL } from 'node:url';
import { AdamW, backendInfo, functional, useBackend, useIsa } from 'fused-optim';

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

function timeOnce(fn) {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

function parameter(n, seed) {
  const data = new Float32Array(n), grad = new Float32Array(n);
  const period = Float32Array.from({ length: 4093 }, (_, i) => Math.sin(i * 0.37 + seed));
  for (let i = 0; i < n; i += period.length) {
    data.set(period.subarray(0, Math.min(period.length, n - i)), i);
    grad.set(period.subarray(0, Math.min(period.length, n - i)), i);
  }
  for (let i = 0; i < n; i++) grad[i] *= 1e-2;
  return { data, grad };
}

/**
 * Melem/s of AdamW per state format at n elements, and the per-round ratios to float32. On a CPU
 * with AVX512_BF16, bfloat16 also runs on the avx512f tier (integer rounding instead of
 * vcvtneps2bf16: what AVX-512 CPUs without BF16 run), in the same rounds.
 */
export function lowmemFormats(n, rounds) {
  useBackend('native');
  const best = backendInfo().isa;
  const cases = [['float32', best], ['bfloat16', best], ...(backendInfo().isas.includes('avx512f') ? [['bfloat16', 'avx512f']] : []), ['int8', best]];
  const runs = cases.map(([stateDtype, isa], k) => {
    const p = parameter(n, k);
    const opt = new AdamW([p], { lr: 1e-4, weightDecay: 0.01, stateDtype });
    opt.step();
    return { stateDtype, isa, opt, bytes: opt.stateBytes() / n };
  });
  const times = cases.map(() => []);
  for (let r = 0; r < rounds; r++)
    runs.forEach((run, k) => {
      useIsa(run.isa);
      times[k].push(timeOnce(() => run.opt.step()));
    });
  useIsa(best);
  return runs.map((run, k) => ({
    state: run.stateDtype,
    isa: run.isa,
    'Melem/s': Math.round(n / median(times[k]) / 1e6),
    'vs float32 (paired median)': +median(times[k].map((t, r) => times[0][r] / t)).toFixed(2),
    'state bytes/param': +run.bytes.toFixed(3),
    'bytes moved/param': { float32: 28, bfloat16: 20, int8: 16 + (8 / 2048) * 2 }[run.stateDtype].toFixed(3) * 1,
  }));
}

/** int8 AdamW through the functional API at each block size (the default is chosen from this). */
export function lowmemBlocks(n, rounds) {
  useBackend('native');
  const rows = [];
  const p = parameter(n, 0);
  for (const blockSize of [256, 512, 1024, 2048, 4096]) {
    const m = functional.createState(n, 'int8', blockSize), v = functional.createState(n, 'int8', blockSize);
    let step = 0;
    const call = () =>
      functional.adamw([p.data], [p.grad], [m], [v], null, {
        step: ++step, lr: 1e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, amsgrad: false, stateDtype: 'int8', blockSize,
      });
    call();
    const t = [];
    for (let r = 0; r < rounds; r++) t.push(timeOnce(call));
    rows.push({ blockSize, 'Melem/s': Math.round(n / median(t) / 1e6), 'absmax bytes/param': +(8 / blockSize).toFixed(4) });
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const quick = process.argv.includes('--quick');
  for (const n of quick ? [1 << 20] : [1 << 20, 1 << 24]) {
    console.log(`AdamW, ${n / (1 << 20)}M parameters, float32 vs bfloat16 vs int8 state:`);
    console.table(lowmemFormats(n, quick ? 20 : n > 1 << 20 ? 30 : 200));
  }
  if (process.argv.includes('--blocks')) {
    console.log('int8 AdamW by block size, 16M parameters:');
    console.table(lowmemBlocks(1 << 24, 20));
  }
}
