// The report's hand-written MLP (scripts/report/mlp.mjs, also used for training-quality tests):
// its backward pass is the gradient of its loss, checked against finite differences.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const modulePath = join(__dirname, '..', 'scripts', 'report', 'mlp.mjs');

describe('Mlp.lossAndGrad', () => {
  it('matches central differences of the loss for every parameter tensor', async () => {
    const { Mlp } = await import(modulePath);
    const sizes = [6, 5, 4, 3];
    const model = new Mlp(sizes, { seed: 3, maxBatch: 4 });
    const batch = 4;
    // Inputs with some exact zeros (the forward pass skips them) and labels of every class.
    const x = Float32Array.from({ length: batch * sizes[0] }, (_, i) => (i % 4 === 0 ? 0 : Math.sin(i)));
    const labels = Uint8Array.from([0, 1, 2, 1]);
    const params: { name: string; data: Float32Array; grad: Float32Array }[] = model.parameters();
    model.lossAndGrad(x, labels, batch);
    const analytic = params.map((p) => Float64Array.from(p.grad));
    let checked = 0;
    params.forEach((p, t) => {
      for (let k = 0; k < p.data.length; k++) {
        const old = p.data[k], h = 1e-3; // small enough that no ReLU changes side
        p.data[k] = old + h;
        const up = model.lossAndGrad(x, labels, batch);
        p.data[k] = old - h;
        const down = model.lossAndGrad(x, labels, batch);
        p.data[k] = old;
        const numeric = (up - down) / (2 * h);
        expect(Math.abs(numeric - analytic[t][k]), `${p.name}[${k}]`).toBeLessThan(2e-4 + 0.01 * Math.abs(analytic[t][k]));
        checked++;
      }
    });
    expect(checked).toBe(model.parameterCount());
  });

  it('evaluate() agrees with the loss of a forward pass and counts correct labels', async () => {
    const { Mlp } = await import(modulePath);
    const model = new Mlp([4, 3], { seed: 1, maxBatch: 2 });
    const x = Float32Array.from([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0]);
    const labels = Uint8Array.from([0, 1, 2]);
    const { loss, accuracy } = model.evaluate({ x, labels, n: 3 });
    const l01 = model.lossAndGrad(x.subarray(0, 8), labels.subarray(0, 2), 2);
    const l2 = model.lossAndGrad(x.subarray(8), labels.subarray(2), 1);
    expect(loss).toBeCloseTo((2 * l01 + l2) / 3, 5);
    let correct = 0;
    for (let row = 0; row < 3; row++) {
      const logits = Array.from((model.forward(x.subarray(4 * row, 4 * row + 4), 1) as Float32Array).subarray(0, 3));
      if (logits.indexOf(Math.max(...logits)) === labels[row]) correct++;
    }
    expect(accuracy).toBe(correct / 3);
  });
});
