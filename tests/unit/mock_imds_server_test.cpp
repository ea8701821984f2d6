#include "credkit/mock_imds_server.hpp"

#include <algorithm>
#include <chrono>
#include <future>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <sys/socket.h>
#include <unistd.h>

#include "credkit/timestamp.hpp"

namespace credkit {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr auto kTokenPath = "/latest/api/token";
constexpr auto kRolesPath = "/latest/meta-data/iam/security-credentials/";
constexpr auto kRolePath = "/latest/meta-data/iam/security-credentials/credkit-demo-role";
constexpr auto kTtlHeader = "X-aws-ec2-metadata-token-ttl-seconds";
constexpr auto kTokenHeader = "X-aws-ec2-metadata-token";

Clock::TimePoint start_time() {
    return Clock::TimePoint(std::chrono::sys_days(std::chrono::year(2026) / 12 / 3)) + hours(15);
}

TimePoint start_seconds() {
    return std::chrono::floor<seconds>(start_time());
}

MockImdsConfig with_faults(std::initializer_list<std::string_view> specs) {
    MockImdsConfig config;
    for (const auto spec : specs) {
        auto fault = parse_mock_fault(spec);
        REQUIRE_MESSAGE(fault.has_value(), spec);
        config.faults.push_back(*fault);
    }
    return config;
}

Credentials fixed_keys(std::string key_id, std::string secret, std::string token = "") {
    Credentials keys;
    keys.access_key_id = std::move(key_id);
    keys.secret_access_key = Secret(std::move(secret));
    keys.session_token = Secret(std::move(token));
    return keys;
}

// A started server on a free loopback port, driven by a manual clock, with a client for it.
struct MockImds {
    explicit MockImds(MockImdsConfig config = {}) : server(std::move(config), clock) {
        auto started = server.start();
        REQUIRE_MESSAGE(started.has_value(), (started ? "" : started.error().why));
        client = std::make_unique<httplib::Client>(server.endpoint());
        client->set_connection_timeout(2);
        client->set_read_timeout(5);
    }

    httplib::Result put_token(const std::string& ttl = "21600") {
        return client->Put(kTokenPath, {{kTtlHeader, ttl}}, "", "text/plain");
    }

    std::string token(const std::string& ttl = "21600") {
        auto result = put_token(ttl);
        REQUIRE(result);
        REQUIRE(result->status == 200);
        return result->body;
    }

    httplib::Result get(const std::string& path, const std::string& token) {
        return client->Get(path.c_str(), {{kTokenHeader, token}});
    }

    int status_of(const std::string& path, const std::string& token) {
        auto result = get(path, token);
        REQUIRE(result);
        return result->status;
    }

    nlohmann::json credentials() {
        auto result = get(kRolePath, token());
        REQUIRE(result);
        REQUIRE(result->status == 200);
        return nlohmann::json::parse(result->body);
    }

    ManualClock clock{start_time()};
    MockImdsServer server;
    std::unique_ptr<httplib::Client> client;
};

// Sends raw bytes and returns the start of the answer: for requests httplib's client would
// write differently.
std::string raw_answer(std::uint16_t port, const std::string& request) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval timeout{2, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    REQUIRE(::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(::send(fd, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size()));
    std::string answer(512, '\0');
    const ssize_t length = ::recv(fd, answer.data(), answer.size(), 0);
    ::close(fd);
    answer.resize(length > 0 ? static_cast<std::size_t>(length) : 0);
    return answer;
}

// The status line of the answer.
std::string raw_exchange(std::uint16_t port, const std::string& request) {
    const std::string answer = raw_answer(port, request);
    return answer.substr(0, answer.find("\r\n"));
}

seconds elapsed_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration_cast<seconds>(std::chrono::steady_clock::now() - start);
}

}  // namespace

// ---- clock ----------------------------------------------------------------------------------

TEST_CASE("mock imds: every answer carries a Date header on the injected clock") {
    MockImds imds;
    const std::string now = format_http_date(start_seconds());

    auto token = imds.put_token();
    auto refused = imds.client->Get(kRolesPath);
    auto unknown = imds.get("/no/such/path", imds.token());
    const std::string bad_request = raw_answer(imds.server.port(), "NONSENSE\r\n\r\n");

    REQUIRE(token);
    CHECK(token->get_header_value("Date") == now);
    REQUIRE(refused);
    CHECK(refused->status == 401);
    CHECK(refused->get_header_value("Date") == now);
    REQUIRE(unknown);
    CHECK(unknown->status == 404);
    CHECK(unknown->get_header_value("Date") == now);
    CHECK(bad_request.starts_with("HTTP/1.1 400"));
    CHECK(bad_request.find("\r\nDate: " + now + "\r\n") != std::string::npos);
}

TEST_CASE("mock imds: the Date header follows the injected clock as it moves") {
    MockImds imds;

    imds.clock.advance(minutes(90));
    auto token = imds.put_token();

    REQUIRE(token);
    CHECK(token->get_header_value("Date") == format_http_date(start_seconds() + minutes(90)));
}

TEST_CASE("mock imds: a clock skew moves the Date header and the credential times alike") {
    MockImdsConfig config;
    config.clock_skew = -minutes(10);
    MockImds imds(config);
    const TimePoint instance_now = start_seconds() - minutes(10);

    auto token = imds.put_token();
    const nlohmann::json credentials = imds.credentials();

    REQUIRE(token);
    CHECK(token->get_header_value("Date") == format_http_date(instance_now));
    CHECK(credentials["LastUpdated"] == format_rfc3339(instance_now));
    CHECK(credentials["Expiration"] == format_rfc3339(instance_now + hours(6)));
}

TEST_CASE("mock imds: a clock skew does not change how long a token lives") {
    MockImdsConfig config;
    config.clock_skew = hours(2);
    MockImds imds(config);
    const std::string token = imds.token("60");

    imds.clock.advance(seconds(59));
    const int before = imds.status_of(kRolesPath, token);
    imds.clock.advance(seconds(2));
    const int after = imds.status_of(kRolesPath, token);

    CHECK(before == 200);
    CHECK(after == 401);
}

TEST_CASE("mock imds: a clock skew beyond ten years is refused at start") {
    MockImdsConfig config;
    config.clock_skew = -std::chrono::duration_cast<seconds>(std::chrono::years(11));
    ManualClock clock{start_time()};
    MockImdsServer server(config, clock);

    auto started = server.start();

    REQUIRE_FALSE(started);
    CHECK(started.error().kind == ErrorKind::usage);
    CHECK(started.error().why.find("clock skew") != std::string::npos);
}

TEST_CASE("mock clock skew: a duration of whole seconds with an optional sign") {
    CHECK(parse_clock_skew("90s") == seconds(90));
    CHECK(parse_clock_skew("+2h") == hours(2));
    CHECK(parse_clock_skew("-5m") == -minutes(5));
    CHECK(parse_clock_skew("0s") == seconds(0));
    CHECK(parse_clock_skew("-1h30m") == -minutes(90));
}

TEST_CASE("mock clock skew: mistakes are usage errors") {
    for (const auto* text : {"", "-", "+-5m", "--5m", "5x", "1500ms", "-0.5s", "-3653d"}) {
        const std::string shown(text);
        CAPTURE(shown);

        auto skew = parse_clock_skew(text);

        REQUIRE_FALSE(skew);
        CHECK(skew.error().kind == ErrorKind::usage);
        CHECK(skew.error().what.find("invalid clock skew") != std::string::npos);
    }
}

TEST_CASE("http date: the IMF-fixdate form, with the weekday and a zero-padded day") {
    using std::chrono::November;
    const TimePoint when = std::chrono::sys_days(std::chrono::year(1994) / November / 6) +
                           hours(8) + minutes(49) + seconds(37);

    CHECK(format_http_date(when) == "Sun, 06 Nov 1994 08:49:37 GMT");
    CHECK(format_http_date(start_seconds()) == "Thu, 03 Dec 2026 15:00:00 GMT");
}

// ---- tokens ---------------------------------------------------------------------------------

TEST_CASE("mock imds: a metadata GET without a token is refused with 401") {
    MockImds imds;

    auto result = imds.client->Get(kRolesPath);

    REQUIRE(result);
    CHECK(result->status == 401);
}

TEST_CASE("mock imds: a token PUT answers a token and echoes its TTL") {
    MockImds imds;

    auto result = imds.put_token("300");

    REQUIRE(result);
    CHECK(result->status == 200);
    CHECK(result->body.size() >= 40);
    CHECK(result->get_header_value(kTtlHeader) == "300");
    CHECK(imds.status_of(kRolesPath, result->body) == 200);
}

TEST_CASE("mock imds: each token PUT answers a different token") {
    MockImds imds;

    const std::string first = imds.token();
    const std::string second = imds.token();

    CHECK(first != second);
}

TEST_CASE("mock imds: a token PUT with a missing, malformed or out-of-range TTL gets 400") {
    MockImds imds;

    auto missing = imds.client->Put(kTokenPath, "", "text/plain");

    REQUIRE(missing);
    CHECK(missing->status == 400);
    for (const auto* ttl : {"", "0", "21601", "-5", "+5", "1.5", "abc", "99999999999"}) {
        CAPTURE(ttl);
        auto result = imds.put_token(ttl);
        REQUIRE(result);
        CHECK(result->status == 400);
    }
    CHECK(imds.put_token("1")->status == 200);
    CHECK(imds.put_token("21600")->status == 200);
}

TEST_CASE("mock imds: a token PUT carrying X-Forwarded-For is refused with 403") {
    MockImds imds;

    auto result = imds.client->Put(
        kTokenPath, {{kTtlHeader, "60"}, {"X-Forwarded-For", "10.0.0.1"}}, "", "text/plain");

    REQUIRE(result);
    CHECK(result->status == 403);
}

TEST_CASE("mock imds: a token PUT without Content-Length is answered at once, as IMDS does") {
    MockImds imds;
    const auto start = std::chrono::steady_clock::now();

    const std::string status_line =
        raw_exchange(imds.server.port(),
                     "PUT /latest/api/token HTTP/1.1\r\nHost: x\r\n"
                     "X-aws-ec2-metadata-token-ttl-seconds: 60\r\nConnection: close\r\n\r\n");

    CHECK(status_line == "HTTP/1.1 200 OK");
    CHECK(elapsed_since(start) < seconds(1));
}

TEST_CASE("mock imds: a token stops working once its TTL has passed on the injected clock") {
    MockImds imds;
    const std::string token = imds.token("60");

    imds.clock.advance(seconds(59));
    const int before = imds.status_of(kRolesPath, token);
    imds.clock.advance(seconds(1));
    const int after = imds.status_of(kRolesPath, token);

    CHECK(before == 200);
    CHECK(after == 401);
}

TEST_CASE("mock imds: an unknown token is refused with 401, even when IMDSv1 is allowed") {
    MockImdsConfig config;
    config.allow_v1 = true;
    MockImds imds(config);

    const int status = imds.status_of(kRolesPath, "not-a-token");

    CHECK(status == 401);
}

TEST_CASE("mock imds: with allow_v1 a GET without a token is answered") {
    MockImdsConfig config;
    config.allow_v1 = true;
    MockImds imds(config);

    auto result = imds.client->Get(kRolesPath);

    REQUIRE(result);
    CHECK(result->status == 200);
    CHECK(result->body == "credkit-demo-role");
}

// ---- methods and paths ----------------------------------------------------------------------

TEST_CASE("mock imds: a wrong method on a known path gets 405 and an unknown path 404") {
    MockImds imds;
    const std::string token = imds.token();
    const httplib::Headers with_token{{kTokenHeader, token}};

    CHECK(imds.client->Get(kTokenPath)->status == 405);
    CHECK(imds.client->Post(kRolesPath, with_token, "", "text/plain")->status == 405);
    CHECK(imds.client->Delete("/latest/meta-data/instance-id", with_token)->status == 405);
    CHECK(imds.status_of("/latest/meta-data/no-such-thing", token) == 404);
    CHECK(imds.client->Put("/latest/other", with_token, "", "text/plain")->status == 404);
}

// ---- role and credentials -------------------------------------------------------------------

TEST_CASE("mock imds: the role listing names the configured role") {
    MockImdsConfig config;
    config.role = "app-role";
    MockImds imds(config);

    auto result = imds.get(kRolesPath, imds.token());

    REQUIRE(result);
    CHECK(result->status == 200);
    CHECK(result->body == "app-role");
}

TEST_CASE("mock imds: without a role the listing and the credentials answer 404") {
    MockImdsConfig config;
    config.role.reset();
    MockImds imds(config);
    const std::string token = imds.token();

    CHECK(imds.status_of(kRolesPath, token) == 404);
    CHECK(imds.status_of(kRolePath, token) == 404);
}

TEST_CASE("mock imds: credentials for an unknown role answer 404") {
    MockImds imds;

    const int status = imds.status_of(std::string(kRolesPath) + "other-role", imds.token());

    CHECK(status == 404);
}

TEST_CASE("mock imds: credentials have the shape IMDS gives them") {
    MockImds imds;

    const nlohmann::json credentials = imds.credentials();

    CHECK(credentials["Code"] == "Success");
    CHECK(credentials["Type"] == "AWS-HMAC");
    const std::string key_id = credentials["AccessKeyId"];
    CHECK(key_id.size() == 20);
    CHECK(key_id.starts_with("ASIA"));
    CHECK(key_id.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") == std::string::npos);
    CHECK(credentials["SecretAccessKey"].get<std::string>().size() == 40);
    CHECK(credentials["Token"].get<std::string>().size() >= 200);
    CHECK(credentials["LastUpdated"] == format_rfc3339(start_seconds()));
    CHECK(credentials["Expiration"] == format_rfc3339(start_seconds() + hours(6)));
}

TEST_CASE("mock imds: credentials keep their keys until the rotation interval has passed") {
    MockImds imds;
    const nlohmann::json first = imds.credentials();

    imds.clock.advance(hours(1) - seconds(1));
    const nlohmann::json same = imds.credentials();
    imds.clock.advance(seconds(1));
    const nlohmann::json rotated = imds.credentials();

    CHECK(same["AccessKeyId"] == first["AccessKeyId"]);
    CHECK(rotated["AccessKeyId"] != first["AccessKeyId"]);
    CHECK(rotated["SecretAccessKey"] != first["SecretAccessKey"]);
    CHECK(rotated["LastUpdated"] == format_rfc3339(start_seconds() + hours(1)));
    CHECK(rotated["Expiration"] == format_rfc3339(start_seconds() + hours(7)));
}

TEST_CASE("mock imds: credentials served at any moment are current and outlast the rotation") {
    MockImdsConfig config;
    config.lifetime = minutes(15);
    config.rotation = minutes(5);
    MockImds imds(config);

    for (int step = 0; step < 40; ++step) {
        imds.clock.advance(seconds(47));
        const nlohmann::json credentials = imds.credentials();

        const TimePoint now = imds.clock.now_seconds();
        const TimePoint updated = *parse_rfc3339(credentials["LastUpdated"].get<std::string>());
        const TimePoint expires = *parse_rfc3339(credentials["Expiration"].get<std::string>());
        CAPTURE(step);
        CHECK(updated <= now);
        CHECK(expires - now > minutes(10) - seconds(1));
    }
}

TEST_CASE("mock imds: the same seed gives the same keys and another seed other keys") {
    MockImdsConfig config;
    config.seed = 42;
    MockImds first(config);
    MockImds again(config);
    config.seed = 43;
    MockImds other(config);

    const auto key_id = first.credentials()["AccessKeyId"];

    CHECK(again.credentials()["AccessKeyId"] == key_id);
    CHECK(other.credentials()["AccessKeyId"] != key_id);
}

TEST_CASE("mock imds: fixed credentials are served in turn, one entry per rotation") {
    MockImdsConfig config;
    config.fixed_credentials = {fixed_keys("ASIAFIXEDFIRST00AAAA", "secret-a", "token-a"),
                                fixed_keys("ASIAFIXEDSECOND0BBBB", "secret-b", "token-b")};
    MockImds imds(config);

    const nlohmann::json first = imds.credentials();
    imds.clock.advance(hours(1));
    const nlohmann::json second = imds.credentials();
    imds.clock.advance(hours(1));
    const nlohmann::json third = imds.credentials();

    CHECK(first["AccessKeyId"] == "ASIAFIXEDFIRST00AAAA");
    CHECK(first["SecretAccessKey"] == "secret-a");
    CHECK(first["Token"] == "token-a");
    CHECK(second["AccessKeyId"] == "ASIAFIXEDSECOND0BBBB");
    CHECK(second["SecretAccessKey"] == "secret-b");
    CHECK(second["Token"] == "token-b");
    CHECK(third["AccessKeyId"] == "ASIAFIXEDFIRST00AAAA");
}

TEST_CASE("mock imds: fixed credentials get their times from the rotation model") {
    MockImdsConfig config;
    config.fixed_credentials = {fixed_keys("ASIAFIXEDFIRST00AAAA", "secret-a", "token-a")};
    config.lifetime = minutes(15);
    config.rotation = minutes(5);
    MockImds imds(config);

    imds.clock.advance(minutes(7));
    const nlohmann::json credentials = imds.credentials();

    CHECK(credentials["Code"] == "Success");
    CHECK(credentials["LastUpdated"] == format_rfc3339(start_seconds() + minutes(5)));
    CHECK(credentials["Expiration"] == format_rfc3339(start_seconds() + minutes(20)));
}

TEST_CASE("mock imds: fixed keys without a session token are served without a Token member") {
    MockImdsConfig config;
    config.fixed_credentials = {fixed_keys("AKIALONGTERMKEY0CCCC", "secret-c")};
    MockImds imds(config);

    const nlohmann::json credentials = imds.credentials();

    CHECK(credentials["AccessKeyId"] == "AKIALONGTERMKEY0CCCC");
    CHECK(credentials["SecretAccessKey"] == "secret-c");
    CHECK_FALSE(credentials.contains("Token"));
}

TEST_CASE("mock imds: an expired fault applies to fixed credentials too") {
    MockImdsConfig config = with_faults({"expired"});
    config.fixed_credentials = {fixed_keys("ASIAFIXEDFIRST00AAAA", "secret-a", "token-a")};
    MockImds imds(config);

    const nlohmann::json credentials = imds.credentials();

    CHECK(credentials["AccessKeyId"] == "ASIAFIXEDFIRST00AAAA");
    CHECK(credentials["Expiration"] == format_rfc3339(imds.clock.now_seconds() - hours(1)));
}

TEST_CASE("mock imds: fixed credentials without a key id or a secret are refused at start") {
    ManualClock clock(start_time());
    MockImdsConfig config;
    config.fixed_credentials = {fixed_keys("ASIAFIXEDFIRST00AAAA", "")};
    MockImdsServer server(config, clock);

    auto started = server.start();

    REQUIRE_FALSE(started);
    CHECK(started.error().kind == ErrorKind::usage);
    CHECK(started.error().why.find("entry 1") != std::string::npos);
}

// ---- instance metadata ----------------------------------------------------------------------

TEST_CASE("mock imds: placement, instance id and identity document describe the instance") {
    MockImdsConfig config;
    config.region = "eu-west-2";
    config.instance_id = "i-0aaaabbbbccccdddd";
    config.account_id = "210987654321";
    MockImds imds(config);
    const std::string token = imds.token();

    auto region = imds.get("/latest/meta-data/placement/region", token);
    auto zone = imds.get("/latest/meta-data/placement/availability-zone", token);
    auto instance = imds.get("/latest/meta-data/instance-id", token);
    auto document = imds.get("/latest/dynamic/instance-identity/document", token);

    CHECK(region->body == "eu-west-2");
    CHECK(zone->body == "eu-west-2a");
    CHECK(instance->body == "i-0aaaabbbbccccdddd");
    const auto identity = nlohmann::json::parse(document->body);
    CHECK(identity["accountId"] == "210987654321");
    CHECK(identity["region"] == "eu-west-2");
    CHECK(identity["availabilityZone"] == "eu-west-2a");
    CHECK(identity["instanceId"] == "i-0aaaabbbbccccdddd");
    for (const auto* key :
         {"architecture", "imageId", "instanceType", "pendingTime", "privateIp", "version"}) {
        CHECK_MESSAGE(identity.contains(key), key);
    }
}

TEST_CASE("mock imds: every entry a metadata listing names answers 200") {
    MockImds imds;
    const std::string token = imds.token();
    std::vector<std::string> pending{"/latest/meta-data/", "/latest/dynamic/"};

    for (std::size_t next = 0; next < pending.size(); ++next) {
        CAPTURE(pending[next]);
        auto result = imds.get(pending[next], token);
        REQUIRE(result);
        REQUIRE(result->status == 200);
        if (!pending[next].ends_with('/')) {
            continue;
        }
        std::istringstream entries(result->body);
        for (std::string entry; std::getline(entries, entry);) {
            pending.push_back(pending[next] + entry);
        }
    }

    CHECK(std::ranges::count(pending, kRolePath) == 1);
    CHECK(std::ranges::count(pending, "/latest/dynamic/instance-identity/document") == 1);
}

// ---- faults ---------------------------------------------------------------------------------

TEST_CASE("mock imds: a status fault answers its code for its path, the first N times only") {
    MockImds imds(with_faults({"status:503@/latest/api/token*2"}));

    const int first = imds.put_token()->status;
    const int second = imds.put_token()->status;
    const std::string token = imds.token();

    CHECK(first == 503);
    CHECK(second == 503);
    CHECK(imds.status_of(kRolesPath, token) == 200);
}

TEST_CASE("mock imds: a fault path ending in '*' matches every path under it") {
    MockImds imds(with_faults({"status:500@/latest/meta-data/iam/*"}));
    const std::string token = imds.token();

    CHECK(imds.status_of(kRolesPath, token) == 500);
    CHECK(imds.status_of(kRolePath, token) == 500);
    CHECK(imds.status_of("/latest/meta-data/instance-id", token) == 200);
}

TEST_CASE("mock imds: faults of one kind are used in the order given") {
    MockImds imds(with_faults({"status:429*1", "status:503"}));

    const int first = imds.put_token()->status;
    const int second = imds.put_token()->status;
    const int third = imds.put_token()->status;

    CHECK(first == 429);
    CHECK(second == 503);
    CHECK(third == 503);
}

TEST_CASE("mock imds: a delay fault answers normally after the delay") {
    MockImds imds(with_faults({"delay:300ms@/latest/api/token"}));
    const auto start = std::chrono::steady_clock::now();

    auto result = imds.put_token();

    REQUIRE(result);
    CHECK(result->status == 200);
    CHECK(std::chrono::steady_clock::now() - start >= milliseconds(300));
}

TEST_CASE("mock imds: a hang fault holds the request until the client gives up") {
    MockImds imds(with_faults({"hang@/latest/api/token*1"}));
    imds.client->set_read_timeout(0, 300'000);

    auto hung = imds.put_token();
    imds.client->set_read_timeout(5);
    auto next = imds.put_token();

    CHECK_FALSE(hung);
    REQUIRE(next);
    CHECK(next->status == 200);
}

TEST_CASE("mock imds: stop returns promptly while a hang fault holds a request") {
    auto imds = std::make_unique<MockImds>(with_faults({"hang"}));
    auto pending = std::async(std::launch::async, [&imds] { return imds->put_token(); });
    while (imds->server.requests("PUT", kTokenPath).total == 0) {
        std::this_thread::sleep_for(milliseconds(5));
    }
    const auto start = std::chrono::steady_clock::now();

    imds->server.stop();

    CHECK(elapsed_since(start) < seconds(3));
    CHECK(pending.wait_for(seconds(3)) == std::future_status::ready);
}

TEST_CASE("mock imds: a malformed-json fault serves credentials no parser accepts") {
    MockImds imds(with_faults({"malformed-json*1"}));
    const std::string token = imds.token();

    auto broken = imds.get(kRolePath, token);
    auto whole = imds.get(kRolePath, token);

    CHECK(broken->status == 200);
    CHECK_FALSE(nlohmann::json::accept(broken->body));
    CHECK(nlohmann::json::accept(whole->body));
}

TEST_CASE("mock imds: an expired fault serves credentials that ended an hour ago") {
    MockImds imds(with_faults({"expired"}));

    const nlohmann::json credentials = imds.credentials();

    const TimePoint now = imds.clock.now_seconds();
    CHECK(credentials["Expiration"] == format_rfc3339(now - hours(1)));
    CHECK(credentials["LastUpdated"] == format_rfc3339(now - hours(7)));
}

TEST_CASE("mock imds: a drop-token-put fault holds token PUTs while GETs still answer") {
    MockImdsConfig config = with_faults({"drop-token-put"});
    config.allow_v1 = true;
    MockImds imds(config);
    imds.client->set_read_timeout(0, 300'000);

    auto put = imds.put_token();
    auto plain_get = imds.client->Get(kRolesPath);

    CHECK_FALSE(put);
    REQUIRE(plain_get);
    CHECK(plain_get->status == 200);
}

TEST_CASE("mock imds: with drop-token-put and IMDSv2 required, a GET without token gets 401") {
    MockImdsConfig config = with_faults({"drop-token-put"});
    config.hang_for = milliseconds(50);
    MockImds imds(config);

    auto put = imds.put_token();
    auto plain_get = imds.client->Get(kRolesPath);

    CHECK(put->status == 504);
    CHECK(plain_get->status == 401);
}

TEST_CASE("mock imds: a no-role fault makes the role vanish for as many requests as it says") {
    MockImds imds(with_faults({"no-role*1"}));
    const std::string token = imds.token();

    const int first = imds.status_of(kRolesPath, token);
    const int second = imds.status_of(kRolesPath, token);

    CHECK(first == 404);
    CHECK(second == 200);
}

// ---- request log ----------------------------------------------------------------------------

TEST_CASE("mock imds: the request log counts each method and path and the tokens sent") {
    MockImds imds;
    const std::string token = imds.token();

    imds.get(kRolesPath, token);
    imds.get(kRolesPath, token);
    imds.client->Get(kRolesPath);

    const MockRequestCount puts = imds.server.requests("PUT", kTokenPath);
    const MockRequestCount lists = imds.server.requests("GET", kRolesPath);
    CHECK(puts.total == 1);
    CHECK(puts.with_token == 0);
    CHECK(lists.total == 3);
    CHECK(lists.with_token == 2);
    CHECK(imds.server.requests("GET", kRolePath).total == 0);
    CHECK(imds.server.requests().size() == 2);
}

// ---- configuration --------------------------------------------------------------------------

TEST_CASE("mock imds: a non-loopback listen address is refused unless allowed") {
    ManualClock clock(start_time());
    MockImdsConfig config;
    config.host = "0.0.0.0";
    MockImdsServer server(config, clock);

    auto started = server.start();

    REQUIRE_FALSE(started);
    CHECK(started.error().kind == ErrorKind::usage);
    CHECK(started.error().what == "cannot listen on 0.0.0.0");
    CHECK_FALSE(started.error().hint.empty());
}

TEST_CASE("mock imds: a rotation interval not shorter than the lifetime is refused") {
    ManualClock clock(start_time());
    MockImdsConfig config;
    config.lifetime = hours(1);
    config.rotation = hours(1);
    MockImdsServer server(config, clock);

    auto started = server.start();

    REQUIRE_FALSE(started);
    CHECK(started.error().kind == ErrorKind::usage);
}

TEST_CASE("mock imds: a port in use is a failure that says so") {
    MockImds first;
    MockImdsConfig config;
    config.port = first.server.port();
    MockImdsServer second(config, first.clock);

    auto started = second.start();

    REQUIRE_FALSE(started);
    CHECK(started.error().kind == ErrorKind::failure);
    CHECK(started.error().why == "the port is already in use");
}

TEST_CASE("mock imds: an IPv6 loopback server has a bracketed endpoint") {
    MockImdsConfig config;
    config.host = "[::1]";
    ManualClock clock(start_time());
    MockImdsServer server(config, clock);

    auto started = server.start();
    if (!started) {
        MESSAGE("skipped: no IPv6 loopback here: " << started.error().why);
        return;
    }

    CHECK(server.endpoint() == "http://[::1]:" + std::to_string(server.port()));
    httplib::Client client(server.endpoint());
    CHECK(client.Get(kRolesPath)->status == 401);
}

TEST_CASE("mock imds: stop is idempotent and wait returns once stopped") {
    MockImds imds;

    imds.server.stop();
    imds.server.stop();
    imds.server.wait();

    CHECK_FALSE(imds.server.running());
}

// ---- fault specs ----------------------------------------------------------------------------

TEST_CASE("mock fault spec: every part is read") {
    auto fault = parse_mock_fault("status:503@/latest/api/token*2");

    REQUIRE(fault);
    CHECK(fault->kind == MockFaultKind::status);
    CHECK(fault->status == 503);
    CHECK(fault->path == "/latest/api/token");
    CHECK(fault->times == 2);
}

TEST_CASE("mock fault spec: kinds without arguments, and a delay") {
    CHECK(parse_mock_fault("hang")->kind == MockFaultKind::hang);
    CHECK(parse_mock_fault("malformed-json")->kind == MockFaultKind::malformed_json);
    CHECK(parse_mock_fault("expired")->kind == MockFaultKind::expired);
    CHECK(parse_mock_fault("drop-token-put")->kind == MockFaultKind::drop_token_put);
    CHECK(parse_mock_fault("no-role")->kind == MockFaultKind::no_role);
    CHECK(parse_mock_fault("delay:2s")->delay == seconds(2));
    CHECK_FALSE(parse_mock_fault("hang")->times.has_value());
    CHECK(parse_mock_fault("hang")->path.empty());
}

TEST_CASE("mock fault spec: a '*' after a '/' is a prefix, even when a count follows") {
    CHECK(parse_mock_fault("delay:2s@/latest/meta-data/*")->path == "/latest/meta-data/*");
    CHECK(parse_mock_fault("status:401@/latest/meta-data/iam/*1")->path ==
          "/latest/meta-data/iam/*");
    CHECK(parse_mock_fault("status:401@/latest/meta-data/iam/*1")->times == 1);
    CHECK(parse_mock_fault("status:401@/latest/meta-data/iam/**1")->path ==
          "/latest/meta-data/iam/*");
    CHECK(parse_mock_fault("hang@/latest/api/token*3")->path == "/latest/api/token");
}

TEST_CASE("mock fault spec: formatting reads back to the same fault") {
    for (const auto* spec : {"status:503@/latest/api/token*2", "delay:1m30s", "hang",
                             "no-role@/latest/meta-data/iam/**4", "expired*1"}) {
        CAPTURE(spec);
        auto fault = parse_mock_fault(spec);
        REQUIRE(fault);

        CHECK(format_mock_fault(*fault) == spec);
    }
}

TEST_CASE("mock fault spec: mistakes are usage errors that say what is wrong") {
    const std::pair<const char*, const char*> cases[] = {
        {"", "unknown kind ''"},
        {"bogus", "unknown kind 'bogus'"},
        {"status", "needs an argument"},
        {"status:abc", "not a status code"},
        {"status:99", "not a status code"},
        {"status:600", "not a status code"},
        {"delay", "needs an argument"},
        {"delay:soon", "invalid delay 'soon'"},
        {"hang:5s", "takes no argument"},
        {"expired:1", "takes no argument"},
        {"hang@", "must start with '/'"},
        {"hang@latest/api/token", "must start with '/'"},
        {"hang@/a*/b", "may only end the path"},
        {"hang*0", "not a count"},
        {"hang*", "must be followed by a count"},
    };
    for (const auto& [spec, why] : cases) {
        CAPTURE(spec);

        auto fault = parse_mock_fault(spec);

        REQUIRE_FALSE(fault);
        CHECK(fault.error().kind == ErrorKind::usage);
        CHECK(fault.error().what == std::string("invalid fault '") + spec + "'");
        CHECK(fault.error().why.find(why) != std::string::npos);
        CHECK_FALSE(fault.error().hint.empty());
    }
}

// ---- credentials files ----------------------------------------------------------------------

TEST_CASE("mock credentials file: entries are read in order, a token only where given") {
    auto credentials = parse_mock_credentials(R"([
        {"AccessKeyId": "ASIAFIXEDFIRST00AAAA", "SecretAccessKey": "secret-a", "Token": "tok"},
        {"SecretAccessKey": "secret-b", "AccessKeyId": "AKIALONGTERMKEY0BBBB"}
    ])");

    REQUIRE(credentials);
    REQUIRE(credentials->size() == 2);
    CHECK((*credentials)[0].access_key_id == "ASIAFIXEDFIRST00AAAA");
    CHECK((*credentials)[0].secret_access_key.reveal() == "secret-a");
    CHECK((*credentials)[0].session_token.reveal() == "tok");
    CHECK((*credentials)[1].access_key_id == "AKIALONGTERMKEY0BBBB");
    CHECK((*credentials)[1].secret_access_key.reveal() == "secret-b");
    CHECK_FALSE((*credentials)[1].has_session_token());
}

TEST_CASE("mock credentials file: mistakes are usage errors that name the entry, not a value") {
    const std::pair<const char*, const char*> cases[] = {
        {"", "it is empty"},
        {" \n", "it is empty"},
        {"{}", "not a non-empty array"},
        {"[]", "not a non-empty array"},
        {R"(["ASIAKEY"])", "entry 1 is not an object"},
        {R"([{"AccessKeyId": "K", "SecretAccessKey": "hush"}, {"AccessKeyId": "K"}])",
         "entry 2: SecretAccessKey is missing"},
        {R"([{"SecretAccessKey": "hush"}])", "entry 1: AccessKeyId is missing"},
        {R"([{"AccessKeyId": 7, "SecretAccessKey": "hush"}])",
         "entry 1: AccessKeyId is not a string"},
        {R"([{"AccessKeyId": "K", "SecretAccessKey": ""}])", "entry 1: SecretAccessKey is empty"},
        {R"([{"AccessKeyId": "K", "SecretAccessKey": "hush", "Token": ""}])",
         "entry 1: Token is empty"},
        {R"([{"AccessKeyId": "K", "SecretAccessKey": "hu sh"}])",
         "entry 1: SecretAccessKey holds spaces or control characters"},
        {R"([{"AccessKeyId": "K", "SecretAccessKey": "hush", "SessionToken": "t"}])",
         "entry 1: unknown member 'SessionToken'"},
        {R"([{"AccessKeyId": "K", "SecretAccessKey": "hush", "Expiration": "x"}])",
         "entry 1: unknown member 'Expiration'"},
    };
    for (const auto& [json, why] : cases) {
        CAPTURE(json);

        auto credentials = parse_mock_credentials(json);

        REQUIRE_FALSE(credentials);
        CHECK(credentials.error().kind == ErrorKind::usage);
        CHECK(credentials.error().why.find(why) != std::string::npos);
        CHECK_FALSE(credentials.error().hint.empty());
        const std::string message =
            credentials.error().what + credentials.error().why + credentials.error().hint;
        CHECK(message.find("hush") == std::string::npos);
        CHECK(message.find("hu sh") == std::string::npos);
    }
}

TEST_CASE("mock credentials file: a JSON syntax error names its line and column, not the text") {
    auto credentials =
        parse_mock_credentials("[{\"AccessKeyId\": \"K\",\n  \"SecretAccessKey\": hush}]");

    REQUIRE_FALSE(credentials);
    CHECK(credentials.error().kind == ErrorKind::usage);
    CHECK(credentials.error().why == "not valid JSON at line 2, column 22");
    CHECK(credentials.error().why.find("hush") == std::string::npos);
}

// ---- listen addresses -----------------------------------------------------------------------

TEST_CASE("mock listen address: IPv4 and bracketed IPv6 with a port") {
    auto v4 = parse_listen_address("127.0.0.1:8080");
    auto v6 = parse_listen_address("[::1]:0");

    REQUIRE(v4);
    CHECK(v4->host == "127.0.0.1");
    CHECK(v4->port == 8080);
    REQUIRE(v6);
    CHECK(v6->host == "::1");
    CHECK(v6->port == 0);
}

TEST_CASE("mock listen address: mistakes are usage errors") {
    for (const auto* text :
         {"127.0.0.1", ":80", "::1:80", "127.0.0.1:65536", "127.0.0.1:x", "127.0.0.1:"}) {
        CAPTURE(text);

        auto address = parse_listen_address(text);

        REQUIRE_FALSE(address);
        CHECK(address.error().kind == ErrorKind::usage);
    }
}

}  // namespace credkit
