// The report's charts as vega-lite specs, each built from a section of report.json.
import { ravineContours } from './ravine.mjs';

const subtitle = (machine) => `${machine.cpu}, ${machine.threadsUsed} threads, ${machine.isa}, Node ${machine.node}`;

/** Throughput of every optimizer step per backend (log scale), probes as reference lines. */
export function throughputSpec({ machine, hardware }) {
  const columns = { 'native Melem/s': `native (${machine.isa})`, 'wasm Melem/s': 'wasm backend', 'TS Melem/s': 'TS backend' };
  const values = [];
  for (const row of hardware.rows)
    if (!row.task.startsWith('probe'))
      for (const [column, backend] of Object.entries(columns)) if (row[column]) values.push({ task: row.task, backend, melems: row[column] });
  return {
    title: { text: `Optimizer step throughput at ${hardware.elements / 2 ** 20}M elements (higher is better)`, subtitle: subtitle(machine) },
    data: { values },
    mark: 'bar',
    encoding: {
      y: { field: 'task', type: 'nominal', title: null, sort: null },
      yOffset: { field: 'backend', type: 'nominal', sort: Object.values(columns) },
      x: { field: 'melems', type: 'quantitative', stack: null, scale: { type: 'log', domainMin: 1 }, title: 'million elements per second (log scale)' },
      x2: { datum: 1 },
      color: { field: 'backend', type: 'nominal', title: null, sort: Object.values(columns), legend: { orient: 'top' } },
    },
    width: 520,
    height: { step: 12 },
  };
}

/** One colour per optimizer (eleven: tableau10 would repeat one), legend in the training order. */
const optimizerColor = (training) => ({
  field: 'optimizer', type: 'nominal', title: null,
  sort: Object.entries(training.runs).map(([id, run]) => run.label ?? id),
  // tableau10 and one more: pairs of shades (tableau20) are too alike for lines this thin.
  scale: { range: ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#79706e', '#000000'] },
  legend: { labelLimit: 400 },
});

/** Training loss per optimizer over steps (a moving average of each step's batch loss). */
export function lossSpec({ machine, training }) {
  const values = [];
  for (const [id, run] of Object.entries(training.runs)) {
    const window = Math.max(1, Math.round(run.trainLoss.length / 40));
    for (let end = window; end <= run.trainLoss.length; end += window) {
      const slice = run.trainLoss.slice(end - window, end);
      values.push({ optimizer: run.label ?? id, epoch: end / training.stepsPerEpoch, loss: slice.reduce((a, b) => a + b, 0) / slice.length });
    }
  }
  return {
    title: { text: `Training loss, MLP ${training.sizes.join('-')} on ${training.trainSize} MNIST digits`, subtitle: subtitle(machine) },
    data: { values },
    mark: { type: 'line', strokeWidth: 1.5 },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', title: 'epoch' },
      y: { field: 'loss', type: 'quantitative', scale: { type: 'log' }, title: 'cross-entropy (log scale, moving average)' },
      color: optimizerColor(training),
    },
    width: 520,
    height: 320,
  };
}

/** Validation accuracy per optimizer at each evaluation. */
export function accuracySpec({ machine, training }) {
  const values = [];
  for (const [id, run] of Object.entries(training.runs))
    for (const point of run.curve) values.push({ optimizer: run.label ?? id, epoch: point.epoch, accuracy: 100 * point.validationAccuracy });
  return {
    title: { text: `Validation accuracy on ${training.validationSize} held-out digits`, subtitle: subtitle(machine) },
    data: { values },
    mark: { type: 'line', point: true, strokeWidth: 1.5 },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', title: 'epoch' },
      y: { field: 'accuracy', type: 'quantitative', scale: { zero: false }, title: 'validation accuracy (%)' },
      color: optimizerColor(training),
    },
    width: 520,
    height: 320,
  };
}

/** Milliseconds per training step at ≥1M parameters, split into the optimizer and the rest. */
export function userSpec({ machine, userFeel }) {
  const values = [];
  for (const run of userFeel.runs)
    if (!run.skipped) {
      values.push({ run: run.label, part: 'optimizer step', ms: run.optimizerMsPerStep });
      values.push({ run: run.label, part: 'forward + backward + rest', ms: Math.max(0, run.msPerStep - run.optimizerMsPerStep) });
    }
  return {
    title: { text: `One training step of a ${(userFeel.parameters / 1e6).toFixed(2)}M-parameter MLP, batch ${userFeel.batch} (lower is better)`, subtitle: subtitle(machine) },
    data: { values },
    mark: 'bar',
    encoding: {
      y: { field: 'run', type: 'nominal', title: null, sort: null, axis: { labelLimit: 600 } },
      x: { field: 'ms', type: 'quantitative', title: 'milliseconds per step' },
      color: { field: 'part', type: 'nominal', title: null, sort: ['optimizer step', 'forward + backward + rest'], legend: { orient: 'top', labelLimit: 300 } },
      order: { field: 'part', sort: 'descending' },
    },
    width: 520,
    height: { step: 26 },
  };
}

/** The ravine's contour lines with each optimizer's path drawn over them. */
export function ravineSpec({ ravine }) {
  const paths = [];
  for (const [optimizer, run] of Object.entries(ravine.runs))
    for (const p of run.path) paths.push({ optimizer: `${optimizer} (lr ${run.lr}${run.momentum ? `, momentum ${run.momentum}` : ''})`, ...p });
  const x = { field: 'x', type: 'quantitative', scale: { domain: [-12, 12] }, title: 'x' };
  const y = { field: 'y', type: 'quantitative', scale: { domain: [-12, 12] }, title: 'y' };
  return {
    title: { text: 'f(x, y) = x² + 10y² from (10, 10): the first 50 steps', subtitle: 'each path is this package\'s optimizer stepping a 2-element parameter' },
    width: 420,
    height: 420,
    layer: [
      {
        data: { values: ravineContours() },
        mark: { type: 'line', color: '#bbb', strokeWidth: 1, clip: true },
        encoding: { x, y, detail: { field: 'level', type: 'nominal' }, order: { field: 'k', type: 'quantitative' } },
      },
      {
        data: { values: paths },
        mark: { type: 'line', point: { size: 12 }, strokeWidth: 1.5, clip: true },
        encoding: {
          x, y,
          order: { field: 'step', type: 'quantitative' },
          color: { field: 'optimizer', type: 'nominal', title: null, legend: { orient: 'bottom', columns: 2, labelLimit: 400 } },
        },
      },
    ],
  };
}

/** file stem → spec builder, in the order the report shows them; each skips a section absent from the report. */
export const CHARTS = {
  'training-loss': { needs: 'training', spec: lossSpec, caption: 'Training loss per optimizer' },
  'validation-accuracy': { needs: 'training', spec: accuracySpec, caption: 'Validation accuracy per optimizer' },
  'step-time-1m': { needs: 'userFeel', spec: userSpec, caption: 'Time per training step at ≥1M parameters' },
  throughput: { needs: 'hardware', spec: throughputSpec, caption: 'Optimizer step throughput per backend' },
  ravine: { needs: 'ravine', spec: ravineSpec, caption: 'Optimizers in a ravine' },
};
