#!/usr/bin/env node
// Crash test of saveCheckpoint: a child process trains an AdamW and saves a checkpoint after
// every step (sync and async saves in turn) while this one kills it with SIGKILL at a random
// moment, again and again. After each kill the checkpoint must load, whole (every element of its
// stamp equals its generation; the optimizer state is for that generation's step), and be the
// last one seen or a later one. Each new child resumes from it, as a restarted job would.
//
//   node scripts/checkpoint-kill.mjs [kills=200] [--elements N=262144] [--max-delay MS=400] [--json]
//
// Prints the kills survived, how many of them interrupted a write (a temporary file was left
// behind), the generations saved, and the time taken. Exits 1 on the first bad checkpoint.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AdamW, loadCheckpointSync, saveCheckpoint, saveCheckpointSync } from 'fused-optim';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i < 0 ? fallback : Number(args[i + 1]);
};

function makeOptimizer(elements, saved) {
  const param = { data: saved ? saved.weights : new Float32Array(elements), grad: new Float32Array(elements).fill(1e-3) };
  const opt = new AdamW([param], { lr: 1e-3 });
  if (saved) opt.loadStateDict(saved.optimizer);
  return { param, opt };
}

/** The child: resume from the checkpoint, then step and save forever (until killed). */
async function child(path, elements) {
  const saved = loadCheckpointSync(path);
  let generation = saved.generation;
  const { param, opt } = makeOptimizer(elements, generation > 0 ? saved : null);
  process.stdout.write('ready\n');
  for (;;) {
    generation++;
    opt.step();
    const value = { generation, stamp: new Float32Array(elements).fill(generation), optimizer: opt.stateDict(), weights: param.data };
    if (generation % 2) await saveCheckpoint(path, value);
    else saveCheckpointSync(path, value);
  }
}

/** Checks one checkpoint; returns its generation. */
function verify(path, elements, lastSeen) {
  const c = loadCheckpointSync(path);
  const bad = (why) => {
    throw new Error(`checkpoint after a kill is wrong: ${why}`);
  };
  if (!Number.isInteger(c.generation) || c.generation < lastSeen) bad(`generation ${c.generation}, earlier than ${lastSeen}`);
  if (!(c.stamp instanceof Float32Array) || c.stamp.length !== elements || !c.stamp.every((v) => v === c.generation))
    bad(`its stamp is not all ${c.generation}`);
  if (c.generation > 0) {
    if (c.optimizer.state[0].step !== c.generation) bad(`optimizer step ${c.optimizer.state[0].step}, generation ${c.generation}`);
    makeOptimizer(elements, c); // loads into a fresh optimizer
  }
  return c.generation;
}

export async function killTest({ kills = 200, elements = 1 << 18, maxDelay = 400 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'fused-optim-kill-'));
  const path = join(dir, 'train.ckpt');
  const self = fileURLToPath(import.meta.url);
  const started = Date.now();
  let lastSeen = 0, interrupted = 0;
  try {
    saveCheckpointSync(path, { generation: 0, stamp: new Float32Array(elements) });
    for (let k = 0; k < kills; k++) {
      const proc = spawn(process.execPath, [self, '--child', path, String(elements)], { stdio: ['ignore', 'pipe', 'inherit'] });
      const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
      await new Promise((resolve, reject) => {
        proc.stdout.once('data', resolve);
        proc.once('exit', (code) => reject(new Error(`the saving child exited early (${code})`)));
      });
      await new Promise((resolve) => setTimeout(resolve, Math.random() * maxDelay));
      proc.kill('SIGKILL');
      const { signal } = await exited;
      if (signal !== 'SIGKILL') throw new Error(`the saving child ended by ${signal} before it was killed`);
      if (readdirSync(dir).some((name) => name.endsWith('.tmp'))) interrupted++;
      lastSeen = verify(path, elements, lastSeen);
    }
    // The next save removes what the killed children left behind.
    saveCheckpointSync(path, { generation: lastSeen + 1, stamp: new Float32Array(elements).fill(lastSeen + 1) });
    const leftover = readdirSync(dir).filter((name) => name !== 'train.ckpt');
    return { kills, interruptedWrites: interrupted, generations: lastSeen, elements, leftoverFiles: leftover.length, seconds: (Date.now() - started) / 1000 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (args[0] === '--child') await child(args[1], Number(args[2]));
else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const kills = args[0] !== undefined && !args[0].startsWith('--') ? Number(args[0]) : 200;
  if (!Number.isInteger(kills) || kills < 1) {
    console.error('usage: node scripts/checkpoint-kill.mjs [kills=200] [--elements N] [--max-delay MS] [--json]');
    process.exit(2);
  }
  try {
    const result = await killTest({ kills, elements: option("--elements", 1 << 18), maxDelay: option("--max-delay", 400) });
    if (args.includes('--json')) console.log(JSON.stringify(result));
    else
      console.log(
        `${result.kills} kills survived (${result.interruptedWrites} during a write), ${result.generations} checkpoints ` +
          `of ${result.elements} elements saved, ${result.leftoverFiles} files left over, ${result.seconds} s`,
      );
  } catch (e) {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  }
}
