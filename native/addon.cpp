// The N-API surface: the module's functions, pinned handles and asynchronous steps. Arguments
// are unwrapped and validated by native/unwrap.cpp, the work is split and run by native/step.cpp.
#include <napi.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "dispatch.h"
#include "pool.h"
#include "specs.h"
#include "step.h"
#include "unwrap.h"

namespace {

using fused::fail;
using fused::kindSpecs;
using fused::StepArgs;

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

// wake(elements): a step over this many elements is coming; if it will use the pool, get the
// workers up now. Ignores anything but a number: it is a hint, never an error.
Napi::Value Wake(const Napi::CallbackInfo& info) {
  if (info.Length() >= 1 && info[0].IsNumber() && info[0].As<Napi::Number>().DoubleValue() >= double(fused::kInlineElements))
    fused::ThreadPool::instance().wake();
  return info.Env().Undefined();
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
  if (!fused::ThreadPool::instance().setThreads(static_cast<size_t>(n)))
    fail(env, true, "the OS refused to start " + std::to_string(static_cast<size_t>(n)) + " threads; running with " +
                        std::to_string(fused::ThreadPool::instance().threads()));
  return env.Undefined();
}

// pin(kind, streams): unwraps and validates the lists once; returns a handle for step/lamb.
Napi::Value Pin(const Napi::CallbackInfo& info) {
  const auto env = info.Env();
  const double kind = info.Length() == 2 && info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : -1;
  if (!(kind >= 0 && kind <= double(fused::kLambKind)) || kind != std::floor(kind)) {
    fail(env, false, "pin expects (kind index, streams)");
    return env.Undefined();
  }
  auto pinned = std::make_unique<fused::Pinned>();
  pinned->kind = size_t(kind);
  std::vector<napi_value> elements;
  if (!fused::unwrapStreams(env, fused::specAt(pinned->kind), info[1], nullptr, pinned->args, &elements)) return env.Undefined();
  for (napi_value element : elements) {
    napi_ref ref;
    if (napi_create_reference(env, element, 1, &ref) != napi_ok) break;
    pinned->arrays.push_back(ref);
  }
  auto handle = Napi::External<fused::Pinned>::New(env, pinned.release(), [](Napi::Env env, fused::Pinned* p) {
    for (napi_ref ref : p->arrays) napi_delete_reference(env, ref);
    delete p;
  });
  napi_type_tag_object(env, handle, &fused::kPinnedTag);
  return handle;
}

// step(kind, streams: { param: Float32Array[], ... } | pinned handle, scalars: Float64Array)
Napi::Value Step(const Napi::CallbackInfo& info) {
  size_t kind;
  std::vector<double> scalars;
  StepArgs owned;
  const StepArgs* args = nullptr;
  if (fused::unwrapCall(info, kind, scalars, owned, args)) fused::runStep(kind, *args, scalars.data());
  return info.Env().Undefined();
}

// An in-flight stepAsync: everything the worker needs, and references that keep the JS arrays
// (through `keepAlive`, the streams object) and the pinned handle alive until it completes.
struct AsyncStep {
  napi_async_work work = nullptr;
  napi_deferred deferred = nullptr;
  std::vector<napi_ref> refs;
  size_t kind = 0;
  std::vector<double> scalars;
  StepArgs owned;
  const StepArgs* args = nullptr;
};

// stepAsync(kind, streams | handle, scalars, keepAlive): the same update on a libuv worker;
// returns a Promise that resolves when it is done. The caller must not start another update of
// the same arrays, nor detach their buffers, until then (src/optim/optimizer.ts enforces the first).
Napi::Value StepAsync(const Napi::CallbackInfo& info) {
  const auto env = info.Env();
  auto job = std::make_unique<AsyncStep>();
  if (!fused::unwrapCall(info, job->kind, job->scalars, job->owned, job->args)) return env.Undefined();
  if (job->args == &job->owned) job->args = nullptr;  // re-pointed after the move into the heap object
  for (size_t i : {size_t(1), size_t(3)}) {
    if (i >= info.Length() || !(info[i].IsObject() || info[i].IsExternal())) continue;
    napi_ref ref;
    if (napi_create_reference(env, info[i], 1, &ref) != napi_ok) return env.Undefined();
    job->refs.push_back(ref);
  }
  napi_value promise, name;
  napi_create_promise(env, &job->deferred, &promise);
  napi_create_string_utf8(env, "fused-optim step", NAPI_AUTO_LENGTH, &name);
  auto execute = [](napi_env, void* data) {
    auto* j = static_cast<AsyncStep*>(data);
    fused::runStep(j->kind, j->args ? *j->args : j->owned, j->scalars.data());
  };
  auto complete = [](napi_env env, napi_status status, void* data) {
    std::unique_ptr<AsyncStep> j(static_cast<AsyncStep*>(data));
    for (auto ref : j->refs) napi_delete_reference(env, ref);
    napi_value undefined;
    napi_get_undefined(env, &undefined);
    if (status == napi_ok) {
      napi_resolve_deferred(env, j->deferred, undefined);
    } else {
      napi_value message, error;
      napi_create_string_utf8(env, "fused-optim: the asynchronous step was cancelled", NAPI_AUTO_LENGTH, &message);
      napi_create_error(env, nullptr, message, &error);
      napi_reject_deferred(env, j->deferred, error);
    }
    napi_delete_async_work(env, j->work);
  };
  if (napi_create_async_work(env, nullptr, name, execute, complete, job.get(), &job->work) != napi_ok ||
      napi_queue_async_work(env, job->work) != napi_ok) {
    fail(env, false, "could not queue the asynchronous step");
    return env.Undefined();
  }
  job.release();
  return Napi::Value(env, promise);
}

// kinds(): this build's table of kinds, which JS compares with its own (src/backend/kinds.ts).
Napi::Value Kinds(const Napi::CallbackInfo& info) {
  const auto env = info.Env();
  auto result = Napi::Object::New(env);
  auto describe = [&](const fused::KindSpec& spec, double index) {
    auto o = Napi::Object::New(env);
    o.Set("index", index);
    auto scalars = Napi::Array::New(env);
    for (uint32_t i = 0; i < spec.scalars.size(); ++i) {
      auto sc = Napi::Object::New(env);
      sc.Set("name", spec.scalars[i].name);
      sc.Set("domain", fused::domainName(spec.scalars[i].domain));
      scalars.Set(i, sc);
    }
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
  describe(fused::lambSpec(), double(fused::kLambKind));
  return result;
}

// reduce(tensors, op): op 0 = sum of squares, 1 = sum of |x|, 2 = max |x| (NaN if any NaN),
// 3 = plain float sum (the read-only bandwidth probe).
Napi::Value Reduce(const Napi::CallbackInfo& info) {
  const auto env = info.Env();
  fused::Spans x;
  if (info.Length() != 2 || !fused::unwrapList(env, info[0], "tensors", x)) {
    if (!env.IsExceptionPending()) fail(env, false, "reduce expects (tensors, op)");
    return env.Undefined();
  }
  const double op = info[1].IsNumber() ? info[1].As<Napi::Number>().DoubleValue() : -1;
  if (op != 0 && op != 1 && op != 2 && op != 3) {
    fail(env, true, "op must be 0, 1, 2 or 3");
    return env.Undefined();
  }
  return Napi::Number::New(env, fused::runReduce(x, static_cast<fused::host::ReduceOp>(int(op))));
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("info", Napi::Function::New(env, Info));
  exports.Set("selectIsa", Napi::Function::New(env, SelectIsa));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
  exports.Set("wake", Napi::Function::New(env, Wake));
  exports.Set("kinds", Napi::Function::New(env, Kinds));
  exports.Set("step", Napi::Function::New(env, Step));
  exports.Set("pin", Napi::Function::New(env, Pin));
  exports.Set("stepAsync", Napi::Function::New(env, StepAsync));
  exports.Set("reduce", Napi::Function::New(env, Reduce));
  return exports;
}

}  // namespace

NODE_API_MODULE(fused_optim, Init)
