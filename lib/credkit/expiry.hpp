// How long something stays valid: presigned URLs, credential files, credential_process JSON,
// the environment, and resolved credentials. Each reader says when its input stops working,
// or why that cannot be known; judge() turns that into a monitoring status.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "credkit/duration.hpp"
#include "credkit/environment.hpp"
#include "credkit/error.hpp"
#include "credkit/timestamp.hpp"

namespace credkit {

// What one input is good until.
struct Expiry {
    std::string kind;    // "url", "file", "env", "imds", "credentials"
    std::string target;  // the URL without its query, the file's path, the variable...
    std::optional<TimePoint> expires;
    // A URL signed with a session token stops working when the token does, which the URL
    // does not say: the expiry is then an upper bound.
    bool may_end_earlier = false;
    std::string note;  // why the expiry is unknown, or what bounds it
};

// SigV4 (X-Amz-Date + X-Amz-Expires) or SigV2 (Expires) query authentication.
Result<Expiry> presigned_url_expiry(std::string_view url);

// A credential_process JSON document, an AWS credentials section (expiry_time and the other
// names in use) or an s3cfg carrying credkit's expiry comment, told apart by their content.
Result<Expiry> file_expiry(std::string_view text, const std::string& path,
                           const std::string& section);

// AWS_CREDENTIAL_EXPIRATION, else AWS_SESSION_EXPIRATION.
Result<Expiry> env_expiry(const Environment& env);

enum class Status { ok = 0, warning = 1, critical = 2, unknown = 3 };

std::string_view status_name(Status status);  // "OK", "WARNING", "CRITICAL", "UNKNOWN"

struct Thresholds {
    Seconds warn = std::chrono::minutes(30);
    Seconds crit = std::chrono::minutes(5);
};

// CRITICAL when expired or at most `crit` away, WARNING at most `warn` away, OK beyond, and
// UNKNOWN when the expiry is not known.
Status judge(const std::optional<TimePoint>& expires, TimePoint now, const Thresholds& limits);

}  // namespace credkit
