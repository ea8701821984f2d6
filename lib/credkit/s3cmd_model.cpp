#include "credkit/s3cmd_model.hpp"

// TODO: being written.
namespace credkit {
ToolVerdict model_s3cmd(const MachineView&) { return ToolVerdict{Tool::s3cmd, {}, {}, {}, {}}; }
}
