// The N-API side of a step's arguments: JS values unwrapped into the spans native/step.cpp runs
// on, each checked first (native/unwrap.cpp).
#pragma once
#include <napi.h>

#include <string>
#include <vector>

#include "specs.h"
#include "step.h"

namespace fused {

// Throws a JS RangeError (range) or TypeError with this message; returns false.
bool fail(Napi::Env env, bool range, const std::string& message);

// A JS array of Float32Array as spans; `name` is the argument's name in errors.
bool unwrapList(Napi::Env env, const Napi::Value& value, const char* name, Spans& out);

// A streams object ({ param: [...], grad: [...], ... }) of kind `spec`. With scalars, only the
// streams their flags enable are taken; with none (pinning), every stream the caller supplies.
// `elements`, if given, receives every typed array unwrapped (to hold references to).
bool unwrapStreams(Napi::Env env, const KindSpec& spec, const Napi::Value& lists, const double* scalars,
                   StepArgs& out, std::vector<napi_value>* elements = nullptr);

// A pinned step: lists unwrapped once and reused while JS vouches that every array is the same
// object with the same length (src/backend/native.ts). Tagged so no foreign External passes.
struct Pinned {
  size_t kind;  // index into kindSpecs(), or kLambKind
  StepArgs args;
  std::vector<napi_ref> arrays;  // strong: the memory behind `args` cannot be collected
};
extern const napi_type_tag kPinnedTag;

// The arguments of step/stepAsync: (kind, streams | pinned handle, scalars[, keepAlive]). On
// success `args` points at `owned` (unwrapped now) or at the pinned handle's.
bool unwrapCall(const Napi::CallbackInfo& info, size_t& kind, std::vector<double>& scalars, StepArgs& owned,
                const StepArgs*& args);

}  // namespace fused
