#include "credkit/hazards.hpp"

namespace credkit {
std::span<const HazardKind> hazard_catalogue() { return {}; }
std::vector<Hazard> find_hazards(const MachineView&, const std::vector<ToolVerdict>&) { return {}; }
}
