// Which files a credential refresher keeps rewriting on this machine. `credkit diagnose` needs
// to know, because boto3 reads a shared credentials file once and never again: a file that
// something rewrites is one boto3 must not read.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "credkit/config_file.hpp"

namespace credkit {

// path -> what says it is rewritten ("credkit config /etc/credkit/config.yaml:12 lists it").
using RefreshedFiles = std::map<std::filesystem::path, std::string>;

// The outputs of credkit's config file.
RefreshedFiles config_targets(const ConfigFile& config);

// What one running `credkit write-s3cfg --watch` writes, from its command line (argv), its
// environment and its working directory. Not a refresher: empty.
RefreshedFiles watcher_targets(const std::vector<std::string>& argv,
                               const std::map<std::string, std::string>& environment,
                               const std::filesystem::path& working_directory, int pid);

// Every running refresher's outputs, found under `proc` (/proc): the processes of other users
// are visible only to root, and are skipped otherwise.
RefreshedFiles running_refresher_targets(const std::filesystem::path& proc = "/proc");

}  // namespace credkit
