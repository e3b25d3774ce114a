// Prints the README's benchmark tables (Markdown) from a run's JSON, so the figures in README.md
// are the ones a run wrote, not retyped. `node bench/table.mjs` reads your last run
// (bench/results/latest.json); `node bench/table.mjs bench/reference/latest.json` prints the
// README's own tables from the committed reference run.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const file = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), 'results', 'latest.json');
const results = JSON.parse(readFileSync(file, 'utf8'));
const sizes = Object.keys(results.sizes);
const cell = (v, suffix = '') => (v === null || v === undefined ? '–' : `${v}${suffix}`);
const rowOf = (size, task) => results.sizes[size].rows.find((r) => r.task === task);

console.log(`| | ${sizes.map((s) => `${s} elements | | |`).join(' ')}`);
console.log(`|---|${sizes.map(() => '---|---|---|').join('')}`);
console.log(`| task | ${sizes.map(() => 'native Melem/s | % of probe | native / TS').join(' | ')} |`);
for (const { task } of results.sizes[sizes[0]].rows) {
  if (task === 'naive JS AdamW') continue;
  const cells = sizes.map((s) => {
    const r = rowOf(s, task);
    return `${cell(r['native Melem/s'])} | ${cell(r['% of probe'])} | ${cell(r['native/TS'], '×')}`;
  });
  console.log(`| ${task} | ${cells.join(' | ')} |`);
}
for (const [task, label] of [['AdamW', 'AdamW, in pairs with the probe'], ['gradNorm', 'gradNorm, in pairs with the read probe']])
  console.log(`| ${label} | ${sizes.map((s) => `– | ${results.sizes[s].paired?.[task] ?? '–'} | –`).join(' | ')} |`);

console.log('\nWithout the addon (Melem/s):\n');
console.log(`| task | ${sizes.map((s) => `${s}: wasm | TS | tfjs-wasm | wasm / tfjs-wasm`).join(' | ')} |`);
console.log(`|---|${sizes.map(() => '---|---|---|---|').join('')}`);
for (const task of ['AdamW', 'Adam', 'SGD', 'SGD momentum', 'RMSprop', 'LAMB', 'gradNorm', 'naive JS AdamW']) {
  const cells = sizes.map((s) => {
    const r = rowOf(s, task);
    return `${cell(r['wasm Melem/s'])} | ${cell(r['TS Melem/s'])} | ${cell(r['tfjs-wasm Melem/s'])} | ${cell(r['wasm/tfjs-wasm'], '×')}`;
  });
  console.log(`| ${task} | ${cells.join(' | ')} |`);
}

if (results.manyTensors) {
  console.log('\nCall overhead (µs per step; ratio to one 1M tensor, median of side-by-side ratios):\n');
  console.log('| step | cold µs | cold ratio | warm µs | warm ratio |\n|---|---|---|---|---|');
  for (const r of results.manyTensors)
    console.log(`| ${r.task} | ${r['cold µs/step']} | ${r['cold vs 1 × 1M']}× | ${r['warm µs/step']} | ${r['warm vs 1 × 1M']}× |`);
}
