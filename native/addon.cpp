// The N-API surface: unwrap and validate arguments, then run each step over all tensors of a
// group in one N-API call (one kernel call per part of the work). Every check happens before any memory is touched; errors become
// JS TypeError/RangeError naming the argument (C++ exceptions are disabled).
#include <napi.h>

#include <cmath>
#include <cstring>
#include <memory>
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

// A list argument: a JS array of typed arrays (Float32Array, or the stored state's Uint16Array
// / Uint8Array), unwrapped to raw spans.
struct Spans {
  bool present = false;
  std::vector<void*> data;
  std::vector<size_t> length;
  size_t elementBytes = 4;
  // Element i of tensor t (nullptr for an empty tensor).
  void* at(size_t t, size_t i) const {
    return data[t] == nullptr ? nullptr : static_cast<char*>(data[t]) + i * elementBytes;
  }
};

const char* typeName(napi_typedarray_type type) {
  return type == napi_uint16_array ? "Uint16Array" : type == napi_uint8_array ? "Uint8Array" : "Float32Array";
}

// Unwrapping is split in two phases. Phase 1 reads array elements and object properties,
// which can run JS (getters, proxies) that might detach a buffer; phase 2 turns the gathered
// values into pointers and runs no JS at all. So no JS runs between taking a pointer and the
// kernel using it.
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

bool unwrapList(Napi::Env env, const Napi::Value& value, const char* name, Spans& out) {
  std::vector<napi_value> elements;
  return gatherList(env, value, name, elements) && resolveList(env, elements, name, out);
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

// What addon.cpp needs to know of each kind: its scalars and its streams.
struct ScalarSpec {
  const char* name;
  const char* domain;  // real, flag, decay or positive (kinds.h)
};
struct StreamSpec {
  const char* name;
  bool written;
  const char* enabledBy;  // a flag scalar's name, or "always"
};
struct KindSpec {
  const char* name;
  std::vector<ScalarSpec> scalars;
  std::vector<StreamSpec> streams;
};

#define FUSED_SCALAR(name, domain) ScalarSpec{#name, #domain},
#define FUSED_STREAM(name, written, flag) StreamSpec{#name, written != 0, #flag},
const std::vector<KindSpec>& kindSpecs() {
  static const std::vector<KindSpec> specs = {
#define FUSED_SPEC(kind, SCALARS, STREAMS) KindSpec{#kind, {SCALARS(FUSED_SCALAR)}, {STREAMS(FUSED_STREAM)}},
      FUSED_STEP_KINDS(FUSED_SPEC)
#undef FUSED_SPEC
  };
  return specs;
}
const KindSpec& lambSpec() {
  static const KindSpec spec{"lamb", {FUSED_LAMB_SCALARS(FUSED_SCALAR)}, {FUSED_LAMB_STREAMS(FUSED_STREAM)}};
  return spec;
}
#undef FUSED_SCALAR
#undef FUSED_STREAM

// The unwrapped, validated tensor lists of one step: a span list per stream (not present when
// the stream is disabled or absent) and the total element count.
struct StepArgs {
  std::vector<Spans> streams;
  size_t total = 0;
  // Stored state (stateDtype): the format of every stream after param and grad, and with int8
  // the block size and each state stream's absmax list.
  fused::StoredLayout layout{fused::StateFormat::f32, 0, 0};
  std::vector<Spans> absmax;
};

// Kinds whose state may be stored (every stream after param and grad is state): the one-pass
// optimizer kernels. LAMB's two passes and the element-wise helpers are not among them.
bool storableKind(const KindSpec& spec) {
  return spec.streams.size() > 2 && std::string(spec.streams[0].name) == "param" &&
         std::string(spec.streams[1].name) == "grad" && std::string(spec.name) != "lamb";
}

uint32_t unsignedMask(const KindSpec& spec) {
  static const char* const names[] = {
#define FUSED_UNSIGNED_NAME(name) #name,
      FUSED_UNSIGNED_STATE(FUSED_UNSIGNED_NAME)
#undef FUSED_UNSIGNED_NAME
  };
  uint32_t mask = 0;
  for (size_t k = 0; k < spec.streams.size(); ++k)
    for (const char* name : names)
      if (std::strcmp(spec.streams[k].name, name) == 0) mask |= 1u << k;
  return mask;
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
bool streamRequired(const KindSpec& spec, const StreamSpec& stream, const double* scalars) {
  if (std::string(stream.enabledBy) == "always") return true;
  if (scalars == nullptr) return false;
  for (size_t j = 0; j < spec.scalars.size(); ++j)
    if (std::string(stream.enabledBy) == spec.scalars[j].name) return scalars[j] != 0;
  return true;
}

bool unwrapStreams(Napi::Env env, const KindSpec& spec, const Napi::Value& lists, const double* scalars,
                   StepArgs& out, std::vector<napi_value>* elements = nullptr) {
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
    const bool required = streamRequired(spec, stream, scalars);
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
  out.total = totalLength(out.streams[0]);
  return true;
}

// A pinned step: lists unwrapped once and reused while JS vouches that every array is the same
// object with the same length (src/functional/plan.ts). Tagged so no foreign External passes.
struct Pinned {
  size_t kind;  // index into kindSpecs(), or kindSpecs().size() for LAMB
  StepArgs args;
  std::vector<napi_ref> arrays;  // strong: the memory behind `args` cannot be collected
};
constexpr napi_type_tag kPinnedTag{0x8f1c2e3d4b5a6978ULL, 0x1a2b3c4d5e6f7081ULL};

const KindSpec& specAt(size_t kind) { return kind < kindSpecs().size() ? kindSpecs()[kind] : lambSpec(); }

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
    if (streamRequired(spec, spec.streams[k], scalars.data()) && !pinned->args.streams[k].present)
      return fail(env, false, std::string("the pinned handle has no ") + spec.streams[k].name + " list");
  args = &pinned->args;
  return true;
}

// pin(kind, streams): unwraps and validates the lists once; returns a handle for step/lamb.
Napi::Value Pin(const Napi::CallbackInfo& info) {
  const auto env = info.Env();
  const double kind = info.Length() == 2 && info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : -1;
  if (!(kind >= 0 && kind <= double(kindSpecs().size())) || kind != std::floor(kind)) {
    fail(env, false, "pin expects (kind index, streams)");
    return env.Undefined();
  }
  auto pinned = std::make_unique<Pinned>();
  pinned->kind = size_t(kind);
  std::vector<napi_value> elements;
  if (!unwrapStreams(env, specAt(pinned->kind), info[1], nullptr, pinned->args, &elements)) return env.Undefined();
  for (napi_value element : elements) {
    napi_ref ref;
    if (napi_create_reference(env, element, 1, &ref) != napi_ok) break;
    pinned->arrays.push_back(ref);
  }
  auto handle = Napi::External<Pinned>::New(env, pinned.release(), [](Napi::Env env, Pinned* p) {
    for (napi_ref ref : p->arrays) napi_delete_reference(env, ref);
    delete p;
  });
  napi_type_tag_object(env, handle, &kPinnedTag);
  return handle;
}

// The pieces of one part of a step, in tensor order; with `tensors`, the tensor of each too.
void piecesOf(const StepArgs& args, const fused::Split& split, size_t part, std::vector<fused::Piece>& pieces,
              std::vector<size_t>* tensors = nullptr) {
  const size_t streams = args.streams.size();  // at most kMaxStreams (checked in kernels.h)
  split.forEachPiece(part, [&](size_t t, size_t b, size_t e) {
    fused::Piece piece{};
    for (size_t k = 0; k < streams; ++k) {
      const Spans& stream = args.streams[k];
      piece.streams[k] = stream.present ? static_cast<float*>(stream.at(t, b)) : nullptr;
    }
    piece.n = e - b;
    pieces.push_back(piece);
    if (tensors != nullptr) tensors->push_back(t);
  });
}

// Runs one step's kernel over all its tensors, split across the pool: one kernel call per part.
// Touches no JS: callable from the JS thread (step) or a libuv worker (stepAsync).
void runStep(size_t kind, const StepArgs& args, const std::vector<double>& scalars) {
  const auto& k = fused::kernels();
  auto& pool = fused::ThreadPool::instance();
  if (args.layout.format != fused::StateFormat::f32) {
    // int8: parts are cut on block boundaries of every tensor, so no block spans two threads.
    const size_t align = args.layout.format == fused::StateFormat::int8 ? args.layout.blockSize : 1;
    const fused::Split split(args.streams[0].length, args.total, align);
    const auto kernel = k.step[kind];
    pool.run(split.parts(), [&](size_t part) {
      std::vector<fused::StoredPiece> pieces;
      split.forEachPiece(part, [&](size_t t, size_t b, size_t e) {
        fused::StoredPiece piece{};
        for (size_t s = 0; s < args.streams.size(); ++s) {
          const Spans& stream = args.streams[s];
          if (!stream.present) continue;
          piece.streams[s] = stream.at(t, b);
          if (align > 1 && s >= 2) piece.absmax[s] = static_cast<float*>(args.absmax[s].at(t, b / align));
        }
        piece.n = e - b;
        pieces.push_back(piece);
      });
      k.storedStep(kernel, args.layout, scalars.data(), pieces.data(), pieces.size());
    });
    return;
  }
  const fused::Split split(args.streams[0].length, args.total);
  const size_t parts = split.parts();
  if (kind < kindSpecs().size()) {
    const auto kernel = k.step[kind];
    pool.run(parts, [&](size_t part) {
      std::vector<fused::Piece> pieces;
      piecesOf(args, split, part, pieces);
      kernel(scalars.data(), pieces.data(), pieces.size());
    });
    return;
  }
  // LAMB: pass 1 updates the moments and sums ||p||², ||u||² per piece; the pieces of a tensor
  // are added up in part order (deterministic); pass 2 applies lr · trust, trust = ||p|| / ||u||
  // or 1. A part's pieces are consecutive tensors, so piece (part, t) has the unique slot
  // part + t: parts + tensors slots in all, however many tensors a part spans.
  const size_t tensorCount = args.streams[0].length.size();
  std::vector<double> sums((parts + tensorCount) * 2, 0.0);
  pool.run(parts, [&](size_t part) {
    std::vector<fused::Piece> pieces;
    std::vector<size_t> tensors;
    piecesOf(args, split, part, pieces, &tensors);
    for (size_t i = 0; i < pieces.size(); ++i)
      k.lambMoments(scalars.data(), pieces[i].streams, pieces[i].n, &sums[(part + tensors[i]) * 2]);
  });
  const double lr = scalars[9];
  std::vector<double> pSq(tensorCount, 0.0), uSq(tensorCount, 0.0);
  for (size_t part = 0; part < parts; ++part)
    split.forEachPiece(part, [&](size_t t, size_t, size_t) {
      pSq[t] += sums[(part + t) * 2];
      uSq[t] += sums[(part + t) * 2 + 1];
    });
  std::vector<double> lrTrust(tensorCount);
  for (size_t t = 0; t < tensorCount; ++t)
    lrTrust[t] = pSq[t] > 0 && uSq[t] > 0 ? lr * (std::sqrt(pSq[t]) / std::sqrt(uSq[t])) : lr;
  pool.run(parts, [&](size_t part) {
    std::vector<fused::Piece> pieces;
    std::vector<size_t> tensors;
    piecesOf(args, split, part, pieces, &tensors);
    for (size_t i = 0; i < pieces.size(); ++i)
      k.lambApply(scalars.data(), pieces[i].streams, pieces[i].n, lrTrust[tensors[i]]);
  });
}

// Scalars the kernels branch on must hold what they expect: flags 0 or 1, the Adam decay kind
// 0, 1 or 2, and LAMB's eps > 0 (its zero-padded tail lanes would divide 0 by 0).
bool checkScalars(Napi::Env env, const KindSpec& spec, const std::vector<double>& scalars) {
  static const char* const flags[] = {"amsgrad", "hasWeightDecay", "hasMomentum", "nesterov", "firstStep",
                                      "centered", "rectified"};
  for (size_t i = 0; i < spec.scalars.size(); ++i) {
    const std::string name = spec.scalars[i].name;
    const double v = scalars[i];
    for (const char* flag : flags)
      if (name == flag && v != 0 && v != 1) return fail(env, true, "scalar " + name + " must be 0 or 1");
    if (name == "decay" && v != 0 && v != 1 && v != 2) return fail(env, true, "scalar decay must be 0, 1 or 2");
    if (name == "eps" && std::string(spec.name) == "lamb" && !(v > 0))
      return fail(env, true, "scalar eps must be > 0 for lamb");
  }
  return true;
}

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

// step(kind, streams: { param: Float32Array[], ... } | pinned handle, scalars: Float64Array)
Napi::Value Step(const Napi::CallbackInfo& info) {
  size_t kind;
  std::vector<double> scalars;
  StepArgs owned;
  const StepArgs* args = nullptr;
  if (unwrapCall(info, kind, scalars, owned, args)) runStep(kind, *args, scalars);
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
  if (!unwrapCall(info, job->kind, job->scalars, job->owned, job->args)) return env.Undefined();
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
    runStep(j->kind, j->args ? *j->args : j->owned, j->scalars);
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
  auto describe = [&](const KindSpec& spec, double index) {
    auto o = Napi::Object::New(env);
    o.Set("index", index);
    auto scalars = Napi::Array::New(env);
    for (uint32_t i = 0; i < spec.scalars.size(); ++i) {
      auto sc = Napi::Object::New(env);
      sc.Set("name", spec.scalars[i].name);
      sc.Set("domain", spec.scalars[i].domain);
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
  describe(lambSpec(), double(kindSpecs().size()));  // pin() takes this index for LAMB
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
  const fused::Split split(x.length, total);
  const size_t parts = split.parts();
  const auto& k = fused::kernels();
  std::vector<double> partial(parts, 0.0);
  fused::ThreadPool::instance().run(parts, [&](size_t part) {
    double acc = 0.0;
    split.forEachPiece(part, [&](size_t t, size_t b, size_t e) {
      const float* data = static_cast<const float*>(x.at(t, b));
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
