// Picks one kernel table at load time from what the CPU and the OS support.
#pragma once
#include <string>
#include <vector>

#include "kernels/kernels.h"

namespace fused {

// Tables this CPU can run, best last. Always starts with "scalar".
const std::vector<const KernelTable*>& supportedTables();

// The table in use (the best supported one unless selectIsa() chose another).
const KernelTable& kernels();

// Switches to a supported ISA by name; false (and no change) if unknown or unsupported.
bool selectIsa(const std::string& name);

}  // namespace fused
