// Where credentials come from, one model for every command that needs them (--source):
//   env              AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN (or the legacy
//                    AWS_SECURITY_TOKEN, which botocore prefers), AWS_CREDENTIAL_EXPIRATION
//   profile[:NAME]   a section of the shared credentials file (AWS_SHARED_CREDENTIALS_FILE,
//                    else ~/.aws/credentials); NAME defaults to the profile in effect
//   s3cfg[:PATH]     an s3cmd-style config (PATH, else HTS_S3_S3CFG, else ~/.s3cfg), the
//                    section of the profile in effect
//   imds             the instance role, through the metadata service
//   auto             env, then the shared credentials file, then imds: the first that has
//                    credentials (a --profile given explicitly skips env, as in botocore)
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "credkit/clock.hpp"
#include "credkit/credentials.hpp"
#include "credkit/environment.hpp"
#include "credkit/error.hpp"
#include "credkit/http_client.hpp"
#include "credkit/imds_settings.hpp"
#include "credkit/ini_document.hpp"
#include "credkit/logger.hpp"

namespace credkit {

struct SourceSpec {
    enum class Kind { automatic, env, profile, s3cfg, imds };
    Kind kind = Kind::automatic;
    std::string argument;  // profile name or s3cfg path, when given
};

// Reads "auto", "env", "profile", "profile:NAME", "s3cfg", "s3cfg:PATH" or "imds".
Result<SourceSpec> parse_source(std::string_view text);

// The profile in effect: the one given (--profile), else AWS_DEFAULT_PROFILE, else
// AWS_PROFILE, else "default" (botocore's and htslib's order).
std::string effective_profile(const std::optional<std::string>& given, const Environment& env);

// Everything resolution may need, injected.
struct SourceContext {
    const Environment& env;
    HttpClient& http;
    Clock& clock;
    const Logger& log;
    ImdsSettings imds;
    std::optional<std::string> profile;  // --profile
};

Result<Credentials> resolve_credentials(const SourceSpec& spec, SourceContext& context);

// Readers for one source each; they fail with ErrorKind::no_credentials when the source
// simply has none, and with another kind when it is broken.
Result<Credentials> credentials_from_env(const Environment& env);
Result<Credentials> credentials_from_profile(const std::filesystem::path& file,
                                             const std::string& profile);
Result<Credentials> credentials_from_s3cfg(const std::filesystem::path& file,
                                           const std::string& section);

// The expiry an AWS credentials section records under any of the names in use.
std::optional<TimePoint> section_expiry(const IniDocument& document, std::string_view section);

// The files a source reads by default.
std::filesystem::path shared_credentials_path(const Environment& env);
std::filesystem::path s3cfg_path(const Environment& env);

// Reads a whole file; ErrorKind::no_credentials when it does not exist.
Result<std::string> read_text_file(const std::filesystem::path& path);

}  // namespace credkit
