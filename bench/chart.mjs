// The benchmark's chart: throughput of each implementation per optimizer, log scale, one row per
// size, drawn with vega-lite and rendered to SVG headlessly.
import { renderSvg } from '../scripts/report/render.mjs';

const COLUMNS = {
  'native Melem/s': 'fused-optim native',
  'wasm Melem/s': 'fused-optim wasm backend',
  'TS Melem/s': 'fused-optim TS backend',
  'tfjs-wasm Melem/s': 'TensorFlow.js wasm',
  'tfjs-cpu Melem/s': 'TensorFlow.js cpu',
};

const IMPLEMENTATIONS = [...Object.values(COLUMNS), 'naive JS loop'];

export async function chartSvg(results) {
  const values = [];
  for (const [size, { rows }] of Object.entries(results.sizes))
    for (const row of rows) {
      if (row.task.startsWith('probe')) continue;
      for (const [column, implementation] of Object.entries(COLUMNS))
        if (row[column]) {
          const naive = row.task === 'naive JS AdamW';
          values.push({
            size: `${size} elements`,
            task: naive ? 'AdamW' : row.task,
            implementation: naive ? 'naive JS loop' : implementation,
            melems: row[column],
          });
        }
    }
  const { machine } = results;
  return renderSvg({
    title: {
      text: 'Optimizer step throughput (higher is better)',
      subtitle: `${machine.cpu}, ${machine.threads} threads, native ISA ${machine.isa}, Node ${machine.node}`,
    },
    data: { values },
    mark: 'bar',
    encoding: {
      row: { field: 'size', type: 'nominal', title: null, sort: Object.keys(results.sizes).map((k) => `${k} elements`) },
      y: { field: 'task', type: 'nominal', title: null, sort: null },
      yOffset: { field: 'implementation', type: 'nominal', sort: IMPLEMENTATIONS },
      // Bars on a log axis need an explicit base: from 1 Melem/s.
      x: {
        field: 'melems', type: 'quantitative', stack: null,
        scale: { type: 'log', domainMin: 1 }, title: 'million elements per second (log scale)',
      },
      x2: { datum: 1 },
      color: {
        field: 'implementation', type: 'nominal', title: null, sort: IMPLEMENTATIONS,
        legend: { orient: 'top', columns: 3, labelLimit: 300 },
      },
    },
    width: 560,
    height: { step: 22 },
  });
}
