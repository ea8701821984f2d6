// How to reach the instance metadata service: built from command-line options, then the
// AWS_* environment variables, then the config file, then the defaults.
#pragma once

#include <optional>
#include <string>

#include "credkit/duration.hpp"
#include "credkit/environment.hpp"
#include "credkit/error.hpp"

namespace credkit {

enum class ImdsMode { ipv4, ipv6 };

inline constexpr std::string_view kImdsIpv4Endpoint = "http://169.254.169.254";
inline constexpr std::string_view kImdsIpv6Endpoint = "http://[fd00:ec2::254]";
inline constexpr Seconds kMaxTokenTtl{21600};

struct ImdsSettings {
    std::string endpoint{kImdsIpv4Endpoint};  // scheme://host[:port], no trailing slash
    ImdsMode mode = ImdsMode::ipv4;
    Millis timeout{1000};  // per attempt
    int attempts = 3;
    Seconds token_ttl = kMaxTokenTtl;
    bool allow_v1 = false;
    std::optional<std::string> role;  // unset: the first role IMDS lists
    bool disabled = false;            // AWS_EC2_METADATA_DISABLED=true
};

// What one layer (command line or config file) said; unset means "not said here".
struct ImdsOverrides {
    std::optional<std::string> endpoint;
    std::optional<std::string> mode;     // "ipv4" | "ipv6"
    std::optional<std::string> timeout;  // a duration
    std::optional<int> attempts;
    std::optional<std::string> token_ttl;  // a duration, 1s..6h
    std::optional<bool> allow_v1;
    std::optional<std::string> role;
};

// Command line wins over the environment, which wins over the config file. Invalid values
// are usage errors that name the option or variable they came from.
Result<ImdsSettings> resolve_imds_settings(const ImdsOverrides& command_line,
                                           const ImdsOverrides& config_file,
                                           const Environment& env);

}  // namespace credkit
