#include "credkit/mock_imds_server.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <csignal>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>

#include <arpa/inet.h>
#include <fmt/format.h>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>

#include "credkit/credentials.hpp"
#include "credkit/imds_protocol.hpp"
#include "credkit/secret.hpp"
#include "credkit/timestamp.hpp"

namespace credkit {
namespace {

using imds::kCredentialsPath;
using imds::kIdentityPath;
using imds::kInstanceIdPath;
using imds::kRegionPath;
using imds::kTokenPath;
using imds::kZonePath;

// httplib looks headers up by std::string.
const std::string kTokenHeader(imds::kTokenHeader);
const std::string kTtlHeader(imds::kTtlHeader);
constexpr int kMaxTokenTtl = imds::kMaxTokenTtlSeconds;

constexpr std::string_view kFaultHint =
    "write KIND[:ARG][@PATH][*TIMES] with KIND one of status:CODE, delay:DURATION, hang, "
    "malformed-json, expired, drop-token-put, no-role";

// Far enough for any rehearsal, near enough that every date stays a four-digit year.
constexpr auto kMaxClockSkew = std::chrono::years(10);

// Enough workers that a few hanging requests do not starve the others.
constexpr std::size_t kWorkerThreads = 16;
// Idle keep-alive connections are closed after this long; stop() may wait for them that long.
constexpr time_t kKeepAliveSeconds = 1;
constexpr std::size_t kMaxRequestBody = 64 * 1024;
// Live tokens kept at most. Past that an arbitrary one is forgotten, so a client that asks for
// a token per request cannot make the server grow without bound.
constexpr std::size_t kMaxLiveTokens = 10000;

constexpr std::string_view kUpperAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
constexpr std::string_view kBase64 =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
// Real session tokens start with these characters; clients that sniff them are not surprised.
constexpr std::string_view kSessionTokenPrefix = "IQoJb3JpZ2luX2Vj";

struct FaultName {
    MockFaultKind kind;
    std::string_view name;
};

constexpr std::array kFaultNames{
    FaultName{MockFaultKind::status, "status"},
    FaultName{MockFaultKind::delay, "delay"},
    FaultName{MockFaultKind::hang, "hang"},
    FaultName{MockFaultKind::malformed_json, "malformed-json"},
    FaultName{MockFaultKind::expired, "expired"},
    FaultName{MockFaultKind::drop_token_put, "drop-token-put"},
    FaultName{MockFaultKind::no_role, "no-role"},
};

std::string_view fault_name(MockFaultKind kind) {
    const auto* found = std::ranges::find(kFaultNames, kind, &FaultName::kind);
    return found == kFaultNames.end() ? "unknown" : found->name;
}

bool all_digits(std::string_view text) {
    return !text.empty() && std::ranges::all_of(text, [](char c) { return c >= '0' && c <= '9'; });
}

// A whole decimal number within [low, high], or nothing.
std::optional<int> parse_int(std::string_view text, int low, int high) {
    int value = 0;
    if (!all_digits(text)) {
        return std::nullopt;
    }
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size() || value < low || value > high) {
        return std::nullopt;
    }
    return value;
}

// ---- fault specs ----------------------------------------------------------------------------

// A fault spec cut at its separators, before anything is checked.
struct FaultParts {
    std::string_view kind;
    std::optional<std::string_view> argument;
    std::optional<std::string_view> path;
    std::optional<std::string_view> times;
};

// A trailing "*DIGITS" is the count; what remains splits at the first '@' (path) and then at
// the first ':' (argument). A '*' right after a '/' stays with the path as its wildcard, since
// a count alone would make "/iam/*1" mean the bare directory, which nobody means.
FaultParts split_fault(std::string_view spec) {
    FaultParts parts;
    const auto star = spec.rfind('*');
    if (star != std::string_view::npos && all_digits(spec.substr(star + 1))) {
        parts.times = spec.substr(star + 1);
        const bool wildcard = star > 0 && spec[star - 1] == '/';
        spec = spec.substr(0, wildcard ? star + 1 : star);
    }
    if (const auto at = spec.find('@'); at != std::string_view::npos) {
        parts.path = spec.substr(at + 1);
        spec = spec.substr(0, at);
    }
    if (const auto colon = spec.find(':'); colon != std::string_view::npos) {
        parts.argument = spec.substr(colon + 1);
        spec = spec.substr(0, colon);
    }
    parts.kind = spec;
    return parts;
}

std::unexpected<Error> fault_error(std::string_view spec, std::string why) {
    return fail(ErrorKind::usage, fmt::format("invalid fault '{}'", spec), std::move(why),
                std::string(kFaultHint));
}

Result<MockFaultKind> parse_fault_kind(std::string_view spec, std::string_view name) {
    const auto* found = std::ranges::find(kFaultNames, name, &FaultName::name);
    if (found == kFaultNames.end()) {
        if (name.find('*') != std::string_view::npos) {
            return fault_error(spec, "'*' must be followed by a count, as in 'hang*2'");
        }
        return fault_error(spec, fmt::format("unknown kind '{}'", name));
    }
    return found->kind;
}

Result<void> parse_status_argument(std::string_view spec, std::string_view argument,
                                   MockFault& fault) {
    const auto code = parse_int(argument, 200, 599);
    if (!code) {
        return fault_error(spec,
                           fmt::format("'{}' is not a status code from 200 to 599", argument));
    }
    fault.status = *code;
    return {};
}

Result<void> parse_delay_argument(std::string_view spec, std::string_view argument,
                                  MockFault& fault) {
    const auto delay = parse_duration(argument);
    if (!delay) {
        return fault_error(spec,
                           fmt::format("invalid delay '{}': {}", argument, delay.error().why));
    }
    fault.delay = *delay;
    return {};
}

// status and delay need an argument; every other kind refuses one.
Result<void> parse_fault_argument(std::string_view spec, std::optional<std::string_view> argument,
                                  MockFault& fault) {
    const bool needs_argument =
        fault.kind == MockFaultKind::status || fault.kind == MockFaultKind::delay;
    if (needs_argument && !argument) {
        return fault_error(
            spec, fmt::format("'{}' needs an argument, as in '{}'", fault_name(fault.kind),
                              fault.kind == MockFaultKind::status ? "status:503" : "delay:2s"));
    }
    if (!needs_argument && argument) {
        return fault_error(spec, fmt::format("'{}' takes no argument", fault_name(fault.kind)));
    }
    if (fault.kind == MockFaultKind::status) {
        return parse_status_argument(spec, *argument, fault);
    }
    if (fault.kind == MockFaultKind::delay) {
        return parse_delay_argument(spec, *argument, fault);
    }
    return {};
}

Result<std::string> parse_fault_path(std::string_view spec, std::string_view path) {
    if (!path.starts_with('/')) {
        return fault_error(spec, "the path after '@' must start with '/'");
    }
    const auto star = path.find('*');
    if (star != std::string_view::npos && star + 1 != path.size()) {
        return fault_error(spec, "'*' may only end the path, to match every path with that prefix");
    }
    return std::string(path);
}

Result<int> parse_fault_times(std::string_view spec, std::string_view times) {
    const auto count = parse_int(times, 1, 1'000'000'000);
    if (!count) {
        return fault_error(spec, fmt::format("'{}' is not a count of at least 1", times));
    }
    return *count;
}

// ---- listen addresses -----------------------------------------------------------------------

std::string without_brackets(std::string_view host) {
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    return std::string(host);
}

// "localhost" is pinned to IPv4, so that the printed endpoint and the bound socket agree.
std::string normalize_host(std::string_view host) {
    std::string plain = without_brackets(host);
    return plain == "localhost" ? "127.0.0.1" : plain;
}

bool is_loopback(const std::string& host) {
    in_addr v4{};
    if (inet_pton(AF_INET, host.c_str(), &v4) == 1) {
        return (ntohl(v4.s_addr) >> 24) == 127;
    }
    in6_addr v6{};
    if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
        return std::memcmp(&v6, &in6addr_loopback, sizeof v6) == 0;
    }
    return false;
}

std::string host_for_url(const std::string& host) {
    return host.find(':') == std::string::npos ? host : "[" + host + "]";
}

std::string lowercase_first(std::string text) {
    if (!text.empty()) {
        text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
    }
    return text;
}

Error bind_error(const std::string& host, std::uint16_t port, int error_number) {
    const std::string what = fmt::format("cannot listen on {}:{}", host_for_url(host), port);
    if (error_number == EADDRINUSE) {
        return make_error(ErrorKind::failure, what, "the port is already in use",
                          "choose another port, or port 0 to let the system pick a free one");
    }
    const std::string why = error_number != 0 ? lowercase_first(std::strerror(error_number))
                                              : "the address cannot be bound";
    return make_error(ErrorKind::failure, what, why);
}

// ---- configuration --------------------------------------------------------------------------

Result<void> validate_listen_host(const MockImdsConfig& config) {
    if (config.allow_non_loopback || is_loopback(config.host)) {
        return {};
    }
    return fail(ErrorKind::usage, fmt::format("cannot listen on {}", config.host),
                "not a loopback address, and the mock hands credentials to anyone who reaches it",
                "listen on 127.0.0.1 or [::1]");
}

Result<void> validate_timing(const MockImdsConfig& config) {
    const auto what = "invalid mock-imds timing";
    if (config.rotation < Seconds(1)) {
        return fail(ErrorKind::usage, what, "the rotation interval must be at least 1s");
    }
    if (config.lifetime <= config.rotation) {
        return fail(ErrorKind::usage, what,
                    fmt::format("the rotation interval ({}) must be shorter than the credential "
                                "lifetime ({})",
                                format_duration(config.rotation), format_duration(config.lifetime)),
                    "rotate more often than the credentials expire, as IMDS does");
    }
    if (config.hang_for < Millis(0)) {
        return fail(ErrorKind::usage, what, "the hang time cannot be negative");
    }
    if (std::chrono::abs(config.clock_skew) > kMaxClockSkew) {
        return fail(ErrorKind::usage, what, "the clock skew must be within 10 years");
    }
    return {};
}

Result<void> validate_role(const std::optional<std::string>& role) {
    const auto bad = [](char c) { return c == '/' || std::isspace(static_cast<unsigned char>(c)); };
    if (!role || (!role->empty() && std::ranges::none_of(*role, bad))) {
        return {};
    }
    return fail(ErrorKind::usage, fmt::format("invalid role name '{}'", *role),
                "a role name is not empty and has no '/' or spaces");
}

Result<void> validate_fixed_credentials(const std::vector<Credentials>& fixed) {
    for (std::size_t index = 0; index < fixed.size(); ++index) {
        if (fixed[index].access_key_id.empty() || fixed[index].secret_access_key.empty()) {
            return fail(ErrorKind::usage, "invalid fixed credentials",
                        fmt::format("entry {} lacks a key id or a secret", index + 1));
        }
    }
    return {};
}

Result<void> validate_config(const MockImdsConfig& config) {
    if (auto host = validate_listen_host(config); !host) {
        return host;
    }
    if (auto timing = validate_timing(config); !timing) {
        return timing;
    }
    if (auto fixed = validate_fixed_credentials(config.fixed_credentials); !fixed) {
        return fixed;
    }
    return validate_role(config.role);
}

// ---- made-up credentials --------------------------------------------------------------------

using Digest = std::array<unsigned char, 32>;

Digest sha256(std::string_view data) {
    Digest digest{};
    EVP_Digest(data.data(), data.size(), digest.data(), nullptr, EVP_sha256(), nullptr);
    return digest;
}

// Characters from `alphabet`, fixed by the seed, the generation and a label, so that each
// generation has keys of its own and a seed reproduces them from run to run.
std::string derive_chars(std::uint64_t seed, std::int64_t generation, std::string_view label,
                         std::size_t length, std::string_view alphabet) {
    std::string chars;
    for (unsigned block = 0; chars.size() < length; ++block) {
        const auto digest =
            sha256(fmt::format("credkit-mock-imds/{}/{}/{}/{}", seed, generation, label, block));
        for (const unsigned char byte : digest) {
            if (chars.size() < length) {
                chars += alphabet[byte % alphabet.size()];
            }
        }
    }
    return chars;
}

Credentials generate_keys(std::uint64_t seed, std::int64_t generation) {
    Credentials keys;
    keys.access_key_id = "ASIA" + derive_chars(seed, generation, "access-key-id", 16, kUpperAlnum);
    keys.secret_access_key = Secret(derive_chars(seed, generation, "secret", 40, kBase64));
    keys.session_token = Secret(std::string(kSessionTokenPrefix) +
                                derive_chars(seed, generation, "session-token", 384, kBase64));
    return keys;
}

// The body IMDS answers for a role, its keys in the order IMDS writes them. IMDS always sends
// a Token; the mock leaves it out only for fixed long-term keys, which have none.
std::string credentials_json(const Credentials& credentials) {
    nlohmann::ordered_json document;
    document["Code"] = "Success";
    document["LastUpdated"] = format_rfc3339(credentials.last_updated.value_or(TimePoint{}));
    document["Type"] = "AWS-HMAC";
    document["AccessKeyId"] = credentials.access_key_id;
    document["SecretAccessKey"] = credentials.secret_access_key.reveal();
    if (credentials.has_session_token()) {
        document["Token"] = credentials.session_token.reveal();
    }
    document["Expiration"] = format_rfc3339(credentials.expiration.value_or(TimePoint{}));
    return document.dump(2);
}

std::optional<std::string> random_token() {
    std::array<unsigned char, 36> bytes{};
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
        return std::nullopt;
    }
    std::array<unsigned char, 4 * bytes.size() / 3 + 1> text{};
    const int length = EVP_EncodeBlock(text.data(), bytes.data(), static_cast<int>(bytes.size()));
    return std::string(reinterpret_cast<const char*>(text.data()),
                       static_cast<std::size_t>(length));
}

// ---- fixed credentials ----------------------------------------------------------------------

constexpr std::array<std::string_view, 3> kCredentialMembers{"AccessKeyId", "SecretAccessKey",
                                                             "Token"};
constexpr std::string_view kCredentialsHint =
    "write a JSON array of objects with AccessKeyId, SecretAccessKey and, for session "
    "credentials, Token";

// Finds the offset at which a text stops being JSON, without exceptions and keeping nothing of
// what it reads (the text holds secrets).
struct JsonErrorFinder final : nlohmann::json_sax<nlohmann::json> {
    using json = nlohmann::json;

    bool null() override { return true; }
    bool boolean(bool /*value*/) override { return true; }
    bool number_integer(json::number_integer_t /*value*/) override { return true; }
    bool number_unsigned(json::number_unsigned_t /*value*/) override { return true; }
    bool number_float(json::number_float_t /*value*/, const json::string_t& /*text*/) override {
        return true;
    }
    bool string(json::string_t& /*value*/) override { return true; }
    bool binary(json::binary_t& /*value*/) override { return true; }
    bool start_object(std::size_t /*size*/) override { return true; }
    bool key(json::string_t& /*name*/) override { return true; }
    bool end_object() override { return true; }
    bool start_array(std::size_t /*size*/) override { return true; }
    bool end_array() override { return true; }
    bool parse_error(std::size_t position, const std::string& /*token*/,
                     const nlohmann::detail::exception& /*error*/) override {
        offset = position;
        return false;
    }

    std::size_t offset = 0;
};

// "line L, column C" of the character just before `offset` (the one the parser stopped at).
std::string text_position(std::string_view text, std::size_t offset) {
    const std::string_view before = text.substr(0, std::min(offset, text.size()));
    const auto line = 1 + std::ranges::count(before, '\n');
    const auto line_start = before.rfind('\n');
    const auto column =
        line_start == std::string_view::npos ? before.size() : before.size() - line_start - 1;
    return fmt::format("line {}, column {}", line, std::max<std::size_t>(column, 1));
}

std::unexpected<Error> credentials_error(std::string why,
                                         std::string_view hint = kCredentialsHint) {
    return fail(ErrorKind::usage, "invalid credentials", std::move(why), std::string(hint));
}

// A key id, secret or token as a string. Spaces and control characters are refused: no real
// key has them, and they would break the files clients write from the keys.
Result<std::string> credential_member(const nlohmann::json& entry, const std::string& name,
                                      std::size_t number) {
    const auto found = entry.find(name);
    if (found == entry.end()) {
        return credentials_error(fmt::format("entry {}: {} is missing", number, name));
    }
    if (!found->is_string()) {
        return credentials_error(fmt::format("entry {}: {} is not a string", number, name));
    }
    const auto& value = found->get_ref<const std::string&>();
    if (value.empty()) {
        return credentials_error(
            fmt::format("entry {}: {} is empty", number, name),
            name == "Token" ? "leave Token out for keys without one" : kCredentialsHint);
    }
    const auto unprintable = [](unsigned char c) { return c <= ' ' || c == 0x7f; };
    if (std::ranges::any_of(value, unprintable)) {
        return credentials_error(
            fmt::format("entry {}: {} holds spaces or control characters", number, name));
    }
    return value;
}

Result<void> check_member_names(const nlohmann::json& entry, std::size_t number) {
    for (const auto& [name, value] : entry.items()) {
        if (std::ranges::find(kCredentialMembers, name) == kCredentialMembers.end()) {
            return credentials_error(fmt::format("entry {}: unknown member '{}'", number, name),
                                     name == "SessionToken"
                                         ? "the session token's member is Token, as IMDS names it"
                                         : kCredentialsHint);
        }
    }
    return {};
}

Result<Credentials> parse_credentials_entry(const nlohmann::json& entry, std::size_t number) {
    if (!entry.is_object()) {
        return credentials_error(fmt::format("entry {} is not an object", number));
    }
    if (auto names = check_member_names(entry, number); !names) {
        return fail(names.error());
    }
    auto key_id = credential_member(entry, "AccessKeyId", number);
    if (!key_id) {
        return fail(key_id.error());
    }
    auto secret = credential_member(entry, "SecretAccessKey", number);
    if (!secret) {
        return fail(secret.error());
    }
    Credentials credentials;
    credentials.access_key_id = std::move(*key_id);
    credentials.secret_access_key = Secret(std::move(*secret));
    if (entry.contains("Token")) {
        auto token = credential_member(entry, "Token", number);
        if (!token) {
            return fail(token.error());
        }
        credentials.session_token = Secret(std::move(*token));
    }
    return credentials;
}

// ---- requests -------------------------------------------------------------------------------

enum class Route {
    token,
    role_list,
    role_credentials,
    region,
    zone,
    instance_id,
    identity,
    fixed,
    unknown
};

// The instance's facts that no option changes.
constexpr std::string_view kImageId = "ami-0123456789abcdef0";
constexpr std::string_view kInstanceType = "t3.micro";
constexpr std::string_view kPrivateIp = "172.31.16.10";

struct FixedAnswer {
    std::string_view path;  // without a trailing '/'
    std::string_view body;
};

// Directory listings (clients probe them to see whether IMDS answers at all) and constant
// leaves. A listing names only what the server answers.
constexpr std::array kFixedAnswers{
    FixedAnswer{"/latest", "dynamic\nmeta-data"},
    FixedAnswer{"/latest/meta-data",
                "ami-id\niam/\ninstance-id\ninstance-type\nlocal-ipv4\nplacement/"},
    FixedAnswer{"/latest/meta-data/iam", "security-credentials/"},
    FixedAnswer{"/latest/meta-data/placement", "availability-zone\nregion"},
    FixedAnswer{"/latest/dynamic", "instance-identity/"},
    FixedAnswer{"/latest/dynamic/instance-identity", "document"},
    FixedAnswer{"/latest/meta-data/ami-id", kImageId},
    FixedAnswer{"/latest/meta-data/instance-type", kInstanceType},
    FixedAnswer{"/latest/meta-data/local-ipv4", kPrivateIp},
};

std::string_view without_trailing_slash(std::string_view path) {
    return path.size() > 1 && path.ends_with('/') ? path.substr(0, path.size() - 1) : path;
}

const FixedAnswer* fixed_answer(std::string_view path) {
    const auto* found =
        std::ranges::find(kFixedAnswers, without_trailing_slash(path), &FixedAnswer::path);
    return found == kFixedAnswers.end() ? nullptr : found;
}

Route classify(std::string_view path) {
    if (path == kTokenPath) {
        return Route::token;
    }
    if (without_trailing_slash(path) == without_trailing_slash(kCredentialsPath)) {
        return Route::role_list;
    }
    if (path.starts_with(kCredentialsPath)) {
        return Route::role_credentials;
    }
    constexpr std::array<std::pair<std::string_view, Route>, 4> kLeaves{{
        {kRegionPath, Route::region},
        {kZonePath, Route::zone},
        {kInstanceIdPath, Route::instance_id},
        {kIdentityPath, Route::identity},
    }};
    const auto* leaf = std::ranges::find(kLeaves, path, &std::pair<std::string_view, Route>::first);
    if (leaf != kLeaves.end()) {
        return leaf->second;
    }
    return fixed_answer(path) != nullptr ? Route::fixed : Route::unknown;
}

bool path_matches(std::string_view pattern, std::string_view path) {
    if (pattern.empty()) {
        return true;
    }
    if (pattern.ends_with('*')) {
        return path.starts_with(pattern.substr(0, pattern.size() - 1));
    }
    return pattern == path;
}

// A TTL header as IMDS accepts it: whole seconds from 1 to 21600, digits only.
std::optional<int> token_ttl(const httplib::Request& request) {
    if (!request.has_header(kTtlHeader)) {
        return std::nullopt;
    }
    return parse_int(request.get_header_value(kTtlHeader), 1, kMaxTokenTtl);
}

// HTTP/1.1: a request has a body only when it says how long it is or that it is chunked.
bool has_body(const httplib::Request& request) {
    return request.has_header("Transfer-Encoding") ||
           (request.has_header("Content-Length") &&
            request.get_header_value("Content-Length") != "0");
}

void answer_status(httplib::Response& response, int status) {
    response.status = status;
    response.body.clear();
}

void answer_text(httplib::Response& response, const std::string& body) {
    response.status = 200;
    response.set_content(body, "text/plain");
}

// httplib's default also sets SO_REUSEPORT, which would let a second server share a port that
// is in use instead of failing. SO_REUSEADDR alone still allows a quick restart on a port.
void reuse_address_only(socket_t socket) {
    const int yes = 1;
    setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
}

// Server threads leave asynchronous signals to the application's threads, and a client that
// hangs up before its answer makes the write fail with EPIPE instead of killing the process.
void block_signals_in_this_thread() {
    sigset_t signals;
    sigemptyset(&signals);
    for (const int number : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT}) {
        sigaddset(&signals, number);
    }
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
}

}  // namespace

// ---- parsing, public ------------------------------------------------------------------------

Result<MockFault> parse_mock_fault(std::string_view spec) {
    const FaultParts parts = split_fault(spec);
    MockFault fault;
    auto kind = parse_fault_kind(spec, parts.kind);
    if (!kind) {
        return fail(kind.error());
    }
    fault.kind = *kind;
    if (auto argument = parse_fault_argument(spec, parts.argument, fault); !argument) {
        return fail(argument.error());
    }
    if (parts.path) {
        auto path = parse_fault_path(spec, *parts.path);
        if (!path) {
            return fail(path.error());
        }
        fault.path = std::move(*path);
    }
    if (parts.times) {
        auto times = parse_fault_times(spec, *parts.times);
        if (!times) {
            return fail(times.error());
        }
        fault.times = *times;
    }
    return fault;
}

std::string format_mock_fault(const MockFault& fault) {
    std::string text(fault_name(fault.kind));
    if (fault.kind == MockFaultKind::status) {
        text += fmt::format(":{}", fault.status);
    } else if (fault.kind == MockFaultKind::delay) {
        text += ":" + format_duration(fault.delay);
    }
    if (!fault.path.empty()) {
        text += "@" + fault.path;
    }
    if (fault.times) {
        text += fmt::format("*{}", *fault.times);
    }
    return text;
}

Result<MockListenAddress> parse_listen_address(std::string_view text) {
    const auto what = fmt::format("invalid listen address '{}'", text);
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos || colon == 0) {
        return fail(ErrorKind::usage, what, "expected HOST:PORT", "for example 127.0.0.1:8080");
    }
    const std::string_view host = text.substr(0, colon);
    if (host.find(':') != std::string_view::npos && !host.starts_with('[')) {
        return fail(ErrorKind::usage, what, "an IPv6 address needs brackets", "write [::1]:8080");
    }
    const auto port = parse_int(text.substr(colon + 1), 0, 65535);
    if (!port) {
        return fail(ErrorKind::usage, what, "the port must be a number from 0 to 65535",
                    "port 0 lets the system pick a free one");
    }
    return MockListenAddress{without_brackets(host), static_cast<std::uint16_t>(*port)};
}

Result<Seconds> parse_clock_skew(std::string_view text) {
    const bool behind = text.starts_with('-');
    const std::string_view magnitude = behind || text.starts_with('+') ? text.substr(1) : text;
    auto value = parse_duration(magnitude);
    if (!value) {
        return fail(ErrorKind::usage, fmt::format("invalid clock skew '{}'", text),
                    value.error().why, "for example 90s, +2h or -5m");
    }
    if (value->count() % 1000 != 0) {
        return fail(ErrorKind::usage, fmt::format("invalid clock skew '{}'", text),
                    "it must be a whole number of seconds");
    }
    if (*value > kMaxClockSkew) {
        return fail(ErrorKind::usage, fmt::format("invalid clock skew '{}'", text),
                    "it must be within 10 years");
    }
    const auto seconds = std::chrono::duration_cast<Seconds>(*value);
    return behind ? -seconds : seconds;
}

std::string format_http_date(TimePoint when) {
    constexpr std::array<std::string_view, 7> kWeekdays{"Sun", "Mon", "Tue", "Wed",
                                                        "Thu", "Fri", "Sat"};
    constexpr std::array<std::string_view, 12> kMonths{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const auto day = std::chrono::floor<std::chrono::days>(when);
    const std::chrono::year_month_day date(day);
    const std::chrono::hh_mm_ss time(when - day);
    return fmt::format(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
        kWeekdays[std::chrono::weekday(day).c_encoding()], static_cast<unsigned>(date.day()),
        kMonths[static_cast<unsigned>(date.month()) - 1], static_cast<int>(date.year()),
        time.hours().count(), time.minutes().count(), time.seconds().count());
}

Result<std::vector<Credentials>> parse_mock_credentials(std::string_view json) {
    if (json.find_first_not_of(" \t\r\n") == std::string_view::npos) {
        return credentials_error("it is empty");
    }
    const auto document = nlohmann::json::parse(json, nullptr, false);
    if (document.is_discarded()) {
        JsonErrorFinder finder;
        nlohmann::json::sax_parse(json, &finder);
        return credentials_error(
            fmt::format("not valid JSON at {}", text_position(json, finder.offset)));
    }
    if (!document.is_array() || document.empty()) {
        return credentials_error("the top level is not a non-empty array");
    }
    std::vector<Credentials> all;
    for (std::size_t index = 0; index < document.size(); ++index) {
        auto entry = parse_credentials_entry(document[index], index + 1);
        if (!entry) {
            return fail(entry.error());
        }
        all.push_back(std::move(*entry));
    }
    return all;
}

// ---- the server -----------------------------------------------------------------------------

class MockImdsServer::Impl {
public:
    Impl(MockImdsConfig config, Clock& clock, const Logger& log);
    ~Impl() { stop(); }
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;

    Result<void> start();
    void stop();
    void wait();
    [[nodiscard]] bool running() const;
    [[nodiscard]] std::uint16_t port() const { return port_; }
    [[nodiscard]] std::string endpoint() const;
    [[nodiscard]] std::vector<MockRequestCount> requests() const;

private:
    struct FaultState {
        MockFault fault;
        int used = 0;
    };

    void configure_server();
    Result<void> bind();
    void serve_in_background();
    void wait_until_listening() const;
    bool hold(Millis duration);

    void handle(const httplib::Request& request, httplib::Response& response);
    [[nodiscard]] TimePoint server_now() const;
    void record(const httplib::Request& request);
    bool inject_transport_faults(const httplib::Request& request, httplib::Response& response);
    void route(const httplib::Request& request, httplib::Response& response);
    void issue_token(const httplib::Request& request, httplib::Response& response);
    [[nodiscard]] bool authorized(const httplib::Request& request) const;
    void serve(Route route, const std::string& path, httplib::Response& response);
    void serve_role_list(const std::string& path, httplib::Response& response);
    void serve_credentials(const std::string& path, httplib::Response& response);
    std::string credentials_body(const std::string& path);
    [[nodiscard]] Credentials keys_for(std::int64_t generation) const;
    [[nodiscard]] Credentials credentials_at(TimePoint now) const;
    [[nodiscard]] Credentials expired_credentials(TimePoint now) const;
    [[nodiscard]] std::string identity_document() const;
    [[nodiscard]] std::string availability_zone() const;
    std::optional<MockFault> take_fault(MockFaultKind kind, const std::string& path);
    void remember_token(std::string token, Clock::TimePoint expires);
    void log_exchange(const httplib::Request& request, const httplib::Response& response) const;

    MockImdsConfig config_;
    Clock& clock_;
    const Logger& log_;
    httplib::Server server_;
    std::thread thread_;
    std::uint16_t port_ = 0;
    TimePoint started_{};
    std::mutex stop_mutex_;  // one stop() at a time

    mutable std::mutex mutex_;  // guards the members below
    std::condition_variable changed_;
    bool started_once_ = false;
    bool stopping_ = false;
    bool listen_ended_ = false;
    std::vector<FaultState> faults_;
    std::map<std::string, Clock::TimePoint> tokens_;  // token -> when it expires
    std::vector<MockRequestCount> requests_;
};

MockImdsServer::Impl::Impl(MockImdsConfig config, Clock& clock, const Logger& log)
    : config_(std::move(config)), clock_(clock), log_(log) {
    config_.host = normalize_host(config_.host);
    for (const auto& fault : config_.faults) {
        faults_.push_back(FaultState{fault});
    }
    configure_server();
}

// Every method and path reaches handle(), which applies the IMDS rules itself; that is how
// wrong methods get 405 and unknown paths 404 in the order IMDS answers them.
//
// Requests without a body are handled before httplib's routing, because httplib would wait for
// a body that a PUT without Content-Length never sends (as `curl -X PUT` does, and IMDS
// accepts), then answer 400. Requests with a body reach the same handler once it is read.
void MockImdsServer::Impl::configure_server() {
    const auto handler = [this](const httplib::Request& request, httplib::Response& response) {
        handle(request, response);
    };
    server_.set_pre_routing_handler(
        [this](const httplib::Request& request, httplib::Response& response) {
            if (has_body(request)) {
                return httplib::Server::HandlerResponse::Unhandled;
            }
            handle(request, response);
            return httplib::Server::HandlerResponse::Handled;
        });
    server_.Get(".*", handler).Put(".*", handler).Post(".*", handler);
    server_.Patch(".*", handler).Delete(".*", handler).Options(".*", handler);
    // After routing, so that every answer carries it, httplib's own error answers too.
    server_.set_post_routing_handler(
        [this](const httplib::Request& /*request*/, httplib::Response& response) {
            response.set_header("Date", format_http_date(server_now()));
        });
    server_.set_logger([this](const httplib::Request& request, const httplib::Response& response) {
        log_exchange(request, response);
    });
    server_.set_socket_options(reuse_address_only);
    // Small answers written in pieces would otherwise wait on delayed ACKs (~40 ms each).
    server_.set_tcp_nodelay(true);
    server_.set_keep_alive_timeout(kKeepAliveSeconds);
    server_.set_payload_max_length(kMaxRequestBody);
    server_.new_task_queue = [] { return new httplib::ThreadPool(kWorkerThreads); };
}

Result<void> MockImdsServer::Impl::start() {
    if (auto valid = validate_config(config_); !valid) {
        return valid;
    }
    {
        const std::lock_guard lock(mutex_);
        if (started_once_ || stopping_) {
            return fail(ErrorKind::failure, "cannot start the mock imds server",
                        "it was started or stopped before");
        }
        started_once_ = true;
    }
    if (auto bound = bind(); !bound) {
        return bound;
    }
    started_ = server_now();
    thread_ = std::thread([this] { serve_in_background(); });
    wait_until_listening();
    return {};
}

Result<void> MockImdsServer::Impl::bind() {
    errno = 0;
    if (config_.port != 0) {
        if (!server_.bind_to_port(config_.host, config_.port)) {
            return fail(bind_error(config_.host, config_.port, errno));
        }
        port_ = config_.port;
        return {};
    }
    const int port = server_.bind_to_any_port(config_.host);
    if (port <= 0) {
        return fail(bind_error(config_.host, 0, errno));
    }
    port_ = static_cast<std::uint16_t>(port);
    return {};
}

void MockImdsServer::Impl::serve_in_background() {
    block_signals_in_this_thread();  // the worker threads inherit the mask
    server_.listen_after_bind();
    {
        const std::lock_guard lock(mutex_);
        listen_ended_ = true;
    }
    changed_.notify_all();
}

// httplib's stop() does nothing until the listening loop has begun, so start() waits for it.
void MockImdsServer::Impl::wait_until_listening() const {
    while (!server_.is_running()) {
        {
            const std::lock_guard lock(mutex_);
            if (listen_ended_) {
                return;
            }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
}

void MockImdsServer::Impl::stop() {
    const std::lock_guard serial(stop_mutex_);
    {
        const std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    changed_.notify_all();  // releases held requests, so the workers can finish
    server_.stop();
    if (thread_.joinable()) {
        thread_.join();
    }
}

void MockImdsServer::Impl::wait() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return stopping_ || listen_ended_; });
}

bool MockImdsServer::Impl::running() const {
    const std::lock_guard lock(mutex_);
    return server_.is_running() && !stopping_ && !listen_ended_;
}

std::string MockImdsServer::Impl::endpoint() const {
    return fmt::format("http://{}:{}", host_for_url(config_.host), port_);
}

// Waits for the duration, or less when the server stops. False when it was cut short.
bool MockImdsServer::Impl::hold(Millis duration) {
    std::unique_lock lock(mutex_);
    return !changed_.wait_for(lock, duration, [this] { return stopping_; });
}

std::vector<MockRequestCount> MockImdsServer::Impl::requests() const {
    const std::lock_guard lock(mutex_);
    return requests_;
}

void MockImdsServer::Impl::handle(const httplib::Request& request, httplib::Response& response) {
    record(request);
    if (!inject_transport_faults(request, response)) {
        route(request, response);
    }
}

// The instance's clock, which tells every time the server serves. Tokens expire by `clock_`:
// their lifetime is relative, so the skew cannot change it.
TimePoint MockImdsServer::Impl::server_now() const {
    return clock_.now_seconds() + config_.clock_skew;
}

void MockImdsServer::Impl::record(const httplib::Request& request) {
    const std::lock_guard lock(mutex_);
    auto entry = std::ranges::find_if(requests_, [&](const MockRequestCount& count) {
        return count.method == request.method && count.path == request.path;
    });
    if (entry == requests_.end()) {
        entry = requests_.insert(requests_.end(), MockRequestCount{request.method, request.path});
    }
    ++entry->total;
    entry->with_token += request.has_header(kTokenHeader) ? 1 : 0;
}

// Faults that act as the network or a busy service would, before any IMDS rule applies.
bool MockImdsServer::Impl::inject_transport_faults(const httplib::Request& request,
                                                   httplib::Response& response) {
    if (const auto delay = take_fault(MockFaultKind::delay, request.path)) {
        hold(delay->delay);
    }
    const bool token_put = request.method == "PUT" && request.path == kTokenPath;
    if (take_fault(MockFaultKind::hang, request.path) ||
        (token_put && take_fault(MockFaultKind::drop_token_put, request.path))) {
        // httplib cannot drop a connection unanswered; by the time this answer goes out, a
        // client with a sane timeout has given up.
        hold(config_.hang_for);
        answer_status(response, 504);
        return true;
    }
    if (const auto status = take_fault(MockFaultKind::status, request.path)) {
        answer_status(response, status->status);
        return true;
    }
    return false;
}

// The order of IMDS's checks: method, then token, then whether the path exists.
void MockImdsServer::Impl::route(const httplib::Request& request, httplib::Response& response) {
    const Route route = classify(request.path);
    if (route == Route::token) {
        request.method == "PUT" ? issue_token(request, response) : answer_status(response, 405);
        return;
    }
    if (request.method != "GET" && request.method != "HEAD") {
        answer_status(response, route == Route::unknown ? 404 : 405);
        return;
    }
    if (!authorized(request)) {
        answer_status(response, 401);
        return;
    }
    serve(route, request.path, response);
}

void MockImdsServer::Impl::issue_token(const httplib::Request& request,
                                       httplib::Response& response) {
    if (request.has_header("X-Forwarded-For")) {
        answer_status(response, 403);
        return;
    }
    const auto ttl = token_ttl(request);
    if (!ttl) {
        answer_status(response, 400);
        return;
    }
    auto token = random_token();
    if (!token) {
        answer_status(response, 500);
        return;
    }
    answer_text(response, *token);
    response.set_header(kTtlHeader, std::to_string(*ttl));
    remember_token(std::move(*token), clock_.now() + Seconds(*ttl));
}

void MockImdsServer::Impl::remember_token(std::string token, Clock::TimePoint expires) {
    const Clock::TimePoint now = clock_.now();
    const std::lock_guard lock(mutex_);
    std::erase_if(tokens_, [now](const auto& entry) { return entry.second <= now; });
    if (tokens_.size() >= kMaxLiveTokens) {
        tokens_.erase(tokens_.begin());
    }
    tokens_.emplace(std::move(token), expires);
}

// No token at all is IMDSv1, answered only when allowed; a token must be known and unexpired.
bool MockImdsServer::Impl::authorized(const httplib::Request& request) const {
    if (!request.has_header(kTokenHeader)) {
        return config_.allow_v1;
    }
    const Clock::TimePoint now = clock_.now();
    const std::lock_guard lock(mutex_);
    const auto found = tokens_.find(request.get_header_value(kTokenHeader));
    return found != tokens_.end() && now < found->second;
}

void MockImdsServer::Impl::serve(Route route, const std::string& path,
                                 httplib::Response& response) {
    switch (route) {
        case Route::role_list:
            return serve_role_list(path, response);
        case Route::role_credentials:
            return serve_credentials(path, response);
        case Route::region:
            return answer_text(response, config_.region);
        case Route::zone:
            return answer_text(response, availability_zone());
        case Route::instance_id:
            return answer_text(response, config_.instance_id);
        case Route::identity:
            return answer_text(response, identity_document());
        case Route::fixed:
            return answer_text(response, std::string(fixed_answer(path)->body));
        case Route::token:
        case Route::unknown:
            break;
    }
    answer_status(response, 404);
}

void MockImdsServer::Impl::serve_role_list(const std::string& path, httplib::Response& response) {
    if (!config_.role || take_fault(MockFaultKind::no_role, path)) {
        answer_status(response, 404);
        return;
    }
    answer_text(response, *config_.role);
}

void MockImdsServer::Impl::serve_credentials(const std::string& path, httplib::Response& response) {
    const std::string_view name = std::string_view(path).substr(kCredentialsPath.size());
    if (!config_.role || name != *config_.role || take_fault(MockFaultKind::no_role, path)) {
        answer_status(response, 404);
        return;
    }
    answer_text(response, credentials_body(path));
}

std::string MockImdsServer::Impl::credentials_body(const std::string& path) {
    const TimePoint now = server_now();
    const bool expired = take_fault(MockFaultKind::expired, path).has_value();
    std::string body = credentials_json(expired ? expired_credentials(now) : credentials_at(now));
    if (take_fault(MockFaultKind::malformed_json, path)) {
        body.resize(body.size() / 2);  // cut inside the document, so no parser accepts it
    }
    return body;
}

// The fixed keys in turn when there are any, else keys made up for the generation.
Credentials MockImdsServer::Impl::keys_for(std::int64_t generation) const {
    const auto& fixed = config_.fixed_credentials;
    if (fixed.empty()) {
        return generate_keys(config_.seed, generation);
    }
    const Credentials& entry = fixed[static_cast<std::size_t>(generation) % fixed.size()];
    Credentials keys;
    keys.access_key_id = entry.access_key_id;
    keys.secret_access_key = entry.secret_access_key;
    keys.session_token = entry.session_token;
    return keys;
}

// Generation g starts at started + g * rotation and lives `lifetime`; since the lifetime is
// longer than the rotation interval, new keys appear before the old expire and the keys served
// are always valid for at least lifetime - rotation.
Credentials MockImdsServer::Impl::credentials_at(TimePoint now) const {
    const std::int64_t generation = now < started_ ? 0 : (now - started_) / config_.rotation;
    Credentials credentials = keys_for(generation);
    credentials.last_updated = started_ + generation * config_.rotation;
    credentials.expiration = *credentials.last_updated + config_.lifetime;
    return credentials;
}

Credentials MockImdsServer::Impl::expired_credentials(TimePoint now) const {
    Credentials credentials = credentials_at(now);
    credentials.expiration = now - std::chrono::hours(1);
    credentials.last_updated = *credentials.expiration - config_.lifetime;
    return credentials;
}

std::string MockImdsServer::Impl::availability_zone() const {
    return config_.availability_zone.empty() ? config_.region + "a" : config_.availability_zone;
}

std::string MockImdsServer::Impl::identity_document() const {
    const nlohmann::json document{
        {"accountId", config_.account_id},
        {"architecture", "x86_64"},
        {"availabilityZone", availability_zone()},
        {"imageId", kImageId},
        {"instanceId", config_.instance_id},
        {"instanceType", kInstanceType},
        {"pendingTime", format_rfc3339(started_)},
        {"privateIp", kPrivateIp},
        {"region", config_.region},
        {"version", "2017-09-30"},
    };
    return document.dump(2);
}

// The first fault of this kind whose path matches and whose count is not used up, counted.
std::optional<MockFault> MockImdsServer::Impl::take_fault(MockFaultKind kind,
                                                          const std::string& path) {
    std::optional<MockFault> taken;
    {
        const std::lock_guard lock(mutex_);
        const auto found = std::ranges::find_if(faults_, [&](const FaultState& state) {
            return state.fault.kind == kind && path_matches(state.fault.path, path) &&
                   (!state.fault.times || state.used < *state.fault.times);
        });
        if (found == faults_.end()) {
            return std::nullopt;
        }
        ++found->used;
        taken = found->fault;
    }
    log_.info("mock-imds: fault {} on {}", format_mock_fault(*taken), path);
    return taken;
}

void MockImdsServer::Impl::log_exchange(const httplib::Request& request,
                                        const httplib::Response& response) const {
    log_.info("mock-imds: {} {} -> {}", request.method, request.path, response.status);
}

// ---- the public face ------------------------------------------------------------------------

MockImdsServer::MockImdsServer(MockImdsConfig config, Clock& clock, const Logger& log)
    : impl_(std::make_unique<Impl>(std::move(config), clock, log)) {}

MockImdsServer::~MockImdsServer() = default;

Result<void> MockImdsServer::start() {
    return impl_->start();
}

void MockImdsServer::stop() {
    impl_->stop();
}

void MockImdsServer::wait() {
    impl_->wait();
}

bool MockImdsServer::running() const {
    return impl_->running();
}

std::uint16_t MockImdsServer::port() const {
    return impl_->port();
}

std::string MockImdsServer::endpoint() const {
    return impl_->endpoint();
}

std::vector<MockRequestCount> MockImdsServer::requests() const {
    return impl_->requests();
}

MockRequestCount MockImdsServer::requests(std::string_view method, std::string_view path) const {
    for (auto& count : impl_->requests()) {
        if (count.method == method && count.path == path) {
            return count;
        }
    }
    return MockRequestCount{std::string(method), std::string(path)};
}

}  // namespace credkit
