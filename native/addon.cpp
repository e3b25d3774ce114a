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

using fused::AdamScalars;
using fused::AdamSlice;

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
    napi_value element;
    if (napi_get_element(env, array, i, &element) != napi_ok) return false;
    const Napi::Value v(env, element);
    const std::string where = std::string(name) + "[" + std::to_string(i) + "]";
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
      return fail(env, false, where + " must be a Float32Array");
    auto typed = v.As<Napi::Float32Array>();
    out.length[i] = typed.ElementLength();
    out.data[i] = out.length[i] == 0 ? nullptr : typed.Data();  // Data() includes the view offset
    if (out.length[i] != 0 && out.data[i] == nullptr) return fail(env, false, where + " has a detached buffer");
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

// adam(params, grads, expAvgs, expAvgSqs, maxExpAvgSqs | null, scalars: Float64Array(11))
Napi::Value Adam(const Napi::CallbackInfo& info) {
  const auto env = info.Env();
  if (info.Length() != 6) {
    fail(env, false, "adam expects 6 arguments");
    return env.Undefined();
  }
  Spans p, g, m, v, vmax;
  std::vector<double> s;
  if (!unwrapList(env, info[0], "params", p) || !unwrapList(env, info[1], "grads", g) ||
      !unwrapList(env, info[2], "expAvgs", m) || !unwrapList(env, info[3], "expAvgSqs", v) ||
      !sameShape(env, p, "params", g, "grads") || !sameShape(env, p, "params", m, "expAvgs") ||
      !sameShape(env, p, "params", v, "expAvgSqs") || !unwrapScalars(env, info[5], 11, s))
    return env.Undefined();
  const AdamScalars scalars{s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8],
                            static_cast<fused::WeightDecay>(static_cast<int>(s[9])), s[10] != 0.0};
  if (s[9] != 0 && s[9] != 1 && s[9] != 2) {
    fail(env, true, "scalars[9] (weight decay kind) must be 0, 1 or 2");
    return env.Undefined();
  }
  if (scalars.amsgrad) {
    if (!unwrapList(env, info[4], "maxExpAvgSqs", vmax) || !sameShape(env, p, "params", vmax, "maxExpAvgSqs"))
      return env.Undefined();
  } else if (!info[4].IsNull() && !info[4].IsUndefined() && !info[4].IsArray()) {
    fail(env, false, "maxExpAvgSqs must be an array or null");
    return env.Undefined();
  }

  const size_t total = totalLength(p);
  const size_t parts = fused::partsFor(total);
  const auto& k = fused::kernels();
  fused::ThreadPool::instance().run(parts, [&](size_t part) {
    fused::forEachPiece(p.length, total, parts, part, [&](size_t t, size_t b, size_t e) {
      const AdamSlice slice{p.data[t] + b, g.data[t] + b, m.data[t] + b, v.data[t] + b,
                            scalars.amsgrad ? vmax.data[t] + b : nullptr, e - b};
      k.adam(scalars, slice);
    });
  });
  return env.Undefined();
}

// reduce(tensors, op): op 0 = sum of squares, 1 = sum of |x|, 2 = max |x| (NaN if any NaN).
Napi::Value Reduce(const Napi::CallbackInfo& info) {
  const auto env = info.Env();
  Spans x;
  if (info.Length() != 2 || !unwrapList(env, info[0], "tensors", x)) {
    if (!env.IsExceptionPending()) fail(env, false, "reduce expects (tensors, op)");
    return env.Undefined();
  }
  const double op = info[1].IsNumber() ? info[1].As<Napi::Number>().DoubleValue() : -1;
  if (op != 0 && op != 1 && op != 2) {
    fail(env, true, "op must be 0, 1 or 2");
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
  exports.Set("adam", Napi::Function::New(env, Adam));
  exports.Set("reduce", Napi::Function::New(env, Reduce));
  return exports;
}

}  // namespace

NODE_API_MODULE(fused_optim, Init)
