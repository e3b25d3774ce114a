import { AdamW, useBackend } from 'fused-optim';
useBackend('native');
const count = +process.argv[2], n = +process.argv[3];
const ps = Array.from({ length: count }, () => ({ data: new Float32Array(n).fill(0.5), grad: new Float32Array(n).fill(0.01) }));
const opt = new AdamW(ps, { lr: 1e-4 });
const t = Date.now();
let k = 0;
while (Date.now() - t < 4000) { opt.step(); k++; }
console.log(k, 'steps', (4000 / k * 1000).toFixed(1), 'µs');
