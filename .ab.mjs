import { createRequire } from 'node:module';
const req = createRequire(import.meta.url);
const variants = process.argv[2].split(',');
const addons = Object.fromEntries(variants.map(v => [v, req(`/tmp/pf${v}.node`)]));
const threads = +(process.argv[3] ?? 2);
for (const a of Object.values(addons)) a.setThreads(threads);
const med = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]; };
const n = 1024, count = 1024;
const layouts = {
  slab: () => { const s = [0,1,2,3].map(() => new Float32Array(count * n).fill(0.5)); return s.map(b => Array.from({ length: count }, (_, t) => b.subarray(t * n, (t + 1) * n))); },
  interleaved: () => { const s = [[], [], [], []]; for (let t = 0; t < count; t++) for (let k = 0; k < 4; k++) s[k].push(new Float32Array(n).fill(0.5)); return s; },
  pairsThenState: () => { const s = [[], [], [], []]; for (let t = 0; t < count; t++) for (let k = 0; k < 2; k++) s[k].push(new Float32Array(n).fill(0.5)); for (let t = 0; t < count; t++) for (let k = 2; k < 4; k++) s[k].push(new Float32Array(n).fill(0.5)); return s; },
  one: () => [0,1,2,3].map(() => [new Float32Array(count * n).fill(0.5)]),
};
const jobs = {};
for (const [lname, mk] of Object.entries(layouts)) {
  const [param, grad, expAvg, expAvgSq] = mk();
  for (const [v, addon] of Object.entries(addons)) {
    const L = addon.kinds().adam;
    const sc = new Float64Array(L.scalars.length);
    const vals = { gradScale: 1, l2: 0, paramDecay: 0.99, oneMinusBeta1: 0.1, beta2: 0.999, oneMinusBeta2: 0.001, stepSize: 1e-3, bc2Sqrt: 1, eps: 1e-8, decay: 2, amsgrad: 0 };
    L.scalars.forEach((s, i) => sc[i] = vals[s] ?? 0);
    const h = addon.pin(L.index, { param, grad, expAvg, expAvgSq, maxExpAvgSq: null });
    jobs[`${lname} pf${v}`] = () => addon.step(L.index, h, sc);
    if (lname === 'one') break;
  }
}
const times = Object.fromEntries(Object.keys(jobs).map(k => [k, []]));
const ref = Object.keys(jobs).find(k => k.startsWith('one'));
for (let r = 0; r < 40; r++) for (const k in jobs) { for (let i = 0; i < 3; i++) jobs[k](); const ts = []; for (let i = 0; i < 15; i++) { const t = process.hrtime.bigint(); jobs[k](); ts.push(Number(process.hrtime.bigint() - t) / 1e3); } times[k].push(med(ts)); }
for (const k in times) console.log(k.padEnd(22), med(times[k]).toFixed(1), 'µs', (med(times[k].map((t, i) => t / times[ref][i]))).toFixed(2));
