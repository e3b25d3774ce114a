import { createRequire } from 'node:module';
const addon = createRequire(import.meta.url)(process.argv[2] ?? './build/Release/fused_optim.node');
const L = addon.kinds().adam;
const med = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]; };
const sc = new Float64Array(L.scalars.length);
const vals = { gradScale: 1, l2: 0, paramDecay: 0.99, oneMinusBeta1: 0.1, beta2: 0.999, oneMinusBeta2: 0.001, stepSize: 1e-3, bc2Sqrt: 1, eps: 1e-8, decay: 2, amsgrad: 0 };
L.scalars.forEach((s, i) => sc[i] = vals[s] ?? 0);
const jobs = {};
for (const [count, n] of [[1, 16384], [1024, 16], [1, 65536], [1024, 64]]) {
  const lists = [0,1,2,3].map(() => { const b = new Float32Array(count * n).fill(0.5); return Array.from({ length: count }, (_, t) => b.subarray(t * n, (t + 1) * n)); });
  const h = addon.pin(L.index, { param: lists[0], grad: lists[1], expAvg: lists[2], expAvgSq: lists[3], maxExpAvgSq: null });
  jobs[`${count}x${n}`] = () => addon.step(L.index, h, sc);
}
const times = Object.fromEntries(Object.keys(jobs).map(k => [k, []]));
for (let r = 0; r < 50; r++) for (const k in jobs) { for (let i = 0; i < 20; i++) jobs[k](); const ts = []; for (let i = 0; i < 50; i++) { const t = process.hrtime.bigint(); jobs[k](); ts.push(Number(process.hrtime.bigint() - t) / 1e3); } times[k].push(med(ts)); }
for (const k in times) console.log(k.padEnd(12), med(times[k]).toFixed(2), 'µs');
