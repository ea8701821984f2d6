#include "credkit/s3cmd_model.hpp"

// s3cmd 2.3 (S3/Config.py, S3/S3.py and main() in /usr/bin/s3cmd), run without -c:
//
//  1. The config file is $S3CMD_CONFIG when that is not empty, else ~/.s3cfg. s3cmd's own
//     reader takes `key = value` lines from every section, a later line winning; a value
//     "$NAME" stands for the environment variable NAME.
//  2. Only when that file is missing, and AWS_PROFILE or AWS_CREDENTIAL_FILE is set, it reads
//     the AWS credentials file (AWS_CREDENTIAL_FILE, else ~/.aws/credentials) with Python's
//     configparser, profile $AWS_PROFILE or "default".
//  3. Still no access key: AWS_ACCESS_KEY or AWS_ACCESS_KEY_ID, with AWS_SECRET_KEY or
//     AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN or AWS_SECURITY_TOKEN.
//  4. Still none: the instance role, asked at http://169.254.169.254 whatever the AWS_EC2_*
//     variables say (or STS, when AWS_ROLE_ARN is set). Nothing there: s3cmd stops.
//
// Before every request that carries a session token, s3cmd refreshes "its role" unless the
// token came from the environment: keys from a file with a token are replaced by the
// instance role's as soon as the metadata service gives any.

#include <algorithm>
#include <cctype>
#include <expected>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "credkit/imds_settings.hpp"
#include "credkit/python_configparser.hpp"

namespace credkit {
namespace {

constexpr std::string_view kRoleEndpoint = kImdsIpv4Endpoint;
// s3cmd renews role keys this long before they expire (Config.role_config).
constexpr std::chrono::minutes kRefreshAhead{15};
// Far more "$NAME" steps than any real config has; past it the variables form a circle, which
// s3cmd follows until Python's recursion limit stops it.
constexpr int kMaxReferences = 100;

// ---- text as Python reads it ----------------------------------------------------------------

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

bool is_word(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
}

std::string_view skip_spaces(std::string_view text) {
    while (!text.empty() && is_space(text.front())) {
        text.remove_prefix(1);
    }
    return text;
}

std::string_view strip(std::string_view text) {
    text = skip_spaces(text);
    while (!text.empty() && is_space(text.back())) {
        text.remove_suffix(1);
    }
    return text;
}

std::string lowercase(std::string_view text) {
    std::string out(text);
    std::ranges::transform(out, out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
    std::string out;
    for (const auto& part : parts) {
        out += (out.empty() ? "" : std::string(separator)) + part;
    }
    return out;
}

// ---- "$NAME" values -------------------------------------------------------------------------

// What Config.update_option makes of a value: "$NAME" is replaced by the variable, again while
// the result starts with '$'; an unset variable leaves the option as it was.
struct Reference {
    std::optional<std::string> value;  // nothing: the option keeps its earlier value
    std::string variable;              // the last variable looked up; "" when none
    bool endless = false;              // the variables refer to each other in a circle
};

Reference resolve_reference(std::string value, const Environment& env) {
    Reference out;
    for (int step = 0; step < kMaxReferences; ++step) {
        if (!value.starts_with('$')) {
            out.value = std::move(value);
            return out;
        }
        out.variable = value.substr(1);
        auto found = env.get(out.variable);
        if (!found) {
            return out;
        }
        value = std::move(*found);
    }
    out.endless = true;
    return out;
}

// ---- s3cmd's own config reader (S3/Config.py, ConfigParser) --------------------------------

struct S3cfgOption {
    std::string value;    // unquoted and stripped, before any "$NAME" is looked up
    std::string section;  // "" before the first header
};

struct S3cfgFile {
    std::vector<std::string> sections;  // in file order, each once
    std::map<std::string, S3cfgOption, std::less<>> options;
};

// "[name]" at the very start of the line: a name of at least one character up to the first ']'.
std::optional<std::string> s3cfg_header(std::string_view line) {
    if (!line.starts_with('[')) {
        return std::nullopt;
    }
    const auto close = line.find(']', 1);
    if (close == std::string_view::npos || close < 2) {
        return std::nullopt;
    }
    return std::string(line.substr(1, close - 1));
}

// "key = value" with a key of word characters and '=' (a "key: value" line is not data).
std::optional<std::pair<std::string, std::string_view>> s3cfg_entry(std::string_view line) {
    auto rest = skip_spaces(line);
    std::size_t length = 0;
    while (length < rest.size() && is_word(rest[length])) {
        ++length;
    }
    if (length == 0) {
        return std::nullopt;
    }
    std::string key(rest.substr(0, length));
    rest = skip_spaces(rest.substr(length));
    if (!rest.starts_with('=')) {
        return std::nullopt;
    }
    return std::pair{std::move(key), skip_spaces(rest.substr(1))};
}

// A value that starts with '"' and ends with '"' before trailing blanks loses its first and
// last characters (the last being a blank when there are some), then is stripped.
std::string s3cfg_value(std::string_view raw) {
    const auto trimmed = strip(raw);
    if (raw.starts_with('"') && trimmed.size() >= 2 && trimmed.ends_with('"')) {
        raw = raw.substr(1, raw.size() - 2);
    }
    return std::string(strip(raw));
}

// Every section counts and a later line wins; a line of blanks then '#' is a comment; a line
// that is neither header nor data is ignored with a warning.
S3cfgFile parse_s3cfg(std::string_view text) {
    S3cfgFile file;
    std::string section;
    for (const auto line : universal_lines(text)) {
        const auto body = skip_spaces(line);
        if (body.empty() || body.starts_with('#')) {
            continue;
        }
        if (auto header = s3cfg_header(line)) {
            section = std::move(*header);
            if (std::ranges::find(file.sections, section) == file.sections.end()) {
                file.sections.push_back(section);
            }
        } else if (auto entry = s3cfg_entry(line)) {
            file.options[entry->first] = S3cfgOption{s3cfg_value(entry->second), section};
        }
    }
    return file;
}

// ---- the AWS credentials file through Python's configparser --------------------------------

// The file as s3cmd reads it: without any section header, as if it began with "[default]".
std::expected<ConfigParserFile, ConfigParserError> read_credentials_ini(std::string_view text) {
    auto ini = read_configparser(text);
    if (!ini && ini.error().kind == ConfigParserError::Kind::missing_header) {
        return read_configparser("[default]\n" + std::string(text));
    }
    return ini;
}

// The configparser error as credkit words it for s3cmd, which stops with a parameter problem
// on a ParsingError and with an unexpected error on a repeated section or option.
std::string credentials_ini_error(const ConfigParserError& error, const std::string& path) {
    switch (error.kind) {
        case ConfigParserError::Kind::duplicate_section:
            return fmt::format(
                "s3cmd stops with an unexpected error reading {}: section [{}] appears "
                "again on line {}",
                path, error.section, error.line);
        case ConfigParserError::Kind::duplicate_option:
            return fmt::format(
                "s3cmd stops with an unexpected error reading {}: {} appears again in "
                "[{}] on line {}",
                path, error.option, error.section, error.line);
        case ConfigParserError::Kind::missing_header:
        case ConfigParserError::Kind::bad_line:
            break;
    }
    return fmt::format("s3cmd stops with a parameter problem reading {}: cannot parse line {}",
                       path, error.line);
}

// ---- the instance role ----------------------------------------------------------------------

// What s3cmd's role_config would get from http://169.254.169.254, as the probe saw it.
struct RoleAnswer {
    bool probed = false;  // whether the probe asked where s3cmd asks
    std::optional<Credentials> credentials;
    std::string role;
    std::string why_not;  // when no credentials
    bool over_v1 = false;
};

bool is_role_endpoint(std::string endpoint) {
    while (endpoint.ends_with('/')) {
        endpoint.pop_back();
    }
    if (endpoint.ends_with(":80")) {
        endpoint.resize(endpoint.size() - 3);
    }
    return lowercase(endpoint) == kRoleEndpoint;
}

std::string unprobed_reason(const MachineView& view) {
    const auto disabled = view.env.get("AWS_EC2_METADATA_DISABLED");
    const std::string ignores = disabled && lowercase(*disabled) == "true"
                                    ? "; s3cmd ignores AWS_EC2_METADATA_DISABLED"
                                    : "";
    if (view.imds) {
        return fmt::format(
            "diagnose probed {} instead (s3cmd ignores "
            "AWS_EC2_METADATA_SERVICE_ENDPOINT){}",
            view.imds->endpoint, ignores);
    }
    const std::string why =
        view.imds_not_probed_reason.empty() ? "probes are off" : view.imds_not_probed_reason;
    return fmt::format("diagnose did not probe it ({}){}", why, ignores);
}

// s3cmd PUTs for a token (60 s TTL, 2 s timeout); when that gives no 200 it lists the roles
// without one. A token that came back but gets no credentials is not retried over IMDSv1.
RoleAnswer ask_role(const MachineView& view) {
    if (!view.imds || !is_role_endpoint(view.imds->endpoint)) {
        return RoleAnswer{false, std::nullopt, {}, unprobed_reason(view), false};
    }
    const ImdsProbe& probe = *view.imds;
    const bool v2 = probe.token.answered(200);
    const auto& credentials = v2 ? probe.credentials_v2 : probe.credentials_v1;
    const auto& problem = v2 ? probe.v2_problem : probe.v1_problem;
    RoleAnswer answer{true, credentials, probe.role.value_or(""), {}, !v2};
    if (!credentials) {
        answer.why_not = fmt::format("it gives no role credentials ({})",
                                     problem.value_or("the probe did not ask as s3cmd does"));
    }
    return answer;
}

std::string role_refresh_note(const Credentials& credentials, TimePoint now, bool over_v1) {
    const std::string v1 = over_v1 ? ", over IMDSv1 because the token PUT failed" : "";
    if (credentials.last_updated && *credentials.last_updated > now) {
        return fmt::format(
            "the role's LastUpdated is ahead of this clock, so s3cmd asks {} "
            "again before every request{}",
            kRoleEndpoint, v1);
    }
    if (!credentials.expiration) {
        return fmt::format("s3cmd asks {} again 15 minutes before expiry{}", kRoleEndpoint, v1);
    }
    const TimePoint renew = *credentials.expiration - kRefreshAhead;
    if (renew <= now) {
        return fmt::format(
            "under 15 minutes to expiry, so s3cmd asks {} again before every "
            "request{}",
            kRoleEndpoint, v1);
    }
    return fmt::format(
        "s3cmd asks {} again before the first request after {} (15 minutes "
        "before expiry){}",
        kRoleEndpoint, format_rfc3339(renew), v1);
}

SourceUse role_source(const RoleAnswer& answer, TimePoint now) {
    const Credentials& credentials = *answer.credentials;
    SourceUse source;
    source.method = "iam-role";
    source.location = std::string(kRoleEndpoint);
    source.section = answer.role.empty() ? credentials.origin.section : answer.role;
    source.access_key_id = credentials.access_key_id;
    source.has_session_token = credentials.has_session_token();
    source.expires = credentials.expiration;
    source.refreshes = true;
    source.refresh_note = role_refresh_note(credentials, now, answer.over_v1);
    return source;
}

// ---- the model ------------------------------------------------------------------------------

SourceUse origin(std::string method, std::string location, std::string section) {
    SourceUse source;
    source.method = std::move(method);
    source.location = std::move(location);
    source.section = std::move(section);
    return source;
}

// Config's three credential attributes as s3cmd holds them after start-up, and where the
// access key came from.
struct Held {
    std::string access_key;
    std::string secret_key;
    std::string access_token;
    std::string token_origin;     // the file or variable the session token came from
    bool token_from_env = false;  // a token from the environment turns role refresh off
    SourceUse origin;             // method, location and section of the access key
    std::string note;             // how s3cmd keeps these keys, for refresh_note
};

class S3cmdModel {
public:
    explicit S3cmdModel(const MachineView& view) : view_(view) { verdict_.tool = Tool::s3cmd; }

    ToolVerdict run();

private:
    [[nodiscard]] std::filesystem::path config_path() const;
    void read_config(const std::filesystem::path& path, const std::string& text);
    void skip_config_without_key(const std::filesystem::path& path, const S3cfgFile& file,
                                 const Reference& key);
    std::optional<Reference> config_option(const S3cfgFile& file, std::string_view key,
                                           const std::filesystem::path& path);
    void read_credentials_file();
    [[nodiscard]] std::optional<std::pair<std::filesystem::path, std::string>> credentials_file()
        const;
    void read_profile(const std::filesystem::path& path, const ConfigParserFile& ini,
                      const std::string& profile);
    bool take_file_value(std::string& into, const std::string& raw,
                         const std::filesystem::path& path);
    void read_environment();
    void use_role_at_start();
    void use_held_keys();
    void refresh_through_role(SourceUse source);
    void skip(std::string method, std::string reason) {
        verdict_.skipped.push_back(SkippedSource{std::move(method), std::move(reason)});
    }
    void fail(std::string why) {
        if (!verdict_.failure) {
            verdict_.failure = std::move(why);
        }
    }

    const MachineView& view_;
    ToolVerdict verdict_;
    Held held_;
};

ToolVerdict S3cmdModel::run() {
    const auto path = config_path();
    if (const auto file = view_.files.read(path)) {
        read_config(path, file->text);
    } else {
        skip("s3cfg", fmt::format("{} does not exist or cannot be read", path.string()));
        read_credentials_file();
    }
    if (!verdict_.failure && held_.access_key.empty()) {
        read_environment();
    }
    if (verdict_.failure) {
        return verdict_;
    }
    if (held_.access_key.empty()) {
        use_role_at_start();
    } else {
        use_held_keys();
    }
    return verdict_;
}

std::filesystem::path S3cmdModel::config_path() const {
    if (auto named = view_.env.non_empty("S3CMD_CONFIG")) {
        return *named;
    }
    return view_.home / ".s3cfg";
}

void S3cmdModel::read_config(const std::filesystem::path& path, const std::string& text) {
    const S3cfgFile file = parse_s3cfg(text);
    verdict_.profile = join(file.sections, ",");
    const auto key = config_option(file, "access_key", path);
    const auto secret = config_option(file, "secret_key", path);
    const auto token = config_option(file, "access_token", path);
    if (!key || !secret || !token) {
        return;
    }
    held_.access_key = key->value.value_or("");
    held_.secret_key = secret->value.value_or("");
    held_.access_token = token->value.value_or("");
    if (!held_.access_token.empty()) {
        held_.token_origin = path.string();
    }
    if (held_.access_key.empty()) {
        skip_config_without_key(path, file, *key);
        return;
    }
    held_.origin = origin("s3cfg", path.string(), file.options.find("access_key")->second.section);
    held_.note = fmt::format("s3cmd reads {} once at start{}", path.string(),
                             key->variable.empty() ? "" : ", access_key from $" + key->variable);
}

// The option's value after "$NAME" lookups; nothing (and a failure) when they never end.
std::optional<Reference> S3cmdModel::config_option(const S3cfgFile& file, std::string_view key,
                                                   const std::filesystem::path& path) {
    const auto found = file.options.find(key);
    if (found == file.options.end()) {
        return Reference{};
    }
    auto reference = resolve_reference(found->second.value, view_.env);
    if (reference.endless) {
        fail(
            fmt::format("{} in {} names environment variables that name each other in a "
                        "circle: s3cmd stops with a recursion error",
                        key, path.string()));
        return std::nullopt;
    }
    return reference;
}

void S3cmdModel::skip_config_without_key(const std::filesystem::path& path, const S3cfgFile& file,
                                         const Reference& key) {
    std::string reason;
    if (!file.options.contains("access_key")) {
        reason = fmt::format("{} has no access_key line", path.string());
    } else if (!key.value) {
        reason =
            fmt::format("access_key in {} is ${}, which is not set", path.string(), key.variable);
    } else {
        reason = fmt::format("access_key in {} is empty", path.string());
    }
    skip("s3cfg", std::move(reason));
    skip("shared-credentials-file",
         "s3cmd reads the AWS credentials file only when its own config file is missing");
}

void S3cmdModel::read_credentials_file() {
    if (!view_.env.get("AWS_PROFILE") && !view_.env.get("AWS_CREDENTIAL_FILE")) {
        skip("shared-credentials-file",
             "with its config file missing, s3cmd reads the AWS credentials file only when "
             "AWS_PROFILE or AWS_CREDENTIAL_FILE is set, and neither is");
        return;
    }
    const auto file = credentials_file();
    if (!file) {
        skip("shared-credentials-file",
             fmt::format("{} does not exist (s3cmd reads AWS_CREDENTIAL_FILE or "
                         "~/.aws/credentials, never AWS_SHARED_CREDENTIALS_FILE)",
                         (view_.home / ".aws" / "credentials").string()));
        return;
    }
    const std::string profile = view_.env.get("AWS_PROFILE").value_or("default");
    verdict_.profile = profile;
    const auto ini = read_credentials_ini(file->second);
    if (!ini) {
        fail(credentials_ini_error(ini.error(), file->first.string()));
        return;
    }
    read_profile(file->first, *ini, profile);
}

// AWS_CREDENTIAL_FILE when it names a file, else ~/.aws/credentials when that is one.
std::optional<std::pair<std::filesystem::path, std::string>> S3cmdModel::credentials_file() const {
    if (auto named = view_.env.non_empty("AWS_CREDENTIAL_FILE")) {
        if (auto file = view_.files.read(*named)) {
            return std::pair{std::filesystem::path(*named), std::move(file->text)};
        }
    }
    auto standard = view_.home / ".aws" / "credentials";
    if (auto file = view_.files.read(standard)) {
        return std::pair{std::move(standard), std::move(file->text)};
    }
    return std::nullopt;
}

// s3cmd's get_key: the key in the profile, else its legacy name in [default]. A missing
// section ends the reading (with a warning), keeping what was read before.
void S3cmdModel::read_profile(const std::filesystem::path& path, const ConfigParserFile& ini,
                              const std::string& profile) {
    struct Key {
        std::string* into;
        std::string_view name;
        std::string_view legacy;
    };
    const Key keys[] = {{&held_.access_key, "aws_access_key_id", "awsaccesskeyid"},
                        {&held_.secret_key, "aws_secret_access_key", "awssecretkey"},
                        {&held_.access_token, "aws_session_token", ""}};
    std::string stopped;
    std::string key_section = profile;
    for (const Key& key : keys) {
        std::string section = profile;
        auto found = ini.get(section, key.name, Interpolation::basic);
        if (found.found == ConfigParserValue::Found::no_option && !key.legacy.empty()) {
            section = "default";
            found = ini.get(section, key.legacy, Interpolation::basic);
        }
        if (found.found == ConfigParserValue::Found::no_section) {
            stopped = fmt::format("{} has no [{}] section", path.string(), section);
            break;
        }
        if (found.found == ConfigParserValue::Found::bad_value) {
            fail(
                fmt::format("s3cmd stops with an unexpected error: {} in {} [{}] cannot be "
                            "read by Python's configparser: {}",
                            key.name, path.string(), section, found.value));
            return;
        }
        if (found.found != ConfigParserValue::Found::value || found.value.empty()) {
            continue;
        }
        if (!take_file_value(*key.into, found.value, path)) {
            return;
        }
        if (key.into == &held_.access_key) {
            key_section = section;
        }
    }
    if (held_.access_key.empty()) {
        skip("shared-credentials-file",
             stopped.empty()
                 ? fmt::format("{} [{}] has no aws_access_key_id", path.string(), profile)
                 : stopped);
        return;
    }
    if (!held_.access_token.empty()) {
        held_.token_origin = path.string();
    }
    held_.origin = origin("shared-credentials-file", path.string(), key_section);
    held_.note = fmt::format("s3cmd reads {} once at start", path.string());
}

// Sets a key from a file value after its "$NAME" lookups; false (and a failure) when they
// never end.
bool S3cmdModel::take_file_value(std::string& into, const std::string& raw,
                                 const std::filesystem::path& path) {
    auto reference = resolve_reference(raw, view_.env);
    if (reference.endless) {
        fail(
            fmt::format("a value in {} names environment variables that name each other in "
                        "a circle: s3cmd stops with a recursion error",
                        path.string()));
        return false;
    }
    if (reference.value) {
        into = std::move(*reference.value);
    }
    return true;
}

void S3cmdModel::read_environment() {
    const auto first_set = [&](std::string_view a, std::string_view b) {
        if (auto value = view_.env.non_empty(a)) {
            return std::pair{std::string(a), std::move(*value)};
        }
        return std::pair{std::string(b), view_.env.non_empty(b).value_or("")};
    };
    auto [key_name, key] = first_set("AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID");
    if (key.empty()) {
        skip("env", "AWS_ACCESS_KEY and AWS_ACCESS_KEY_ID are unset or empty");
        return;
    }
    auto secret = first_set("AWS_SECRET_KEY", "AWS_SECRET_ACCESS_KEY").second;
    if (secret.empty()) {
        fail(
            fmt::format("{} is set but neither AWS_SECRET_KEY nor AWS_SECRET_ACCESS_KEY is: "
                        "s3cmd stops with a parameter problem",
                        key_name));
        return;
    }
    held_.access_key = std::move(key);
    held_.secret_key = std::move(secret);
    auto token = first_set("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN").second;
    if (!token.empty()) {
        held_.access_token = std::move(token);
        held_.token_origin = "the environment";
        held_.token_from_env = true;
    }
    held_.origin = origin("env", key_name, {});
    held_.note = held_.token_from_env
                     ? "s3cmd keeps these for the whole run: a session token from the "
                       "environment turns its role refresh off"
                     : "s3cmd reads the environment once at start";
}

void S3cmdModel::use_role_at_start() {
    if (view_.env.non_empty("AWS_ROLE_ARN")) {
        skip("iam-role",
             "AWS_ROLE_ARN is set, so s3cmd asks STS (sts.amazonaws.com) to assume that role "
             "instead of asking the instance role; diagnose does not model STS, and s3cmd stops "
             "if STS gives nothing");
        return;
    }
    const RoleAnswer answer = ask_role(view_);
    if (!answer.credentials) {
        skip("iam-role", fmt::format("s3cmd asks {} for an instance role: {}; without one it "
                                     "stops with 'Configuration file not available'",
                                     kRoleEndpoint, answer.why_not));
        return;
    }
    verdict_.source = role_source(answer, view_.now);
}

void S3cmdModel::use_held_keys() {
    SourceUse source = held_.origin;
    source.access_key_id = held_.access_key;
    source.has_session_token = !held_.access_token.empty();
    source.refresh_note = held_.note;
    if (source.has_session_token && !held_.token_from_env) {
        refresh_through_role(std::move(source));
    } else {
        verdict_.source = std::move(source);
    }
    if (verdict_.source->method != "iam-role" && held_.secret_key.empty()) {
        fail(
            fmt::format("{} gives an access key but no secret key: s3cmd signs with an empty "
                        "secret and S3 refuses every request",
                        held_.origin.location));
    }
}

// S3Request calls role_refresh before every request with a session token; it is on unless the
// token came from the environment, and it replaces the keys whenever role_config gets any.
void S3cmdModel::refresh_through_role(SourceUse source) {
    const std::string what = fmt::format("the session token from {}", held_.token_origin);
    if (view_.env.non_empty("AWS_ROLE_ARN")) {
        source.refresh_note = fmt::format(
            "with {}, s3cmd asks STS to assume $AWS_ROLE_ARN before every request and would "
            "use those keys instead; diagnose does not model STS",
            what);
        verdict_.source = std::move(source);
        return;
    }
    const RoleAnswer answer = ask_role(view_);
    if (answer.credentials) {
        skip(source.method, fmt::format("with {}, s3cmd asks {} for the instance role before "
                                        "the first request, and the role's keys replace these",
                                        what, kRoleEndpoint));
        verdict_.source = role_source(answer, view_.now);
        return;
    }
    const std::string asks = fmt::format(
        "with {}, s3cmd asks {} for an instance role before every request", what, kRoleEndpoint);
    source.refresh_note =
        answer.probed
            ? fmt::format("{}; {}, so s3cmd warns 'Could not refresh role' and keeps these keys",
                          asks, answer.why_not)
            : fmt::format(
                  "{}: on an instance with a role, the role's keys replace these; "
                  "elsewhere it warns 'Could not refresh role' and keeps them; {}",
                  asks, answer.why_not);
    verdict_.source = std::move(source);
}

}  // namespace

ToolVerdict model_s3cmd(const MachineView& view) {
    return S3cmdModel(view).run();
}

}  // namespace credkit
