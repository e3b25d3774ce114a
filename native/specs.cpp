#include "specs.h"

#include <cstring>
#include <string>

namespace fused {

const char* domainName(Domain domain) {
  switch (domain) {
    case Domain::flag: return "flag";
    case Domain::decay: return "decay";
    case Domain::positive: return "positive";
    default: return "real";
  }
}

namespace {

// Each stream's enabling flag, by name as kinds.h writes it, as the index of that scalar.
KindSpec resolved(KindSpec spec) {
  for (auto& stream : spec.streams)
    for (size_t j = 0; j < spec.scalars.size(); ++j)
      if (std::strcmp(stream.enabledBy, spec.scalars[j].name) == 0) stream.flag = int(j);
  return spec;
}

}  // namespace

#define FUSED_SCALAR(name, domain) ScalarSpec{#name, Domain::domain},
#define FUSED_STREAM(name, written, flag) StreamSpec{#name, written != 0, #flag, -1},
const std::vector<KindSpec>& kindSpecs() {
  static const std::vector<KindSpec> specs = {
#define FUSED_SPEC(kind, SCALARS, STREAMS) resolved(KindSpec{#kind, {SCALARS(FUSED_SCALAR)}, {STREAMS(FUSED_STREAM)}}),
      FUSED_STEP_KINDS(FUSED_SPEC)
#undef FUSED_SPEC
  };
  return specs;
}
const KindSpec& lambSpec() {
  static const KindSpec spec = resolved({"lamb", {FUSED_LAMB_SCALARS(FUSED_SCALAR)}, {FUSED_LAMB_STREAMS(FUSED_STREAM)}});
  return spec;
}
const KindSpec& probeSpec() {
  static const KindSpec spec = resolved({"probe", {}, {FUSED_PROBE_STREAMS(FUSED_STREAM)}});
  return spec;
}
#undef FUSED_SCALAR
#undef FUSED_STREAM

const KindSpec& specAt(size_t kind) { return kind < kindSpecs().size() ? kindSpecs()[kind] : lambSpec(); }

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

}  // namespace fused
