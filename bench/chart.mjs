// The benchmark's chart: throughput of each implementation per optimizer, log scale, one row per
// size, drawn with vega-lite and rendered to SVG headlessly.
import * as vega from 'vega';
import * as vl from 'vega-lite';

const COLUMNS = {
  'native Melem/s': 'fused-optim native',
  'TS Melem/s': 'fused-optim TS backend',
  'tfjs-wasm Melem/s': 'TensorFlow.js wasm',
  'tfjs-cpu Melem/s': 'TensorFlow.js cpu',
};

export async function chartSvg(results) {
  const values = [];
  for (const [size, { rows }] of Object.entries(results.sizes))
    for (const row of rows) {
      if (row.task.startsWith('probe')) continue;
      for (const [column, implementation] of Object.entries(COLUMNS))
        if (row[column]) values.push({ size: `${size} elements`, task: row.task, implementation, melems: row[column] });
    }
  const { machine } = results;
  const spec = vl.compile({
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: {
      text: 'Optimizer step throughput (higher is better)',
      subtitle: `${machine.cpu}, ${machine.threads} threads, native ISA ${machine.isa}, Node ${machine.node}`,
    },
    data: { values },
    mark: 'bar',
    encoding: {
      row: { field: 'size', type: 'nominal', title: null },
      y: { field: 'task', type: 'nominal', title: null, sort: null },
      yOffset: { field: 'implementation', type: 'nominal' },
      x: { field: 'melems', type: 'quantitative', scale: { type: 'log' }, title: 'million elements per second (log)' },
      color: { field: 'implementation', type: 'nominal', title: null, legend: { orient: 'bottom' } },
    },
    width: 520,
  }).spec;
  return new vega.View(vega.parse(spec), { renderer: 'none' }).toSVG();
}
