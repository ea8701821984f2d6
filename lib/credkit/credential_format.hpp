// Renders credentials in every format credkit prints or writes. Each renderer returns the
// whole text, ending in a newline; none of them logs anything.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "credkit/credentials.hpp"
#include "credkit/error.hpp"
#include "credkit/ini_document.hpp"

namespace credkit {

enum class CredentialFormat { json, credential_process, env, fish, ini, s3cfg };

// Every format, in the order help texts list them.
inline constexpr std::array kCredentialFormats{
    CredentialFormat::json, CredentialFormat::credential_process,
    CredentialFormat::env,  CredentialFormat::fish,
    CredentialFormat::ini,  CredentialFormat::s3cfg};

// Reads a --format value: "json", "credential-process", "env", "fish", "ini", "s3cfg".
// Anything else is a usage error that lists the valid names.
Result<CredentialFormat> parse_credential_format(std::string_view name);
std::string_view format_name(CredentialFormat format);

// LastUpdated is only ever the issuer's own stamp: the time of rendering is no substitute,
// since a reader uses it to judge clock skew and age.
struct RenderOptions {
    std::string section = "default";  // ini profile or s3cfg section
};

// Every time is written as RFC 3339 in UTC without fractional seconds ("...T21:16:57Z").
// json: {"AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration", "LastUpdated",
//        "Role"} in that order, 2-space indented; absent values are null. Role is the role
//        name for credentials from IMDS, else null.
// credential-process: exactly {"Version": 1, "AccessKeyId", "SecretAccessKey",
//        "SessionToken", "Expiration"}, the last two only when known.
// env:  export AWS_ACCESS_KEY_ID='...' lines (POSIX shell quoting) for AWS_ACCESS_KEY_ID,
//       AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN and AWS_CREDENTIAL_EXPIRATION; the last two
//       are unset when unknown, so that values left from earlier credentials cannot mix in.
// fish: the same as set -gx NAME '...' and set -e NAME lines, with fish quoting.
// ini:  "[SECTION]" then exactly aws_access_key_id, aws_secret_access_key, aws_session_token
//       and expiry_time (the last two when known), which htslib can refresh from.
// s3cfg: "[SECTION]" then access_key, secret_key, access_token (with a token), and, when the
//       expiry is known, the line "# credkit: credentials expire at TIME", which credkit
//       reads back (s3cmd and htslib ignore it).
// Values are written as they are: no AWS credential holds a line break, which the ini and
// s3cfg formats could not carry.
std::string render_credentials(const Credentials& credentials, CredentialFormat format,
                               const RenderOptions& options = {});

// Quotes a value for POSIX sh ('...' with embedded quotes escaped).
std::string shell_quote(std::string_view value);
// Quotes a value for fish.
std::string fish_quote(std::string_view value);

// Optional s3cfg settings written beside the credentials when given.
struct S3cfgSettings {
    std::optional<std::string> host_base;        // HOST[:PORT]
    std::optional<std::string> host_bucket;      // e.g. %(bucket)s.s3.amazonaws.com
    std::optional<std::string> bucket_location;  // region
};

// The comment line that records the expiry in an s3cfg, which htslib and s3cmd ignore:
// "# credkit: credentials expire at 2026-12-03T21:16:57Z".
inline constexpr std::string_view kS3cfgExpiryPrefix = "# credkit: credentials ";

// Sets the credential keys of one s3cfg section: access_key, secret_key, access_token (removed
// when there is no token), the settings given, and the expiry comment.
void apply_s3cfg(IniDocument& document, const std::string& section, const Credentials& credentials,
                 const S3cfgSettings& settings = {});

// The expiry that apply_s3cfg's comment records in a section: nothing when the section has no
// such comment (or says the keys do not expire), an error when the comment holds no time.
Result<std::optional<TimePoint>> recorded_s3cfg_expiry(const IniDocument& document,
                                                       std::string_view section);

// Makes one AWS credentials section hold exactly aws_access_key_id, aws_secret_access_key,
// aws_session_token (empty for long-term keys) and expiry_time (when known): htslib refreshes
// from such a section and misreads one with any other key.
void apply_aws_credentials(IniDocument& document, const std::string& section,
                           const Credentials& credentials);

}  // namespace credkit
