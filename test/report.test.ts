// `fused-optim report --quick` (what `npm start -- --quick` and CI run): it finishes, its stdout is
// only the --json summary, and it writes report.json, SVG and PNG charts and a report.html whose
// figures agree with report.json and whose links stay inside the output folder.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(__dirname, '..');
const cli = join(root, 'scripts', 'cli.mjs');
const env = { ...process.env, FUSED_OPTIM_BACKEND: '', FUSED_OPTIM_ISA: '', FUSED_OPTIM_THREADS: '' };
const OPTIMIZERS = ['sgd', 'nesterov', 'adagrad', 'rmsprop', 'adam', 'adamw', 'adamw-cosine', 'nadam', 'radam', 'lamb', 'lion'];
const STEP_TASKS = ['AdamW', 'Adam', 'Adam amsgrad', 'SGD', 'SGD momentum', 'Adagrad', 'RMSprop', 'Adadelta', 'Adamax', 'NAdam', 'RAdam', 'LAMB', 'Lion', 'gradNorm'];

/** Runs the report in a child process; asynchronous, so the test worker stays responsive meanwhile. */
function report(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'report', ...args], { cwd: root, env });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
let out: string, stdout: string, json: Json, summary: Json, html: string;

beforeAll(async () => {
  out = mkdtempSync(join(tmpdir(), 'fused-optim-report-'));
  const r = await report(['--quick', '--json', '--out', out]);
  if (r.status !== 0) throw new Error(`report failed (${r.status}): ${r.stderr}`);
  stdout = r.stdout;
  json = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
  html = readFileSync(join(out, 'report.html'), 'utf8');
}, 240_000);

afterAll(() => rmSync(out, { recursive: true, force: true }));

/** Width and height of a PNG, from its IHDR chunk, after checking the 8-byte signature. */
function pngSize(bytes: Buffer) {
  expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  expect(bytes.subarray(12, 16).toString('latin1')).toBe('IHDR');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

describe('fused-optim report --quick --json', () => {
  it('prints exactly one JSON document on stdout, agreeing with report.json', () => {
    summary = JSON.parse(stdout);
    expect(stdout.trim().split('\n')).toHaveLength(1);
    expect(summary.machine).toEqual(json.machine);
    expect(summary.training.adam.validationAccuracy).toBe(json.training.runs.adam.validationAccuracy);
    expect(summary.hardware.rows).toEqual(json.hardware.rows);
  });

  it('report.json describes the machine, the command and every section', () => {
    expect(json.command).toBe(`fused-optim report --quick --json --out ${out}`);
    expect(json.machine.cores).toBeGreaterThanOrEqual(1);
    expect(json.machine.isas).toContain(json.machine.isa);
    expect(json.machine.node).toBe(process.versions.node);
    expect(json.versions.node).toBe(process.versions.node);
    expect(json.versions.vegaLite).toMatch(/^\d+\.\d+/);
    expect(json.versions.tfjsCore).toMatch(/^\d+\.\d+/);
    expect(json.hardware.probes.writeGBs).toBeGreaterThan(0);
    expect(json.hardware.probes.readGBs).toBeGreaterThan(0);
    const tasks = json.hardware.rows.map((r: Json) => r.task);
    for (const task of STEP_TASKS) expect(tasks).toContain(task);
    for (const row of json.hardware.rows.filter((r: Json) => !r.task.startsWith('probe'))) {
      expect(row['native Melem/s']).toBeGreaterThan(0);
      expect(row['wasm Melem/s']).toBeGreaterThan(0);
      expect(row['TS Melem/s']).toBeGreaterThan(0);
      expect(row['% of probe']).toBeGreaterThan(0);
    }
    expect(Object.keys(json.training.runs)).toEqual(OPTIMIZERS);
    expect(Object.keys(json.ravine.runs)).toEqual(['SGD', 'momentum', 'Nesterov', 'RMSprop', 'Adam']);
    expect(json.userFeel.parameters).toBeGreaterThanOrEqual(1_000_000);
  });

  it('trains every optimizer to better than chance, with finite curves', () => {
    for (const id of OPTIMIZERS) {
      const run = json.training.runs[id];
      expect(run.trainLoss).toHaveLength(run.steps);
      expect(run.trainLoss.every(Number.isFinite)).toBe(true);
      expect(run.curve.at(-1).validationAccuracy).toBe(run.validationAccuracy);
      expect(run.validationAccuracy).toBeGreaterThan(0.15); // chance is 0.1
    }
    // Adam after one short epoch on 2000 digits is well past chance.
    expect(json.training.runs.adam.validationAccuracy).toBeGreaterThan(0.6);
  });

  it('the fused optimizer step beats the TS backend at 1M parameters', () => {
    const [fused, ts] = json.userFeel.runs;
    expect(fused.label).toMatch(/native/);
    expect(ts.label).toMatch(/TS backend/);
    expect(fused.optimizerMsPerStep).toBeLessThan(ts.optimizerMsPerStep);
  });

  it('writes each chart as SVG and as a PNG at twice its size', () => {
    const stems = ['training-loss', 'validation-accuracy', 'step-time-1m', 'throughput', 'ravine'];
    for (const stem of stems) {
      const svg = readFileSync(join(out, `${stem}.svg`), 'utf8');
      expect(svg.startsWith('<svg')).toBe(true);
      expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
      const width = Number(/<svg[^>]*\swidth="([\d.]+)"/.exec(svg)?.[1]);
      const height = Number(/<svg[^>]*\sheight="([\d.]+)"/.exec(svg)?.[1]);
      expect(width).toBeGreaterThan(100);
      const png = pngSize(readFileSync(join(out, `${stem}.png`)));
      expect(png.width).toBe(Math.round(2 * width));
      expect(png.height).toBe(Math.round(2 * height));
      expect(json.files).toEqual(expect.arrayContaining([`${stem}.svg`, `${stem}.png`]));
    }
  });

  it('report.html shows the figures of report.json', () => {
    expect(html).toContain(`${json.hardware.probes.writeGBs} GB/s`);
    for (const run of Object.values(json.training.runs) as Json[]) {
      expect(html).toContain(run.label);
      expect(html).toContain(`${(100 * run.validationAccuracy).toFixed(1)}%`);
      expect(html).toContain(run.finalTrainLoss.toFixed(4));
    }
    const adamw = json.hardware.rows.find((r: Json) => r.task === 'AdamW');
    expect(html).toContain(`<td>AdamW</td><td>${adamw['native Melem/s']}</td><td>${adamw['GB/s']}</td><td>${adamw['% of probe']}</td>`);
    expect((html.match(/<svg/g) ?? []).length).toBe(5);
  });

  it('report.html refers only to files it ships (no network, no absolute paths)', () => {
    const refs = [...html.matchAll(/\s(?:href|src|xlink:href)\s*=\s*["']([^"']*)["']/gi)].map((m) => m[1]);
    refs.push(...[...html.matchAll(/url\(\s*["']?([^"')]*)/gi)].map((m) => m[1]));
    expect(refs.length).toBeGreaterThan(0);
    const shipped = new Set(readdirSync(out));
    // Fragments (the charts' clip paths) must name an element of the page, and ids must be
    // unique across the inlined charts, or a browser clips one chart with another's path.
    const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
    for (const ref of refs) {
      if (ref.startsWith('#')) {
        expect(ids, `fragment ${ref}`).toContain(ref.slice(1));
        continue;
      }
      expect(ref, `reference ${ref}`).not.toMatch(/^[a-z][a-z0-9+.-]*:|^\/|\.\./i);
      expect(shipped.has(ref), `reference ${ref} is a file in the folder`).toBe(true);
    }
    expect(html).not.toMatch(/<script[^>]*\ssrc|<link\s|@import/i);
  });
});

describe('fused-optim report flags', () => {
  it('--help explains every flag and exits 0', async () => {
    const r = await report(['--help']);
    expect(r.status).toBe(0);
    for (const flag of ['--quick', '--out', '--optimizers', '--backend', '--threads', '--json', '--no-train', '--help', '--epochs'])
      expect(r.stdout).toContain(flag);
  });

  it('refuses an unknown flag, optimizer or backend with exit code 2 and a message', async () => {
    for (const [args, message] of [
      [['--fast'], /--fast/],
      [['--optimizers', 'adam,adamm'], /adamm/],
      [['--backend', 'gpu'], /--backend/],
      [['--threads', '0'], /--threads/],
    ] as const) {
      const r = await report([...args]);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stdout).toBe('');
    }
  });

  it('--no-train writes a report without the training sections', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fused-optim-report-'));
    try {
      const r = await report(['--quick', '--no-train', '--out', dir]);
      expect(r.status).toBe(0);
      const j = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
      expect(j.training.skipped).toBe('--no-train');
      expect(j.userFeel.skipped).toBe('--no-train');
      expect(existsSync(join(dir, 'training-loss.svg'))).toBe(false);
      expect(existsSync(join(dir, 'ravine.png'))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
