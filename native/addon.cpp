// The N-API surface: unwrap and validate arguments, then make one kernel call per step over
// all tensors of a group. Every check happens before any memory is touched; errors become
// JS TypeError/RangeError naming the argument (C++ exceptions are disabled).
#include <napi.h>

#include <cmath>
#include <string>
#include <vector>

#include "dispatch.h"
#include "pool.h"

namespace {


bool fail(Napi::Env env, bool range, const std::string& message) {
  if (range) Napi::RangeError::New(env, message).ThrowAsJavaScriptException();
  else Napi::TypeError::New(env, message).ThrowAsJavaScriptException();
  return false;
}

// A list argument: a JS array of Float32Arrays, unwrapped to raw spans.
struct Spans {
  std::vector<float*> data;
  std::vector<size_t> length;
};

bool unwrapList(Napi::Env env, const Napi::Value& value, const char* name, Spans& out) {
  if (!value.IsArray()) return fail(env, false, std::string(name) + " must be an array of Float32Array");
  const auto array = value.As<Napi::Array>();
  const uint32_t count = array.Length();
  out.data.resize(count);
  out.length.resize(count);
  for (uint32_t i = 0; i < count; ++i) {
    // One napi_get_typedarray_info per tensor: it also rejects non-typed-arrays, and the
    // pointer it returns already includes the view's byte offset.
    napi_value element;
    if (napi_get_element(env, array, i, &element) != napi_ok) return false;
    napi_typedarray_type type;
    size_t length = 0;
    void* data = nullptr;
    const auto where = [&] { return std::string(name) + "[" + std::to_string(i) + "]"; };
    if (napi_get_typedarray_info(env, element, &type, &length, &data, nullptr, nullptr) != napi_ok ||
        type != napi_float32_array)
      return fail(env, false, where() + " must be a Float32Array");
    if (length != 0 && data == nullptr) return fail(env, false, where() + " has a detached buffer");
    out.length[i] = length;
    out.data[i] = length == 0 ? nullptr : static_cast<float*>(data);
  }
  return true;
}

bool sameShape(Napi::Env env, const Spans& ref, const char* refName, const Spans& other, const char* name) {
  if (other.length.size() != ref.length.size())
    return fail(env, true, std::string(name) + " has " + std::to_string(other.length.size()) + " tensors, " +
                               refName + " has " + std::to_string(ref.length.size()));
  for (size_t i = 0; i < ref.length.size(); ++i)
    if (other.length[i] != ref.length[i])
      return fail(env, true, std::string(name) + "[" + std::to_string(i) + "] has length " +
                                 std::to_string(other.length[i]) + ", " + refName + "[" + std::to_string(i) +
                                 "] has " + std::to_string(ref.length[i]));
  return true;
}

bool unwrapScalars(Napi::Env env, const Napi::Value& value, size_t count, std::vector<double>& out) {
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
    return fail(env, false, "scalars must be a Float64Array");
  const auto typed = value.As<Napi::Float64Array>();
  if (typed.ElementLength() != count)
    return fail(env, true, "scalars must hold " + std::to_string(count) + " values");
  out.assign(typed.Data(), typed.Data() + count);
  for (size_t i = 0; i < count; ++i)
    if (!std::isfinite(out[i])) return fail(env, true, "scalars[" + std::to_string(i) + "] must be finite");
  return true;
}

size_t totalLength(const Spans& s) {
  size_t total = 0;
  for (size_t n : s.length) total += n;
  return total;
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  const auto env = info.Env();
  auto result = Napi::Object::New(env);
  result.Set("isa", fused::kernels().isa);
  result.Set("threads", static_cast<double>(fused::ThreadPool::instance().threads()));
  auto isas = Napi::Array::New(env);
  uint32_t i = 0;
  for (const auto* t : fused::supportedTables()) isas.Set(i++, t->isa);
  result.Set("isas", isas);
  return result;
}

Napi::Value SelectIsa(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsString()) {
    fail(info.Env(), false, "isa must be a string");
    return info.Env().Undefined();
  }
  return Napi::Boolean::New(info.Env(), fused::selectIsa(info[0].As<Napi::String>().Utf8Value()));
}

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  const auto env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    fail(env, false, "threads must be a number");
    return env.Undefined();
  }
  const double n = info[0].As<Napi::Number>().DoubleValue();
  if (!(n >= 1 && n <= 256) || n != std::floor(n)) {
    fail(env, true, "threads must be an integer from 1 to 256");
    return env.Undefined();
  }
  fused::ThreadPool::instance().setThreads(static_cast<size_t>(n));
  return env.Undefined();
}

// What addon.cpp needs to know of each kind: its scalar names and its streams.
struct StreamSpec {
  const char* name;
  bool written;
  const char* enabledBy;  // a flag scalar's name, or "always"
};
struct KindSpec {
  const char* name;
  std::vector<const char*> scalars;
  std::vector<StreamSpec> streams;
};

#define FUSED_NAME(name) #name,
#define FUSED_STREAM(name, written, flag) StreamSpec{#name, written != 0, #flag},
const std::vector<KindSpec>& kindSpecs() {
  static const std::vector<KindSpec> specs = {
#define FUSED_SPEC(kind, SCALARS, STREAMS) KindSpec{#kind, {SCALARS(FUSED_NAME)}, {STREAMS(FUSED_STREAM)}},
      FUSED_STEP_KINDS(FUSED_SPEC)
#undef FUSED_SPEC
  };
  return specs;
}
const KindSpec& lambSpec() {
  static const KindSpec spec{"lamb", {FUSED_LAMB_SCALARS(FUSED_NAME)}, {FUSED_LAMB_STREAMS(FUSED_STREAM)}};
  return spec;
}
#undef FUSED_NAME
#undef FUSED_STREAM

// The unwrapped, validated arguments of one step: a pointer list per stream (null when the
// stream is disabled), the per-tensor lengths, and the scalars.
struct StepArgs {
  std::vector<Spans> streams;
  std::vector<double> scalars;
  size_t total = 0;
};

bool unwrapStep(Napi::Env env, const KindSpec& spec, const Napi::Value& lists, const Napi::Value& scalars,
                StepArgs& out) {
  if (!unwrapScalars(env, scalars, spec.scalars.size(), out.scalars)) return false;
  if (!lists.IsObject() || lists.IsArray()) return fail(env, false, "streams must be an object of tensor lists");
  const auto object = lists.As<Napi::Object>();
  out.streams.resize(spec.streams.size());
  for (size_t k = 0; k < spec.streams.size(); ++k) {
    const auto& stream = spec.streams[k];
    bool enabled = true;
    if (std::string(stream.enabledBy) != "always") {
      for (size_t j = 0; j < spec.scalars.size(); ++j)
        if (std::string(stream.enabledBy) == spec.scalars[j]) enabled = out.scalars[j] != 0;
    }
    if (!enabled) continue;
    napi_value value;
    if (napi_get_named_property(env, object, stream.name, &value) != napi_ok) return false;
    if (!unwrapList(env, Napi::Value(env, value), stream.name, out.streams[k])) return false;
    if (k > 0 && !sameShape(env, out.streams[0], spec.streams[0].name, out.streams[k], stream.name)) return false;
  }
  out.total = totalLength(out.streams[0]);
  return true;
}

// Calls visit(part, tensor, begin, end, pointers) over every piece of the step's work.
template <class Visit>
void forEachSlice(const StepArgs& args, size_t parts, size_t part, Visit&& visit) {
  std::vector<float*> ptrs(args.streams.size());
  fused::forEachPiece(args.streams[0].length, args.total, parts, part, [&](size_t t, size_t b, size_t e) {
    for (size_t k = 0; k < ptrs.size(); ++k)
      ptrs[k] = args.streams[k].data.empty() || args.streams[k].data[t] == nullptr ? nullptr
                                                                                    : args.streams[k].data[t] + b;
    visit(t, ptrs.data(), e - b);
  });
}

// step(kind, streams: { param: Float32Array[], ... }, scalars: Float64Array)
Napi::Value Step(const Napi::CallbackInfo& info) {
  const auto env = info.Env();
  const double kind = info.Length() == 3 && info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : -1;
  if (!(kind >= 0 && kind < double(fused::Kind::count)) || kind != std::floor(kind)) {
    fail(env, false, "step expects (kind index, streams, scalars)");
    return env.Undefined();
  }
  StepArgs args;
  if (!unwrapStep(env, kindSpecs()[size_t(kind)], info[1], info[2], args)) return env.Undefined();
  const size_t parts = fused::partsFor(args.total);
  const auto kernel = fused::kernels().step[size_t(kind)];
  fused::ThreadPool::instance().run(parts, [&](size_t part) {
    forEachSlice(args, parts, part, [&](size_t, float* const* ptrs, size_t n) { kernel(args.scalars.data(), ptrs, n); });
  });
  return env.Undefined();
}

// lamb(streams, scalars): both passes in one call; returns nothing. The trust ratio of tensor t
// is ||p_t|| / ||u_t||, or 1 when either norm is 0.
Napi::Value Lamb(const Napi::CallbackInfo& info) {
  const auto env = info.Env();
  if (info.Length() != 2) {
    fail(env, false, "lamb expects (streams, scalars)");
    return env.Undefined();
  }
  StepArgs args;
  if (!unwrapStep(env, lambSpec(), info[0], info[1], args)) return env.Undefined();
  const size_t tensors = args.streams[0].length.size();
  const size_t parts = fused::partsFor(args.total);
  const auto& k = fused::kernels();
  // sums[part][tensor] = {||p||², ||u||²}: added up in part order, so deterministic.
  std::vector<double> sums(parts * tensors * 2, 0.0);
  auto& pool = fused::ThreadPool::instance();
  pool.run(parts, [&](size_t part) {
    forEachSlice(args, parts, part, [&](size_t t, float* const* ptrs, size_t n) {
      k.lambMoments(args.scalars.data(), ptrs, n, &sums[(part * tensors + t) * 2]);
    });
  });
  const double lr = args.scalars[9];
  std::vector<double> lrTrust(tensors);
  for (size_t t = 0; t < tensors; ++t) {
    double p = 0, u = 0;
    for (size_t part = 0; part < parts; ++part) {
      p += sums[(part * tensors + t) * 2];
      u += sums[(part * tensors + t) * 2 + 1];
    }
    lrTrust[t] = p > 0 && u > 0 ? lr * (std::sqrt(p) / std::sqrt(u)) : lr;
  }
  pool.run(parts, [&](size_t part) {
    forEachSlice(args, parts, part, [&](size_t t, float* const* ptrs, size_t n) {
      k.lambApply(args.scalars.data(), ptrs, n, lrTrust[t]);
    });
  });
  return env.Undefined();
}

// kinds(): the layout of every kind, so JS packs scalars by name in this order.
Napi::Value Kinds(const Napi::CallbackInfo& info) {
  const auto env = info.Env();
  auto result = Napi::Object::New(env);
  auto describe = [&](const KindSpec& spec, double index) {
    auto o = Napi::Object::New(env);
    o.Set("index", index);
    auto scalars = Napi::Array::New(env);
    for (uint32_t i = 0; i < spec.scalars.size(); ++i) scalars.Set(i, spec.scalars[i]);
    o.Set("scalars", scalars);
    auto streams = Napi::Array::New(env);
    for (uint32_t i = 0; i < spec.streams.size(); ++i) {
      auto st = Napi::Object::New(env);
      st.Set("name", spec.streams[i].name);
      st.Set("written", spec.streams[i].written);
      st.Set("enabledBy", spec.streams[i].enabledBy);
      streams.Set(i, st);
    }
    o.Set("streams", streams);
    result.Set(spec.name, o);
  };
  for (size_t i = 0; i < kindSpecs().size(); ++i) describe(kindSpecs()[i], double(i));
  describe(lambSpec(), -1);
  return result;
}

// reduce(tensors, op): op 0 = sum of squares, 1 = sum of |x|, 2 = max |x| (NaN if any NaN),
// 3 = plain float sum (the read-only bandwidth probe).
Napi::Value Reduce(const Napi::CallbackInfo& info) {
  const auto env = info.Env();
  Spans x;
  if (info.Length() != 2 || !unwrapList(env, info[0], "tensors", x)) {
    if (!env.IsExceptionPending()) fail(env, false, "reduce expects (tensors, op)");
    return env.Undefined();
  }
  const double op = info[1].IsNumber() ? info[1].As<Napi::Number>().DoubleValue() : -1;
  if (op != 0 && op != 1 && op != 2 && op != 3) {
    fail(env, true, "op must be 0, 1, 2 or 3");
    return env.Undefined();
  }
  const size_t total = totalLength(x);
  const size_t parts = fused::partsFor(total);
  const auto& k = fused::kernels();
  std::vector<double> partial(parts, 0.0);
  fused::ThreadPool::instance().run(parts, [&](size_t part) {
    double acc = 0.0;
    fused::forEachPiece(x.length, total, parts, part, [&](size_t t, size_t b, size_t e) {
      const float* data = x.data[t] + b;
      if (op == 0) acc += k.sumSquares(data, e - b);
      else if (op == 1) acc += k.sumAbs(data, e - b);
      else if (op == 3) acc += k.sumFloat(data, e - b);
      else {
        const double m = k.maxAbs(data, e - b);
        acc = (m > acc || std::isnan(m)) && !std::isnan(acc) ? m : acc;
      }
    });
    partial[part] = acc;
  });
  double result = 0.0;
  for (double r : partial) {
    if (op == 2) result = (r > result || std::isnan(r)) && !std::isnan(result) ? r : result;
    else result += r;
  }
  return Napi::Number::New(env, result);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("info", Napi::Function::New(env, Info));
  exports.Set("selectIsa", Napi::Function::New(env, SelectIsa));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
  exports.Set("kinds", Napi::Function::New(env, Kinds));
  exports.Set("step", Napi::Function::New(env, Step));
  exports.Set("lamb", Napi::Function::New(env, Lamb));
  exports.Set("reduce", Napi::Function::New(env, Reduce));
  return exports;
}

}  // namespace

NODE_API_MODULE(fused_optim, Init)
