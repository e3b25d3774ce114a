// The columns of each section's table, shared by the terminal summary and report.html.
import { fixed } from './tables.mjs';

const pct = (v) => (v === null || v === undefined ? null : `${(100 * v).toFixed(1)}%`);

export const COLUMNS = {
  hardware: [
    ['task', (r) => r.task],
    ['native Melem/s', (r) => r['native Melem/s']],
    ['GB/s', (r) => r['GB/s']],
    ['% of probe', (r) => r['% of probe']],
    ['wasm Melem/s', (r) => r['wasm Melem/s']],
    ['TS Melem/s', (r) => r['TS Melem/s']],
    ['native/TS', (r) => (r['native/TS'] === null ? null : `${r['native/TS']}×`)],
  ],
  training: [
    ['optimizer', (r) => r.label],
    ['final train loss', (r) => fixed(4)(r.finalTrainLoss)],
    ['val. loss', (r) => fixed(4)(r.validationLoss)],
    ['val. accuracy', (r) => pct(r.validationAccuracy)],
    ['ms/step total', (r) => fixed(2)(r.msPerStep)],
    ['ms/step optimizer', (r) => fixed(3)(r.optimizerMsPerStep)],
  ],
  userFeel: [
    ['run', (r) => r.label],
    ['ms/step total', (r) => (r.skipped ? 'skipped' : fixed(1)(r.msPerStep))],
    ['ms/step optimizer', (r) => (r.skipped ? null : fixed(2)(r.optimizerMsPerStep))],
    ['s/epoch', (r) => (r.skipped ? null : fixed(1)(r.secondsPerEpoch))],
    ['note', (r) => r.skipped ?? ''],
  ],
  ravine: [
    ['optimizer', (r) => r.name],
    ['lr', (r) => r.lr],
    ['momentum', (r) => r.momentum || ''],
    ['f after 10 steps', (r) => r.path[10].loss.toPrecision(3)],
    ['f after 50 steps', (r) => r.path[r.path.length - 1].loss.toPrecision(3)],
  ],
};
