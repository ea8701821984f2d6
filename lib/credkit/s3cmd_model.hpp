// How s3cmd picks credentials: its config file, the environment, the AWS credentials file,
// and its own instance-role refresh.
#pragma once

#include "credkit/diagnosis.hpp"

namespace credkit {

// s3cmd run without -c: ~/.s3cfg (or $S3CMD_CONFIG).
ToolVerdict model_s3cmd(const MachineView& view);

}  // namespace credkit
