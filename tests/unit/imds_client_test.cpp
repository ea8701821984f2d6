#include "credkit/imds_client.hpp"

#include "fake_http.hpp"
#include <doctest/doctest.h>

namespace credkit {
namespace {

using testing::answer;
using testing::FakeHttp;
using testing::transport_failure;

constexpr auto kToken = "PUT /latest/api/token";
constexpr auto kRoles = "GET /latest/meta-data/iam/security-credentials/";
constexpr auto kRoleCreds = "GET /latest/meta-data/iam/security-credentials/app-role";
constexpr auto kSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
constexpr auto kSessionToken = "IQoJb3JpZ2luX2VjEXAMPLETOKEN";

const std::string kCredentialsJson = std::string(R"({
  "Code": "Success", "LastUpdated": "2026-12-03T15:00:00Z", "Type": "AWS-HMAC",
  "AccessKeyId": "ASIAEXAMPLEKEY123456", "SecretAccessKey": ")") +
                                     kSecret + R"(", "Token": ")" + kSessionToken +
                                     R"(", "Expiration": "2026-12-03T21:00:00Z"})";

ImdsSettings test_settings() {
    ImdsSettings settings;
    settings.endpoint = "http://imds.test";
    settings.attempts = 3;
    return settings;
}

Clock::TimePoint start_time() {
    return Clock::TimePoint(std::chrono::sys_days(std::chrono::year(2026) / 12 / 3)) +
           std::chrono::hours(15) + std::chrono::minutes(30);
}

void script_healthy_imds(FakeHttp& http) {
    http.on(kToken, {answer(200, "token-1")});
    http.on(kRoles, {answer(200, "app-role\n")});
    http.on(kRoleCreds, {answer(200, kCredentialsJson)});
}

struct Fixture {
    FakeHttp http;
    ManualClock clock{start_time()};
    std::vector<std::string> log_lines;
    Logger log{Verbosity::debug, [this](std::string_view line) { log_lines.emplace_back(line); }};

    ImdsClient client(ImdsSettings settings = test_settings()) {
        return ImdsClient(std::move(settings), http, clock, log, 42);
    }

    [[nodiscard]] std::string all_logs() const {
        std::string all;
        for (const auto& line : log_lines) {
            all += line + "\n";
        }
        return all;
    }
};

std::string header(const HttpRequest& request, std::string_view name) {
    for (const auto& [key, value] : request.headers) {
        if (key == name) {
            return value;
        }
    }
    return {};
}

}  // namespace

TEST_CASE_FIXTURE(Fixture, "imds client fetches the listed role's credentials with a token") {
    script_healthy_imds(http);

    auto credentials = client().fetch_credentials();

    REQUIRE(credentials.has_value());
    CHECK(credentials->access_key_id == "ASIAEXAMPLEKEY123456");
    CHECK(credentials->secret_access_key.reveal() == kSecret);
    CHECK(credentials->session_token.reveal() == kSessionToken);
    CHECK(format_rfc3339(*credentials->expiration) == "2026-12-03T21:00:00Z");
    CHECK(format_rfc3339(*credentials->last_updated) == "2026-12-03T15:00:00Z");
    CHECK(credentials->origin.kind == SourceKind::imds);
    CHECK(credentials->origin.section == "app-role");
    REQUIRE(http.requests.size() == 3);
    CHECK(header(http.requests[0], "X-aws-ec2-metadata-token-ttl-seconds") == "21600");
    CHECK(header(http.requests[1], "X-aws-ec2-metadata-token") == "token-1");
    CHECK(header(http.requests[2], "X-aws-ec2-metadata-token") == "token-1");
}

TEST_CASE_FIXTURE(Fixture, "imds client never uses a proxy and applies the per-attempt timeout") {
    script_healthy_imds(http);
    auto settings = test_settings();
    settings.timeout = Millis(250);

    REQUIRE(client(settings).fetch_credentials().has_value());

    for (const auto& request : http.requests) {
        CHECK_FALSE(request.use_proxy);
        CHECK(request.timeout == Millis(250));
        CHECK(request.max_body == 64 * 1024);
    }
}

TEST_CASE_FIXTURE(Fixture, "imds client uses the role it is given without listing roles") {
    script_healthy_imds(http);
    auto settings = test_settings();
    settings.role = "app-role";

    REQUIRE(client(settings).fetch_credentials().has_value());

    CHECK(http.count(kRoles) == 0);
}

TEST_CASE_FIXTURE(Fixture, "imds client reuses its token until shortly before the ttl ends") {
    script_healthy_imds(http);
    auto settings = test_settings();
    settings.token_ttl = Seconds(600);
    auto imds = client(settings);

    REQUIRE(imds.fetch_credentials().has_value());
    clock.advance(std::chrono::seconds(500));
    REQUIRE(imds.fetch_credentials().has_value());
    CHECK(http.count(kToken) == 1);

    clock.advance(std::chrono::seconds(50));  // 550 s: within the last tenth of the ttl
    REQUIRE(imds.fetch_credentials().has_value());
    CHECK(http.count(kToken) == 2);
}

TEST_CASE_FIXTURE(Fixture, "imds client renews a rejected token once and goes on") {
    http.on(kToken, {answer(200, "stale"), answer(200, "fresh")});
    http.on(kRoles, {answer(401), answer(200, "app-role")});
    http.on(kRoleCreds, {answer(200, kCredentialsJson)});

    auto credentials = client().fetch_credentials();

    REQUIRE(credentials.has_value());
    CHECK(http.count(kToken) == 2);
    CHECK(header(http.requests.back(), "X-aws-ec2-metadata-token") == "fresh");
}

TEST_CASE_FIXTURE(Fixture, "imds client gives up when a fresh token is rejected too") {
    http.on(kToken, {answer(200, "t")});
    http.on(kRoles, {answer(401)});

    auto credentials = client().fetch_credentials();

    REQUIRE_FALSE(credentials.has_value());
    CHECK(credentials.error().kind == ErrorKind::imds_unavailable);
    CHECK(credentials.error().why.find("401 unauthorized twice") != std::string::npos);
    CHECK(http.count(kToken) == 2);
}

TEST_CASE_FIXTURE(Fixture, "imds client explains each token failure by its status") {
    struct Case {
        long status;
        std::string cause;
    };
    const std::vector<Case> cases{
        {400, "token lifetime header is missing or outside 1s..6h"},
        {403, "turned off for this instance, or an http proxy answered"},
        {404, "does not offer IMDSv2"},
        {405, "not an instance metadata service"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.status);
        FakeHttp local;
        local.on(kToken, {answer(c.status)});
        ImdsClient imds(test_settings(), local, clock, log, 1);

        auto credentials = imds.fetch_credentials();

        REQUIRE_FALSE(credentials.has_value());
        CHECK(credentials.error().kind == ErrorKind::imds_unavailable);
        CHECK(credentials.error().what == "cannot get an imds session token");
        CHECK(credentials.error().why.find(c.cause) != std::string::npos);
        CHECK_FALSE(credentials.error().hint.empty());
        CHECK(local.count(kToken) == 1);  // 4xx answers are not retried
    }
}

TEST_CASE_FIXTURE(Fixture, "imds client retries throttling with growing delays, then succeeds") {
    http.on(kToken, {answer(429), answer(429), answer(200, "t")});
    http.on(kRoles, {answer(200, "app-role")});
    http.on(kRoleCreds, {answer(200, kCredentialsJson)});

    auto credentials = client().fetch_credentials();

    REQUIRE(credentials.has_value());
    CHECK(http.count(kToken) == 3);
    // Two backoffs: 100..200 ms, then 200..400 ms.
    CHECK(clock.total_slept() >= std::chrono::milliseconds(300));
    CHECK(clock.total_slept() <= std::chrono::milliseconds(600));
}

TEST_CASE_FIXTURE(Fixture, "imds client reports throttling that outlasts its attempts") {
    http.on(kToken, {answer(429)});
    auto settings = test_settings();
    settings.attempts = 4;

    auto credentials = client(settings).fetch_credentials();

    REQUIRE_FALSE(credentials.has_value());
    CHECK(credentials.error().why.find("429 too many requests") != std::string::npos);
    CHECK(credentials.error().hint.find("--imds-attempts") != std::string::npos);
    CHECK(http.count(kToken) == 4);
}

TEST_CASE_FIXTURE(Fixture, "imds client retries server errors and explains them") {
    http.on(kToken, {answer(200, "t")});
    http.on(kRoles, {answer(503)});

    auto credentials = client().fetch_credentials();

    REQUIRE_FALSE(credentials.has_value());
    CHECK(credentials.error().why.find("503 service unavailable") != std::string::npos);
    CHECK(credentials.error().why.find("still starting") != std::string::npos);
    CHECK(http.count(kRoles) == 3);
}

TEST_CASE_FIXTURE(Fixture, "imds client backoff is capped however many attempts") {
    http.on(kToken, {answer(500)});
    auto settings = test_settings();
    settings.attempts = 10;

    REQUIRE_FALSE(client(settings).fetch_credentials().has_value());

    // Nine waits, none over 3 s.
    CHECK(clock.total_slept() <= std::chrono::seconds(27));
    CHECK(clock.total_slept() >= std::chrono::seconds(5));
}

TEST_CASE_FIXTURE(Fixture, "imds client says where to point it when the connection is refused") {
    http.on(kToken, {transport_failure(TransportFailure::connection_refused)});

    auto credentials = client().fetch_credentials();

    REQUIRE_FALSE(credentials.has_value());
    CHECK(credentials.error().kind == ErrorKind::imds_unavailable);
    CHECK(credentials.error().why == "connection to http://imds.test refused");
    CHECK(credentials.error().hint.find("credkit mock-imds") != std::string::npos);
    CHECK(http.count(kToken) == 3);
}

TEST_CASE_FIXTURE(Fixture, "imds client recognises the hop-limit signature of a container") {
    http.on(kToken, {transport_failure(TransportFailure::timed_out)});
    http.on("GET /latest/meta-data/", {answer(401)});

    auto credentials = client().fetch_credentials();

    REQUIRE_FALSE(credentials.has_value());
    CHECK(credentials.error().why.find("hop limit is too low") != std::string::npos);
    CHECK(credentials.error().hint.find("--http-put-response-hop-limit 2") != std::string::npos);
}

TEST_CASE_FIXTURE(Fixture, "imds client reports silence when neither the token nor a get answers") {
    http.on(kToken, {transport_failure(TransportFailure::timed_out)});
    http.on("GET /latest/meta-data/", {transport_failure(TransportFailure::timed_out)});

    auto credentials = client().fetch_credentials();

    REQUIRE_FALSE(credentials.has_value());
    CHECK(credentials.error().why == "no answer from http://imds.test within 1s (3 attempts)");
}

TEST_CASE_FIXTURE(Fixture, "imds client falls back to imdsv1 only when allowed") {
    http.on(kToken, {transport_failure(TransportFailure::timed_out)});
    http.on("GET /latest/meta-data/", {answer(200, "iam/\n")});
    http.on(kRoles, {answer(200, "app-role")});
    http.on(kRoleCreds, {answer(200, kCredentialsJson)});
    auto settings = test_settings();
    settings.allow_v1 = true;
    auto imds = client(settings);

    auto credentials = imds.fetch_credentials();

    REQUIRE(credentials.has_value());
    CHECK(imds.using_v1());
    CHECK(header(http.requests.back(), "X-aws-ec2-metadata-token").empty());
    CHECK(all_logs().find("warning: falling back to IMDSv1") != std::string::npos);
}

TEST_CASE_FIXTURE(Fixture, "imds client explains a 401 to imdsv1 as a v2 requirement") {
    http.on(kToken, {answer(404)});
    http.on(kRoles, {answer(401)});
    auto settings = test_settings();
    settings.allow_v1 = true;

    auto credentials = client(settings).fetch_credentials();

    REQUIRE_FALSE(credentials.has_value());
    CHECK(credentials.error().why.find("requires IMDSv2") != std::string::npos);
}

TEST_CASE_FIXTURE(Fixture, "imds client reports an instance without a role as no credentials") {
    http.on(kToken, {answer(200, "t")});
    http.on(kRoles, {answer(404)});

    auto credentials = client().fetch_credentials();

    REQUIRE_FALSE(credentials.has_value());
    CHECK(credentials.error().kind == ErrorKind::no_credentials);
    CHECK(credentials.error().why == "no iam role is attached to this instance");
    CHECK(credentials.error().hint.find("associate-iam-instance-profile") != std::string::npos);
}

TEST_CASE_FIXTURE(Fixture, "imds client reports an unknown role named by the user") {
    http.on(kToken, {answer(200, "t")});
    auto settings = test_settings();
    settings.role = "missing-role";

    auto credentials = client(settings).fetch_credentials();

    REQUIRE_FALSE(credentials.has_value());
    CHECK(credentials.error().kind == ErrorKind::no_credentials);
    CHECK(credentials.error().what.find("'missing-role'") != std::string::npos);
    CHECK(credentials.error().hint.find("leave out --role") != std::string::npos);
}

TEST_CASE_FIXTURE(Fixture, "imds client refuses an oversized answer without retrying") {
    http.on(kToken, {transport_failure(TransportFailure::body_too_large)});

    auto credentials = client().fetch_credentials();

    REQUIRE_FALSE(credentials.has_value());
    CHECK(credentials.error().why.find("64 KiB") != std::string::npos);
    CHECK(http.count(kToken) == 1);
}

TEST_CASE_FIXTURE(Fixture, "imds client rejects malformed credentials without quoting them") {
    const std::vector<std::string> bodies{
        kCredentialsJson.substr(0, 120),
        R"({"Code":"Success","AccessKeyId":"ASIAX","SecretAccessKey":"s3cr3t","Token":"t"})",
        R"({"Code":"Success","AccessKeyId":"ASIAX","SecretAccessKey":"s3cr3t","Token":"t",)"
        R"("Expiration":"tomorrow"})",
    };
    for (const auto& body : bodies) {
        FakeHttp local;
        local.on(kToken, {answer(200, "t")});
        local.on(kRoles, {answer(200, "app-role")});
        local.on(kRoleCreds, {answer(200, body)});
        ImdsClient imds(test_settings(), local, clock, log, 1);

        auto credentials = imds.fetch_credentials();

        REQUIRE_FALSE(credentials.has_value());
        CHECK(credentials.error().why.starts_with("imds returned malformed credentials"));
        CHECK(format_error(credentials.error()).find("s3cr3t") == std::string::npos);
        CHECK(format_error(credentials.error()).find(kSecret) == std::string::npos);
    }
}

TEST_CASE_FIXTURE(Fixture, "imds client reports a credentials code other than success") {
    http.on(kToken, {answer(200, "t")});
    http.on(kRoles, {answer(200, "app-role")});
    http.on(kRoleCreds, {answer(200, R"({"Code":"AssumeRoleUnauthorizedAccess"})")});

    auto credentials = client().fetch_credentials();

    REQUIRE_FALSE(credentials.has_value());
    CHECK(credentials.error().why.find("AssumeRoleUnauthorizedAccess") != std::string::npos);
}

TEST_CASE_FIXTURE(Fixture, "imds client sends nothing when imds is disabled") {
    auto settings = test_settings();
    settings.disabled = true;

    auto credentials = client(settings).fetch_credentials();

    REQUIRE_FALSE(credentials.has_value());
    CHECK(credentials.error().why.find("AWS_EC2_METADATA_DISABLED") != std::string::npos);
    CHECK(http.requests.empty());
}

TEST_CASE_FIXTURE(Fixture, "imds client reads instance metadata and names what is missing") {
    http.on(kToken, {answer(200, "t")});
    http.on("GET /latest/meta-data/placement/region", {answer(200, "eu-west-1\n")});
    http.on("GET /latest/meta-data/instance-id", {answer(200, "i-0abc")});
    http.on("GET /latest/dynamic/instance-identity/document",
            {answer(200, R"({"accountId":"123456789012","region":"eu-west-1"})")});

    const InstanceMetadata metadata = client().instance_metadata();

    CHECK(metadata.region == "eu-west-1");
    CHECK(metadata.instance_id == "i-0abc");
    CHECK(metadata.account_id == "123456789012");
    CHECK_FALSE(metadata.availability_zone.has_value());
    REQUIRE(metadata.missing.size() == 1);
    CHECK(metadata.missing[0].starts_with("availability zone: "));
}

TEST_CASE_FIXTURE(Fixture, "imds client debug log shows requests but no token or secret") {
    script_healthy_imds(http);

    REQUIRE(client().fetch_credentials().has_value());

    const std::string logs = all_logs();
    CHECK(logs.find("imds: PUT /latest/api/token -> 200") != std::string::npos);
    CHECK(logs.find("token-1") == std::string::npos);
    CHECK(logs.find(kSecret) == std::string::npos);
    CHECK(logs.find(kSessionToken) == std::string::npos);
}

}  // namespace credkit
