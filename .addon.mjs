import { createRequire } from 'node:module';
const addon = createRequire(import.meta.url)('./build/Release/fused_optim.node');
const kinds = addon.kinds();
const L = kinds.adam;
console.log(L.scalars.join(','), L.streams.map(s=>s.name).join(','));
const med = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]; };
for (const [count, n] of [[1024, 1], [1024, 64], [1024, 1024], [1, 1<<20], [1, 1]]) {
  const mk = () => Array.from({ length: count }, () => new Float32Array(n).fill(0.5));
  const streams = { param: mk(), grad: mk(), expAvg: mk(), expAvgSq: mk(), maxExpAvgSq: null };
  const sc = new Float64Array(L.scalars.length);
  const vals = { gradScale: 1, l2: 0, paramDecay: 0.99, oneMinusBeta1: 0.1, beta2: 0.999, oneMinusBeta2: 0.001, stepSize: 1e-3, bc2Sqrt: 1, eps: 1e-8, decay: 2, amsgrad: 0 };
  L.scalars.forEach((s, i) => sc[i] = vals[s] ?? 0);
  const h = addon.pin(L.index, streams);
  for (let i = 0; i < 300; i++) addon.step(L.index, h, sc);
  const ts = [];
  for (let r = 0; r < 1000; r++) { const t = process.hrtime.bigint(); addon.step(L.index, h, sc); ts.push(Number(process.hrtime.bigint() - t) / 1e3); }
  console.log(count, n, med(ts).toFixed(1), 'µs');
}
