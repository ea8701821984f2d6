#include "credkit/htslib_model.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "credkit/credential_format.hpp"
#include "credkit/ini_document.hpp"
#include "credkit/secret.hpp"

// The model follows setup_auth_data() and its helpers in htslib 1.16's hfile_s3.c (the
// credential part is the same on htslib's master). Each step below fills the key id, secret
// and session token the way htslib does: a step runs only while the key id is still empty,
// and it overwrites whatever fields its source names, so the secret or token htslib signs
// with may come from an earlier source than the key id.
//
// htslib cannot be told a profile other than through the URL or the environment, so
// view.profile (a profile named in code or by --profile) plays no part here.
namespace credkit {
namespace {

constexpr std::string_view kUrl = "url";
constexpr std::string_view kEnv = "env";
constexpr std::string_view kCredentialsFile = "shared-credentials-file";
constexpr std::string_view kS3cfg = "s3cfg";
constexpr std::string_view kAwsSecret = "awssecret";
constexpr std::string_view kAnonymous = "anonymous";

// htslib re-reads the credentials file when fewer than this many seconds remain.
constexpr int kRefreshWindowSeconds = 60;

// The C locale's isspace(), which htslib's isspace_c() is.
bool is_c_space(char c) {
    return c == ' ' || (c >= '\t' && c <= '\r');
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && is_c_space(text.front())) {
        text.remove_prefix(1);
    }
    while (!text.empty() && is_c_space(text.back())) {
        text.remove_suffix(1);
    }
    return text;
}

// The lines of a file as htslib's kgetline() returns them: split at '\n', with one '\r'
// before it dropped.
std::vector<std::string_view> lines_of(std::string_view text) {
    std::vector<std::string_view> lines;
    while (!text.empty()) {
        const auto end = text.find('\n');
        std::string_view line = text.substr(0, end);
        if (end != std::string_view::npos && line.ends_with('\r')) {
            line.remove_suffix(1);
        }
        lines.push_back(line);
        text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    }
    return lines;
}

// What htslib's parse_ini() takes from a file for one section. htslib starts "active", so
// keys before the first [section] line count for every profile; a "[name]" line (the '['
// in the first column, the name up to the first ']', untrimmed) switches to that section or
// away from it; any other active line holding ':' or '=' is a key, split at the first of
// them, key and value trimmed. There is no comment syntax: "# x = y" is the key "# x".
struct IniRead {
    std::map<std::string, std::string, std::less<>> values;  // wanted keys; the last one wins
    std::vector<std::string> other_keys;                     // active keys htslib does not look for
    bool section_found = false;
    bool has_section_lines = false;
};

// `section` is nothing when htslib passes no section name at all (see UrlParts).
IniRead read_ini(std::string_view text, const std::optional<std::string>& section,
                 std::span<const std::string_view> wanted) {
    IniRead read;
    bool active = true;
    for (const std::string_view line : lines_of(text)) {
        const auto close = line.find(']');
        if (line.starts_with('[') && close != std::string_view::npos) {
            read.has_section_lines = true;
            active = section && line.substr(1, close - 1) == *section;
            read.section_found = read.section_found || active;
            continue;
        }
        const auto separator = line.find_first_of(":=");
        if (!active || separator == std::string_view::npos) {
            continue;
        }
        const std::string key(trim(line.substr(0, separator)));
        if (std::find(wanted.begin(), wanted.end(), key) == wanted.end()) {
            read.other_keys.push_back(key);
            continue;
        }
        read.values[key] = std::string(trim(line.substr(separator + 1)));
    }
    return read;
}

// A tiny sscanf() for the conversions htslib's parse_rfc3339_date() uses.
class Scanner {
public:
    explicit Scanner(std::string_view text) : rest_(text) {}

    // %Nu: blanks skipped, then 1..N digits (a '+' sign counts in N). A '-' sign, which
    // sscanf() would turn into a huge unsigned number, is refused.
    bool number(std::size_t width, std::int64_t& out) {
        skip_blanks();
        std::size_t used = 0;
        if (!rest_.empty() && rest_.front() == '+') {
            rest_.remove_prefix(1);
            ++used;
        }
        std::size_t digits = 0;
        out = 0;
        while (used < width && !rest_.empty() &&
               std::isdigit(static_cast<unsigned char>(rest_[0]))) {
            out = out * 10 + (rest_.front() - '0');
            rest_.remove_prefix(1);
            ++used;
            ++digits;
        }
        return digits > 0;
    }
    bool literal(char wanted) {
        if (rest_.empty() || rest_.front() != wanted) {
            return false;
        }
        rest_.remove_prefix(1);
        return true;
    }
    // %c: one character, blanks included.
    bool character(char& out) {
        if (rest_.empty()) {
            return false;
        }
        out = rest_.front();
        rest_.remove_prefix(1);
        return true;
    }
    // %Ns: blanks skipped, then 1..N non-blank characters.
    bool word(std::size_t width, std::string& out) {
        skip_blanks();
        std::size_t length = 0;
        while (length < width && length < rest_.size() && !is_c_space(rest_[length])) {
            ++length;
        }
        out = std::string(rest_.substr(0, length));
        rest_.remove_prefix(length);
        return length > 0;
    }

private:
    void skip_blanks() {
        while (!rest_.empty() && is_c_space(rest_.front())) {
            rest_.remove_prefix(1);
        }
    }
    std::string_view rest_;
};

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
    return a / b - ((a % b != 0) && (a < 0));
}

// hts_time_gm(): out-of-range fields carry over as timegm() does; before 1970 is an error.
std::optional<std::int64_t> seconds_since_epoch(const std::array<std::int64_t, 6>& fields) {
    const auto [year, mon, day, hour, min, sec] = fields;
    const std::int64_t months = mon - 1;
    const std::int64_t whole_year = year + floor_div(months, 12);
    const auto month_index = static_cast<unsigned>(months - floor_div(months, 12) * 12);
    const std::chrono::sys_days first{std::chrono::year{static_cast<int>(whole_year)} /
                                      std::chrono::month{month_index + 1} / 1};
    const std::int64_t seconds =
        first.time_since_epoch().count() * 86400 + (day - 1) * 86400 + hour * 3600 + min * 60 + sec;
    if (seconds < 0) {
        return std::nullopt;
    }
    return seconds;
}

// The seconds to add for a "+HH:MM" / "-HH:MM" zone. htslib ignores a zone it cannot read
// fully (and reads uninitialised minutes for "+HH"), which is taken here as UTC.
std::int64_t zone_offset(const std::string& zone) {
    Scanner scan(std::string_view(zone).substr(1));
    std::int64_t hours = 0;
    std::int64_t minutes = 0;
    if (!scan.number(2, hours) || !scan.literal(':') || !scan.number(2, minutes)) {
        return 0;
    }
    if (hours >= 24 || minutes > 60) {
        return 0;
    }
    return (hours * 60 + minutes) * (zone[0] == '+' ? -60 : 60);
}

// parse_rfc3339_date(): "%4u-%2u-%2u%c%2u:%2u:%2u%9s" must all match, with 'T', 't' or ' '
// between date and time and the zone starting with 'Z', 'z', '+' or '-'. So a missing zone
// or fractional seconds give 0, which htslib takes as "no expiry", as it does any time that
// does not come out after 1970-01-01T00:00:00Z.
std::optional<TimePoint> parse_expiry_time(std::string_view text) {
    Scanner scan(text);
    std::array<std::int64_t, 6> fields{};
    char separator = 0;
    std::string zone;
    const bool matched =
        scan.number(4, fields[0]) && scan.literal('-') && scan.number(2, fields[1]) &&
        scan.literal('-') && scan.number(2, fields[2]) && scan.character(separator) &&
        scan.number(2, fields[3]) && scan.literal(':') && scan.number(2, fields[4]) &&
        scan.literal(':') && scan.number(2, fields[5]) && scan.word(9, zone);
    if (!matched || (separator != 'T' && separator != 't' && separator != ' ')) {
        return std::nullopt;
    }
    if (std::string_view("Zz+-").find(zone[0]) == std::string_view::npos) {
        return std::nullopt;
    }
    const auto when = seconds_since_epoch(fields);
    if (!when) {
        return std::nullopt;
    }
    const std::int64_t expiry = *when + (zone[0] == '+' || zone[0] == '-' ? zone_offset(zone) : 0);
    if (expiry <= 0) {
        return std::nullopt;
    }
    return TimePoint(std::chrono::seconds(expiry));
}

// urldecode_kput(): "%XX" becomes the byte strtol() reads from XX.
std::string url_decode(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size();) {
        if (text[i] == '%' && i + 2 < text.size()) {
            const std::string digits(text.substr(i + 1, 2));
            out.push_back(static_cast<char>(std::strtol(digits.c_str(), nullptr, 16)));
            i += 3;
            continue;
        }
        out.push_back(text[i++]);
    }
    return out;
}

// What htslib takes from an s3://[ID:SECRET[:TOKEN]@|PROFILE@]BUCKET/KEY URL. The user part
// is only seen when '@' comes before any of "/?#": a secret holding an unescaped '/' makes
// the whole thing a bucket name.
struct UrlParts {
    bool is_s3 = false;
    bool has_user_part = false;
    bool has_keys = false;  // the user part holds a ':'
    // The profile; nothing when the user part names none (an empty "@" or ID:SECRET@): htslib
    // then passes no section name to its file reader at all.
    std::optional<std::string> profile;
    std::string id, secret, token;
};

std::optional<std::string_view> s3_authority(std::string_view url) {
    static constexpr std::array<std::string_view, 3> kSchemes{"s3+https:", "s3+http:", "s3:"};
    for (const std::string_view scheme : kSchemes) {
        if (url.size() >= scheme.size() &&
            std::equal(scheme.begin(), scheme.end(), url.begin(), [](char a, char b) {
                return a == std::tolower(static_cast<unsigned char>(b));
            })) {
            std::string_view rest = url.substr(scheme.size());
            while (rest.starts_with('/')) {
                rest.remove_prefix(1);
            }
            return rest;
        }
    }
    return std::nullopt;
}

UrlParts parse_url(std::string_view url) {
    UrlParts parts;
    const auto rest = s3_authority(url);
    parts.is_s3 = rest.has_value();
    if (!rest) {
        return parts;
    }
    const auto end = rest->find_first_of("/?#@");
    if (end == std::string_view::npos || (*rest)[end] != '@') {
        return parts;
    }
    parts.has_user_part = true;
    const std::string_view user = rest->substr(0, end);
    const auto colon = user.find(':');
    if (colon == std::string_view::npos) {
        if (!user.empty()) {
            parts.profile = url_decode(user);
        }
        return parts;
    }
    parts.has_keys = true;
    parts.id = url_decode(user.substr(0, colon));
    const std::string_view after = user.substr(colon + 1);
    const auto colon2 = after.find(':');
    parts.secret = url_decode(after.substr(0, colon2));
    if (colon2 != std::string_view::npos) {
        parts.token = url_decode(after.substr(colon2 + 1));
    }
    return parts;
}

// One of the three values htslib signs with, and the step that wrote it last: `origin` names
// the variable or file for messages, `step` tells whether two fields came from one source.
struct Field {
    std::string value;
    std::string origin;
    std::string step;

    void set(std::string new_value, std::string new_origin, std::string_view new_step) {
        value = std::move(new_value);
        origin = std::move(new_origin);
        step = std::string(new_step);
    }
};

// htslib overwrites a field whenever the file names its key, even with an empty value.
void assign_from(const IniRead& read, std::string_view key, Field& field, const std::string& path,
                 std::string_view step) {
    if (const auto it = read.values.find(key); it != read.values.end()) {
        field.set(it->second, path, step);
    }
}

std::string quoted_section(const std::optional<std::string>& section) {
    return section ? "[" + *section + "]" : "(no section name)";
}

// htslib ignores any expiry in an s3cfg, but the comment credkit writes there says when the
// keys end, and diagnose can tell that much. An expiry_time key is not taken: nothing says
// who wrote it or that it is true.
std::optional<TimePoint> credkit_s3cfg_expiry(const MachineView& view, const std::string& path,
                                              const std::string& section) {
    const auto file = view.files.read(path);
    if (!file) {
        return std::nullopt;
    }
    const auto document = IniDocument::parse(file->text, path);
    if (!document) {
        return std::nullopt;
    }
    return recorded_s3cfg_expiry(*document, section).value_or(std::nullopt);
}

class HtslibResolver {
public:
    explicit HtslibResolver(const MachineView& view)
        : view_(view), url_(parse_url(view.url.value_or("s3://bucket/key"))) {}

    ToolVerdict resolve();

private:
    bool from_url();
    bool from_env();
    bool from_credentials_file();
    bool from_s3cfg();
    bool from_awssecret();

    // The file htslib opens for `name` ("~/" is $HOME), or nothing with the reason why.
    std::optional<std::string> expand(const std::string& name, std::string_view method);
    std::optional<FileInfo> open(const std::string& path, std::string_view method);
    bool crashes_on(const IniRead& read, const std::string& path);
    void skip_ini(std::string_view method, const std::string& path, const IniRead& read,
                  std::string_view id_key);
    void win(std::string_view method, std::string location, std::string section);
    void skip(std::string_view method, std::string reason);
    void skip_unread(std::string_view method);
    void finish_unsigned();
    void check_mixed_origins();
    void note_refresh();
    void note_credentials_refresh(SourceUse& use) const;
    void use_anonymous();

    const MachineView& view_;
    UrlParts url_;
    std::optional<std::string> profile_;
    Field id_, secret_, token_;
    // From the credentials file's expiry_time, when htslib read one.
    std::string credentials_path_;
    std::optional<std::string> expiry_text_;
    std::optional<TimePoint> expiry_;
    std::vector<std::string> credentials_other_keys_;
    ToolVerdict verdict_{Tool::htslib, {}, {}, {}, {}};
};

void HtslibResolver::skip(std::string_view method, std::string reason) {
    verdict_.skipped.push_back(SkippedSource{std::string(method), std::move(reason)});
}

void HtslibResolver::skip_unread(std::string_view method) {
    skip(method, "not read: " + id_.origin + " already gave a key id");
}

void HtslibResolver::win(std::string_view method, std::string location, std::string section) {
    SourceUse use;
    use.method = std::string(method);
    use.location = std::move(location);
    use.section = std::move(section);
    use.access_key_id = id_.value;
    use.has_session_token = !token_.value.empty();
    verdict_.source = std::move(use);
}

bool HtslibResolver::from_url() {
    if (!url_.has_user_part) {
        skip(kUrl, "the URL has no user part (ID:SECRET@)");
        return false;
    }
    if (!url_.has_keys) {
        profile_ = url_.profile;
        skip(kUrl, url_.profile ? "the URL names profile '" + *url_.profile + "', not keys"
                                : "the URL's user part is empty");
        return false;
    }
    id_.set(url_.id, "the URL", kUrl);
    secret_.set(url_.secret, "the URL", kUrl);
    token_.set(url_.token, "the URL", kUrl);
    if (id_.value.empty()) {
        skip(kUrl, "the URL's key id (before the ':') is empty");
        return false;
    }
    win(kUrl, "URL user part", "");
    return true;
}

bool HtslibResolver::from_env() {
    if (url_.has_user_part) {
        skip(kEnv,
             "not read: a URL with a user part (...@bucket) turns off the AWS_* key, "
             "profile and region variables");
        return false;
    }
    const Environment& env = view_.env;
    const auto id = env.get("AWS_ACCESS_KEY_ID");
    const auto secret = env.get("AWS_SECRET_ACCESS_KEY");
    const auto token = env.get("AWS_SESSION_TOKEN");
    if (id) {
        id_.set(*id, "AWS_ACCESS_KEY_ID", kEnv);
    }
    if (secret) {
        secret_.set(*secret, "AWS_SECRET_ACCESS_KEY", kEnv);
    }
    if (token) {
        token_.set(*token, "AWS_SESSION_TOKEN", kEnv);
    }
    // Set but empty still counts: AWS_DEFAULT_PROFILE="" hides AWS_PROFILE.
    profile_ = env.get("AWS_DEFAULT_PROFILE");
    if (!profile_) {
        profile_ = env.get("AWS_PROFILE").value_or("default");
    }

    if (!id || id->empty()) {
        skip(kEnv, id ? "AWS_ACCESS_KEY_ID is set but empty" : "AWS_ACCESS_KEY_ID is not set");
        return false;
    }
    win(kEnv, "AWS_ACCESS_KEY_ID", "");
    return true;
}

std::optional<std::string> HtslibResolver::expand(const std::string& name,
                                                  std::string_view method) {
    if (!name.starts_with("~/")) {
        return name;
    }
    if (view_.home.empty()) {
        skip(method, "HOME is not set, so htslib cannot open " + name);
        return std::nullopt;
    }
    return view_.home.string() + name.substr(1);
}

std::optional<FileInfo> HtslibResolver::open(const std::string& path, std::string_view method) {
    auto file = path.empty() ? std::nullopt : view_.files.read(path);
    if (!file) {
        skip(method, path.empty() ? "the variable naming the file is empty: htslib opens nothing"
                                  : path + " does not exist or cannot be read");
    }
    return file;
}

// With no section name, htslib 1.16 compares every [section] line against a null pointer.
bool HtslibResolver::crashes_on(const IniRead& read, const std::string& path) {
    if (profile_ || !read.has_section_lines) {
        return false;
    }
    verdict_.failure = "htslib crashes reading " + path +
                       ": the URL's user part names no profile and the file has [section] lines";
    return true;
}

void HtslibResolver::skip_ini(std::string_view method, const std::string& path, const IniRead& read,
                              std::string_view id_key) {
    const std::string where = path + " " + quoted_section(profile_);
    if (read.values.contains(id_key)) {
        skip(method, std::string(id_key) + " is empty in " + where);
    } else if (!read.section_found) {
        skip(method, path + " has no " + quoted_section(profile_) + " section and no " +
                         std::string(id_key) + " before its first section");
    } else {
        skip(method, where + " has no " + std::string(id_key));
    }
}

bool HtslibResolver::from_credentials_file() {
    const auto variable = view_.env.get("AWS_SHARED_CREDENTIALS_FILE");
    const auto path = expand(variable.value_or("~/.aws/credentials"), kCredentialsFile);
    const auto file = path ? open(*path, kCredentialsFile) : std::nullopt;
    if (!file) {
        return false;
    }
    static constexpr std::array<std::string_view, 6> kKeys{
        "aws_access_key_id", "aws_secret_access_key",
        "aws_session_token", "region",
        "addressing_style",  "expiry_time"};
    const IniRead read = read_ini(file->text, profile_, kKeys);
    if (crashes_on(read, *path)) {
        return false;
    }
    assign_from(read, "aws_access_key_id", id_, *path, kCredentialsFile);
    assign_from(read, "aws_secret_access_key", secret_, *path, kCredentialsFile);
    assign_from(read, "aws_session_token", token_, *path, kCredentialsFile);
    credentials_path_ = *path;
    credentials_other_keys_ = read.other_keys;
    if (const auto it = read.values.find("expiry_time"); it != read.values.end()) {
        if (!it->second.empty()) {
            expiry_text_ = it->second;
            expiry_ = parse_expiry_time(it->second);
        }
    }
    for (const std::string_view key : {"region", "addressing_style"}) {
        if (read.values.contains(key)) {
            credentials_other_keys_.emplace_back(key);
        }
    }

    if (id_.value.empty()) {
        skip_ini(kCredentialsFile, *path, read, "aws_access_key_id");
        return false;
    }
    win(kCredentialsFile, *path, profile_.value_or(""));
    return true;
}

bool HtslibResolver::from_s3cfg() {
    const auto variable = view_.env.get("HTS_S3_S3CFG");
    const auto path = expand(variable.value_or("~/.s3cfg"), kS3cfg);
    const auto file = path ? open(*path, kS3cfg) : std::nullopt;
    if (!file) {
        return false;
    }
    static constexpr std::array<std::string_view, 6> kKeys{
        "access_key", "secret_key", "access_token", "host_base", "bucket_location", "host_bucket"};
    const IniRead read = read_ini(file->text, profile_, kKeys);
    if (crashes_on(read, *path)) {
        return false;
    }
    assign_from(read, "access_key", id_, *path, kS3cfg);
    assign_from(read, "secret_key", secret_, *path, kS3cfg);
    assign_from(read, "access_token", token_, *path, kS3cfg);

    if (id_.value.empty()) {
        skip_ini(kS3cfg, *path, read, "access_key");
        return false;
    }
    win(kS3cfg, *path, profile_.value_or(""));
    return true;
}

// parse_simple(): the file's lines joined by spaces; the first word is the key id and the
// second is appended to whatever secret an earlier source left.
bool HtslibResolver::from_awssecret() {
    const auto path = expand("~/.awssecret", kAwsSecret);
    const auto file = path ? open(*path, kAwsSecret) : std::nullopt;
    if (!file) {
        return false;
    }
    std::string joined;
    for (const std::string_view line : lines_of(file->text)) {
        joined.append(line).push_back(' ');
    }
    std::string_view rest = joined;
    const auto next_word = [&rest] {
        while (!rest.empty() && is_c_space(rest.front())) {
            rest.remove_prefix(1);
        }
        const std::string_view word = rest.substr(0, rest.find_first_of(" \t"));
        rest.remove_prefix(word.size());
        return std::string(word);
    };
    id_.set(next_word(), *path, kAwsSecret);
    const std::string secret = next_word();
    if (!secret.empty()) {
        const bool alone = secret_.value.empty();
        std::string origin = alone ? *path : secret_.origin + " then " + *path;
        // Glued to an earlier secret, it matches no key id.
        secret_.set(secret_.value + secret, std::move(origin), alone ? kAwsSecret : "joined");
    }
    if (id_.value.empty()) {
        skip(kAwsSecret, *path + " is empty");
        return false;
    }
    win(kAwsSecret, *path, "");
    return true;
}

// htslib signs nothing when the secret is empty: it sends unsigned requests.
void HtslibResolver::finish_unsigned() {
    const SourceUse found = *verdict_.source;
    verdict_.source.reset();
    skip(found.method, "gives key id " + redact_key_id(found.access_key_id) +
                           " but no secret key: htslib signs nothing without one");
    verdict_.failure = "htslib has key id " + redact_key_id(found.access_key_id) + " from " +
                       found.location + " but no secret key, so it sends unsigned requests";
}

// A secret or token from another source than the key id will not match it.
void HtslibResolver::check_mixed_origins() {
    std::string mixed;
    if (secret_.step != id_.step) {
        mixed = "the secret key from " + secret_.origin;
    }
    if (!token_.value.empty() && token_.step != id_.step) {
        mixed += (mixed.empty() ? "" : " and ") + ("the session token from " + token_.origin);
    }
    if (mixed.empty()) {
        return;
    }
    verdict_.failure = "htslib signs with key id " + redact_key_id(id_.value) + " from " +
                       id_.origin + " but " + mixed +
                       ": S3 will refuse them unless they belong together";
}

// Why a source other than the credentials file never changes while htslib uses it.
std::string static_note(std::string_view method, const std::string& location) {
    if (method == kS3cfg) {
        return "htslib reads " + location +
               " at each open, never inside an open file: a long stream keeps its keys";
    }
    if (method == kEnv) {
        return "htslib reads the environment at each open; a running process keeps its keys";
    }
    if (method == kUrl) {
        return "the keys are part of the URL: nothing renews them";
    }
    return "htslib reads " + location + " at each open; it holds no expiry";
}

void HtslibResolver::note_credentials_refresh(SourceUse& use) const {
    if (!expiry_) {
        const std::string why = expiry_text_ ? "expiry_time '" + *expiry_text_ +
                                                   "' is not a time htslib reads "
                                                   "(YYYY-MM-DDTHH:MM:SSZ or +HH:MM)"
                                             : std::string("no expiry_time");
        use.refresh_note =
            why + ": htslib treats the keys as permanent and never re-reads " + use.location;
        return;
    }
    use.expires = expiry_;
    use.refreshes = true;
    use.refresh_note = "htslib re-reads " + use.location + " before each new request once " +
                       "fewer than " + std::to_string(kRefreshWindowSeconds) +
                       " s remain before expiry_time; never inside a single request";
    if (!credentials_other_keys_.empty()) {
        // htslib 1.16's re-read passes its key list without the terminating null.
        use.refresh_note += "; but the section also holds '" + credentials_other_keys_.front() +
                            "', which makes that re-read run past its key list and may crash it";
    }
}

void HtslibResolver::note_refresh() {
    SourceUse& use = *verdict_.source;
    if (use.method == kCredentialsFile) {
        note_credentials_refresh(use);
        return;
    }
    use.refresh_note = static_note(use.method, use.location);
    if (use.method == kS3cfg) {
        use.expires = credkit_s3cfg_expiry(view_, use.location, use.section);
    }
    if (expiry_) {
        use.refresh_note += "; " + credentials_path_ +
                            " has an expiry_time, so htslib re-reads it near then and takes "
                            "any keys it holds by that time";
    }
}

void HtslibResolver::use_anonymous() {
    SourceUse anonymous;
    anonymous.method = std::string(kAnonymous);
    anonymous.has_session_token = !token_.value.empty();
    anonymous.refresh_note = "unsigned requests: only public objects can be read";
    verdict_.source = std::move(anonymous);
}

ToolVerdict HtslibResolver::resolve() {
    if (!url_.is_s3) {
        verdict_.failure = "not a URL htslib's S3 plugin opens (s3://, s3+http://, s3+https://)";
        return verdict_;
    }
    using Step = bool (HtslibResolver::*)();
    static constexpr std::array<std::pair<std::string_view, Step>, 5> kSteps{{
        {kUrl, &HtslibResolver::from_url},
        {kEnv, &HtslibResolver::from_env},
        {kCredentialsFile, &HtslibResolver::from_credentials_file},
        {kS3cfg, &HtslibResolver::from_s3cfg},
        {kAwsSecret, &HtslibResolver::from_awssecret},
    }};
    for (std::size_t step = 0; step < kSteps.size(); ++step) {
        const bool found = (this->*kSteps[step].second)();
        verdict_.profile = profile_.value_or("");
        if (verdict_.failure) {
            return verdict_;  // htslib crashed reading a file
        }
        if (!found) {
            continue;
        }
        if (!secret_.value.empty()) {
            check_mixed_origins();
            note_refresh();
            return verdict_;
        }
        finish_unsigned();
        for (std::size_t later = step + 1; later < kSteps.size(); ++later) {
            skip_unread(kSteps[later].first);
        }
        break;
    }
    use_anonymous();
    return verdict_;
}

}  // namespace

ToolVerdict model_htslib(const MachineView& view) {
    return HtslibResolver(view).resolve();
}

}  // namespace credkit
