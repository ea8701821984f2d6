#include "credkit/htslib_model.hpp"

// TODO: being written.
namespace credkit {
ToolVerdict model_htslib(const MachineView&) { return ToolVerdict{Tool::htslib, {}, {}, {}, {}}; }
}
