#include "credkit/credential_source.hpp"

#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "credkit/credential_format.hpp"
#include "credkit/imds_client.hpp"

namespace credkit {
namespace {

// What follows kS3cfgExpiryPrefix in the comment when the expiry is known.
constexpr std::string_view kExpiresAt = "expire at ";

std::filesystem::path home_path(const Environment& env, std::string_view relative) {
    const std::string home = env.non_empty("HOME").value_or("");
    return std::filesystem::path(home) / relative;
}

Error no_credentials(std::string what, std::string why, std::string hint = {}) {
    return make_error(ErrorKind::no_credentials, std::move(what), std::move(why), std::move(hint));
}

Result<IniDocument> read_ini(const std::filesystem::path& file) {
    auto text = read_text_file(file);
    if (!text) {
        return fail(std::move(text.error()));
    }
    auto document = IniDocument::parse(*text, file.string());
    wipe_string(*text);
    return document;
}

Result<TimePoint> expiry_from_text(const std::string& text, std::string_view where) {
    auto parsed = parse_rfc3339(text);
    if (!parsed) {
        return fail(ErrorKind::usage, fmt::format("invalid expiry in {}", where),
                    parsed.error().why, parsed.error().hint);
    }
    return *parsed;
}

}  // namespace

Result<SourceSpec> parse_source(std::string_view text) {
    const auto colon = text.find(':');
    const std::string_view name = text.substr(0, colon);
    const std::string argument =
        colon == std::string_view::npos ? "" : std::string(text.substr(colon + 1));
    const auto bad = [&](std::string why) {
        return fail(ErrorKind::usage, fmt::format("invalid --source '{}'", text), std::move(why),
                    "use auto, env, profile[:NAME], s3cfg[:PATH] or imds");
    };
    if (colon != std::string_view::npos && argument.empty()) {
        return bad("nothing follows the ':'");
    }
    if (name == "profile" || name == "s3cfg") {
        return SourceSpec{name == "profile" ? SourceSpec::Kind::profile : SourceSpec::Kind::s3cfg,
                          argument};
    }
    if (colon != std::string_view::npos) {
        return bad(fmt::format("'{}' takes no argument", name));
    }
    if (name == "auto") {
        return SourceSpec{SourceSpec::Kind::automatic, {}};
    }
    if (name == "env") {
        return SourceSpec{SourceSpec::Kind::env, {}};
    }
    if (name == "imds") {
        return SourceSpec{SourceSpec::Kind::imds, {}};
    }
    return bad("unknown source");
}

std::string effective_profile(const std::optional<std::string>& given, const Environment& env) {
    if (given && !given->empty()) {
        return *given;
    }
    if (auto profile = env.non_empty("AWS_DEFAULT_PROFILE")) {
        return *profile;
    }
    return env.non_empty("AWS_PROFILE").value_or("default");
}

std::filesystem::path shared_credentials_path(const Environment& env) {
    if (auto path = env.non_empty("AWS_SHARED_CREDENTIALS_FILE")) {
        return *path;
    }
    return home_path(env, ".aws/credentials");
}

std::filesystem::path s3cfg_path(const Environment& env) {
    if (auto path = env.non_empty("HTS_S3_S3CFG")) {
        return *path;
    }
    return home_path(env, ".s3cfg");
}

Result<std::string> read_text_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        std::error_code ignored;
        if (!std::filesystem::exists(path, ignored)) {
            return fail(no_credentials(fmt::format("cannot read {}", path.string()),
                                       "the file does not exist"));
        }
        return fail(ErrorKind::failure, fmt::format("cannot read {}", path.string()),
                    "permission denied or not a regular file");
    }
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

Result<Credentials> credentials_from_env(const Environment& env) {
    const auto key_id = env.non_empty("AWS_ACCESS_KEY_ID");
    if (!key_id) {
        return fail(
            no_credentials("no credentials in the environment", "AWS_ACCESS_KEY_ID is not set"));
    }
    const auto secret = env.non_empty("AWS_SECRET_ACCESS_KEY");
    if (!secret) {
        // botocore stops at half-set variables rather than looking further; so do we.
        return fail(ErrorKind::failure, "incomplete credentials in the environment",
                    "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not",
                    "set both, or unset AWS_ACCESS_KEY_ID");
    }
    Credentials credentials;
    credentials.access_key_id = *key_id;
    credentials.secret_access_key = Secret(*secret);
    // botocore reads the legacy name first.
    if (auto token = env.non_empty("AWS_SECURITY_TOKEN")) {
        credentials.session_token = Secret(*token);
    } else if (auto session = env.non_empty("AWS_SESSION_TOKEN")) {
        credentials.session_token = Secret(*session);
    }
    if (auto expiry = env.non_empty("AWS_CREDENTIAL_EXPIRATION")) {
        auto parsed = expiry_from_text(*expiry, "AWS_CREDENTIAL_EXPIRATION");
        if (!parsed) {
            return fail(std::move(parsed.error()));
        }
        credentials.expiration = *parsed;
    }
    credentials.origin = CredentialOrigin{SourceKind::env, "AWS_ACCESS_KEY_ID", {}};
    return credentials;
}

std::optional<TimePoint> section_expiry(const IniDocument& document, std::string_view section) {
    for (const char* key : {"expiry_time", "aws_expiration", "aws_credential_expiration",
                            "x_security_token_expires", "expiration"}) {
        if (auto value = document.get(section, key)) {
            if (auto parsed = parse_rfc3339(*value)) {
                return *parsed;
            }
        }
    }
    return std::nullopt;
}

Result<Credentials> credentials_from_profile(const std::filesystem::path& file,
                                             const std::string& profile) {
    auto document = read_ini(file);
    if (!document) {
        return fail(std::move(document.error()));
    }
    const auto key_id = document->get(profile, "aws_access_key_id");
    const auto secret = document->get(profile, "aws_secret_access_key");
    if (!key_id || key_id->empty() || !secret || secret->empty()) {
        const bool has = document->has_section(profile);
        return fail(no_credentials(
            fmt::format("no credentials for profile '{}' in {}", profile, file.string()),
            has ? "the section lacks aws_access_key_id or aws_secret_access_key"
                : "the file has no such section"));
    }
    Credentials credentials;
    credentials.access_key_id = *key_id;
    credentials.secret_access_key = Secret(*secret);
    auto token = document->get(profile, "aws_session_token");
    if (!token) {
        token = document->get(profile, "aws_security_token");
    }
    if (token) {
        credentials.session_token = Secret(*token);
    }
    credentials.expiration = section_expiry(*document, profile);
    credentials.origin =
        CredentialOrigin{SourceKind::shared_credentials_file, file.string(), profile};
    return credentials;
}

Result<Credentials> credentials_from_s3cfg(const std::filesystem::path& file,
                                           const std::string& section) {
    auto document = read_ini(file);
    if (!document) {
        return fail(std::move(document.error()));
    }
    const auto key_id = document->get(section, "access_key");
    const auto secret = document->get(section, "secret_key");
    if (!key_id || key_id->empty() || !secret || secret->empty()) {
        return fail(no_credentials(
            fmt::format("no credentials in section [{}] of {}", section, file.string()),
            document->has_section(section) ? "the section lacks access_key or secret_key"
                                           : "the file has no such section"));
    }
    Credentials credentials;
    credentials.access_key_id = *key_id;
    credentials.secret_access_key = Secret(*secret);
    if (auto token = document->get(section, "access_token"); token && !token->empty()) {
        credentials.session_token = Secret(*token);
    }
    if (auto comment = document->comment(section, kS3cfgExpiryPrefix);
        comment && comment->starts_with(kExpiresAt)) {
        if (auto parsed = parse_rfc3339(comment->substr(kExpiresAt.size()))) {
            credentials.expiration = *parsed;
        }
    }
    credentials.origin = CredentialOrigin{SourceKind::s3cfg, file.string(), section};
    return credentials;
}

Result<Credentials> resolve_credentials(const SourceSpec& spec, SourceContext& context) {
    const std::string profile = effective_profile(context.profile, context.env);
    const auto from_imds = [&]() -> Result<Credentials> {
        ImdsClient imds(context.imds, context.http, context.clock, context.log);
        return imds.fetch_credentials();
    };
    switch (spec.kind) {
        case SourceSpec::Kind::env:
            return credentials_from_env(context.env);
        case SourceSpec::Kind::profile:
            return credentials_from_profile(shared_credentials_path(context.env),
                                            spec.argument.empty() ? profile : spec.argument);
        case SourceSpec::Kind::s3cfg:
            return credentials_from_s3cfg(spec.argument.empty()
                                              ? s3cfg_path(context.env)
                                              : std::filesystem::path(spec.argument),
                                          profile);
        case SourceSpec::Kind::imds:
            return from_imds();
        case SourceSpec::Kind::automatic:
            break;
    }

    // auto: the first source that has credentials; one that is broken stops the search. A
    // profile named explicitly hides the environment's keys, as it does in botocore.
    const bool explicit_profile = context.profile && !context.profile->empty();
    for (int step = explicit_profile ? 1 : 0; step < 2; ++step) {
        auto found = step == 0
                         ? credentials_from_env(context.env)
                         : credentials_from_profile(shared_credentials_path(context.env), profile);
        if (found || found.error().kind != ErrorKind::no_credentials) {
            return found;
        }
        context.log.debug("source auto: skipped: {}", format_error(found.error()));
    }
    return from_imds();
}

}  // namespace credkit
