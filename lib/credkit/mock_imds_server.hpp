// A local IMDSv2 server for demos and tests: the metadata service of an imaginary instance,
// with an instance role whose credentials rotate as the real ones do, token enforcement as IMDS
// does it, and faults to rehearse what goes wrong on real instances.
//
// Time comes from an injected Clock, so tests drive token expiry and key rotation with
// ManualClock. Delays and hangs are real waits, because the client's timeouts are real.
// The credentials it serves are made up and valid nowhere, unless a test hands it keys that a
// real service accepts (fixed_credentials); either way they are never logged.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "credkit/clock.hpp"
#include "credkit/credentials.hpp"
#include "credkit/duration.hpp"
#include "credkit/error.hpp"
#include "credkit/logger.hpp"
#include "credkit/timestamp.hpp"

namespace credkit {

enum class MockFaultKind {
    status,          // answer a status code with an empty body
    delay,           // wait, then answer normally
    hang,            // hold the request past any client timeout (hang_for), then answer 504
    malformed_json,  // serve credential bodies cut short, so they are not valid JSON
    expired,         // serve credentials that have already expired
    drop_token_put,  // hold token PUTs, as when the PUT response hop limit is too low
    no_role,         // act as if no role were attached
};

// One fault to inject. A fault touches only the requests it can affect: status, delay and
// hang any request; drop-token-put token PUTs; no-role the role listing and the credentials;
// malformed-json and expired the credentials. Faults of one kind are tried in the order given
// and a fault whose `times` are used up is skipped, so "status:503*2" then "status:500"
// answers 503 twice, then 500.
struct MockFault {
    MockFaultKind kind = MockFaultKind::status;
    int status = 0;            // the code answered by `status`
    Millis delay{0};           // the wait before answering, for `delay`
    std::string path;          // empty: any path; ending in '*': any path with that prefix
    std::optional<int> times;  // unset: every matching request; N: the first N only
};

// Reads the command-line form KIND[:ARG][@PATH][*TIMES]:
//   status:503@/latest/api/token*2   delay:2s@/latest/meta-data/iam/security-credentials/*
//   hang@/latest/api/token   malformed-json   expired   drop-token-put   no-role
// A trailing "*DIGITS" is the count. A '*' right after a '/' is also the path's wildcard, so
// "@/latest/meta-data/iam/*1" is the first request under that prefix ("/iam/**1" says the
// same), while "@/latest/api/token*2" is the first two requests for that exact path.
// Errors are ErrorKind::usage and name the spec.
Result<MockFault> parse_mock_fault(std::string_view spec);

// The form parse_mock_fault reads back, for messages.
std::string format_mock_fault(const MockFault& fault);

struct MockListenAddress {
    std::string host;  // without brackets: "127.0.0.1", "::1"
    std::uint16_t port = 0;
};

// Reads "HOST:PORT" or "[IPV6]:PORT", as --listen takes it. A usage error otherwise.
Result<MockListenAddress> parse_listen_address(std::string_view text);

// Reads a clock skew as --clock-skew takes it: a duration of whole seconds with an optional
// sign ("90s", "+2h", "-5m"). A usage error otherwise.
Result<Seconds> parse_clock_skew(std::string_view text);

// Writes the IMF-fixdate form of an HTTP Date header: "Sun, 06 Nov 1994 08:49:37 GMT".
std::string format_http_date(TimePoint when);

// Reads the JSON that --credentials-file holds: a non-empty array of objects with the members
// AccessKeyId, SecretAccessKey and, for session credentials, Token, e.g.
//   [{"AccessKeyId": "ASIA...", "SecretAccessKey": "...", "Token": "..."}]
// Other members are refused, so that a misspelt "SessionToken" is not silently dropped.
// Errors are usage errors naming the entry, the member and the line; the text holds secrets,
// so no error quotes any of it.
Result<std::vector<Credentials>> parse_mock_credentials(std::string_view json);

inline constexpr std::string_view kMockDefaultRole = "credkit-demo-role";

struct MockImdsConfig {
    std::string host = "127.0.0.1";  // "::1" or "[::1]" for IPv6
    std::uint16_t port = 0;          // 0: let the system pick a free port
    // The server hands credentials to anyone who can reach it, so only loopback addresses are
    // accepted unless this says otherwise.
    bool allow_non_loopback = false;

    std::optional<std::string> role = std::string(kMockDefaultRole);  // unset: no role attached
    Seconds lifetime = std::chrono::hours(6);  // how long each set of credentials is valid
    Seconds rotation = std::chrono::hours(1);  // how often new credentials appear
    std::uint64_t seed = 0;                    // the keys follow from the seed and generation
    // Keys to serve instead of made-up ones, for tests that need keys a real service accepts:
    // generation g serves entry g % size. Only the key id, secret and token are used; the times
    // follow the rotation model as for made-up keys. A document for keys without a token has
    // no Token member. Empty: the keys are made up from the seed.
    std::vector<Credentials> fixed_credentials;

    std::string region = "us-east-1";
    std::string availability_zone;  // empty: the region followed by "a"
    std::string instance_id = "i-0123456789abcdef0";
    std::string account_id = "123456789012";

    bool allow_v1 = false;  // answer GETs that carry no token at all
    // How far the instance's clock runs ahead of `clock` (negative: behind), as when this
    // machine's clock is off by the opposite. Every time the server tells is on the instance's
    // clock: the Date header of each answer, and LastUpdated and Expiration.
    Seconds clock_skew{0};
    std::vector<MockFault> faults;
    Millis hang_for = std::chrono::seconds(30);  // how long `hang` holds a request at most
};

// How often a (method, path) pair was asked for, and how many of those asks carried a token
// header (valid or not).
struct MockRequestCount {
    std::string method;
    std::string path;
    int total = 0;
    int with_token = 0;
};

class MockImdsServer {
public:
    // The clock and the logger must outlive the server. Each answered request is logged at
    // info level as method, path and status; never a header value or a body.
    MockImdsServer(MockImdsConfig config, Clock& clock, const Logger& log = Logger::silent());
    ~MockImdsServer();

    MockImdsServer(const MockImdsServer&) = delete;
    MockImdsServer& operator=(const MockImdsServer&) = delete;

    // Checks the configuration, binds, and serves on a background thread. Bad settings are
    // usage errors; an address that cannot be bound (in use, not local) is a failure.
    Result<void> start();

    // Stops serving and releases held (hanging or delayed) requests at once. Idempotent.
    void stop();

    // Blocks until stop() is called from another thread, or the server fails on its own.
    void wait();

    [[nodiscard]] bool running() const;
    [[nodiscard]] std::uint16_t port() const;

    // "http://127.0.0.1:41234" or "http://[::1]:41234".
    [[nodiscard]] std::string endpoint() const;

    // The request log, one entry per (method, path) in first-seen order.
    [[nodiscard]] std::vector<MockRequestCount> requests() const;
    [[nodiscard]] MockRequestCount requests(std::string_view method, std::string_view path) const;

private:
    class Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace credkit
