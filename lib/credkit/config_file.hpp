// credkit's YAML config file: defaults that the command line overrides. Found through
// --config, then $CREDKIT_CONFIG, then /etc/credkit/config.yaml when it exists.
//
//   imds:
//     endpoint: http://169.254.169.254
//     mode: ipv4            # or ipv6
//     timeout: 1s
//     attempts: 3
//     token_ttl: 6h
//     allow_imdsv1: false
//     role: my-role
//   source: imds            # where write-s3cfg takes credentials from
//   watch:
//     refresh_margin: 15m
//     max_interval: 1h
//   presign:                # defaults for credkit presign
//     region: eu-west-1
//     expires: 1h
//     addressing_style: auto
//     endpoint_url: http://127.0.0.1:9000
//     botocore_compat: false
//     source: auto
//   outputs:                # the files write-s3cfg keeps in step
//     - path: /run/credkit/hts.s3cfg
//       format: s3cfg       # or aws-credentials, env, credential-process
//       section: default    # s3cfg section, or the profile of an aws-credentials file
//       mode: "0640"
//       owner: app:app
//       host_base: s3.eu-west-1.amazonaws.com
//       host_bucket: "%(bucket)s.s3.eu-west-1.amazonaws.com"
//       bucket_location: eu-west-1
//
// Unknown keys are errors that name the file and line, so that a typo is not silently ignored.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "credkit/environment.hpp"
#include "credkit/error.hpp"
#include "credkit/imds_settings.hpp"

namespace credkit {

inline constexpr std::string_view kSystemConfigPath = "/etc/credkit/config.yaml";

// One file write-s3cfg maintains, as written in the config; checked when used.
struct OutputConfig {
    std::string path;
    std::optional<std::string> format;
    std::optional<std::string> section;  // "profile" is accepted as the same key
    std::optional<std::string> mode;
    std::optional<std::string> owner;
    std::optional<std::string> host_base;
    std::optional<std::string> host_bucket;
    std::optional<std::string> bucket_location;
    int line = 0;  // where the entry starts, for messages
};

// Defaults for `credkit presign`; its options override them.
struct PresignConfig {
    std::optional<std::string> region;
    std::optional<std::string> expires;
    std::optional<std::string> addressing_style;
    std::optional<std::string> endpoint_url;
    std::optional<std::string> source;
    std::optional<bool> botocore_compat;
};

struct WatchConfig {
    std::optional<std::string> refresh_margin;
    std::optional<std::string> max_interval;
};

struct ConfigFile {
    std::filesystem::path path;
    ImdsOverrides imds;
    std::optional<std::string> source;
    WatchConfig watch;
    std::vector<OutputConfig> outputs;
    PresignConfig presign;
};

// Parses config text; `path` only names the file in messages.
Result<ConfigFile> parse_config(std::string_view text, const std::filesystem::path& path);

// Finds and reads the config file. `explicit_path` (from --config) and $CREDKIT_CONFIG must
// exist; the system path is used only when it exists. Nothing found: an empty optional.
Result<std::optional<ConfigFile>> load_config(
    const std::string& explicit_path, const Environment& env,
    const std::filesystem::path& system_path = std::filesystem::path(kSystemConfigPath));

}  // namespace credkit
