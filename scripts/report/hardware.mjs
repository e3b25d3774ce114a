// Section 1: the machine, and each optimizer step's throughput on the native, wasm and TS
// backends against the native streaming probes measured in the same run.
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { backendInfo, useBackend } from 'fused-optim';
import { measureAll, packageDir, PROBE_READ, PROBE_WRITE, probeAddon, stepTasks, throughputRows, warmUp } from './throughput.mjs';

/** CPU, cores, threads, ISAs, versions. */
export function describeMachine() {
  const info = backendInfo();
  const version = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')).version;
  return {
    cpu: cpus()[0]?.model?.trim() ?? 'unknown CPU',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    backend: info.name,
    isa: info.isa,
    isas: info.isas,
    threadsUsed: info.threads,
    nativeError: info.nativeError ?? null,
    platform: `${process.platform}-${process.arch}`,
    node: process.versions.node,
    v8: process.versions.v8,
    fusedOptim: version,
  };
}

/**
 * @param {{ elements: number, time: number, iterations: number, progress }} options (time in ms per measurement)
 * @returns {{ elements, probes: { writeGBs, readGBs } | null, rows, note? }}
 */
export function measureHardware({ elements, time, iterations, progress }) {
  const addon = probeAddon();
  const tasks = stepTasks(elements, { addon });
  const names = Object.keys(tasks);
  const optimizerNames = names.filter((k) => k !== PROBE_WRITE && k !== PROBE_READ);
  const fn = (list) => Object.fromEntries(list.map((k) => [k, tasks[k][1]]));
  const plan = [
    ...(addon ? [['native', names]] : []),
    ['wasm', optimizerNames],
    ['js', optimizerNames],
  ];
  const total = plan.reduce((sum, [, list]) => sum + list.length, 0) + (addon ? 2 : 0);
  const bar = progress.part('hardware: optimizer throughput', total, 'steps measured');
  let done = 0;
  const tick = (name) => bar.update(++done, name);
  const seconds = {};
  const before = backendInfo().name;
  try {
    for (const [backend, list] of plan) {
      try {
        useBackend(backend);
      } catch {
        done += list.length;
        continue; // this backend cannot load here: its column stays empty
      }
      if (backend === 'native') warmUp(fn(list), Math.min(1000, 3 * time));
      seconds[backend] = measureAll(fn(list), { time, iterations, warmup: 1 }, tick);
      if (backend === 'native') {
        // The probes again, last: the faster of the two runs is the ceiling (the stricter yardstick).
        const again = measureAll(fn([PROBE_WRITE, PROBE_READ]), { time, iterations, warmup: 1 }, tick);
        for (const k of [PROBE_WRITE, PROBE_READ]) seconds.native[k] = Math.min(seconds.native[k], again[k]);
      }
    }
  } finally {
    useBackend(before);
  }
  const { rows, writeGBs, readGBs } = throughputRows(elements, tasks, seconds);
  const adamw = rows.find((r) => r.task === 'AdamW');
  bar.done(addon ? `probe ${writeGBs.toFixed(1)} GB/s (4r/3w), ${readGBs.toFixed(1)} GB/s read; AdamW at ${adamw['% of probe']}% of it` : 'no native addon: wasm and TS only');
  return {
    elements,
    probes: addon ? { writeGBs: +writeGBs.toFixed(2), readGBs: +readGBs.toFixed(2) } : null,
    rows,
    ...(addon ? {} : { note: 'the native addon did not load: no probes, no native column' }),
  };
}
