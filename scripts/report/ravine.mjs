// The textbook picture: f(x, y) = x² + 10y², a long narrow valley, from (10, 10). Plain SGD zigzags
// across the steep y direction while crawling along x; momentum and Nesterov carry speed along
// the valley; RMSprop and Adam rescale each coordinate. Each path is this package's optimizer
// stepping one 2-element parameter.
import { Adam, RMSprop, SGD } from 'fused-optim';

export const RAVINE_START = [10, 10];
const STEPS = 50;

const RUNS = {
  SGD: (p) => new SGD(p, { lr: 0.09 }),
  momentum: (p) => new SGD(p, { lr: 0.02, momentum: 0.9 }),
  Nesterov: (p) => new SGD(p, { lr: 0.02, momentum: 0.9, nesterov: true }),
  RMSprop: (p) => new RMSprop(p, { lr: 0.3 }),
  Adam: (p) => new Adam(p, { lr: 0.5 }),
};

export const ravine = (x, y) => x * x + 10 * y * y;

/** { optimizer: { label, path: [{ step, x, y, loss }] } } */
export function ravineRuns() {
  const out = {};
  for (const [name, make] of Object.entries(RUNS)) {
    const param = { data: Float32Array.from(RAVINE_START), grad: new Float32Array(2) };
    const optimizer = make([param]);
    const path = [];
    const at = (step) => path.push({ step, x: param.data[0], y: param.data[1], loss: ravine(param.data[0], param.data[1]) });
    at(0);
    for (let step = 1; step <= STEPS; step++) {
      param.grad[0] = 2 * param.data[0];
      param.grad[1] = 20 * param.data[1];
      optimizer.step();
      at(step);
    }
    const { lr, momentum, nesterov } = optimizer.paramGroups[0];
    out[name] = { lr, momentum: momentum ?? null, nesterov: nesterov ?? null, path };
  }
  return out;
}

/** Contour lines of f as closed polylines: f = level is the ellipse (√level cos t, √(level/10) sin t). */
export function ravineContours(levels = [1, 5, 20, 60, 150, 300, 600, 1100]) {
  const points = [];
  for (const level of levels)
    for (let k = 0; k <= 96; k++) {
      const t = (2 * Math.PI * k) / 96;
      points.push({ level, k, x: Math.sqrt(level) * Math.cos(t), y: Math.sqrt(level / 10) * Math.sin(t) });
    }
  return points;
}
