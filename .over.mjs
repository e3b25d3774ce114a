import { AdamW, useBackend, setThreads } from 'fused-optim';
useBackend('native');
function params(count, n) { return Array.from({ length: count }, () => ({ data: new Float32Array(n).fill(0.5), grad: new Float32Array(n).fill(0.01) })); }
const med = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]; };
for (const [count, n] of [[1024, 1], [1024, 16], [1024, 256], [1024, 1024], [1, 1 << 20], [1,1]]) {
  const opt = new AdamW(params(count, n), { lr: 1e-4 });
  for (let i = 0; i < 300; i++) opt.step();
  const ts = [];
  for (let r = 0; r < 400; r++) { const t = process.hrtime.bigint(); opt.step(); ts.push(Number(process.hrtime.bigint() - t) / 1e3); }
  console.log(count, n, med(ts).toFixed(1), 'µs');
}
