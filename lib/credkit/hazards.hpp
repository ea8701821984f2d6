// What will go wrong with the credentials each tool picks on this machine: each hazard has a
// stable code (listed in credkit-diagnose(1)), a one-line finding and a concrete fix.
#pragma once

#include <span>
#include <vector>

#include "credkit/diagnosis.hpp"

namespace credkit {

// One entry of the catalogue: what a code means, for --list-hazards and the man page.
struct HazardKind {
    std::string_view code;
    Severity severity;
    std::string_view meaning;
};

std::span<const HazardKind> hazard_catalogue();

// The hazards of this machine, the most serious first.
std::vector<Hazard> find_hazards(const MachineView& view, const std::vector<ToolVerdict>& verdicts);

}  // namespace credkit
