// Unwrapping and validating the arguments of a step: every check happens before any memory is
// touched, and a rejected call throws a JS TypeError/RangeError naming the argument (C++
// exceptions are disabled).
//
// Unwrapping is split in two phases. Phase 1 reads array elements and object properties,
// which can run JS (getters, proxies) that might detach a buffer; phase 2 turns the gathered
// values into pointers and runs no JS at all. So no JS runs between taking a pointer and the
// kernel using it.
#include "unwrap.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

#include "pool.h"

namespace fused {

bool fail(Napi::Env env, bool range, const std::string& message) {
  if (range) Napi::RangeError::New(env, message).ThrowAsJavaScriptException();
  else Napi::TypeError::New(env, message).ThrowAsJavaScriptException();
  return false;
}

namespace {

const char* typeName(napi_typedarray_type type) {
  return type == napi_uint16_array ? "Uint16Array" : type == napi_uint8_array ? "Uint8Array" : "Float32Array";
}

bool gatherList(Napi::Env env, napi_value value, const char* name, std::vector<napi_value>& out) {
  bool isArray = false;
  if (napi_is_array(env, value, &isArray) != napi_ok || !isArray)
    return fail(env, false, std::string(name) + " must be an array of Float32Array");
  uint32_t count = 0;
  if (napi_get_array_length(env, value, &count) != napi_ok) return false;
  // The length is the caller's to lie about (a sparse array of length 2^32-1): reserve nothing
  // on its word, and stop at the first element that is not a typed array.
  out.clear();
  for (uint32_t i = 0; i < count; ++i) {
    napi_value element;
    bool typed = false;
    if (napi_get_element(env, value, i, &element) != napi_ok) return false;
    if (napi_is_typedarray(env, element, &typed) != napi_ok || !typed)
      return fail(env, false, std::string(name) + "[" + std::to_string(i) + "] must be a Float32Array");
    out.push_back(element);
  }
  return true;
}

bool resolveList(Napi::Env env, const std::vector<napi_value>& elements, const char* name, Spans& out,
                 napi_typedarray_type expected = napi_float32_array) {
  out.present = true;
  out.elementBytes = expected == napi_uint16_array ? 2 : expected == napi_uint8_array ? 1 : 4;
  out.data.resize(elements.size());
  out.length.resize(elements.size());
  for (size_t i = 0; i < elements.size(); ++i) {
    // One napi_get_typedarray_info per tensor: it also rejects non-typed-arrays, and the
    // pointer it returns already includes the view's byte offset.
    napi_typedarray_type type;
    size_t length = 0;
    void* data = nullptr;
    const auto where = [&] { return std::string(name) + "[" + std::to_string(i) + "]"; };
    if (napi_get_typedarray_info(env, elements[i], &type, &length, &data, nullptr, nullptr) != napi_ok ||
        type != expected)
      return fail(env, false, where() + " must be a " + typeName(expected));
    if (length != 0 && data == nullptr) return fail(env, false, where() + " has a detached buffer");
    out.length[i] = length;
    out.data[i] = length == 0 ? nullptr : data;
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

// Reads streams.stateFormat (0 float32, 1 bfloat16, 2 int8) and streams.blockSize (int8).
// Phase 1: may run JS.
bool readLayout(Napi::Env env, const KindSpec& spec, const Napi::Object& object, fused::StoredLayout& layout) {
  const auto format = object.Get("stateFormat");
  if (env.IsExceptionPending()) return false;
  if (format.IsUndefined()) return true;
  const double f = format.IsNumber() ? format.As<Napi::Number>().DoubleValue() : -1;
  if (f != 0 && f != 1 && f != 2) return fail(env, true, "streams.stateFormat must be 0, 1 or 2");
  if (f != 0 && !storableKind(spec)) return fail(env, true, std::string(spec.name) + " has no stored state");
  layout.format = static_cast<fused::StateFormat>(int(f));
  layout.unsignedMask = unsignedMask(spec);
  if (layout.format != fused::StateFormat::int8) return true;
  const auto block = object.Get("blockSize");
  if (env.IsExceptionPending()) return false;
  const double b = block.IsNumber() ? block.As<Napi::Number>().DoubleValue() : 0;
  if (!(b == 256 || b == 512 || b == 1024 || b == 2048 || b == 4096))
    return fail(env, true, "streams.blockSize must be 256, 512, 1024, 2048 or 4096");
  static_assert(fused::kPartElements % fused::kMaxBlock == 0, "blocks must not straddle pool parts");
  layout.blockSize = size_t(b);
  return true;
}

// Whether a stream is enabled by its flag scalar; with no scalars (pinning), every stream the
// caller supplies is taken and only `always` streams are required.
bool streamRequired(const StreamSpec& stream, const double* scalars) {
  if (stream.flag < 0) return true;
  return scalars != nullptr && scalars[stream.flag] != 0;
}


// One tensor's memory, for checkOutputs. `list`: stream k (its absmax list: kMaxStreams + k),
// or kOutList for paramOut.
struct Extent {
  uintptr_t start, end;
  size_t list, index;
  bool output;
};
constexpr size_t kOutList = 2 * kMaxStreams;

// Out of place, no output may share memory with another tensor of the call (the kernel would
// read what it just wrote, or write what another tensor still needs), except its own param,
// which it then replaces in place: that param counts as the output. Runs no JS.
bool checkOutputs(Napi::Env env, const KindSpec& spec, const StepArgs& args) {
  std::vector<Extent> spans;
  const auto add = [&](const Spans& list, size_t id, size_t i, bool output) {
    if (list.length[i] == 0) return;
    const auto start = reinterpret_cast<uintptr_t>(list.data[i]);
    spans.push_back({start, start + list.length[i] * list.elementBytes, id, i, output});
  };
  const Spans& params = args.streams[0];
  for (size_t k = 0; k < args.streams.size(); ++k) {
    for (size_t i = 0; args.streams[k].present && i < params.length.size(); ++i)
      add(args.streams[k], k, i, k == 0 && args.paramOut.data[i] == params.data[i]);
    for (size_t i = 0; args.absmax[k].present && i < params.length.size(); ++i) add(args.absmax[k], kMaxStreams + k, i, false);
  }
  for (size_t i = 0; i < params.length.size(); ++i)
    if (args.paramOut.data[i] != params.data[i]) add(args.paramOut, kOutList, i, true);
  std::sort(spans.begin(), spans.end(), [](const Extent& a, const Extent& b) { return a.start < b.start; });
  const auto name = [&](const Extent& e) {
    const std::string list = e.list == kOutList        ? "paramOut"
                             : e.list >= kMaxStreams ? std::string(spec.streams[e.list - kMaxStreams].name) + "Absmax"
                                                     : spec.streams[e.list].name;
    return list + "[" + std::to_string(e.index) + "]";
  };
  // Sweep in address order, remembering the span reaching furthest and the furthest output.
  const Extent* reach = nullptr;
  const Extent* outReach = nullptr;
  for (const Extent& s : spans) {
    const Extent* hit = s.output ? (reach != nullptr && s.start < reach->end ? reach : nullptr)
                                 : (outReach != nullptr && s.start < outReach->end ? outReach : nullptr);
    if (hit != nullptr)
      return fail(env, true, "paramOut: " + name(s.output ? s : *hit) + " overlaps " + name(s.output ? *hit : s) +
                                 " in memory; an output may only be its own param's array (in place)");
    if (reach == nullptr || s.end > reach->end) reach = &s;
    if (s.output && (outReach == nullptr || s.end > outReach->end)) outReach = &s;
  }
  return true;
}

}  // namespace

bool unwrapList(Napi::Env env, const Napi::Value& value, const char* name, Spans& out) {
  std::vector<napi_value> elements;
  return gatherList(env, value, name, elements) && resolveList(env, elements, name, out);
}

bool unwrapStreams(Napi::Env env, const KindSpec& spec, const Napi::Value& lists, const double* scalars,
                   StepArgs& out, std::vector<napi_value>* elements) {
  if (!lists.IsObject() || lists.IsArray()) return fail(env, false, "streams must be an object of tensor lists");
  const auto object = lists.As<Napi::Object>();
  const size_t count = spec.streams.size();
  std::vector<std::vector<napi_value>> gathered(count), gatheredAbsmax(count);
  std::vector<bool> take(count, false);
  out.layout = fused::StoredLayout{fused::StateFormat::f32, 0, 0};
  if (!readLayout(env, spec, object, out.layout)) return false;
  const bool int8 = out.layout.format == fused::StateFormat::int8;
  for (size_t k = 0; k < count; ++k) {  // phase 1: may run JS
    const auto& stream = spec.streams[k];
    const bool required = streamRequired(stream, scalars);
    if (!required && scalars != nullptr) continue;
    napi_value value;
    if (napi_get_named_property(env, object, stream.name, &value) != napi_ok) return false;
    napi_valuetype type;
    if (napi_typeof(env, value, &type) != napi_ok) return false;
    if (!required && (type == napi_null || type == napi_undefined)) continue;
    if (!gatherList(env, value, stream.name, gathered[k])) return false;
    if (int8 && k >= 2) {
      const std::string name = std::string(stream.name) + "Absmax";
      napi_value absmax;
      if (napi_get_named_property(env, object, name.c_str(), &absmax) != napi_ok) return false;
      if (!gatherList(env, absmax, name.c_str(), gatheredAbsmax[k])) return false;
    }
    take[k] = true;
  }
  // Out of place: the new params go to streams.paramOut (null or absent: in place).
  std::vector<napi_value> gatheredOut;
  const auto paramOut = object.Get("paramOut");
  if (env.IsExceptionPending()) return false;
  const bool outOfPlace = !paramOut.IsUndefined() && !paramOut.IsNull();
  if (outOfPlace && std::strcmp(spec.streams[0].name, "param") != 0)
    return fail(env, false, std::string(spec.name) + " has no param stream to write elsewhere (paramOut)");
  if (outOfPlace && !gatherList(env, paramOut, "paramOut", gatheredOut)) return false;
  out.streams.assign(count, Spans{});
  out.absmax.assign(count, Spans{});
  const auto stateType = out.layout.format == fused::StateFormat::bf16 ? napi_uint16_array
                         : int8                                        ? napi_uint8_array
                                                                       : napi_float32_array;
  for (size_t k = 0; k < count; ++k) {  // phase 2: runs no JS
    if (!take[k]) continue;
    if (!resolveList(env, gathered[k], spec.streams[k].name, out.streams[k], k >= 2 ? stateType : napi_float32_array))
      return false;
    if (elements != nullptr) elements->insert(elements->end(), gathered[k].begin(), gathered[k].end());
    if (k > 0 && !sameShape(env, out.streams[0], spec.streams[0].name, out.streams[k], spec.streams[k].name))
      return false;
    if (!int8 || k < 2) continue;
    const std::string name = std::string(spec.streams[k].name) + "Absmax";
    Spans& absmax = out.absmax[k];
    if (!resolveList(env, gatheredAbsmax[k], name.c_str(), absmax)) return false;
    if (elements != nullptr) elements->insert(elements->end(), gatheredAbsmax[k].begin(), gatheredAbsmax[k].end());
    if (absmax.length.size() != out.streams[0].length.size())
      return fail(env, true, name + " has " + std::to_string(absmax.length.size()) + " tensors, " +
                                 spec.streams[0].name + " has " + std::to_string(out.streams[0].length.size()));
    for (size_t i = 0; i < absmax.length.size(); ++i) {
      const size_t blocks = (out.streams[0].length[i] + out.layout.blockSize - 1) / out.layout.blockSize;
      if (absmax.length[i] != blocks)
        return fail(env, true, name + "[" + std::to_string(i) + "] has length " + std::to_string(absmax.length[i]) +
                                   ", the tensor has " + std::to_string(blocks) + " blocks");
    }
  }
  out.paramOut = Spans{};
  if (outOfPlace) {
    if (!resolveList(env, gatheredOut, "paramOut", out.paramOut) ||
        !sameShape(env, out.streams[0], spec.streams[0].name, out.paramOut, "paramOut") || !checkOutputs(env, spec, out))
      return false;
    if (elements != nullptr) elements->insert(elements->end(), gatheredOut.begin(), gatheredOut.end());
  }
  out.total = totalLength(out.streams[0]);
  return true;
}

const napi_type_tag kPinnedTag{0x8f1c2e3d4b5a6978ULL, 0x1a2b3c4d5e6f7081ULL};

namespace {

// The streams of a call: a plain object of lists (unwrapped now) or a pinned handle.
bool streamsFor(Napi::Env env, size_t kind, const Napi::Value& value, const std::vector<double>& scalars,
                StepArgs& owned, const StepArgs*& args) {
  const auto& spec = specAt(kind);
  if (!value.IsExternal()) {
    args = &owned;
    return unwrapStreams(env, spec, value, scalars.data(), owned);
  }
  bool tagged = false;
  if (napi_check_object_type_tag(env, value, &kPinnedTag, &tagged) != napi_ok || !tagged)
    return fail(env, false, "streams is not a pinned handle of this addon");
  const auto* pinned = value.As<Napi::External<Pinned>>().Data();
  if (pinned->kind != kind) return fail(env, false, "the pinned handle belongs to another kernel kind");
  for (size_t k = 0; k < spec.streams.size(); ++k)
    if (streamRequired(spec.streams[k], scalars.data()) && !pinned->args.streams[k].present)
      return fail(env, false, std::string("the pinned handle has no ") + spec.streams[k].name + " list");
  args = &pinned->args;
  return true;
}

// Each scalar in its domain (kinds.h): the kernels branch on flags and on the decay kind, and
// LAMB's zero-padded tail lanes divide by its eps.
bool checkScalars(Napi::Env env, const KindSpec& spec, const std::vector<double>& scalars) {
  for (size_t i = 0; i < spec.scalars.size(); ++i) {
    const std::string name = spec.scalars[i].name;
    const double v = scalars[i];
    switch (spec.scalars[i].domain) {
      case Domain::flag:
        if (v != 0 && v != 1) return fail(env, true, "scalar " + name + " must be 0 or 1");
        break;
      case Domain::decay:
        if (v != 0 && v != 1 && v != 2) return fail(env, true, "scalar " + name + " must be 0, 1 or 2");
        break;
      case Domain::positive:
        if (!(v > 0)) return fail(env, true, "scalar " + name + " must be > 0 for " + spec.name);
        break;
      case Domain::real:
        break;
    }
  }
  return true;
}

}  // namespace

// The arguments of step/stepAsync: (kind, streams | pinned handle, scalars[, keepAlive]).
bool unwrapCall(const Napi::CallbackInfo& info, size_t& kind, std::vector<double>& scalars, StepArgs& owned,
                const StepArgs*& args) {
  const auto env = info.Env();
  const double k = info.Length() >= 3 && info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : -1;
  if (!(k >= 0 && k <= double(kindSpecs().size())) || k != std::floor(k))
    return fail(env, false, "step expects (kind index, streams, scalars)");
  kind = size_t(k);
  return unwrapScalars(env, info[2], specAt(kind).scalars.size(), scalars) &&
         checkScalars(env, specAt(kind), scalars) && streamsFor(env, kind, info[1], scalars, owned, args);
}

}  // namespace fused
