// How botocore (and so boto3 and the AWS CLI) picks credentials on this machine: its twelve
// providers in order, the profile rules, and which sources it refreshes by itself.
#pragma once

#include "credkit/diagnosis.hpp"

namespace credkit {

// `tool` is Tool::boto3 or Tool::awscli. A profile named in the view (as by
// Session(profile_name=...) or `aws --profile`) takes the env provider out of the chain.
ToolVerdict model_botocore(const MachineView& view, Tool tool);

}  // namespace credkit
