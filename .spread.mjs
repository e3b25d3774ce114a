const g = { params: [1,2,3], lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, maximize: false };
const time = (name, fn) => { let s = 0; for (let i = 0; i < 1e5; i++) s += fn(i); const t = process.hrtime.bigint(); for (let i = 0; i < 1e6; i++) s += fn(i); console.log(name, (Number(process.hrtime.bigint() - t) / 1e6).toFixed(1), 'ns'); };
time('group spread + 2', (i) => ({ ...g, step: i, gradScale: 1 }).step);
const mk = (i) => ({ lr: i, weightDecay: 0, gradScale: 1 });
time('returned spread + 4', (i) => ({ ...mk(i), step: i, beta1: 0.9, beta2: 0.99, eps: 1 }).step);
time('returned spread alone', (i) => ({ ...mk(i) }).lr);
time('Object.assign', (i) => Object.assign({}, mk(i), { step: i }).step);
