// Scale test (not in CI, not in `npm run bench`): AdamW with int8 state over up to a billion
// parameters in many tensors of 4M each, on the native backend with all cores. For each size it
// reports resident memory, optimizer state bytes, Melem/s and time per step, and how time per
// step grows against the smallest size (linear growth: the ratio of times equals the ratio of
// sizes). Memory: 4 bytes of parameter, 4 of gradient and about 2 of state per parameter: about
// 10 GB at 1e9. Run: node bench/scale-int8.mjs [maxParameters=1e9] [steps=3]
import { AdamW, backendInfo } from 'fused-optim';

const max = Number(process.argv[2] ?? 1e9);
const steps = Number(process.argv[3] ?? 3);
const TENSOR = 1 << 22;
const sizes = [1 << 24, 1 << 26, 1 << 28, 1e9].filter((n) => n <= max);
const params = [];
const rows = [];
const gib = (b) => +(b / 2 ** 30).toFixed(2);
console.log(`AdamW int8 state, tensors of ${TENSOR} elements, ${JSON.stringify(backendInfo())}`);
for (const n of sizes) {
  while (params.length * TENSOR < n) {
    const len = Math.min(TENSOR, n - params.length * TENSOR);
    const data = new Float32Array(len), grad = new Float32Array(len);
    for (let i = 0; i < len; i += 997) data[i] = grad[i] = Math.sin(i + params.length) * 1e-2; // touch every page
    data.fill(0.01, 0, 1024);
    params.push({ data, grad });
  }
  const opt = new AdamW(params, { lr: 1e-4, stateDtype: 'int8' });
  opt.step(); // creates the state
  const times = [];
  for (let s = 0; s < steps; s++) {
    const t = process.hrtime.bigint();
    opt.step();
    times.push(Number(process.hrtime.bigint() - t) / 1e9);
  }
  const best = Math.min(...times);
  const row = {
    parameters: n, tensors: params.length, 'rss GiB': gib(process.memoryUsage().rss), 'state GiB': gib(opt.stateBytes()),
    's/step': +best.toFixed(3), 'Melem/s': Math.round(n / best / 1e6),
  };
  row['time vs 16M'] = +(best / (rows[0]?.['s/step'] ?? best)).toFixed(1);
  row['size vs 16M'] = +(n / sizes[0]).toFixed(1);
  rows.push(row);
  console.table([row]);
}
console.table(rows);
