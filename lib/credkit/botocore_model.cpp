// botocore's credential chain as botocore 1.43 (and the AWS CLI 1.45 on top of it) runs it,
// replayed over a MachineView. Every rule here was read from botocore's own source
// (credentials.py, session.py, configloader.py, configprovider.py, utils.py) and is checked
// against the real resolver by tests/e2e/test_diagnose_botocore.py; where botocore raises
// rather than moves on, the verdict carries a failure in botocore's sense.
//
// The files are read the way Python's configparser.RawConfigParser reads them
// (python_configparser.hpp), because which keys win depends on exactly that.
#include "credkit/botocore_model.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <expected>
#include <map>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "credkit/command_runner.hpp"
#include "credkit/python_configparser.hpp"
#include "credkit/secret.hpp"

namespace credkit {
namespace {

// ---------------------------------------------------------------------------------------
// Reading INI files as botocore does
// ---------------------------------------------------------------------------------------

// Option name (lowercased) to value.
using Options = ConfigParserOptions;

// botocore turns a value that starts on the line after its key into a nested mapping, and
// refuses the file when a line of it is not "key = value".
bool nested_value_parses(std::string_view value) {
    if (!value.starts_with('\n')) {
        return true;
    }
    for (const std::string_view line : universal_lines(value)) {
        const std::string_view body = python_strip(line);
        if (!body.empty() && body.find('=') == std::string_view::npos) {
            return false;
        }
    }
    return true;
}

// Where and why configparser refused the file, as credkit words it for botocore.
std::string parse_error_text(const ConfigParserError& error) {
    switch (error.kind) {
        case ConfigParserError::Kind::missing_header:
            return fmt::format("line {} comes before any [section] header", error.line);
        case ConfigParserError::Kind::bad_line:
            return fmt::format("line {} is neither 'key = value' nor a header", error.line);
        case ConfigParserError::Kind::duplicate_section:
            return fmt::format("line {}: section [{}] appears twice", error.line, error.section);
        case ConfigParserError::Kind::duplicate_option:
            return fmt::format("line {}: option '{}' appears twice in [{}]", error.line,
                               error.option, error.section);
    }
    return fmt::format("line {} cannot be read", error.line);
}

// botocore's raw_config_parse: the file decoded as UTF-8, read by RawConfigParser, each
// section with [DEFAULT]'s options included (the section's own winning), nested values checked.
std::expected<std::vector<ConfigParserSection>, std::string> read_botocore_ini(
    std::string_view text) {
    if (!valid_utf8(text)) {
        return std::unexpected("it is not valid UTF-8");
    }
    const auto file = read_configparser(text);
    if (!file) {
        return std::unexpected(parse_error_text(file.error()));
    }
    std::vector<ConfigParserSection> sections;
    for (const ConfigParserSection& section : file->sections) {
        Options options = file->items(section);
        for (const auto& [key, value] : options) {
            if (!nested_value_parses(value)) {
                return std::unexpected(
                    fmt::format("the value of '{}' in [{}] continues on lines that are not "
                                "'key = value'",
                                key, section.name));
            }
        }
        sections.push_back({section.name, std::move(options)});
    }
    return sections;
}

// A file as botocore's loader found it.
struct IniFile {
    enum class State { missing, parsed, broken };
    State state = State::missing;
    std::string path;                           // expanded, as botocore names it
    std::vector<ConfigParserSection> sections;  // [DEFAULT]'s options included
    std::string error;                          // broken: where and why, never a value

    [[nodiscard]] const Options* section(std::string_view name) const {
        const auto found = std::ranges::find_if(
            sections, [&](const ConfigParserSection& s) { return s.name == name; });
        return found == sections.end() ? nullptr : &found->options;
    }
    [[nodiscard]] std::string parse_failure() const {
        return fmt::format("botocore raises ConfigParseError: unable to parse {} ({})", path,
                           error);
    }
};

// ---------------------------------------------------------------------------------------
// Paths, names and values as Python handles them
// ---------------------------------------------------------------------------------------

std::string ascii_lower(std::string_view text) {
    std::string lower(text);
    std::ranges::transform(lower, lower.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return lower;
}

bool is_name_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
}

// os.path.expandvars: $NAME and ${NAME}; unknown variables stay as written.
std::string expand_vars(std::string_view path, const Environment& env) {
    std::string out;
    std::size_t i = 0;
    while (i < path.size()) {
        const bool braced = path.compare(i, 2, "${") == 0;
        const std::size_t start = i + (braced ? 2 : 1);
        std::size_t end = start;
        while (path[i] == '$' && end < path.size() && is_name_char(path[end])) {
            ++end;
        }
        const bool closed = !braced || (end < path.size() && path[end] == '}');
        if (path[i] != '$' || end == start || !closed) {
            out += path[i++];
            continue;
        }
        const std::string name(path.substr(start, end - start));
        const std::size_t next = end + (braced ? 1 : 0);
        const auto value = env.get(name);
        out += value ? *value : std::string(path.substr(i, next - i));
        i = next;
    }
    return out;
}

// os.path.expanduser for "~" and "~/...", with $HOME being view.home.
std::string expand_user(std::string_view path, const std::filesystem::path& home) {
    if (path != "~" && !path.starts_with("~/")) {
        return std::string(path);
    }
    std::string base = home.string();
    while (base.size() > 1 && base.ends_with('/')) {
        base.pop_back();
    }
    return base + std::string(path.substr(1));
}

std::string expand_path(std::string_view path, const MachineView& view) {
    return expand_user(expand_vars(path, view.env), view.home);
}

IniFile load_ini(const MachineView& view, std::string_view raw_path) {
    IniFile file;
    file.path = expand_path(raw_path, view);
    const auto info = file.path.empty() ? std::nullopt : view.files.read(file.path);
    if (!info) {
        return file;
    }
    auto sections = read_botocore_ini(info->text);
    if (!sections) {
        file.state = IniFile::State::broken;
        file.error = std::move(sections.error());
        return file;
    }
    file.state = IniFile::State::parsed;
    file.sections = std::move(*sections);
    return file;
}

// shlex.split in POSIX mode, which botocore applies to "[profile NAME]" headers: nothing
// when the quoting is broken. It is not split_command_line (command_runner.hpp), which splits
// as the shell does: inside double quotes shlex unescapes only '"' and '\\' (the shell also
// '$' and '`'), and shlex refuses a trailing backslash (botocore then skips the section)
// where split_command_line keeps it.
std::optional<std::vector<std::string>> shell_words(std::string_view text) {
    std::vector<std::string> words;
    std::optional<std::string> word;
    char quote = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        const bool escapable = quote == 0 || (quote == '"' && i + 1 < text.size() &&
                                              (text[i + 1] == '"' || text[i + 1] == '\\'));
        if (c == '\\' && quote != '\'' && escapable) {
            if (++i == text.size()) {
                return std::nullopt;
            }
            word = word.value_or("") + text[i];
        } else if (quote != 0 && c == quote) {
            quote = 0;
        } else if (quote == 0 && (c == '\'' || c == '"')) {
            quote = c;
            word = word.value_or("");
        } else if (quote == 0 && std::string_view(" \t\r\n").find(c) != std::string_view::npos) {
            if (word) {
                words.push_back(std::move(*word));
                word.reset();
            }
        } else {
            word = word.value_or("") + c;
        }
    }
    if (quote != 0) {
        return std::nullopt;
    }
    if (word) {
        words.push_back(std::move(*word));
    }
    return words;
}

// Python's int() of a string: surrounding spaces, a sign, digits with single underscores.
bool python_int(std::string_view text) {
    text = python_strip(text);
    if (!text.empty() && (text.front() == '+' || text.front() == '-')) {
        text.remove_prefix(1);
    }
    if (text.empty() || text.front() == '_' || text.back() == '_' ||
        text.find("__") != std::string_view::npos) {
        return false;
    }
    return std::ranges::all_of(
        text, [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0 || c == '_'; });
}

// botocore's ensure_boolean on a string.
bool python_true(std::string_view text) {
    return ascii_lower(text) == "true";
}

// How dateutil's parse() would take an expiry. credkit reads RFC 3339; a time without a
// zone parses in Python but is "naive", and comparing it with botocore's aware clock raises.
struct ExpiryReading {
    enum class Kind { aware, naive, unreadable, rejected };
    Kind kind = Kind::rejected;
    TimePoint when;
};

ExpiryReading read_expiry(std::string_view text) {
    if (auto aware = parse_rfc3339(text)) {
        return {ExpiryReading::Kind::aware, *aware};
    }
    if (auto naive = parse_rfc3339(std::string(text) + "Z")) {
        return {ExpiryReading::Kind::naive, *naive};
    }
    const bool has_digit = std::ranges::any_of(
        text, [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; });
    // dateutil reads many other shapes with digits in them; credkit cannot tell which.
    return {has_digit ? ExpiryReading::Kind::unreadable : ExpiryReading::Kind::rejected, {}};
}

// ---------------------------------------------------------------------------------------
// What one provider concluded
// ---------------------------------------------------------------------------------------

struct Outcome {
    enum class Kind { skipped, found, raises };
    Kind kind = Kind::skipped;
    std::string reason;                       // skipped: why; raises: what botocore raises
    std::optional<SourceUse> source;          // found
    std::optional<std::string> fails_on_use;  // found, but botocore raises when it uses them

    static Outcome skip(std::string why) { return {Kind::skipped, std::move(why), {}, {}}; }
    static Outcome raise(std::string why) { return {Kind::raises, std::move(why), {}, {}}; }
    static Outcome found(SourceUse use, std::optional<std::string> fails = {}) {
        return {Kind::found, {}, std::move(use), std::move(fails)};
    }
};

SourceUse make_source(std::string method, std::string location, std::string section = {}) {
    SourceUse use;
    use.method = std::move(method);
    use.location = std::move(location);
    use.section = std::move(section);
    return use;
}

constexpr std::string_view kStillExpired =
    "botocore raises RuntimeError on first use: it re-reads the same source, gets credentials "
    "that are still expired ('Credentials were refreshed, but the refreshed credentials are "
    "still expired')";
constexpr std::string_view kNaiveExpiry =
    "botocore raises TypeError on first use: the expiry has no time zone, and botocore cannot "
    "compare it with its own clock";
constexpr std::string_view kKnownAfterCall = "; the key is known only after that call";

// The expiry of refreshable credentials as botocore will treat it: aware times count, a
// naive one raises on first use, one already past raises once the re-read returns it again.
std::optional<std::string> apply_expiry(SourceUse& use, const ExpiryReading& expiry,
                                        TimePoint now) {
    if (expiry.kind == ExpiryReading::Kind::naive) {
        use.expires = expiry.when;
        return std::string(kNaiveExpiry);
    }
    if (expiry.kind != ExpiryReading::Kind::aware) {
        return std::nullopt;
    }
    use.expires = expiry.when;
    if (expiry.when <= now) {
        return std::string(kStillExpired);
    }
    return std::nullopt;
}

// The expiry that credential refreshers record in a credentials file section, under any of
// the names in use (the same names as credential_source's section_expiry).
std::optional<TimePoint> recorded_expiry(const Options& section) {
    for (const char* key : {"expiry_time", "aws_expiration", "aws_credential_expiration",
                            "x_security_token_expires", "expiration"}) {
        if (const auto found = section.find(key); found != section.end()) {
            if (auto when = parse_rfc3339(found->second)) {
                return *when;
            }
        }
    }
    return std::nullopt;
}

std::optional<std::string> option(const Options& options, std::string_view key) {
    const auto found = options.find(std::string(key));
    if (found == options.end()) {
        return std::nullopt;
    }
    return found->second;
}

// ---------------------------------------------------------------------------------------
// The session: its profile and its two files
// ---------------------------------------------------------------------------------------

struct ProfileChoice {
    std::string name;      // as named; may be empty when a variable is set but empty
    std::string named_by;  // "--profile", "AWS_DEFAULT_PROFILE", "AWS_PROFILE", or ""
    bool from_code = false;

    // botocore's chain uses `profile or 'default'`.
    [[nodiscard]] std::string chain_name() const { return name.empty() ? "default" : name; }
    [[nodiscard]] bool named() const { return !named_by.empty(); }
};

// Session(profile=...) / `aws --profile`, else AWS_DEFAULT_PROFILE, else AWS_PROFILE (the
// first that is set, even to ""), else "default". `aws --profile ""` is ignored by the CLI.
ProfileChoice choose_profile(const MachineView& view, Tool tool) {
    if (view.profile && !(tool == Tool::awscli && view.profile->empty())) {
        return {*view.profile, "--profile", true};
    }
    for (const char* variable : {"AWS_DEFAULT_PROFILE", "AWS_PROFILE"}) {
        if (auto name = view.env.get(variable)) {
            return {*name, variable, false};
        }
    }
    return {"default", "", false};
}

// One setting of a profile in session.full_config, with the file it came from.
struct Setting {
    std::string value;
    std::string file;
};
using Profile = std::map<std::string, Setting>;

// session.full_config: the config file's profiles, then the credentials file's sections
// merged over them (their keys win), plus the config file's [sso-session NAME] sections.
struct FullConfig {
    std::map<std::string, Profile> profiles;
    std::map<std::string, Options> sso_sessions;
};

Profile profile_from(const Options& options, const std::string& file) {
    Profile profile;
    for (const auto& [key, value] : options) {
        profile[key] = Setting{value, file};
    }
    return profile;
}

// build_profile_map: "[profile NAME]" (any header starting "profile" that splits into two
// shell words), "[default]", and "[sso-session NAME]".
FullConfig profiles_of_config(const IniFile& config) {
    FullConfig full;
    for (const ConfigParserSection& section : config.sections) {
        const auto words = shell_words(section.name);
        const bool two_words = words && words->size() == 2;
        if (section.name.starts_with("profile")) {
            if (two_words) {
                full.profiles[words->at(1)] = profile_from(section.options, config.path);
            }
        } else if (section.name.starts_with("sso-session")) {
            if (two_words) {
                full.sso_sessions[words->at(1)] = section.options;
            }
        } else if (section.name == "default") {
            full.profiles["default"] = profile_from(section.options, config.path);
        }
    }
    return full;
}

struct ProfileScope {
    std::string name;
    bool env_disabled = false;
};

// Everything botocore reads, read once, and the chain that runs over it.
class Chain {
public:
    Chain(const MachineView& view, Tool tool)
        : view_(view),
          tool_(tool),
          profile_(choose_profile(view, tool)),
          credentials_(
              load_ini(view, file_setting("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials"))),
          config_(load_ini(view, file_setting("AWS_CONFIG_FILE", "~/.aws/config"))) {
        if (!broken()) {
            full_ = profiles_of_config(config_);
            for (const ConfigParserSection& section : credentials_.sections) {
                Profile& profile = full_.profiles[section.name];  // even with no keys
                for (const auto& [key, value] : section.options) {
                    profile[key] = Setting{value, credentials_.path};
                }
            }
        }
    }

    [[nodiscard]] const MachineView& view() const { return view_; }
    [[nodiscard]] const Environment& env() const { return view_.env; }
    [[nodiscard]] Tool tool() const { return tool_; }
    [[nodiscard]] const ProfileChoice& profile() const { return profile_; }
    [[nodiscard]] const IniFile& credentials() const { return credentials_; }
    [[nodiscard]] const IniFile& config() const { return config_; }

    // session.full_config, or why botocore cannot build it.
    [[nodiscard]] std::expected<const FullConfig*, std::string> full_config() const {
        for (const IniFile* file : {&config_, &credentials_}) {
            if (file->state == IniFile::State::broken) {
                return std::unexpected(file->parse_failure());
            }
        }
        return &full_;
    }
    [[nodiscard]] const Profile* find_profile(std::string_view name) const {
        const auto found = full_.profiles.find(std::string(name));
        return broken() || found == full_.profiles.end() ? nullptr : &found->second;
    }
    [[nodiscard]] std::optional<Setting> profile_setting(std::string_view profile,
                                                         std::string_view key) const {
        const Profile* settings = find_profile(profile);
        if (settings == nullptr) {
            return std::nullopt;
        }
        const auto found = settings->find(std::string(key));
        return found == settings->end() ? std::nullopt : std::optional(found->second);
    }
    // get_config_variable: the variable when set (even empty), else the profile's setting.
    [[nodiscard]] std::optional<std::string> setting(std::string_view variable,
                                                     std::string_view key) const {
        if (auto value = env().get(variable)) {
            return value;
        }
        if (auto from_file = profile_setting(profile_.chain_name(), key)) {
            return from_file->value;
        }
        return std::nullopt;
    }
    // The path for a file variable: set (even to "") it wins, else the default.
    [[nodiscard]] std::string file_setting(std::string_view variable,
                                           std::string_view fallback) const {
        return view_.env.get(variable).value_or(std::string(fallback));
    }

private:
    [[nodiscard]] bool broken() const {
        return config_.state == IniFile::State::broken ||
               credentials_.state == IniFile::State::broken;
    }

    const MachineView& view_;
    Tool tool_;
    ProfileChoice profile_;
    IniFile credentials_;
    IniFile config_;
    FullConfig full_;
};

std::string profile_header(std::string_view profile) {
    return profile == "default" ? std::string("[default]") : fmt::format("[profile {}]", profile);
}

// ---------------------------------------------------------------------------------------
// Before the chain: what building the resolver reads
// ---------------------------------------------------------------------------------------

// get_scoped_config: the full config, and the named profile must be in it.
std::optional<std::string> scoped_config_failure(const Chain& chain) {
    if (auto full = chain.full_config(); !full) {
        return full.error();
    }
    const ProfileChoice& profile = chain.profile();
    if (profile.named() && chain.find_profile(profile.name) == nullptr) {
        // boto3.Session() looks up its data path in the profile's config when it is made;
        // a bare botocore session only when it first resolves credentials.
        const std::string_view when = chain.tool() == Tool::boto3
                                          ? "when boto3.Session() is created"
                                          : "before the command resolves credentials";
        return fmt::format(
            "botocore raises ProfileNotFound {}: the config profile ({}) could not be found "
            "(named by {}; it is in neither {} nor {})",
            when, profile.name, profile.named_by, chain.config().path, chain.credentials().path);
    }
    return std::nullopt;
}

struct ResolverSetting {
    std::string_view variable;
    std::string_view key;
    bool integer;
};

// The settings create_credential_resolver looks up, in its order. Each one missing from the
// environment sends botocore to the profile's config, which is where a missing profile or a
// broken file raises, before any provider runs.
constexpr std::array<ResolverSetting, 4> kResolverSettings{{
    {"AWS_METADATA_SERVICE_TIMEOUT", "metadata_service_timeout", true},
    {"AWS_METADATA_SERVICE_NUM_ATTEMPTS", "metadata_service_num_attempts", true},
    {"AWS_EC2_METADATA_SERVICE_ENDPOINT", "ec2_metadata_service_endpoint", false},
    {"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "ec2_metadata_service_endpoint_mode", false},
}};

std::optional<std::string> lookup_failure(const Chain& chain, const ResolverSetting& setting) {
    if (!chain.env().get(setting.variable)) {
        if (auto failure = scoped_config_failure(chain)) {
            return failure;
        }
    }
    const auto value = chain.setting(setting.variable, setting.key);
    if (value && setting.integer && !python_int(*value)) {
        return fmt::format("botocore raises ValueError: {} is not a whole number",
                           setting.variable);
    }
    if (value && setting.key == "ec2_metadata_service_endpoint_mode" &&
        ascii_lower(*value) != "ipv4" && ascii_lower(*value) != "ipv6") {
        return "botocore raises InvalidIMDSEndpointModeError: the endpoint mode is neither "
               "IPv4 nor IPv6";
    }
    return std::nullopt;
}

std::optional<std::string> resolver_failure(const Chain& chain) {
    // The CLI reads the whole config when it starts (for plugins), and its own lookups
    // (output, region) go through the profile's config whatever the environment holds.
    if (chain.tool() == Tool::awscli) {
        if (auto failure = scoped_config_failure(chain)) {
            return failure;
        }
    }
    for (const ResolverSetting& setting : kResolverSettings) {
        if (auto failure = lookup_failure(chain, setting)) {
            return failure;
        }
    }
    // Then two switches: imds_use_ipv6, read only when no endpoint mode is set, and the
    // IMDSv1 one. Neither can fail, but either may send botocore to the profile's config.
    const bool mode_set =
        chain
            .setting("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "ec2_metadata_service_endpoint_mode")
            .has_value();
    const bool switch_unset = (!mode_set && !chain.env().get("AWS_IMDS_USE_IPV6")) ||
                              !chain.env().get("AWS_EC2_METADATA_V1_DISABLED");
    return switch_unset ? scoped_config_failure(chain) : std::nullopt;
}

// ---------------------------------------------------------------------------------------
// The providers before the profile ones
// ---------------------------------------------------------------------------------------

std::string env_refresh_note(const Chain& chain, bool has_expiry) {
    std::string note =
        has_expiry ? "AWS_CREDENTIAL_EXPIRATION only makes botocore re-read this same process "
                     "environment, which does not change: no renewal"
                   : "static: botocore reads the environment once and never renews these keys";
    const auto legacy = chain.env().non_empty("AWS_SECURITY_TOKEN");
    const auto modern = chain.env().non_empty("AWS_SESSION_TOKEN");
    if (legacy && modern && *legacy != *modern) {
        note +=
            "; the session token is AWS_SECURITY_TOKEN's (botocore reads it before "
            "AWS_SESSION_TOKEN, which differs)";
    }
    return note;
}

Outcome load_env(const Chain& chain) {
    if (chain.profile().from_code) {
        return Outcome::skip(
            fmt::format("not in the chain: a profile was named in code or by --profile ({})",
                        chain.profile().name));
    }
    const Environment& env = chain.env();
    const auto key_id = env.get("AWS_ACCESS_KEY_ID");
    if (!key_id || key_id->empty()) {
        return Outcome::skip(key_id ? "AWS_ACCESS_KEY_ID is empty"
                                    : "AWS_ACCESS_KEY_ID is not set");
    }
    if (!env.non_empty("AWS_SECRET_ACCESS_KEY")) {
        return Outcome::raise(
            "botocore raises PartialCredentialsError: AWS_ACCESS_KEY_ID is set but "
            "AWS_SECRET_ACCESS_KEY is not (partial credentials found in env)");
    }
    SourceUse use = make_source("env", "AWS_ACCESS_KEY_ID");
    use.access_key_id = *key_id;
    use.has_session_token =
        env.non_empty("AWS_SECURITY_TOKEN") || env.non_empty("AWS_SESSION_TOKEN");
    const auto expiry_text = env.non_empty("AWS_CREDENTIAL_EXPIRATION");
    use.refresh_note = env_refresh_note(chain, expiry_text.has_value());
    if (!expiry_text) {
        return Outcome::found(std::move(use));
    }
    const ExpiryReading expiry = read_expiry(*expiry_text);
    if (expiry.kind == ExpiryReading::Kind::rejected) {
        return Outcome::raise(
            "botocore raises ParserError: AWS_CREDENTIAL_EXPIRATION is not a date");
    }
    auto fails = apply_expiry(use, expiry, chain.view().now);
    return Outcome::found(std::move(use), std::move(fails));
}

Outcome load_profile_chain(const Chain& chain, const ProfileScope& scope);
Outcome load_imds(const Chain& chain);

// The settings of the assume-role provider, checked as _get_role_config checks them.
std::optional<std::string> role_config_failure(const Chain& chain, const std::string& profile,
                                               const std::vector<std::string>& visited);

bool has_static_keys(const Profile& profile) {
    return profile.contains("aws_access_key_id") || profile.contains("aws_secret_access_key");
}

bool has_role_vars(const Profile& profile) {
    return profile.contains("role_arn") && !profile.contains("web_identity_token_file");
}

// credential_source: the named provider must give credentials now (botocore asks it while
// resolving the chain, not on first use).
std::optional<std::string> credential_source_failure(const Chain& chain, const std::string& source,
                                                     const std::string& profile) {
    const auto nothing = [&] {
        return fmt::format(
            "botocore raises CredentialRetrievalError: no credentials found in "
            "credential_source {} referenced in profile {}",
            source, profile);
    };
    if (source == "Environment") {
        // The sourcer keeps the env provider even when a named profile took it out of the
        // chain.
        const auto key_id = chain.env().non_empty("AWS_ACCESS_KEY_ID");
        if (!key_id) {
            return nothing();
        }
        if (!chain.env().non_empty("AWS_SECRET_ACCESS_KEY")) {
            return "botocore raises PartialCredentialsError: AWS_SECRET_ACCESS_KEY is not set";
        }
        return std::nullopt;
    }
    if (source == "EcsContainer") {
        const bool set = chain.env().get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") ||
                         chain.env().get("AWS_CONTAINER_CREDENTIALS_FULL_URI");
        return set ? std::nullopt : std::optional(nothing());
    }
    const Outcome imds = load_imds(chain);  // Ec2InstanceMetadata
    if (imds.kind == Outcome::Kind::raises) {
        return imds.reason;
    }
    return imds.kind == Outcome::Kind::skipped ? std::optional(nothing()) : std::nullopt;
}

// _resolve_credentials_from_profile for a source_profile.
std::optional<std::string> source_profile_failure(const Chain& chain, const std::string& source,
                                                  std::vector<std::string> visited) {
    const Profile& profile = *chain.find_profile(source);
    if (!has_static_keys(profile) && has_role_vars(profile)) {
        return role_config_failure(chain, source, visited);
    }
    const Outcome sourced = load_profile_chain(chain, ProfileScope{source, true});
    if (sourced.kind == Outcome::Kind::raises) {
        return sourced.reason;
    }
    if (sourced.kind == Outcome::Kind::skipped) {
        return fmt::format(
            "botocore raises InvalidConfigError: the source profile \"{}\" must have "
            "credentials",
            source);
    }
    return std::nullopt;
}

std::optional<std::string> role_config_failure(const Chain& chain, const std::string& profile,
                                               const std::vector<std::string>& visited) {
    const Profile& settings = *chain.find_profile(profile);
    const auto source_profile = chain.profile_setting(profile, "source_profile");
    const auto credential_source = chain.profile_setting(profile, "credential_source");
    if (source_profile && credential_source) {
        return fmt::format(
            "botocore raises InvalidConfigError: the profile \"{}\" contains both "
            "source_profile and credential_source",
            profile);
    }
    if (!source_profile && !credential_source) {
        return fmt::format(
            "botocore raises PartialCredentialsError: profile {} has role_arn but neither "
            "source_profile nor credential_source",
            profile);
    }
    if (credential_source) {
        const std::string& name = credential_source->value;
        if (name != "Environment" && name != "Ec2InstanceMetadata" && name != "EcsContainer") {
            return fmt::format(
                "botocore raises InvalidConfigError: the credential source \"{}\" referenced "
                "in profile \"{}\" is not valid (Environment, Ec2InstanceMetadata or "
                "EcsContainer, in that case)",
                name, profile);
        }
        return credential_source_failure(chain, name, profile);
    }
    const std::string& source = source_profile->value;
    if (chain.find_profile(source) == nullptr) {
        return fmt::format(
            "botocore raises InvalidConfigError: the source_profile \"{}\" referenced in the "
            "profile \"{}\" does not exist",
            source, profile);
    }
    const bool seen = std::ranges::find(visited, source) != visited.end();
    if (seen && (source != profile || !has_static_keys(settings))) {
        return fmt::format(
            "botocore raises InfiniteLoopConfigError: source_profile \"{}\" leads back to a "
            "profile already visited",
            source);
    }
    std::vector<std::string> next = visited;
    next.push_back(source);
    return source_profile_failure(chain, source, std::move(next));
}

std::string role_note(const Chain& chain, const std::string& profile) {
    const auto source = chain.profile_setting(profile, "source_profile");
    const auto credential_source = chain.profile_setting(profile, "credential_source");
    std::string note = fmt::format(
        "botocore calls sts:AssumeRole on first use with credentials from {} and renews them "
        "15 minutes before they expire",
        source ? fmt::format("source_profile {}", source->value)
               : fmt::format("credential_source {}", credential_source->value));
    if (chain.profile_setting(profile, "mfa_serial")) {
        note += "; mfa_serial asks for a code, once: a refresh cannot";
    }
    return note + std::string(kKnownAfterCall);
}

Outcome load_assume_role(const Chain& chain) {
    const auto full = chain.full_config();
    if (!full) {
        return Outcome::raise(full.error());
    }
    const std::string profile = chain.profile().chain_name();
    const Profile* settings = chain.find_profile(profile);
    if (settings == nullptr || !settings->contains("role_arn")) {
        return Outcome::skip(fmt::format("profile {} has no role_arn", profile));
    }
    if (!has_role_vars(*settings)) {
        return Outcome::skip(
            fmt::format("profile {} has role_arn with web_identity_token_file: that is "
                        "assume-role-with-web-identity's",
                        profile));
    }
    if (auto failure = role_config_failure(chain, profile, {profile})) {
        return Outcome::raise(std::move(*failure));
    }
    SourceUse use = make_source("assume-role", settings->at("role_arn").file, profile);
    use.has_session_token = true;
    use.refreshes = true;
    use.refresh_note = role_note(chain, profile);
    return Outcome::found(std::move(use));
}

// ---------------------------------------------------------------------------------------
// The profile providers (also run for a source_profile, with the environment left out)
// ---------------------------------------------------------------------------------------

// _get_config of the web identity provider: the variable (unless a profile was named), else
// the profile's setting.
std::optional<Setting> web_identity_setting(const Chain& chain, const ProfileScope& scope,
                                            std::string_view variable, std::string_view key) {
    if (!scope.env_disabled) {
        if (auto value = chain.env().get(variable)) {
            return Setting{*value, std::string(variable)};
        }
    }
    return chain.profile_setting(scope.name, key);
}

Outcome load_web_identity(const Chain& chain, const ProfileScope& scope) {
    const auto token_file = web_identity_setting(chain, scope, "AWS_WEB_IDENTITY_TOKEN_FILE",
                                                 "web_identity_token_file");
    if (!token_file || token_file->value.empty()) {
        return Outcome::skip(
            scope.env_disabled
                ? fmt::format("profile {} has no web_identity_token_file", scope.name)
                : fmt::format("AWS_WEB_IDENTITY_TOKEN_FILE is not set and profile {} has no "
                              "web_identity_token_file",
                              scope.name));
    }
    const auto role = web_identity_setting(chain, scope, "AWS_ROLE_ARN", "role_arn");
    if (!role || role->value.empty()) {
        return Outcome::raise(
            "botocore raises InvalidConfigError: a web identity token file is configured but "
            "no role ARN (role_arn in the profile or AWS_ROLE_ARN)");
    }
    const std::string path = expand_path(token_file->value, chain.view());
    SourceUse use = make_source("assume-role-with-web-identity", path,
                                token_file->file.starts_with("AWS_") ? "" : scope.name);
    use.has_session_token = true;
    use.refreshes = true;
    use.refresh_note = fmt::format(
        "botocore calls sts:AssumeRoleWithWebIdentity on first use with the token "
        "in {} and renews 15 minutes before expiry{}",
        path, kKnownAfterCall);
    std::optional<std::string> fails;
    if (!chain.view().files.read(path)) {
        fails = fmt::format(
            "botocore raises on first use: the web identity token file {} "
            "cannot be read",
            path);
    }
    return Outcome::found(std::move(use), std::move(fails));
}

// The profile's SSO settings merged with its [sso-session], as _load_sso_config does.
std::expected<Options, std::string> sso_settings(const Chain& chain, const std::string& name,
                                                 const Profile& profile) {
    Options merged;
    for (const auto& [key, setting] : profile) {
        merged[key] = setting.value;
    }
    const auto session_name = option(merged, "sso_session");
    if (!session_name) {
        return merged;
    }
    const auto& sessions = (*chain.full_config())->sso_sessions;
    const auto session = sessions.find(*session_name);
    if (session == sessions.end()) {
        return std::unexpected(fmt::format(
            "botocore raises InvalidConfigError: the specified sso-session does not exist: "
            "\"{}\"",
            *session_name));
    }
    for (const auto& [key, value] : session->second) {
        if (merged.contains(key) && merged[key] != value) {
            return std::unexpected(fmt::format(
                "botocore raises InvalidConfigError: the value for {} is inconsistent between "
                "profile {} and sso-session {}",
                key, name, *session_name));
        }
        merged[key] = value;
    }
    return merged;
}

Outcome load_sso(const Chain& chain, const ProfileScope& scope) {
    const Profile* profile = chain.find_profile(scope.name);
    if (profile == nullptr ||
        (!profile->contains("sso_role_name") && !profile->contains("sso_account_id"))) {
        return Outcome::skip(
            fmt::format("profile {} has neither sso_role_name nor sso_account_id", scope.name));
    }
    auto settings = sso_settings(chain, scope.name, *profile);
    if (!settings) {
        return Outcome::raise(std::move(settings.error()));
    }
    std::vector<std::string> missing;
    for (const char* key : {"sso_role_name", "sso_account_id", "sso_start_url", "sso_region"}) {
        if (!settings->contains(key)) {
            missing.emplace_back(key);
        }
    }
    if (!missing.empty()) {
        return Outcome::raise(fmt::format(
            "botocore raises InvalidConfigError: the profile \"{}\" is configured to use SSO "
            "but is missing required configuration: {}",
            scope.name, fmt::join(missing, ", ")));
    }
    const auto origin = profile->contains("sso_role_name") ? profile->at("sso_role_name")
                                                           : profile->at("sso_account_id");
    SourceUse use = make_source("sso", origin.file, scope.name);
    use.has_session_token = true;
    use.refreshes = true;
    use.refresh_note = fmt::format(
        "botocore calls sso:GetRoleCredentials on first use with the token cached under "
        "~/.aws/sso/cache (expired: run 'aws sso login'){}",
        kKnownAfterCall);
    return Outcome::found(std::move(use));
}

std::string file_note(const IniFile& file, const Options& section) {
    std::string note = fmt::format(
        "static: botocore reads {} once per session and never re-reads it, even when it is "
        "rewritten",
        file.path);
    if (recorded_expiry(section)) {
        note += "; botocore ignores the expiry recorded there";
    }
    return note;
}

// The key pair of a file section, as SharedCredentialProvider and ConfigProvider take it.
Outcome keys_from_section(std::string method, const IniFile& file, const Options& section,
                          const std::string& label, const std::string& profile) {
    const auto key_id = option(section, "aws_access_key_id");
    if (!key_id) {
        return Outcome::skip(fmt::format("{} in {} has no aws_access_key_id", label, file.path));
    }
    if (!section.contains("aws_secret_access_key")) {
        return Outcome::raise(fmt::format(
            "botocore raises PartialCredentialsError: {} in {} has aws_access_key_id but no "
            "aws_secret_access_key",
            label, file.path));
    }
    SourceUse use = make_source(std::move(method), file.path, profile);
    use.access_key_id = *key_id;
    // The first of the two names that is present wins, even when its value is empty.
    auto token = option(section, "aws_security_token");
    if (!token) {
        token = option(section, "aws_session_token");
    }
    use.has_session_token = token && !token->empty();
    use.expires = recorded_expiry(section);
    use.refresh_note = file_note(file, section);
    if (key_id->empty()) {
        use.refresh_note += "; aws_access_key_id is empty: botocore uses it as it is";
    }
    return Outcome::found(std::move(use));
}

Outcome load_shared_credentials(const Chain& chain, const ProfileScope& scope) {
    const IniFile& file = chain.credentials();
    if (file.state == IniFile::State::missing) {
        return Outcome::skip(file.path.empty() ? "AWS_SHARED_CREDENTIALS_FILE is empty"
                                               : fmt::format("{} does not exist", file.path));
    }
    if (file.state == IniFile::State::broken) {
        return Outcome::raise(file.parse_failure());
    }
    const Options* section = file.section(scope.name);
    if (section == nullptr) {
        return Outcome::skip(fmt::format("{} has no [{}] section", file.path, scope.name));
    }
    return keys_from_section("shared-credentials-file", file, *section,
                             fmt::format("[{}]", scope.name), scope.name);
}

Outcome load_login(const Chain& chain, const ProfileScope& scope) {
    const auto session = chain.profile_setting(scope.name, "login_session");
    if (!session) {
        return Outcome::skip(fmt::format("profile {} has no login_session", scope.name));
    }
    SourceUse use = make_source("login", session->file, scope.name);
    use.has_session_token = true;
    use.refreshes = true;
    use.refresh_note = fmt::format(
        "botocore starts from the credentials cached by 'aws login' (it needs botocore[crt]) "
        "and renews them through the sign-in service{}",
        kKnownAfterCall);
    return Outcome::found(std::move(use));
}

// What ProcessProvider._retrieve_credentials_using refuses in the command's output, in its
// order; nothing when botocore accepts it.
std::optional<std::string> process_output_failure(const nlohmann::json& parsed) {
    if (parsed.is_discarded()) {
        return "botocore raises JSONDecodeError: credential_process did not print JSON";
    }
    if (!parsed.is_object()) {
        return "botocore raises AttributeError: credential_process printed JSON that is not an "
               "object";
    }
    // Python's `version != 1` lets 1.0 and true through.
    const auto version = parsed.find("Version");
    const bool version_one =
        version != parsed.end() && ((version->is_number() && version->get<double>() == 1.0) ||
                                    (version->is_boolean() && version->get<bool>()));
    if (!version_one) {
        return "botocore raises CredentialRetrievalError: credential_process output has an "
               "unsupported Version (only the number 1 is accepted)";
    }
    for (const char* key : {"AccessKeyId", "SecretAccessKey"}) {
        if (!parsed.contains(key)) {
            return fmt::format(
                "botocore raises CredentialRetrievalError: missing required key in "
                "credential_process output: '{}'",
                key);
        }
    }
    return std::nullopt;
}

// The program a credential_process line runs, without its arguments.
std::string program_of(const std::string& command) {
    const auto words = split_command_line(command);
    if (!words || words->empty()) {
        return "the credential_process command";
    }
    return "credential_process " + words->front();
}

// The source the command's output makes, as ProcessProvider.load builds it.
Outcome process_output(const Chain& chain, SourceUse use, const std::string& out) {
    const auto parsed = nlohmann::json::parse(out, nullptr, false);
    if (auto failure = process_output_failure(parsed)) {
        return Outcome::raise(std::move(*failure));
    }
    const auto& key_id = parsed["AccessKeyId"];
    use.access_key_id = key_id.is_string() ? key_id.get<std::string>() : "";
    const auto token = parsed.find("SessionToken");
    use.has_session_token =
        token != parsed.end() && token->is_string() && !token->get<std::string>().empty();
    const auto expiration = parsed.find("Expiration");
    if (expiration == parsed.end() || expiration->is_null()) {
        use.refresh_note = "static: without Expiration botocore runs " + use.refresh_note + " once";
        return Outcome::found(std::move(use));
    }
    const ExpiryReading expiry =
        read_expiry(expiration->is_string() ? expiration->get<std::string>() : "");
    if (expiry.kind == ExpiryReading::Kind::rejected) {
        return Outcome::raise(
            "botocore raises ParserError: the Expiration of credential_process is not a date");
    }
    use.refreshes = true;
    use.refresh_note = "botocore runs " + use.refresh_note + " again 15 minutes before Expiration";
    auto fails = apply_expiry(use, expiry, chain.view().now);
    return Outcome::found(std::move(use), std::move(fails));
}

Outcome load_process(const Chain& chain, const ProfileScope& scope) {
    const auto command = chain.profile_setting(scope.name, "credential_process");
    if (!command) {
        return Outcome::skip(fmt::format("profile {} has no credential_process", scope.name));
    }
    // The command line stays out of the report: its arguments may carry a secret.
    SourceUse use = make_source("custom-process", command->file, scope.name);
    if (!chain.view().run_command) {
        use.refresh_note = fmt::format(
            "{} was not run; the key is known only when it runs, and it is renewed when its "
            "output has an Expiration",
            program_of(command->value));
        return Outcome::found(std::move(use));
    }
    const auto out = chain.view().run_command(command->value);
    use.refresh_note = program_of(command->value);
    if (!out) {
        return Outcome::raise(
            "botocore raises CredentialRetrievalError: credential_process failed (it could "
            "not start, or exited with a non-zero status)");
    }
    return process_output(chain, std::move(use), *out);
}

Outcome load_config_file(const Chain& chain, const ProfileScope& scope) {
    const IniFile& file = chain.config();
    if (file.state == IniFile::State::missing) {
        return Outcome::skip(file.path.empty() ? "AWS_CONFIG_FILE is empty"
                                               : fmt::format("{} does not exist", file.path));
    }
    if (file.state == IniFile::State::broken) {
        return Outcome::raise(file.parse_failure());
    }
    // Only the config file itself: the credentials file's sections are not merged here.
    const FullConfig own = profiles_of_config(file);
    const auto found = own.profiles.find(scope.name);
    const std::string header = profile_header(scope.name);
    if (found == own.profiles.end()) {
        return Outcome::skip(fmt::format("{} has no {} section", file.path, header));
    }
    Options section;
    for (const auto& [key, setting] : found->second) {
        section[key] = setting.value;
    }
    return keys_from_section("config-file", file, section, header, scope.name);
}

using ProfileLoader = Outcome (*)(const Chain&, const ProfileScope&);

struct ProfileProvider {
    std::string_view method;
    ProfileLoader load;
};

// ProfileProviderBuilder.providers, in its order.
constexpr std::array<ProfileProvider, 6> kProfileProviders{{
    {"assume-role-with-web-identity", load_web_identity},
    {"sso", load_sso},
    {"shared-credentials-file", load_shared_credentials},
    {"login", load_login},
    {"custom-process", load_process},
    {"config-file", load_config_file},
}};

Outcome load_profile_chain(const Chain& chain, const ProfileScope& scope) {
    for (const ProfileProvider& provider : kProfileProviders) {
        Outcome outcome = provider.load(chain, scope);
        if (outcome.kind != Outcome::Kind::skipped) {
            return outcome;
        }
    }
    return Outcome::skip(fmt::format("profile {} has no credentials", scope.name));
}

// ---------------------------------------------------------------------------------------
// The providers after the profile ones
// ---------------------------------------------------------------------------------------

// parse_key_val_file: every line with '=' is a key and a value; later lines win.
Options key_value_lines(std::string_view text) {
    Options values;
    for (const std::string_view line : universal_lines(text)) {
        const std::size_t equals = line.find('=');
        if (equals != std::string_view::npos) {
            values[std::string(python_strip(line.substr(0, equals)))] =
                std::string(python_strip(line.substr(equals + 1)));
        }
    }
    return values;
}

Outcome load_ec2_credentials_file(const Chain& chain) {
    const auto variable = chain.env().get("AWS_CREDENTIAL_FILE");
    if (!variable) {
        return Outcome::skip("AWS_CREDENTIAL_FILE is not set");
    }
    const std::string path = expand_user(*variable, chain.view().home);
    const auto file = path.empty() ? std::nullopt : chain.view().files.read(path);
    if (!file) {
        return Outcome::raise(fmt::format(
            "botocore raises ConfigNotFound: AWS_CREDENTIAL_FILE names {}, which cannot be read",
            path));
    }
    const Options values = key_value_lines(file->text);
    if (!values.contains("AWSAccessKeyId")) {
        return Outcome::skip(fmt::format("{} (AWS_CREDENTIAL_FILE) has no AWSAccessKeyId", path));
    }
    if (!values.contains("AWSSecretKey")) {
        return Outcome::raise(fmt::format(
            "botocore raises KeyError: {} (AWS_CREDENTIAL_FILE) has AWSAccessKeyId but no "
            "AWSSecretKey",
            path));
    }
    SourceUse use = make_source("ec2-credentials-file", path);
    use.access_key_id = values.at("AWSAccessKeyId");
    use.refresh_note = "static: botocore reads the file once and never renews these keys";
    return Outcome::found(std::move(use));
}

Outcome load_boto_config(const Chain& chain) {
    std::vector<std::string> candidates{"/etc/boto.cfg", "~/.boto"};
    if (auto named = chain.env().get("BOTO_CONFIG")) {
        candidates = {*named};
    }
    std::vector<std::string> looked;
    for (const std::string& candidate : candidates) {
        const IniFile file = load_ini(chain.view(), candidate);
        looked.push_back(file.path);
        if (file.state == IniFile::State::broken) {
            return Outcome::raise(file.parse_failure());
        }
        const Options* section = file.section("Credentials");
        if (section == nullptr || !section->contains("aws_access_key_id")) {
            continue;
        }
        Outcome outcome =
            keys_from_section("boto-config", file, *section, "[Credentials]", "Credentials");
        if (outcome.source) {
            outcome.source->expires.reset();
            outcome.source->has_session_token = false;
            outcome.source->refresh_note =
                "static: botocore reads the boto config once and never renews these keys";
        }
        return outcome;
    }
    return Outcome::skip(
        fmt::format("no [Credentials] aws_access_key_id in {}", fmt::join(looked, " or ")));
}

// The host of a URL as urlparse().hostname gives it: lowercase, without brackets or port.
std::string url_host(std::string_view url) {
    const std::size_t scheme = url.find("://");
    std::string_view rest = scheme == std::string_view::npos ? url : url.substr(scheme + 3);
    rest = rest.substr(0, rest.find_first_of("/?#"));
    if (const std::size_t at = rest.rfind('@'); at != std::string_view::npos) {
        rest.remove_prefix(at + 1);
    }
    if (rest.starts_with('[')) {
        return ascii_lower(rest.substr(1, rest.find(']') - 1));
    }
    return ascii_lower(rest.substr(0, rest.find(':')));
}

// ContainerMetadataFetcher._validate_allowed_url.
bool container_host_allowed(std::string_view url) {
    if (ascii_lower(url.substr(0, 8)) == "https://") {
        return true;
    }
    const std::string host = url_host(url);
    const bool loopback =
        host == "::1" || (host.starts_with("127.") && std::ranges::all_of(host, [](char c) {
                              return c == '.' || std::isdigit(static_cast<unsigned char>(c)) != 0;
                          }));
    return loopback || host == "169.254.170.2" || host == "169.254.170.23" ||
           host == "fd00:ec2::23" || host == "localhost";
}

std::optional<std::string> container_token_failure(const Chain& chain) {
    std::optional<std::string> token;
    if (auto file = chain.env().get("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")) {
        const auto text = chain.view().files.read(*file);
        if (!text) {
            return fmt::format(
                "botocore raises FileNotFoundError: AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE "
                "names {}, which cannot be read",
                *file);
        }
        token = text->text;
    } else {
        token = chain.env().get("AWS_CONTAINER_AUTHORIZATION_TOKEN");
    }
    if (token && token->find_first_of("\r\n") != std::string::npos) {
        return "botocore raises ValueError: the container authorization token holds a line "
               "break";
    }
    return std::nullopt;
}

Outcome load_container(const Chain& chain) {
    const auto relative = chain.env().get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    const auto full = chain.env().get("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    if (!relative && !full) {
        return Outcome::skip(
            "neither AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor "
            "AWS_CONTAINER_CREDENTIALS_FULL_URI is set");
    }
    const std::string url = relative ? "http://169.254.170.2" + *relative : *full;
    if (!relative && !container_host_allowed(url)) {
        return Outcome::raise(fmt::format(
            "botocore raises ValueError: AWS_CONTAINER_CREDENTIALS_FULL_URI's host '{}' is "
            "neither loopback nor a container credentials address",
            url_host(url)));
    }
    if (auto failure = container_token_failure(chain)) {
        return Outcome::raise(std::move(*failure));
    }
    SourceUse use = make_source("container-role", url);
    use.has_session_token = true;
    use.refreshes = true;
    use.refresh_note = fmt::format(
        "botocore fetches them from the container endpoint when the session resolves "
        "credentials (raising if that fails) and renews them before expiry{}",
        kKnownAfterCall);
    return Outcome::found(std::move(use));
}

// ---------------------------------------------------------------------------------------
// iam-role: botocore's InstanceMetadataFetcher over what the probe saw
// ---------------------------------------------------------------------------------------

std::string describe(const ProbeExchange& exchange) {
    switch (exchange.failure) {
        case TransportFailure::none:
            return fmt::format("answered {}", exchange.status);
        case TransportFailure::connection_refused:
            return "was refused (connection refused)";
        case TransportFailure::timed_out:
            return "timed out";
        case TransportFailure::body_too_large:
            return "answered with too large a body";
        case TransportFailure::other:
            break;
    }
    return "failed";
}

// The endpoint botocore will ask: the variable or the profile's setting, else by mode.
std::string imds_endpoint(const Chain& chain) {
    if (auto endpoint =
            chain.setting("AWS_EC2_METADATA_SERVICE_ENDPOINT", "ec2_metadata_service_endpoint")) {
        return *endpoint;
    }
    const auto mode = chain.setting("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE",
                                    "ec2_metadata_service_endpoint_mode");
    const bool ipv6 =
        mode ? ascii_lower(*mode) == "ipv6"
             : python_true(chain.setting("AWS_IMDS_USE_IPV6", "imds_use_ipv6").value_or("false"));
    return ipv6 ? "http://[fd00:ec2::254]" : "http://169.254.169.254";
}

bool same_endpoint(std::string_view a, std::string_view b) {
    while (a.ends_with('/')) {
        a.remove_suffix(1);
    }
    while (b.ends_with('/')) {
        b.remove_suffix(1);
    }
    return a == b;
}

// The note of instance-role credentials: how botocore renews them, and its special case
// for credentials that are (nearly) expired when it gets them.
std::string imds_note(const Chain& chain, const Credentials& credentials, bool by_v1,
                      const ImdsProbe& probe) {
    std::string note = "botocore asks IMDS again 15 minutes before they expire";
    if (by_v1) {
        note = fmt::format("fetched with IMDSv1 after the token PUT {}; {}", describe(probe.token),
                           note);
    }
    const auto soon = chain.view().now + std::chrono::minutes(17);
    if (credentials.expiration && *credentials.expiration <= soon) {
        note += fmt::format(
            "; IMDS served credentials that {} at {}: botocore takes them anyway and moves "
            "its own expiry 17-25 minutes ahead, then asks again",
            *credentials.expiration <= chain.view().now ? "expired" : "expire",
            format_rfc3339(*credentials.expiration));
    }
    return note;
}

Outcome imds_found(const Chain& chain, const ImdsProbe& probe, const Credentials& credentials,
                   bool by_v1) {
    SourceUse use = make_source("iam-role", imds_endpoint(chain), probe.role.value_or(""));
    use.access_key_id = credentials.access_key_id;
    use.has_session_token = credentials.has_session_token();
    use.expires = credentials.expiration;
    use.refreshes = true;
    use.refresh_note = imds_note(chain, credentials, by_v1, probe);
    return Outcome::found(std::move(use));
}

// An instance role whose credentials the probe could not tell.
Outcome imds_unknown(const Chain& chain, std::string why) {
    SourceUse use = make_source("iam-role", imds_endpoint(chain));
    use.has_session_token = true;
    use.refreshes = true;
    use.refresh_note = fmt::format(
        "possible: {}; if IMDS answers, botocore uses the instance role and renews it 15 "
        "minutes before expiry",
        why);
    return Outcome::found(std::move(use));
}

bool v1_disabled(const Chain& chain) {
    return python_true(chain.setting("AWS_EC2_METADATA_V1_DISABLED", "ec2_metadata_v1_disabled")
                           .value_or("false"));
}

// After a token PUT that gave no token: botocore goes on without one, unless told not to.
Outcome imds_without_token(const Chain& chain, const ImdsProbe& probe) {
    if (v1_disabled(chain)) {
        return Outcome::raise(fmt::format(
            "botocore raises MetadataRetrievalError: the IMDS token PUT {} and IMDSv1 is "
            "disabled (AWS_EC2_METADATA_V1_DISABLED or ec2_metadata_v1_disabled), so it "
            "cannot retrieve a token for IMDSv2",
            describe(probe.token)));
    }
    if (!probe.v1) {
        // The probe stops after a refused or failed connection, which botocore's GET meets
        // too; after anything else, it ran out of time.
        const bool unreachable = probe.token.failure == TransportFailure::connection_refused ||
                                 probe.token.failure == TransportFailure::other;
        if (unreachable) {
            return Outcome::skip(
                fmt::format("IMDS is unreachable: the token PUT {}", describe(probe.token)));
        }
        return imds_unknown(chain, fmt::format("the token PUT {} and the probe did not try "
                                               "IMDSv1",
                                               describe(probe.token)));
    }
    if (probe.credentials_v1) {
        return imds_found(chain, probe, *probe.credentials_v1, true);
    }
    const std::string why = !probe.v1->answered(200)
                                ? fmt::format("the role list {}", describe(*probe.v1))
                                : probe.v1_problem.value_or("no credentials");
    return Outcome::skip(
        fmt::format("the IMDS token PUT {}, and IMDSv1: {}", describe(probe.token), why));
}

Outcome load_imds(const Chain& chain) {
    const auto disabled = chain.env().get("AWS_EC2_METADATA_DISABLED");
    if (disabled && python_true(*disabled)) {
        return Outcome::skip("AWS_EC2_METADATA_DISABLED is true");
    }
    const auto& probe = chain.view().imds;
    if (!probe) {
        const std::string& reason = chain.view().imds_not_probed_reason;
        return imds_unknown(chain, "IMDS was not probed" + (reason.empty() ? "" : ": " + reason));
    }
    if (probe->token.answered(400)) {
        return Outcome::skip(
            "the IMDS token PUT answered 400: botocore gives up without trying IMDSv1");
    }
    if (!probe->token.answered(200)) {
        // 403, 404, 405, other statuses, time-outs and refused connections alike.
        return imds_without_token(chain, *probe);
    }
    if (probe->credentials_v2) {
        return imds_found(chain, *probe, *probe->credentials_v2, false);
    }
    // With a token in hand botocore never falls back to IMDSv1.
    return Outcome::skip(
        fmt::format("IMDSv2: {}", probe->v2_problem.value_or("no credentials for a role")));
}

// A note when the probe asked another endpoint than the one botocore will ask.
void note_endpoint(const Chain& chain, Outcome& outcome) {
    const auto& probe = chain.view().imds;
    if (!outcome.source || !probe || probe->endpoint.empty() ||
        same_endpoint(probe->endpoint, outcome.source->location)) {
        return;
    }
    outcome.source->refresh_note += fmt::format("; note: the probe asked {}, botocore asks {}",
                                                probe->endpoint, outcome.source->location);
}

Outcome load_iam_role(const Chain& chain) {
    Outcome outcome = load_imds(chain);
    note_endpoint(chain, outcome);
    return outcome;
}

// ---------------------------------------------------------------------------------------
// The chain
// ---------------------------------------------------------------------------------------

using Loader = Outcome (*)(const Chain&);

template <ProfileLoader load>
Outcome for_profile(const Chain& chain) {
    return load(chain, ProfileScope{chain.profile().chain_name(), chain.profile().from_code});
}

struct Provider {
    std::string_view method;
    Loader load;
};

// create_credential_resolver's order.
constexpr std::array<Provider, 12> kProviders{{
    {"env", load_env},
    {"assume-role", load_assume_role},
    {"assume-role-with-web-identity", for_profile<load_web_identity>},
    {"sso", for_profile<load_sso>},
    {"shared-credentials-file", for_profile<load_shared_credentials>},
    {"login", for_profile<load_login>},
    {"custom-process", for_profile<load_process>},
    {"config-file", for_profile<load_config_file>},
    {"ec2-credentials-file", load_ec2_credentials_file},
    {"boto-config", load_boto_config},
    {"container-role", load_container},
    {"iam-role", load_iam_role},
}};

}  // namespace

ToolVerdict model_botocore(const MachineView& view, Tool tool) {
    const Chain chain(view, tool);
    ToolVerdict verdict{tool, {}, {}, {}, {}};
    verdict.profile = chain.profile().name.empty() ? "default" : chain.profile().name;
    if (auto failure = resolver_failure(chain)) {
        verdict.failure = std::move(failure);
        return verdict;
    }
    for (const Provider& provider : kProviders) {
        Outcome outcome = provider.load(chain);
        switch (outcome.kind) {
            case Outcome::Kind::skipped:
                verdict.skipped.push_back({std::string(provider.method), outcome.reason});
                continue;
            case Outcome::Kind::raises:
                verdict.failure = fmt::format("{}: {}", provider.method, outcome.reason);
                return verdict;
            case Outcome::Kind::found:
                verdict.source = std::move(outcome.source);
                verdict.failure = std::move(outcome.fails_on_use);
                return verdict;
        }
    }
    return verdict;
}

}  // namespace credkit
