const checkNumber = (name, value, rule = {}) => {
  if (typeof value !== 'number') throw new TypeError('x');
  const ok = Number.isFinite(value) && (!rule.integer || Number.isInteger(value)) && (rule.min === undefined || (rule.minExclusive ? value > rule.min : value >= rule.min)) && (rule.max === undefined || (rule.maxExclusive ? value < rule.max : value <= rule.max));
  if (!ok) throw new RangeError('y');
  return value;
};
const checkBoolean = (n, v) => { if (typeof v !== 'boolean') throw new TypeError(); return v; };
function commonScalars(o) {
  const lr = checkNumber('lr', o.lr, { min: 0 });
  const weightDecay = checkNumber('weightDecay', o.weightDecay, { min: 0 });
  const maximize = o.maximize === undefined ? false : checkBoolean('maximize', o.maximize);
  const gradScale = o.gradScale === undefined ? 1 : checkNumber('gradScale', o.gradScale);
  return { lr, weightDecay, gradScale: maximize ? -gradScale : gradScale };
}
const checkBeta = (name, value) => checkNumber(name, value, { min: 0, max: 1, maxExclusive: true });
const checkStep = (value) => checkNumber('step', value, { min: 1, integer: true });
function checkAdamLike(options, epsRule = { min: 0 }) {
  return { ...commonScalars(options), step: checkStep(options.step), beta1: checkBeta('beta1', options.beta1), beta2: checkBeta('beta2', options.beta2), eps: checkNumber('eps', options.eps, epsRule) };
}
let s = 0;
const t = process.hrtime.bigint();
for (let i = 0; i < 1e6; i++) { const o = { step: 5, lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, amsgrad: false, maximize: false, gradScale: 1 }; s += checkAdamLike(o).step; }
console.log(Number(process.hrtime.bigint() - t) / 1e6, 'ns per call', s > 0);
