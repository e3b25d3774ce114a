// The report's command line: `fused-optim report [flags]`.
import { parseArgs } from 'node:util';

export const HELP = `fused-optim report: profile this machine and train optimizers on real data.

Usage: npx fused-optim report [flags]      (in this repository: npm start -- [flags])

Writes, in the output folder: report.json (every figure, the machine, versions, the command),
one chart per section as SVG and PNG, and report.html, which opens in any browser.

Sections:
  1. hardware    CPU, threads, instruction sets; the native streaming probes (4 read / 3 write,
                 read-only); each optimizer step and gradNorm on the native, wasm and TS backends
  2. training    an MLP (784-256-128-10) trained on MNIST digits with SGD, SGD+Nesterov, Adagrad,
                 RMSprop, Adam, AdamW (also with warmup + cosine and clipping), NAdam, RAdam,
                 LAMB and Lion: loss, validation accuracy, time per step
  3. 1M params   one training step at ≥1M parameters: fused optimizer against the TS backend,
                 TF.js tf.train.adam against the fused-optim/tfjs drop-in
  4. ravine      f(x, y) = x² + 10y² from (10, 10) with SGD, momentum, Nesterov, RMSprop, Adam

Sections 2 and 3 and the charts use dev dependencies (mnist, TensorFlow.js, vega, vega-lite,
@resvg/resvg-js, cli-progress); without them they are skipped with a note.

Flags:
  --quick              a short run (about 30 s): smaller model and data, one epoch, shorter timing
  --out DIR            output folder (default ./fused-optim-report)
  --optimizers a,b     train only these (ids: sgd, nesterov, adagrad, rmsprop, adam, adamw,
                       adamw-cosine, nadam, radam, lamb, lion); default all
  --epochs N           epochs per optimizer (default 2; --quick: 1)
  --backend NAME       backend the training uses: native, wasm or js (default: the best available)
  --threads N          threads for native steps (default: all cores)
  --json               print a machine-readable summary on stdout (progress and tables go to stderr)
  --no-train           skip sections 2 and 3 (hardware and ravine only)
  -h, --help           this text
`;

/** Parsed options, or throws a RangeError naming the flag. */
export function parseReportArgs(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      out: { type: 'string', default: 'fused-optim-report' },
      optimizers: { type: 'string' },
      epochs: { type: 'string' },
      backend: { type: 'string' },
      threads: { type: 'string' },
      json: { type: 'boolean', default: false },
      'no-train': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const positiveInteger = (flag, text) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`--${flag} must be a positive integer, got '${text}'`);
    return n;
  };
  if (values.backend !== undefined && !['native', 'wasm', 'js'].includes(values.backend))
    throw new RangeError(`--backend must be native, wasm or js, got '${values.backend}'`);
  return {
    quick: values.quick,
    out: values.out,
    optimizers: values.optimizers?.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean),
    epochs: values.epochs === undefined ? undefined : positiveInteger('epochs', values.epochs),
    backend: values.backend,
    threads: values.threads === undefined ? undefined : positiveInteger('threads', values.threads),
    json: values.json,
    train: !values['no-train'],
    help: values.help,
  };
}
