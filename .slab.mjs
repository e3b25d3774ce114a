import { createRequire } from 'node:module';
const addon = createRequire(import.meta.url)('./build/Release/fused_optim.node');
if (process.argv[2]) addon.setThreads(+process.argv[2]);
const L = addon.kinds().adam;
const med = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]; };
const total = 1 << 20;
const bufs = [0,1,2,3].map(() => new Float32Array(total).fill(0.5));
const sc = new Float64Array(L.scalars.length);
const vals = { gradScale: 1, l2: 0, paramDecay: 0.99, oneMinusBeta1: 0.1, beta2: 0.999, oneMinusBeta2: 0.001, stepSize: 1e-3, bc2Sqrt: 1, eps: 1e-8, decay: 2, amsgrad: 0 };
L.scalars.forEach((s, i) => sc[i] = vals[s] ?? 0);
const handles = {};
for (const n of (process.argv[3] ?? "1048576,1024,512,2048,1008,1040,768").split(",").map(Number)) {
  const lists = bufs.map(b => Array.from({ length: Math.floor(total / n) }, (_, t) => b.subarray(t * n, (t + 1) * n)));
  handles[`${Math.floor(total / n)}x${n}`] = addon.pin(L.index, { param: lists[0], grad: lists[1], expAvg: lists[2], expAvgSq: lists[3], maxExpAvgSq: null });
}
const times = Object.fromEntries(Object.keys(handles).map(k => [k, []]));
const first = Object.keys(handles)[0];
for (let r = 0; r < 40; r++) for (const k in handles) { for (let i = 0; i < 3; i++) addon.step(L.index, handles[k], sc); const ts = []; for (let i = 0; i < 20; i++) { const t = process.hrtime.bigint(); addon.step(L.index, handles[k], sc); ts.push(Number(process.hrtime.bigint() - t) / 1e3); } times[k].push(med(ts)); }
for (const k in times) console.log(k.padEnd(12), med(times[k]).toFixed(1), 'µs', (med(times[k].map((t, i) => t / times[first][i]))).toFixed(2));
