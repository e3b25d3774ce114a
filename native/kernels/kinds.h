// Every element-wise update the addon offers, declared once: its per-step scalars (in the
// order the Float64Array from JS carries them) and its streams (the tensor lists it reads or
// writes, optionally enabled by a flag scalar). The addon validates and splits work from these
// tables; JS packs scalars by the names exported from here, so the two sides cannot drift.
#pragma once
#include <cstddef>

// X(name) per scalar. Flags (has*, amsgrad, ...) are 0 or 1.
#define FUSED_ADAM_SCALARS(X) \
  X(gradScale) X(l2) X(paramDecay) X(oneMinusBeta1) X(beta2) X(oneMinusBeta2) X(stepSize) X(bc2Sqrt) X(eps) \
  X(decay) X(amsgrad)
#define FUSED_SGD_SCALARS(X) \
  X(gradScale) X(weightDecay) X(hasWeightDecay) X(momentum) X(oneMinusDampening) X(lr) X(hasMomentum) \
  X(nesterov) X(firstStep)
#define FUSED_ADAGRAD_SCALARS(X) X(gradScale) X(weightDecay) X(hasWeightDecay) X(clr) X(eps)
#define FUSED_RMSPROP_SCALARS(X) \
  X(gradScale) X(weightDecay) X(hasWeightDecay) X(alpha) X(oneMinusAlpha) X(eps) X(lr) X(momentum) \
  X(hasMomentum) X(centered)
#define FUSED_ADADELTA_SCALARS(X) X(gradScale) X(weightDecay) X(hasWeightDecay) X(rho) X(oneMinusRho) X(eps) X(lr)
#define FUSED_ADAMAX_SCALARS(X) \
  X(gradScale) X(weightDecay) X(hasWeightDecay) X(oneMinusBeta1) X(beta2) X(eps) X(clr)
#define FUSED_NADAM_SCALARS(X) \
  X(gradScale) X(weightDecay) X(hasWeightDecay) X(oneMinusBeta1) X(beta2) X(oneMinusBeta2) X(bc2) X(eps) \
  X(gradStep) X(avgStep)
#define FUSED_RADAM_SCALARS(X) \
  X(gradScale) X(weightDecay) X(hasWeightDecay) X(oneMinusBeta1) X(beta2) X(oneMinusBeta2) X(bc1) X(bc2Sqrt) \
  X(eps) X(lr) X(rect) X(rectified)
#define FUSED_LION_SCALARS(X) X(gradScale) X(paramDecay) X(lr) X(beta1) X(oneMinusBeta1) X(beta2) X(oneMinusBeta2)
#define FUSED_LAMB_SCALARS(X) \
  X(gradScale) X(oneMinusBeta1) X(beta2) X(oneMinusBeta2) X(bc1) X(bc2) X(eps) X(weightDecay) X(hasWeightDecay) X(lr)
#define FUSED_LOOKAHEAD_SCALARS(X) X(alpha)
#define FUSED_SCALE_SCALARS(X) X(factor)
#define FUSED_ACCUMULATE_SCALARS(X) X(scale)
#define FUSED_CLAMP_SCALARS(X) X(clipValue)
#define FUSED_PROBE_SCALARS(X) X(unused)
// TensorFlow.js's formulas (tf.train.*), for fused-optim/tfjs: the operations of tfjs-core's
// optimizers in their order, so a fused step follows tf.train's trajectory.
#define FUSED_TF_ADAM_SCALARS(X) \
  X(gradScale) X(beta1) X(oneMinusBeta1) X(beta2) X(oneMinusBeta2) X(oneMinusAccBeta1) X(oneMinusAccBeta2) X(eps) X(lr)
#define FUSED_TF_ADAGRAD_SCALARS(X) X(gradScale) X(eps) X(lr)
#define FUSED_TF_ADADELTA_SCALARS(X) X(gradScale) X(rho) X(oneMinusRho) X(eps) X(lr)
#define FUSED_TF_ADAMAX_SCALARS(X) X(gradScale) X(beta1) X(oneMinusBeta1) X(beta2) X(eps) X(stepSize)
#define FUSED_TF_RMSPROP_SCALARS(X) \
  X(gradScale) X(alpha) X(oneMinusAlpha) X(momentum) X(eps) X(lr) X(centered)

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
// The benchmark's bandwidth yardstick: Adam's memory shape (4 streams read, 3 written), no math.
#define FUSED_PROBE_STREAMS(S) S(a, 1, always) S(b, 0, always) S(c, 1, always) S(d, 1, always)
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
  K(probe, FUSED_PROBE_SCALARS, FUSED_PROBE_STREAMS)                                         \
  K(tf_adam, FUSED_TF_ADAM_SCALARS, FUSED_TF_ADAM_STREAMS)                                   \
  K(tf_adagrad, FUSED_TF_ADAGRAD_SCALARS, FUSED_TF_ADAGRAD_STREAMS)                          \
  K(tf_adadelta, FUSED_TF_ADADELTA_SCALARS, FUSED_TF_ADADELTA_STREAMS)                       \
  K(tf_adamax, FUSED_TF_ADAMAX_SCALARS, FUSED_TF_ADAMAX_STREAMS)                             \
  K(tf_rmsprop, FUSED_TF_RMSPROP_SCALARS, FUSED_TF_RMSPROP_STREAMS)

namespace fused {

// One struct of doubles per kind, fields in declaration order: AdamScalars, SgdScalars, ...
#define FUSED_FIELD(name) double name;
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
