import { createRequire } from 'node:module';
const addon = createRequire(import.meta.url)('./build/Release/fused_optim.node');
addon.setThreads(1);
const L = addon.kinds().adam;
const med = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]; };
const sc = new Float64Array(L.scalars.length);
const vals = { gradScale: 1, l2: 0, paramDecay: 0.99, oneMinusBeta1: 0.1, beta2: 0.999, oneMinusBeta2: 0.001, stepSize: 1e-3, bc2Sqrt: 1, eps: 1e-8, decay: 2, amsgrad: 0 };
L.scalars.forEach((s, i) => sc[i] = vals[s] ?? 0);
const handles = {};
const n = 1024, count = 1024;
// stride: distance between tensor starts; shift[k]: element offset of stream k
for (const [stride, shift] of [[1024, [0,0,0,0]], [1040, [0,0,0,0]], [1024, [0,16,32,48]], [1024, [0,256,512,768]], [1024,[0,4,8,12]], [1024,[0,2048,0,0]]]) {
  const lists = [0,1,2,3].map(k => { const b = new Float32Array(count * stride + 8192).fill(0.5); return Array.from({ length: count }, (_, t) => b.subarray(shift[k] + t * stride, shift[k] + t * stride + n)); });
  handles[`${stride} ${shift}`] = addon.pin(L.index, { param: lists[0], grad: lists[1], expAvg: lists[2], expAvgSq: lists[3], maxExpAvgSq: null });
}
const one = [0,1,2,3].map(() => [new Float32Array(n*count).fill(0.5)]);
handles.one = addon.pin(L.index, { param: one[0], grad: one[1], expAvg: one[2], expAvgSq: one[3], maxExpAvgSq: null });
const times = Object.fromEntries(Object.keys(handles).map(k => [k, []]));
for (let r = 0; r < 30; r++) for (const k in handles) { for (let i = 0; i < 3; i++) addon.step(L.index, handles[k], sc); const ts = []; for (let i = 0; i < 20; i++) { const t = process.hrtime.bigint(); addon.step(L.index, handles[k], sc); ts.push(Number(process.hrtime.bigint() - t) / 1e3); } times[k].push(med(ts)); }
for (const k in times) console.log(k.padEnd(24), med(times[k]).toFixed(1), 'µs', (med(times[k].map((t, i) => t / times.one[i]))).toFixed(2));
