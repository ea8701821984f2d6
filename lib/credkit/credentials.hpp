// One model of a set of AWS credentials and where it came from, shared by every command.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "credkit/secret.hpp"
#include "credkit/timestamp.hpp"

namespace credkit {

enum class SourceKind {
    env,                      // AWS_ACCESS_KEY_ID and friends
    shared_credentials_file,  // ~/.aws/credentials or AWS_SHARED_CREDENTIALS_FILE, a profile
    s3cfg,                    // an s3cmd-style config, a section
    credential_process,       // a credential_process command
    imds,                     // the instance role, through the instance metadata service
};

// "env", "shared-credentials-file", "s3cfg", "credential-process", "imds".
std::string_view source_name(SourceKind kind);

struct CredentialOrigin {
    SourceKind kind = SourceKind::imds;
    std::string location;  // file path, variable name or metadata endpoint
    std::string section;   // profile, s3cfg section or role name
};

struct Credentials {
    std::string access_key_id;
    Secret secret_access_key;
    Secret session_token;                   // empty for long-term keys
    std::optional<TimePoint> expiration;    // unknown for long-term keys
    std::optional<TimePoint> last_updated;  // when the issuer says it made them
    CredentialOrigin origin;
    bool refreshed_by_holder = false;  // whether whoever holds them renews them by itself

    [[nodiscard]] bool has_session_token() const { return !session_token.empty(); }
};

// What a careful reader should be told about credentials as fetched, judged by the local
// clock: already expired, about to expire, or stamped as made in the future (clock skew).
struct ExpiryFinding {
    enum class Kind { expired, expiring_soon, issued_in_future };
    Kind kind;
    std::string message;  // one lowercase line, no secrets
};

// The window within which credentials count as "about to expire".
inline constexpr std::chrono::minutes kExpiringSoon{5};

std::vector<ExpiryFinding> check_freshness(const Credentials& credentials, TimePoint now);

}  // namespace credkit
