// fused-optim/tfjs against tf.train.* inside TF.js, in one run:
// - one optimizer step on a 1M-element variable (applyGradients with a fixed gradient) for adam,
//   rmsprop, momentum and adam with stateDtype 'int8', on TF.js's cpu and wasm backends, fused on the native addon and on
//   fused-optim's own WebAssembly backend (FUSED_OPTIM_BACKEND=wasm, i.e. without the addon);
// - a whole model.fit epoch of a 784-512-512-10 MLP (669K parameters) on the cpu backend.
// Usage: node bench/tfjs-dropin.mjs [--quick]; also run by bench/run.mjs. Prints a table, returns rows.
import { createRequire } from 'node:module';
import { dirname, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';
import { backendInfo, useBackend } from 'fused-optim';
import { fusedTrain } from 'fused-optim/tfjs';

const require = createRequire(import.meta.url);

const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

/** Per fused task, the median over rounds of (stock step time / its step time), each round timing every task once. */
function pairedRatios(steps, rounds) {
  const times = Object.fromEntries(Object.keys(steps).map((k) => [k, []]));
  for (let r = 0; r < rounds; r++)
    for (const [label, step] of Object.entries(steps)) {
      const t0 = performance.now();
      step();
      times[label].push(performance.now() - t0);
    }
  const stock = times['tf.train'];
  return Object.fromEntries(Object.keys(steps).map((k) => [k, median(stock.map((s, r) => s / times[k][r]))]));
}

export async function tfjsDropin({ quick = false } = {}) {
  const tf = require('@tensorflow/tfjs');
  const tfwasm = require('@tensorflow/tfjs-backend-wasm');
  tf.enableProdMode();
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  tfwasm.setWasmPaths(dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + sep);
  const train = fusedTrain(tf), int8 = fusedTrain(tf, { stateDtype: 'int8' });
  const n = 1 << 20;
  const time = quick ? 300 : 1500;
  const makers = {
    adam: [() => tf.train.adam(1e-3), () => train.adam(1e-3)],
    rmsprop: [() => tf.train.rmsprop(1e-3), () => train.rmsprop(1e-3)],
    momentum: [() => tf.train.momentum(1e-3, 0.9), () => train.momentum(1e-3, 0.9)],
    'adam, int8 state': [() => tf.train.adam(1e-3), () => int8.adam(1e-3)],
  };
  const rows = [];
  const fusedBackends = ['native', 'wasm'];
  for (const backend of ['cpu', 'wasm']) {
    await tf.setBackend(backend);
    await tf.ready();
    const grad = tf.randomNormal([n], 0, 0.01);
    for (const [name, [stockOf, fusedOf]] of Object.entries(makers)) {
      // tinybench runs at least `iterations` calls (64 by default): a stock step on tfjs-cpu takes
      // 0.1–0.7 s, so the quick form asks for few.
      const bench = new Bench({ time, warmupTime: 50, warmupIterations: 2, ...(quick ? { iterations: 5 } : {}) });
      const owned = [];
      const steps = {};
      // Each fused optimizer runs on the fused-optim backend it is named after.
      const task = (label, opt, fusedBackend) => {
        const v = tf.variable(tf.randomNormal([n]), true);
        owned.push(v, opt);
        const feed = [{ name: v.name, tensor: grad }];
        const step = () => {
          if (fusedBackend) useBackend(fusedBackend);
          opt.applyGradients(feed);
        };
        step();
        bench.add(label, step);
        steps[label] = step;
      };
      task('tf.train', stockOf());
      for (const fb of fusedBackends) task(`fused ${fb}`, fusedOf(), fb);
      const before = tf.memory().numTensors;
      await bench.run();
      if (tf.memory().numTensors !== before) throw new Error(`tensor leak in ${name}/${backend}`);
      const ms = (label) => {
        const r = bench.tasks.find((t) => t.name === label).result;
        if (r?.error) throw r.error;
        return r?.latency?.median ?? r?.period;
      };
      const stock = ms('tf.train');
      // The same ratios in rounds (one step of each in turn, the ratio per round, its median):
      // on a shared VM whose memory bandwidth drifts within seconds, tinybench's tasks one after
      // another can each meet another machine.
      const rounds = quick ? 5 : backend === 'cpu' ? 12 : 80;
      const paired = pairedRatios(steps, rounds);
      rows.push({
        step: `${name} 1M, tfjs-${backend}`,
        'tf.train ms': stock.toFixed(2),
        'fused native ms': ms('fused native').toFixed(3),
        'native ×': (stock / ms('fused native')).toFixed(1),
        'native × in rounds': paired['fused native'].toFixed(1),
        'fused wasm ms': ms('fused wasm').toFixed(3),
        'wasm ×': (stock / ms('fused wasm')).toFixed(1),
        'wasm × in rounds': paired['fused wasm'].toFixed(1),
      });
      for (const x of owned) x.dispose();
      useBackend('native');
    }
    grad.dispose();
  }

  // A model.fit epoch on the cpu backend: stock and fused Adam alternate, the median of each.
  await tf.setBackend('cpu');
  const samples = quick ? 256 : 2048, epochs = quick ? 2 : 4;
  const xs = tf.randomUniform([samples, 784]);
  const ys = tf.oneHot(tf.randomUniform([samples], 0, 10, 'int32'), 10);
  const model = (optimizer) => {
    const m = tf.sequential({
      layers: [
        tf.layers.dense({ units: 512, activation: 'relu', inputShape: [784] }),
        tf.layers.dense({ units: 512, activation: 'relu' }),
        tf.layers.dense({ units: 10, activation: 'softmax' }),
      ],
    });
    m.compile({ optimizer, loss: 'categoricalCrossentropy' });
    return m;
  };
  const stockModel = model(tf.train.adam(1e-3)), fusedModel = model(train.adam(1e-3));
  const params = stockModel.countParams();
  const seconds = { stock: [], fused: [] };
  const epoch = async (m) => {
    const t0 = performance.now();
    await m.fit(xs, ys, { epochs: 1, batchSize: 32, verbose: 0 });
    return (performance.now() - t0) / 1000;
  };
  for (let e = 0; e < epochs; e++) {
    seconds.stock.push(await epoch(stockModel));
    seconds.fused.push(await epoch(fusedModel));
  }
  const s = median(seconds.stock), f = median(seconds.fused);
  rows.push({
    step: `model.fit epoch, ${params} params, ${samples} samples, tfjs-cpu`,
    'tf.train ms': (s * 1000).toFixed(0),
    'fused native ms': (f * 1000).toFixed(0),
    'native ×': (s / f).toFixed(2),
    'native × in rounds': '–',
    'fused wasm ms': '–',
    'wasm ×': '–',
    'wasm × in rounds': '–',
  });
  stockModel.dispose();
  fusedModel.dispose();
  tf.dispose([xs, ys]);
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rows = await tfjsDropin({ quick: process.argv.includes('--quick') });
  console.log(`fused-optim/tfjs vs tf.train (${JSON.stringify(backendInfo())})`);
  console.table(rows);
}
