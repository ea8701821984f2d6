// Renders credentials in every format credkit prints or writes. Each renderer returns the
// whole text, ending in a newline; none of them logs anything.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "credkit/credentials.hpp"
#include "credkit/error.hpp"

namespace credkit {

enum class CredentialFormat { json, credential_process, env, fish, ini, s3cfg };

// Reads a --format value: "json", "credential-process", "env", "fish", "ini", "s3cfg".
Result<CredentialFormat> parse_credential_format(std::string_view name);
std::string_view format_name(CredentialFormat format);

struct RenderOptions {
    std::string section = "default";  // ini profile or s3cfg section
    std::optional<TimePoint> now;      // LastUpdated fallback for json when the source has none
};

// json: {"AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration", "LastUpdated",
//        "Role"}, pretty-printed; absent values are null.
// credential-process: exactly {"Version": 1, "AccessKeyId", "SecretAccessKey",
//        "SessionToken", "Expiration"}, the last two only when known.
// env:  export AWS_ACCESS_KEY_ID='...' lines (POSIX shell quoting), plus AWS_SESSION_TOKEN and
//       AWS_CREDENTIAL_EXPIRATION when known; unsets AWS_SESSION_TOKEN when there is none.
// fish: set -gx ... lines with fish quoting.
// ini:  an AWS shared-credentials section holding exactly aws_access_key_id,
//       aws_secret_access_key, aws_session_token and expiry_time (the last two when known),
//       which htslib can refresh from.
// s3cfg: an s3cmd-style section: access_key, secret_key, access_token (with a token), and a
//       comment line saying when the credentials expire.
std::string render_credentials(const Credentials& credentials, CredentialFormat format,
                               const RenderOptions& options = {});

// Quotes a value for POSIX sh ('...' with embedded quotes escaped).
std::string shell_quote(std::string_view value);
// Quotes a value for fish.
std::string fish_quote(std::string_view value);

}  // namespace credkit
