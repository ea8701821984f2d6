#include "credkit/credential_format.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "credkit/secret.hpp"
#include "credkit/timestamp.hpp"

namespace credkit {
namespace {

// What follows kS3cfgExpiryPrefix when the credentials have an expiry.
constexpr std::string_view kExpireAt = "expire at ";

// Insertion order: the documented key order is what people read and diff.
using Json = nlohmann::ordered_json;

Json time_or_null(const std::optional<TimePoint>& when) {
    return when ? Json(format_rfc3339(*when)) : Json(nullptr);
}

// The JSON tree held copies of the secrets; wipe them before its memory is given back.
std::string dump_and_wipe(Json& document) {
    // Invalid UTF-8 in a value becomes U+FFFD instead of an exception.
    std::string text = document.dump(2, ' ', false, Json::error_handler_t::replace);
    text += '\n';
    for (auto& value : document) {
        if (value.is_string()) {
            wipe_string(value.get_ref<std::string&>());
        }
    }
    return text;
}

std::string render_json(const Credentials& credentials) {
    const bool from_imds =
        credentials.origin.kind == SourceKind::imds && !credentials.origin.section.empty();
    Json document = {
        {"AccessKeyId", credentials.access_key_id},
        {"SecretAccessKey", credentials.secret_access_key.reveal()},
        {"SessionToken", credentials.has_session_token() ? Json(credentials.session_token.reveal())
                                                         : Json(nullptr)},
        {"Expiration", time_or_null(credentials.expiration)},
        {"LastUpdated", time_or_null(credentials.last_updated)},
        {"Role", from_imds ? Json(credentials.origin.section) : Json(nullptr)},
    };
    return dump_and_wipe(document);
}

// The shape botocore's credential_process provider reads; values it does not have are left
// out rather than written as null, as the AWS documentation shows the format.
std::string render_credential_process(const Credentials& credentials) {
    Json document = {
        {"Version", 1},
        {"AccessKeyId", credentials.access_key_id},
        {"SecretAccessKey", credentials.secret_access_key.reveal()},
    };
    if (credentials.has_session_token()) {
        document["SessionToken"] = credentials.session_token.reveal();
    }
    if (credentials.expiration) {
        document["Expiration"] = format_rfc3339(*credentials.expiration);
    }
    return dump_and_wipe(document);
}

// The variables a shell export sets, in order; a missing value means "unset it", so that
// values left in the shell by earlier credentials cannot mix with these.
struct ShellVariable {
    std::string_view name;
    std::optional<std::string> value;
};

std::vector<ShellVariable> shell_variables(const Credentials& credentials) {
    std::optional<std::string> token;
    if (credentials.has_session_token()) {
        token = credentials.session_token.reveal();
    }
    std::optional<std::string> expiration;
    if (credentials.expiration) {
        expiration = format_rfc3339(*credentials.expiration);
    }

    std::vector<ShellVariable> variables;
    // botocore reads the legacy AWS_SECURITY_TOKEN before AWS_SESSION_TOKEN: a stale one left
    // in the shell would pair an old token with the new keys.
    variables.push_back({"AWS_SECURITY_TOKEN", std::nullopt});
    variables.push_back({"AWS_ACCESS_KEY_ID", credentials.access_key_id});
    variables.push_back({"AWS_SECRET_ACCESS_KEY", credentials.secret_access_key.reveal()});
    variables.push_back({"AWS_SESSION_TOKEN", std::move(token)});
    variables.push_back({"AWS_CREDENTIAL_EXPIRATION", std::move(expiration)});
    return variables;
}

// How one shell sets and unsets an exported variable.
struct ShellSyntax {
    std::string_view set;  // followed by NAME, `separator` and the quoted value
    char separator;
    std::string_view unset;  // followed by NAME
    std::string (*quote)(std::string_view);
};

constexpr ShellSyntax kPosixShell{"export ", '=', "unset ", shell_quote};
constexpr ShellSyntax kFish{"set -gx ", ' ', "set -e ", fish_quote};

std::string render_shell(const Credentials& credentials, const ShellSyntax& syntax) {
    std::string text;
    for (auto& [name, value] : shell_variables(credentials)) {
        if (value) {
            text +=
                fmt::format("{}{}{}{}\n", syntax.set, name, syntax.separator, syntax.quote(*value));
            wipe_string(*value);
        } else {
            text += fmt::format("{}{}\n", syntax.unset, name);
        }
    }
    return text;
}

// Renders one section into a new document, so that a fresh file and an updated one come out
// the same.
template <typename Apply>
std::string render_section(const RenderOptions& options, Apply apply) {
    IniDocument document;
    apply(document, options.section);
    return document.str();
}

// Wraps `value` in single quotes, writing each character listed in `special` as its
// replacement.
template <std::size_t N>
std::string quote_with(std::string_view value,
                       const std::array<std::pair<char, std::string_view>, N>& special) {
    std::string out = "'";
    for (const char c : value) {
        const auto* match =
            std::ranges::find(special, c, &std::pair<char, std::string_view>::first);
        if (match != special.end()) {
            out += match->second;
        } else {
            out += c;
        }
    }
    out += '\'';
    return out;
}

}  // namespace

Result<CredentialFormat> parse_credential_format(std::string_view name) {
    for (const CredentialFormat format : kCredentialFormats) {
        if (format_name(format) == name) {
            return format;
        }
    }
    std::string valid;
    for (const CredentialFormat format : kCredentialFormats) {
        valid += valid.empty() ? "" : ", ";
        valid += format_name(format);
    }
    return fail(ErrorKind::usage, fmt::format("unknown credential format '{}'", name),
                "valid formats are " + valid);
}

std::string_view format_name(CredentialFormat format) {
    switch (format) {
        case CredentialFormat::json:
            return "json";
        case CredentialFormat::credential_process:
            return "credential-process";
        case CredentialFormat::env:
            return "env";
        case CredentialFormat::fish:
            return "fish";
        case CredentialFormat::ini:
            return "ini";
        case CredentialFormat::s3cfg:
            return "s3cfg";
    }
    return "unknown";
}

std::string render_credentials(const Credentials& credentials, CredentialFormat format,
                               const RenderOptions& options) {
    switch (format) {
        case CredentialFormat::json:
            return render_json(credentials);
        case CredentialFormat::credential_process:
            return render_credential_process(credentials);
        case CredentialFormat::env:
            return render_shell(credentials, kPosixShell);
        case CredentialFormat::fish:
            return render_shell(credentials, kFish);
        case CredentialFormat::ini:
            return render_section(options, [&](IniDocument& document, const std::string& section) {
                apply_aws_credentials(document, section, credentials);
            });
        case CredentialFormat::s3cfg:
            return render_section(options, [&](IniDocument& document, const std::string& section) {
                apply_s3cfg(document, section, credentials);
            });
    }
    return {};
}

// Inside POSIX single quotes nothing is special but the quote itself, which cannot be escaped:
// close the quotes, write an escaped quote, and reopen them.
std::string shell_quote(std::string_view value) {
    static constexpr std::array<std::pair<char, std::string_view>, 1> kSpecial{{{'\'', R"('\'')"}}};
    return quote_with(value, kSpecial);
}

// Inside fish's single quotes a backslash escapes only a quote or another backslash.
std::string fish_quote(std::string_view value) {
    static constexpr std::array<std::pair<char, std::string_view>, 2> kSpecial{
        {{'\\', R"(\\)"}, {'\'', R"(\')"}}};
    return quote_with(value, kSpecial);
}

void apply_s3cfg(IniDocument& document, const std::string& section, const Credentials& credentials,
                 const S3cfgSettings& settings) {
    document.set(section, "access_key", credentials.access_key_id);
    document.set(section, "secret_key", credentials.secret_access_key.reveal());
    if (credentials.has_session_token()) {
        document.set(section, "access_token", credentials.session_token.reveal());
    } else {
        document.remove(section, "access_token");
    }
    const auto set_if_given = [&](std::string_view key, const std::optional<std::string>& value) {
        if (value) {
            document.set(section, key, *value);
        }
    };
    set_if_given("host_base", settings.host_base);
    set_if_given("host_bucket", settings.host_bucket);
    set_if_given("bucket_location", settings.bucket_location);
    document.set_comment(section, kS3cfgExpiryPrefix,
                         credentials.expiration
                             ? std::string(kExpireAt) + format_rfc3339(*credentials.expiration)
                             : std::string("do not expire"));
}

Result<std::optional<TimePoint>> recorded_s3cfg_expiry(const IniDocument& document,
                                                       std::string_view section) {
    const auto comment = document.comment(section, kS3cfgExpiryPrefix);
    if (!comment || !comment->starts_with(kExpireAt)) {
        return std::nullopt;
    }
    auto when = parse_rfc3339(std::string_view(*comment).substr(kExpireAt.size()));
    if (!when) {
        return fail(ErrorKind::usage, "cannot read the expiry credkit recorded",
                    "credkit's expiry comment holds no RFC 3339 time");
    }
    return std::optional(*when);
}

void apply_aws_credentials(IniDocument& document, const std::string& section,
                           const Credentials& credentials) {
    document.keep_only(section, {});
    document.set(section, "aws_access_key_id", credentials.access_key_id);
    document.set(section, "aws_secret_access_key", credentials.secret_access_key.reveal());
    // Written even when empty: htslib's re-read only replaces the keys the file holds, so a
    // missing line would leave it pairing new long-term keys with an old session token.
    document.set(section, "aws_session_token", credentials.session_token.reveal());
    if (credentials.expiration) {
        document.set(section, "expiry_time", format_rfc3339(*credentials.expiration));
    }
}

}  // namespace credkit
