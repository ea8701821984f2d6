// How htslib's S3 plugin (hfile_s3.c) picks credentials when it opens an s3:// URL: the URL's
// own credentials or profile, the environment, the AWS credentials file, the s3cfg,
// ~/.awssecret, then anonymous requests.
#pragma once

#include "credkit/diagnosis.hpp"

namespace credkit {

// Uses view.url when given (its user part changes everything), else a plain s3://bucket/key.
ToolVerdict model_htslib(const MachineView& view);

}  // namespace credkit
