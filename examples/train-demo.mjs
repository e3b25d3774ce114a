// `npm start`: a short AdamW run on a million parameters; prints the backend, the ISA and the
// throughput. The loss is a quadratic bowl, so its gradient is cheap and exact: g = 2 (θ − 1).
import { AdamW, backendInfo, gradNorm } from 'fused-optim';

const n = 1_000_000;
const steps = 200;
const param = { data: new Float32Array(n).map((_, i) => Math.sin(i)), grad: new Float32Array(n) };
const opt = new AdamW([param], { lr: 1e-2, weightDecay: 0.01 });

const loss = () => {
  let s = 0;
  for (let i = 0; i < n; i++) s += (param.data[i] - 1) ** 2;
  return s / n;
};

const info = backendInfo();
console.log(`fused-optim: backend ${info.name}, ISA ${info.isa}, ${info.threads} thread(s)`);
console.log(`AdamW on ${n.toLocaleString('en')} parameters, ${steps} steps; loss before: ${loss().toFixed(4)}`);
let stepSeconds = 0;
for (let t = 0; t < steps; t++) {
  const g = param.grad, d = param.data;
  for (let i = 0; i < n; i++) g[i] = 2 * (d[i] - 1);
  const start = process.hrtime.bigint();
  opt.step();
  stepSeconds += Number(process.hrtime.bigint() - start) / 1e9;
}
const melems = (n * steps) / stepSeconds / 1e6;
console.log(`loss after: ${loss().toFixed(4)}, last gradient norm ${gradNorm([param.grad]).toFixed(2)}`);
console.log(
  `optimizer step: ${((stepSeconds / steps) * 1e3).toFixed(3)} ms, ${melems.toFixed(0)} Melem/s, ` +
    `${((melems * 28) / 1e3).toFixed(1)} GB/s effective (28 bytes per parameter)`,
);
