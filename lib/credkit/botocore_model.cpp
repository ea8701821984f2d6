#include "credkit/botocore_model.hpp"

// TODO: being written.
namespace credkit {
ToolVerdict model_botocore(const MachineView&, Tool tool) { return ToolVerdict{tool, {}, {}, {}, {}}; }
}
