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
//
// Unknown keys are errors that name the file and line, so that a typo is not silently ignored.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "credkit/environment.hpp"
#include "credkit/error.hpp"
#include "credkit/imds_settings.hpp"

namespace credkit {

inline constexpr std::string_view kSystemConfigPath = "/etc/credkit/config.yaml";

struct ConfigFile {
    std::filesystem::path path;
    ImdsOverrides imds;
};

// Parses config text; `path` only names the file in messages.
Result<ConfigFile> parse_config(std::string_view text, const std::filesystem::path& path);

// Finds and reads the config file. `explicit_path` (from --config) and $CREDKIT_CONFIG must
// exist; the system path is used only when it exists. Nothing found: an empty optional.
Result<std::optional<ConfigFile>> load_config(
    const std::string& explicit_path, const Environment& env,
    const std::filesystem::path& system_path = std::filesystem::path(kSystemConfigPath));

}  // namespace credkit
