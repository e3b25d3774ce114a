// The kernel kinds as data: for each kind its per-step scalars, in the order the backends pack
// them, and its streams (the tensor lists it reads or writes). The TS types KernelScalars and
// KernelStreams are derived from this table, and at load time the native addon's and the wasm
// module's own tables (both generated from native/kernels/kinds.h) are compared with it
// (kindTableMismatch): an addon built from other sources is refused with the kind and the field
// that differ, where it would otherwise read a scalar it was never given.

/**
 * Which values a scalar may hold (every one finite). The addon rejects anything else: kernels
 * branch on flags and on Adam's decay kind, and LAMB divides by its eps in zero-padded lanes.
 */
export type Domain = 'real' | 'flag' | 'decay' | 'positive';

export interface StreamSpec {
  readonly written: boolean;
  /** The flag scalar that enables this stream; absent when the stream is always there. */
  readonly enabledBy?: string;
}

const read = { written: false } as const;
const written = { written: true } as const;
const writtenIf = <const F extends string>(flag: F) => ({ written: true, enabledBy: flag }) as const;

/** A kind's row; `enabledBy` must name one of its flag scalars (checked by the compiler). */
function kind<
  const S extends Record<string, Domain>,
  const T extends Record<string, StreamSpec & { enabledBy?: { [N in keyof S]: S[N] extends 'flag' ? N : never }[keyof S] }>,
>(scalars: S, streams: T) {
  return { scalars, streams };
}

const R = 'real', F = 'flag';

/** Keep in step with native/kernels/kinds.h (same names, same order): the load-time check compares them. */
export const KINDS = {
  adam: kind(
    { gradScale: R, l2: R, paramDecay: R, oneMinusBeta1: R, beta2: R, oneMinusBeta2: R, stepSize: R, bc2Sqrt: R, eps: R, decay: 'decay', amsgrad: F },
    { param: written, grad: read, expAvg: written, expAvgSq: written, maxExpAvgSq: writtenIf('amsgrad') },
  ),
  sgd: kind(
    { gradScale: R, weightDecay: R, hasWeightDecay: F, momentum: R, oneMinusDampening: R, lr: R, hasMomentum: F, nesterov: F, firstStep: F },
    { param: written, grad: read, momentumBuffer: writtenIf('hasMomentum') },
  ),
  adagrad: kind({ gradScale: R, weightDecay: R, hasWeightDecay: F, clr: R, eps: R }, { param: written, grad: read, sum: written }),
  rmsprop: kind(
    { gradScale: R, weightDecay: R, hasWeightDecay: F, alpha: R, oneMinusAlpha: R, eps: R, lr: R, momentum: R, hasMomentum: F, centered: F },
    { param: written, grad: read, squareAvg: written, gradAvg: writtenIf('centered'), momentumBuffer: writtenIf('hasMomentum') },
  ),
  adadelta: kind(
    { gradScale: R, weightDecay: R, hasWeightDecay: F, rho: R, oneMinusRho: R, eps: R, lr: R },
    { param: written, grad: read, squareAvg: written, accDelta: written },
  ),
  adamax: kind(
    { gradScale: R, weightDecay: R, hasWeightDecay: F, oneMinusBeta1: R, beta2: R, eps: R, clr: R },
    { param: written, grad: read, expAvg: written, expInf: written },
  ),
  nadam: kind(
    { gradScale: R, weightDecay: R, hasWeightDecay: F, oneMinusBeta1: R, beta2: R, oneMinusBeta2: R, bc2: R, eps: R, gradStep: R, avgStep: R },
    { param: written, grad: read, expAvg: written, expAvgSq: written },
  ),
  radam: kind(
    {
      gradScale: R, weightDecay: R, hasWeightDecay: F, oneMinusBeta1: R, beta2: R, oneMinusBeta2: R, bc1: R, bc2Sqrt: R, eps: R, lr: R,
      rect: R, rectified: F,
    },
    { param: written, grad: read, expAvg: written, expAvgSq: written },
  ),
  lion: kind(
    { gradScale: R, paramDecay: R, lr: R, beta1: R, oneMinusBeta1: R, beta2: R, oneMinusBeta2: R },
    { param: written, grad: read, expAvg: written },
  ),
  /** Two passes with a per-tensor trust ratio between them (native/step.cpp). */
  lamb: kind(
    { gradScale: R, oneMinusBeta1: R, beta2: R, oneMinusBeta2: R, bc1: R, bc2: R, eps: 'positive', weightDecay: R, hasWeightDecay: F, lr: R },
    { param: written, grad: read, expAvg: written, expAvgSq: written },
  ),
  lookahead: kind({ alpha: R }, { slow: written, fast: written }),
  scale: kind({ factor: R }, { x: written }),
  accumulate: kind({ scale: R }, { dst: written, src: read }),
  clamp: kind({ clipValue: R }, { x: written }),
  // TensorFlow.js's formulas (fused-optim/tfjs); state named after tfjs-core's slots.
  tf_adam: kind(
    { gradScale: R, beta1: R, oneMinusBeta1: R, beta2: R, oneMinusBeta2: R, oneMinusAccBeta1: R, oneMinusAccBeta2: R, eps: R, lr: R },
    { param: written, grad: read, m: written, v: written },
  ),
  tf_adagrad: kind({ gradScale: R, eps: R, lr: R }, { param: written, grad: read, accumulator: written }),
  tf_adadelta: kind(
    { gradScale: R, rho: R, oneMinusRho: R, eps: R, lr: R },
    { param: written, grad: read, accumGrad: written, accumUpdate: written },
  ),
  tf_adamax: kind(
    { gradScale: R, beta1: R, oneMinusBeta1: R, beta2: R, eps: R, stepSize: R },
    { param: written, grad: read, m: written, u: written },
  ),
  tf_rmsprop: kind(
    { gradScale: R, alpha: R, oneMinusAlpha: R, momentum: R, eps: R, lr: R, centered: F },
    { param: written, grad: read, ms: written, mom: written, mg: writtenIf('centered') },
  ),
} as const;

type Table = typeof KINDS;
export type Kind = keyof Table;

/** Weight decay kinds of the Adam family: none, L2 folded into the gradient (Adam), decoupled (AdamW). */
export const Decay = { None: 0, L2: 1, Decoupled: 2 } as const;
export type Decay = (typeof Decay)[keyof typeof Decay];

type ValueOf<D> = D extends 'flag' ? boolean : D extends 'decay' ? Decay : number;
type Tensors = Float32Array[];

/** Per-step scalars of each kind, computed once per step in double by src/functional. */
export type KernelScalars = {
  [K in Kind]: { -readonly [S in keyof Table[K]['scalars']]: ValueOf<Table[K]['scalars'][S]> };
};

/** The tensor lists ("streams") of each kind; optional ones are null when their flag is off. */
export type KernelStreams = {
  [K in Kind]: { -readonly [S in keyof Table[K]['streams']]: Table[K]['streams'][S] extends { enabledBy: string } ? Tensors | null : Tensors };
};

/** A kind as a backend's own table describes it (the addon's kinds(), the wasm module's fo_kinds()). */
export interface KindLayout {
  index: number;
  scalars: { name: string; domain: string }[];
  streams: { name: string; written: boolean; enabledBy: string }[];
}

/** `always` is how kinds.h spells a stream no flag enables. */
const ALWAYS = 'always';

/**
 * How a backend's table differs from KINDS, naming the first kind and field that differ; undefined
 * when they agree. `source` names the table in the message ("the addon", "the wasm module").
 */
export function kindTableMismatch(layouts: Record<string, KindLayout>, source: string): string | undefined {
  for (const name of Object.keys(layouts))
    if (!Object.hasOwn(KINDS, name)) return `${source} has a kind ${name} this package does not know`;
  for (const [name, row] of Object.entries(KINDS) as [string, { scalars: Record<string, Domain>; streams: Record<string, StreamSpec> }][]) {
    const layout = Object.hasOwn(layouts, name) ? layouts[name] : undefined;
    if (layout === undefined) return `${source} has no kind ${name}`;
    const show = (v: unknown) => (v === null ? 'missing' : JSON.stringify(v));
    const differs = (field: string, theirs: unknown, ours: unknown) => `kind ${name}: ${field} is ${show(theirs)} in ${source}, ${show(ours)} here`;
    const scalars = Object.entries(row.scalars);
    if (!Array.isArray(layout.scalars) || !Array.isArray(layout.streams)) return `kind ${name}: ${source} lists no scalars and streams`;
    for (let i = 0; i < Math.max(scalars.length, layout.scalars.length); i++) {
      const theirs = layout.scalars[i] as KindLayout['scalars'][number] | string | undefined, ours = scalars[i];
      if (typeof theirs === 'string') return `kind ${name}: ${source} lists its scalars without their domains (built from older sources)`;
      if (theirs?.name !== ours?.[0]) return differs(`scalar ${i}`, theirs?.name ?? null, ours?.[0] ?? null);
      if (theirs.domain !== ours[1]) return differs(`scalar ${ours[0]}'s domain`, theirs.domain, ours[1]);
    }
    const streams = Object.entries(row.streams);
    for (let i = 0; i < Math.max(streams.length, layout.streams.length); i++) {
      const theirs = layout.streams[i], ours = streams[i];
      if (theirs?.name !== ours?.[0]) return differs(`stream ${i}`, theirs?.name ?? null, ours?.[0] ?? null);
      if (theirs.written !== ours[1].written) return differs(`stream ${ours[0]}'s written`, theirs.written, ours[1].written);
      const enabledBy = ours[1].enabledBy ?? ALWAYS;
      if (theirs.enabledBy !== enabledBy) return differs(`stream ${ours[0]}'s enabledBy`, theirs.enabledBy, enabledBy);
    }
  }
  return undefined;
}

const SCALAR_NAMES = Object.fromEntries(Object.entries(KINDS).map(([name, row]) => [name, Object.keys(row.scalars)])) as Record<Kind, string[]>;

/** How many scalars a kind has: the length of its packed form. */
export const scalarCount = (kind: Kind): number => SCALAR_NAMES[kind].length;

/** Writes a kind's scalars into out[at ..] in packing order, flags as 0 or 1. */
export function packScalars<K extends Kind>(kind: K, scalars: KernelScalars[K], out: Float64Array, at = 0): void {
  const names = SCALAR_NAMES[kind], values = scalars as Record<string, number | boolean>;
  for (let i = 0; i < names.length; i++) out[at + i] = +values[names[i]];
}
