// Every element-wise update the addon offers, declared once: its per-step scalars (in the
// order the Float64Array from JS carries them) and its streams (the tensor lists it reads or
// writes, optionally enabled by a flag scalar). The addon validates and splits work from these
// tables. src/backend/kinds.ts declares the same table for JS, and compares it at load time
// with the addon's and the wasm module's copies (kinds(), fo_kinds()): a build from other
// sources is refused, naming the kind and the field that differ.
#pragma once
#include <cstddef>

// X(name, domain) per scalar, domain being what the addon accepts (besides being finite):
//   real      any value
//   flag      0 or 1: the kernels branch on it, and it can enable a stream
//   decay     0, 1 or 2: the Adam family's weight decay (none, L2, decoupled)
//   positive  > 0 (LAMB's eps: zero-padded tail lanes divide by it)
#define FUSED_ADAM_SCALARS(X) \
  X(gradScale, real) X(l2, real) X(paramDecay, real) X(oneMinusBeta1, real) X(beta2, real) \
  X(oneMinusBeta2, real) X(stepSize, real) X(bc2Sqrt, real) X(eps, real) X(decay, decay) X(amsgrad, flag)
#define FUSED_SGD_SCALARS(X) \
  X(gradScale, real) X(weightDecay, real) X(hasWeightDecay, flag) X(momentum, real) \
  X(oneMinusDampening, real) X(lr, real) X(hasMomentum, flag) X(nesterov, flag) X(firstStep, flag)
#define FUSED_ADAGRAD_SCALARS(X) \
  X(gradScale, real) X(weightDecay, real) X(hasWeightDecay, flag) X(clr, real) X(eps, real)
#define FUSED_RMSPROP_SCALARS(X) \
  X(gradScale, real) X(weightDecay, real) X(hasWeightDecay, flag) X(alpha, real) X(oneMinusAlpha, real) \
  X(eps, real) X(lr, real) X(momentum, real) X(hasMomentum, flag) X(centered, flag)
#define FUSED_ADADELTA_SCALARS(X) \
  X(gradScale, real) X(weightDecay, real) X(hasWeightDecay, flag) X(rho, real) X(oneMinusRho, real) \
  X(eps, real) X(lr, real)
#define FUSED_ADAMAX_SCALARS(X) \
  X(gradScale, real) X(weightDecay, real) X(hasWeightDecay, flag) X(oneMinusBeta1, real) X(beta2, real) \
  X(eps, real) X(clr, real)
#define FUSED_NADAM_SCALARS(X) \
  X(gradScale, real) X(weightDecay, real) X(hasWeightDecay, flag) X(oneMinusBeta1, real) X(beta2, real) \
  X(oneMinusBeta2, real) X(bc2, real) X(eps, real) X(gradStep, real) X(avgStep, real)
#define FUSED_RADAM_SCALARS(X) \
  X(gradScale, real) X(weightDecay, real) X(hasWeightDecay, flag) X(oneMinusBeta1, real) X(beta2, real) \
  X(oneMinusBeta2, real) X(bc1, real) X(bc2Sqrt, real) X(eps, real) X(lr, real) X(rect, real) \
  X(rectified, flag)
#define FUSED_LION_SCALARS(X) \
  X(gradScale, real) X(paramDecay, real) X(lr, real) X(beta1, real) X(oneMinusBeta1, real) X(beta2, real) \
  X(oneMinusBeta2, real)
#define FUSED_LAMB_SCALARS(X) \
  X(gradScale, real) X(oneMinusBeta1, real) X(beta2, real) X(oneMinusBeta2, real) X(bc1, real) X(bc2, real) \
  X(eps, positive) X(weightDecay, real) X(hasWeightDecay, flag) X(lr, real)
#define FUSED_LOOKAHEAD_SCALARS(X) X(alpha, real)
#define FUSED_SCALE_SCALARS(X) X(factor, real)
#define FUSED_ACCUMULATE_SCALARS(X) X(scale, real)
#define FUSED_CLAMP_SCALARS(X) X(clipValue, real)
// TensorFlow.js's formulas (tf.train.*), for fused-optim/tfjs: the operations of tfjs-core's
// optimizers in their order, so a fused step follows tf.train's trajectory.
#define FUSED_TF_ADAM_SCALARS(X) \
  X(gradScale, real) X(beta1, real) X(oneMinusBeta1, real) X(beta2, real) X(oneMinusBeta2, real) \
  X(oneMinusAccBeta1, real) X(oneMinusAccBeta2, real) X(eps, real) X(lr, real)
#define FUSED_TF_ADAGRAD_SCALARS(X) X(gradScale, real) X(eps, real) X(lr, real)
#define FUSED_TF_ADADELTA_SCALARS(X) \
  X(gradScale, real) X(rho, real) X(oneMinusRho, real) X(eps, real) X(lr, real)
#define FUSED_TF_ADAMAX_SCALARS(X) \
  X(gradScale, real) X(beta1, real) X(oneMinusBeta1, real) X(beta2, real) X(eps, real) X(stepSize, real)
#define FUSED_TF_RMSPROP_SCALARS(X) \
  X(gradScale, real) X(alpha, real) X(oneMinusAlpha, real) X(momentum, real) X(eps, real) X(lr, real) \
  X(centered, flag)

// S(name, written, enabledBy): enabledBy is a flag scalar's name, or `always`.
#define FUSED_ADAM_STREAMS(S) \
  S(param, 1, always) S(grad, 0, always) S(expAvg, 1, always) S(expAvgSq, 1, always) S(maxExpAvgSq, 1, amsgrad)
#define FUSED_SGD_STREAMS(S) S(param, 1, always) S(grad, 0, always) S(momentumBuffer, 1, hasMomentum)
#define FUSED_ADAGRAD_STREAMS(S) S(param, 1, always) S(grad, 0, always) S(sum, 1, always)
#define FUSED_RMSPROP_STREAMS(S) \
  S(param, 1, always) S(grad, 0, always) S(squareAvg, 1, always) S(gradAvg, 1, centered) \
  S(momentumBuffer, 1, hasMomentum)
#define FUSED_ADADELTA_STREAMS(S) S(param, 1, always) S(grad, 0, always) S(squareAvg, 1, always) S(accDelta, 1, always)
#define FUSED_ADAMAX_STREAMS(S) S(param, 1, always) S(grad, 0, always) S(expAvg, 1, always) S(expInf, 1, always)
#define FUSED_NADAM_STREAMS(S) S(param, 1, always) S(grad, 0, always) S(expAvg, 1, always) S(expAvgSq, 1, always)
#define FUSED_RADAM_STREAMS(S) S(param, 1, always) S(grad, 0, always) S(expAvg, 1, always) S(expAvgSq, 1, always)
#define FUSED_LION_STREAMS(S) S(param, 1, always) S(grad, 0, always) S(expAvg, 1, always)
#define FUSED_LAMB_STREAMS(S) S(param, 1, always) S(grad, 0, always) S(expAvg, 1, always) S(expAvgSq, 1, always)
#define FUSED_LOOKAHEAD_STREAMS(S) S(slow, 1, always) S(fast, 1, always)
#define FUSED_SCALE_STREAMS(S) S(x, 1, always)
#define FUSED_ACCUMULATE_STREAMS(S) S(dst, 1, always) S(src, 0, always)
#define FUSED_CLAMP_STREAMS(S) S(x, 1, always)
#define FUSED_TF_ADAM_STREAMS(S) S(param, 1, always) S(grad, 0, always) S(m, 1, always) S(v, 1, always)
#define FUSED_TF_ADAGRAD_STREAMS(S) S(param, 1, always) S(grad, 0, always) S(accumulator, 1, always)
#define FUSED_TF_ADADELTA_STREAMS(S) \
  S(param, 1, always) S(grad, 0, always) S(accumGrad, 1, always) S(accumUpdate, 1, always)
#define FUSED_TF_ADAMAX_STREAMS(S) S(param, 1, always) S(grad, 0, always) S(m, 1, always) S(u, 1, always)
#define FUSED_TF_RMSPROP_STREAMS(S) \
  S(param, 1, always) S(grad, 0, always) S(ms, 1, always) S(mom, 1, always) S(mg, 1, centered)

// State streams whose values are never negative (second moments, sums of squares). With
// stateDtype 'int8' they use the unsigned quantization map; every other state stream (each
// stream after param and grad) uses the signed one. src/backend/state-format.ts: UNSIGNED_STATE.
#define FUSED_UNSIGNED_STATE(U) U(expAvgSq) U(maxExpAvgSq) U(sum) U(squareAvg) U(expInf) U(accDelta) U(v) U(u) U(accumulator) U(ms) U(accumGrad) U(accumUpdate)

// K(kind, SCALARS, STREAMS): the element-wise kinds with a plain one-pass kernel. LAMB has two
// passes and a per-tensor trust ratio between them, so it has its own entry points.
#define FUSED_STEP_KINDS(K)                                                                   \
  K(adam, FUSED_ADAM_SCALARS, FUSED_ADAM_STREAMS)                                            \
  K(sgd, FUSED_SGD_SCALARS, FUSED_SGD_STREAMS)                                               \
  K(adagrad, FUSED_ADAGRAD_SCALARS, FUSED_ADAGRAD_STREAMS)                                   \
  K(rmsprop, FUSED_RMSPROP_SCALARS, FUSED_RMSPROP_STREAMS)                                   \
  K(adadelta, FUSED_ADADELTA_SCALARS, FUSED_ADADELTA_STREAMS)                                \
  K(adamax, FUSED_ADAMAX_SCALARS, FUSED_ADAMAX_STREAMS)                                      \
  K(nadam, FUSED_NADAM_SCALARS, FUSED_NADAM_STREAMS)                                         \
  K(radam, FUSED_RADAM_SCALARS, FUSED_RADAM_STREAMS)                                         \
  K(lion, FUSED_LION_SCALARS, FUSED_LION_STREAMS)                                            \
  K(lookahead, FUSED_LOOKAHEAD_SCALARS, FUSED_LOOKAHEAD_STREAMS)                             \
  K(scale, FUSED_SCALE_SCALARS, FUSED_SCALE_STREAMS)                                         \
  K(accumulate, FUSED_ACCUMULATE_SCALARS, FUSED_ACCUMULATE_STREAMS)                          \
  K(clamp, FUSED_CLAMP_SCALARS, FUSED_CLAMP_STREAMS)                                         \
  K(tf_adam, FUSED_TF_ADAM_SCALARS, FUSED_TF_ADAM_STREAMS)                                   \
  K(tf_adagrad, FUSED_TF_ADAGRAD_SCALARS, FUSED_TF_ADAGRAD_STREAMS)                          \
  K(tf_adadelta, FUSED_TF_ADADELTA_SCALARS, FUSED_TF_ADADELTA_STREAMS)                       \
  K(tf_adamax, FUSED_TF_ADAMAX_SCALARS, FUSED_TF_ADAMAX_STREAMS)                             \
  K(tf_rmsprop, FUSED_TF_RMSPROP_SCALARS, FUSED_TF_RMSPROP_STREAMS)

// Not a kind: the benchmark's bandwidth yardstick, Adam's memory shape (4 streams read, 3
// written) with no arithmetic. The addon exports it as probe(); no optimizer reaches it.
#define FUSED_PROBE_STREAMS(S) S(a, 1, always) S(b, 0, always) S(c, 1, always) S(d, 1, always)

namespace fused {

// One struct of doubles per kind, fields in declaration order: AdamScalars, SgdScalars, ...
#define FUSED_FIELD(name, domain) double name;
#define FUSED_STRUCT(kind, SCALARS, STREAMS) \
  struct kind##_scalars {                    \
    SCALARS(FUSED_FIELD)                     \
  };
FUSED_STEP_KINDS(FUSED_STRUCT)
#undef FUSED_STRUCT
struct lamb_scalars {
  FUSED_LAMB_SCALARS(FUSED_FIELD)
};
#undef FUSED_FIELD

enum class Kind {
#define FUSED_ENUM(kind, SCALARS, STREAMS) kind,
  FUSED_STEP_KINDS(FUSED_ENUM)
#undef FUSED_ENUM
  count
};

}  // namespace fused
