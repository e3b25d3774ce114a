// The kinds of kinds.h as data the addon can walk: each kind's scalars and streams, by name, for
// validating and unwrapping a call's arguments and for kinds(), the table JS checks at load.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/kinds.h"

namespace fused {

// What a scalar may hold besides being finite (kinds.h): real anything, flag 0 or 1, decay 0, 1
// or 2, positive > 0.
enum class Domain { real, flag, decay, positive };
const char* domainName(Domain domain);

struct ScalarSpec {
  const char* name;
  Domain domain;
};
struct StreamSpec {
  const char* name;
  bool written;
  const char* enabledBy;  // a flag scalar's name, or "always"
  int flag;               // that scalar's index, or -1 for "always"
};
struct KindSpec {
  const char* name;
  std::vector<ScalarSpec> scalars;
  std::vector<StreamSpec> streams;
};

// The one-pass kinds, indexed by Kind.
const std::vector<KindSpec>& kindSpecs();
// LAMB takes the index after them (kLambKind): it has two passes, not a StepKernel.
constexpr size_t kLambKind = static_cast<size_t>(Kind::count);
const KindSpec& lambSpec();
// kindSpecs()[kind], or LAMB's for kLambKind.
const KindSpec& specAt(size_t kind);
// The benchmark's write probe (FUSED_PROBE_STREAMS): no scalars, not a kind.
const KindSpec& probeSpec();

// Whether a kind's state may be stored (every stream after param and grad is state): the
// one-pass optimizer kernels. LAMB's two passes and the element-wise helpers are not among them.
bool storableKind(const KindSpec& spec);
// Bit k set: stream k uses the unsigned int8 map (FUSED_UNSIGNED_STATE).
uint32_t unsignedMask(const KindSpec& spec);

}  // namespace fused
