import { createRequire } from 'node:module';
const addon = createRequire(import.meta.url)('./build/Release/fused_optim.node');
const L = addon.kinds().adam;
const med = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]; };
const count = 1024, n = 1024;
const layouts = {
  byStream: () => { const mk = () => Array.from({ length: count }, () => new Float32Array(n).fill(0.5)); return [mk(), mk(), mk(), mk()]; },
  interleaved: () => { const s = [[], [], [], []]; for (let t = 0; t < count; t++) for (let k = 0; k < 4; k++) s[k].push(new Float32Array(n).fill(0.5)); return s; },
  pairsThenState: () => { const s = [[], [], [], []]; for (let t = 0; t < count; t++) for (let k = 0; k < 2; k++) s[k].push(new Float32Array(n).fill(0.5)); for (let t = 0; t < count; t++) for (let k = 2; k < 4; k++) s[k].push(new Float32Array(n).fill(0.5)); return s; },
  slab: () => { const b = new Float32Array(4 * count * n).fill(0.5); const s = [[], [], [], []]; for (let k = 0; k < 4; k++) for (let t = 0; t < count; t++) s[k].push(b.subarray((k * count + t) * n, (k * count + t + 1) * n)); return s; },
  one: () => [0,1,2,3].map(() => [new Float32Array(count * n).fill(0.5)]),
};
const sc = new Float64Array(L.scalars.length);
const vals = { gradScale: 1, l2: 0, paramDecay: 0.99, oneMinusBeta1: 0.1, beta2: 0.999, oneMinusBeta2: 0.001, stepSize: 1e-3, bc2Sqrt: 1, eps: 1e-8, decay: 2, amsgrad: 0 };
L.scalars.forEach((s, i) => sc[i] = vals[s] ?? 0);
const handles = {};
for (const [name, mk] of Object.entries(layouts)) { const [param, grad, expAvg, expAvgSq] = mk(); handles[name] = addon.pin(L.index, { param, grad, expAvg, expAvgSq, maxExpAvgSq: null }); }
const times = Object.fromEntries(Object.keys(handles).map(k => [k, []]));
for (let r = 0; r < 60; r++) for (const k in handles) { for (let i = 0; i < 3; i++) addon.step(L.index, handles[k], sc); const ts = []; for (let i = 0; i < 20; i++) { const t = process.hrtime.bigint(); addon.step(L.index, handles[k], sc); ts.push(Number(process.hrtime.bigint() - t) / 1e3); } times[k].push(med(ts)); }
for (const k in times) console.log(k.padEnd(16), med(times[k]).toFixed(1), 'µs', (med(times[k].map((t, i) => t / times.one[i]))).toFixed(2));
