import type { Backend, KernelScalars, KernelStreams, Kind, OutputField, StoredFields } from '../types';
import { adadelta } from './adadelta';
import { adagrad } from './adagrad';
import { adam } from './adam';
import { adamax } from './adamax';
import { accumulate, clamp, lookahead, scale } from './elementwise';
import { lamb } from './lamb';
import { lion } from './lion';
import { nadam } from './nadam';
import { radam } from './radam';
import { reduce } from './reduce';
import { rmsprop } from './rmsprop';
import { sgd } from './sgd';
import { stepStored } from './stored';
import { tfAdadelta } from './tf-adadelta';
import { tfAdagrad } from './tf-adagrad';
import { tfAdam } from './tf-adam';
import { tfAdamax } from './tf-adamax';
import { tfRmsprop } from './tf-rmsprop';

type Kernels = { [K in Kind]: (streams: KernelStreams[K], scalars: KernelScalars[K]) => void };

const kernels: Kernels = {
  adam, sgd, adagrad, rmsprop, adadelta, adamax, nadam, radam, lion, lamb, lookahead, scale, accumulate, clamp,
  tf_adam: tfAdam, tf_adagrad: tfAdagrad, tf_adadelta: tfAdadelta, tf_adamax: tfAdamax, tf_rmsprop: tfRmsprop,
};

function run<K extends Kind>(kind: K, streams: KernelStreams[K], scalars: KernelScalars[K]): void {
  const { paramOut, ...rest } = streams as KernelStreams[K] & OutputField;
  // Out of place is specified as: each old param copied into its output, the output updated in place.
  if (paramOut != null) {
    const lists = rest as unknown as { param: Float32Array[] };
    lists.param.forEach((p, t) => paramOut[t].set(p));
    lists.param = paramOut;
  }
  const stored = rest as unknown as Partial<StoredFields>;
  if (stored.stateFormat) stepStored(kernels[kind] as never, stored as never, scalars);
  else kernels[kind](rest as KernelStreams[K], scalars);
}

/** The pure-TypeScript backend: the readable specification and the fallback. */
export const jsBackend: Backend = {
  name: 'js',
  step(kind, streams, scalars) {
    run(kind, streams, scalars);
  },
  // No threads to run on: the update happens now, the promise only reports it.
  async stepAsync(kind, streams, scalars) {
    run(kind, streams, scalars);
  },
  reduce,
  prepare() {},
};
