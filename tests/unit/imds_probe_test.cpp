#include "credkit/imds_probe.hpp"

#include "fake_http.hpp"
#include <doctest/doctest.h>
#include <fmt/format.h>

namespace credkit {
namespace {

using testing::answer;
using testing::FakeHttp;
using testing::transport_failure;

constexpr auto kToken = "PUT /latest/api/token";
constexpr auto kRoles = "GET /latest/meta-data/iam/security-credentials/";
constexpr auto kRoleCreds = "GET /latest/meta-data/iam/security-credentials/app-role";
constexpr auto kSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

const std::string kCredentialsJson = std::string(R"({
  "Code": "Success", "LastUpdated": "2026-12-03T15:00:00Z", "Type": "AWS-HMAC",
  "AccessKeyId": "ASIAEXAMPLEKEY123456", "SecretAccessKey": ")") +
                                     kSecret + R"(", "Token": "IQoJb3JpZ2luX2VjEXAMPLE",
  "Expiration": "2026-12-03T21:00:00Z"})";

const std::string kNoTokenJson = R"({"Code": "Success", "AccessKeyId": "ASIAEXAMPLEKEY123456",
  "SecretAccessKey": "s", "Expiration": "2026-12-03T21:00:00Z"})";

constexpr Millis kBudget{2500};

Clock::TimePoint start_time() {
    return Clock::TimePoint(std::chrono::sys_days(std::chrono::year(2026) / 12 / 3)) +
           std::chrono::hours(15) + std::chrono::minutes(30);
}

ImdsSettings test_settings() {
    ImdsSettings settings;
    settings.endpoint = "http://imds.test";
    settings.timeout = Millis(1000);
    return settings;
}

HttpResult with_date(HttpResult result, std::string date) {
    result.response.headers["date"] = std::move(date);
    return result;
}

std::string header(const HttpRequest& request, std::string_view name) {
    for (const auto& [key, value] : request.headers) {
        if (key == name) {
            return value;
        }
    }
    return {};
}

bool contains(const std::optional<std::string>& text, std::string_view part) {
    return text && text->find(part) != std::string::npos;
}

// A request that times out costs its whole timeout, as on the wire; others cost `per_request`.
class TimedHttp final : public HttpClient {
public:
    TimedHttp(FakeHttp& http, ManualClock& clock) : http_(http), clock_(clock) {}

    HttpResult send(const HttpRequest& request) override {
        HttpResult result = http_.send(request);
        const bool timed_out = result.failure == TransportFailure::timed_out;
        clock_.advance(timed_out ? Clock::Duration(request.timeout) : per_request);
        return result;
    }

    Clock::Duration per_request{Millis(2)};

private:
    FakeHttp& http_;
    ManualClock& clock_;
};

struct Fixture {
    FakeHttp http;
    ManualClock clock{start_time()};
    TimedHttp timed{http, clock};

    ImdsProbe probe(ImdsSettings settings = test_settings(), Millis budget = kBudget) {
        return probe_imds(settings, timed, clock, budget);
    }
};

}  // namespace

TEST_CASE_FIXTURE(Fixture, "imds probe reads the role's credentials with a token") {
    http.on(kToken, {answer(200, "token-1")});
    http.on(kRoles, {answer(401), answer(200, "app-role\nother-role\n")});
    http.on(kRoleCreds, {answer(200, kCredentialsJson)});

    const ImdsProbe probe = this->probe();

    CHECK(probe.endpoint == "http://imds.test");
    CHECK(probe.token.answered(200));
    REQUIRE(probe.v1.has_value());
    CHECK(probe.v1->answered(401));
    CHECK(probe.role == "app-role");
    REQUIRE(probe.credentials_v2.has_value());
    CHECK(probe.credentials_v2->access_key_id == "ASIAEXAMPLEKEY123456");
    CHECK(probe.credentials_v2->secret_access_key.reveal() == kSecret);
    CHECK(format_rfc3339(*probe.credentials_v2->expiration) == "2026-12-03T21:00:00Z");
    CHECK_FALSE(probe.v2_problem.has_value());
    CHECK_FALSE(probe.credentials_v1.has_value());
    CHECK(contains(probe.v1_problem, "not asked"));
}

TEST_CASE_FIXTURE(Fixture, "imds probe asks as botocore does, once each, never through a proxy") {
    http.on(kToken, {answer(200, "token-1")});
    http.on(kRoles, {answer(200, "app-role")});
    http.on(kRoleCreds, {answer(200, kCredentialsJson)});

    probe();

    REQUIRE(http.requests.size() == 4);
    CHECK(header(http.requests[0], "X-aws-ec2-metadata-token-ttl-seconds") == "21600");
    CHECK(header(http.requests[1], "X-aws-ec2-metadata-token").empty());  // the v1 question
    CHECK(header(http.requests[2], "X-aws-ec2-metadata-token") == "token-1");
    CHECK(header(http.requests[3], "X-aws-ec2-metadata-token") == "token-1");
    for (const auto& request : http.requests) {
        CHECK_FALSE(request.use_proxy);
        CHECK(request.timeout == Millis(1000));
    }
}

TEST_CASE_FIXTURE(Fixture, "imds probe reads v1 credentials when the token put is refused") {
    for (const long status : {403L, 404L, 405L}) {
        CAPTURE(status);
        FakeHttp local;
        local.on(kToken, {answer(status)});
        local.on(kRoles, {answer(200, "app-role\n")});
        local.on(kRoleCreds, {answer(200, kCredentialsJson)});

        const ImdsProbe probe = probe_imds(test_settings(), local, clock, kBudget);

        CHECK(probe.token.answered(status));
        CHECK(probe.v1->answered(200));
        CHECK(probe.role == "app-role");
        REQUIRE(probe.credentials_v1.has_value());
        CHECK(probe.credentials_v1->access_key_id == "ASIAEXAMPLEKEY123456");
        CHECK_FALSE(probe.v1_problem.has_value());
        CHECK_FALSE(probe.credentials_v2.has_value());
        CHECK(probe.v2_problem == fmt::format("no session token (imds answered {})", status));
        REQUIRE(local.requests.size() == 3);
        CHECK(header(local.requests[2], "X-aws-ec2-metadata-token").empty());
    }
}

TEST_CASE_FIXTURE(Fixture, "imds probe shows the hop-limit signature: put times out, get answers") {
    http.on(kToken, {transport_failure(TransportFailure::timed_out)});
    http.on(kRoles, {answer(200, "app-role")});
    http.on(kRoleCreds, {answer(200, kCredentialsJson)});

    const ImdsProbe probe = this->probe();

    CHECK(probe.token.failure == TransportFailure::timed_out);
    CHECK(probe.token.took == Millis(1000));
    REQUIRE(probe.v1.has_value());
    CHECK(probe.v1->answered(200));
    CHECK(probe.credentials_v1.has_value());
    CHECK(probe.v2_problem == "no session token (no answer within 1s)");
}

TEST_CASE_FIXTURE(Fixture, "imds probe reports no role attached when the listing is 404") {
    http.on(kToken, {answer(200, "token-1")});
    http.on(kRoles, {answer(404)});

    const ImdsProbe probe = this->probe();

    CHECK_FALSE(probe.role.has_value());
    CHECK(probe.v2_problem == "no role attached");
    CHECK_FALSE(probe.credentials_v2.has_value());
    CHECK(http.count(kRoleCreds) == 0);
}

TEST_CASE_FIXTURE(Fixture, "imds probe names a v1 refusal when tokens fail and are required") {
    http.on(kToken, {answer(403)});
    http.on(kRoles, {answer(401)});

    const ImdsProbe probe = this->probe();

    CHECK(probe.v1_problem == "imds requires a session token (401)");
    CHECK_FALSE(probe.credentials_v1.has_value());
    CHECK(http.count(kRoleCreds) == 0);
}

TEST_CASE_FIXTURE(Fixture, "imds probe explains credentials it cannot read") {
    struct Case {
        HttpResult answer;
        std::string problem;
    };
    const std::vector<Case> cases{
        {answer(200, R"({"Code": "Success", "AccessKeyId": "ASIA)"), "malformed credentials"},
        {answer(200, kNoTokenJson), "Token is missing"},
        {answer(500), "imds answered 500"},
        {answer(404), "imds answered 404"},
        {answer(401), "imds refused the session token (401)"},
        {transport_failure(TransportFailure::timed_out), "no answer within 1s"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.problem);
        FakeHttp local;
        local.on(kToken, {answer(200, "token-1")});
        local.on(kRoles, {answer(200, "app-role")});
        local.on(kRoleCreds, {c.answer});
        TimedHttp timed_local(local, clock);

        const ImdsProbe probe = probe_imds(test_settings(), timed_local, clock, kBudget);

        CHECK_FALSE(probe.credentials_v2.has_value());
        CHECK(contains(probe.v2_problem, c.problem));
        CHECK_FALSE(contains(probe.v2_problem, kSecret));
    }
}

TEST_CASE_FIXTURE(Fixture, "imds probe stops at once when the connection is refused") {
    http.on(kToken, {transport_failure(TransportFailure::connection_refused)});

    const ImdsProbe probe = this->probe();

    CHECK(http.requests.size() == 1);
    CHECK(probe.token.failure == TransportFailure::connection_refused);
    CHECK_FALSE(probe.v1.has_value());
    CHECK(probe.v2_problem == "connection refused");
    CHECK(probe.v1_problem == "connection refused");
}

TEST_CASE_FIXTURE(Fixture, "imds probe shrinks timeouts to the budget when nothing answers") {
    http.on(kToken, {transport_failure(TransportFailure::timed_out)});
    http.on(kRoles, {transport_failure(TransportFailure::timed_out)});
    const auto started = clock.now();

    const ImdsProbe probe = this->probe(test_settings(), Millis(1800));

    REQUIRE(http.requests.size() == 2);
    CHECK(http.requests[0].timeout == Millis(900));  // the put leaves half for the get
    CHECK(http.requests[1].timeout == Millis(900));  // what is left, under the 1s setting
    CHECK(clock.now() - started <= Millis(1800));
    CHECK(probe.v1->failure == TransportFailure::timed_out);
    CHECK(probe.v1_problem == "no answer within 900ms");
}

TEST_CASE_FIXTURE(Fixture, "imds probe skips what the budget leaves no time for") {
    http.on(kToken, {answer(200, "token-1")});
    http.on(kRoles, {answer(200, "app-role")});
    http.on(kRoleCreds, {answer(200, kCredentialsJson)});
    timed.per_request = Millis(400);

    const ImdsProbe probe = this->probe(test_settings(), Millis(1000));

    REQUIRE(http.requests.size() == 3);
    CHECK(http.requests[0].timeout == Millis(500));
    CHECK(http.requests[1].timeout == Millis(600));
    CHECK(http.requests[2].timeout == Millis(200));
    CHECK(probe.role == "app-role");
    CHECK(probe.v2_problem == "not asked: the probe's time ran out");
}

TEST_CASE_FIXTURE(Fixture, "imds probe with no budget sends nothing") {
    const ImdsProbe probe = this->probe(test_settings(), Millis(0));

    CHECK(http.requests.empty());
    CHECK(probe.token.failure == TransportFailure::timed_out);
    CHECK(probe.v2_problem == "no session token (not asked: the probe's time ran out)");
}

TEST_CASE_FIXTURE(Fixture, "imds probe takes clock skew from the first date header") {
    http.on(kToken, {with_date(answer(200, "token-1"), "Thu, 03 Dec 2026 15:32:00 GMT")});
    http.on(kRoles, {with_date(answer(200, "app-role"), "Thu, 03 Dec 2026 15:00:00 GMT")});
    http.on(kRoleCreds, {answer(200, kCredentialsJson)});

    const ImdsProbe probe = this->probe();

    CHECK(probe.clock_skew == std::chrono::seconds(120));
}

TEST_CASE_FIXTURE(Fixture, "imds probe shows a server behind this clock as negative skew") {
    http.on(kToken, {with_date(answer(403), "Thu, 03 Dec 2026 15:29:15 GMT")});

    const ImdsProbe probe = this->probe();

    CHECK(probe.clock_skew == std::chrono::seconds(-45));
}

TEST_CASE_FIXTURE(Fixture, "imds probe without date headers reports no skew") {
    http.on(kToken, {answer(200, "token-1")});

    CHECK_FALSE(probe().clock_skew.has_value());
}

TEST_CASE_FIXTURE(Fixture, "imds probe asks nothing when imds is turned off") {
    auto settings = test_settings();
    settings.disabled = true;

    const ImdsProbe probe = this->probe(settings);

    CHECK(http.requests.empty());
    CHECK(probe.endpoint == "http://imds.test");
    CHECK_FALSE(probe.v1.has_value());
    CHECK_FALSE(probe.v2_problem.has_value());
}

TEST_CASE("http date reads the imf-fixdate form") {
    const auto when = parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT");

    REQUIRE(when.has_value());
    CHECK(format_rfc3339(*when) == "1994-11-06T08:49:37Z");
}

TEST_CASE("http date refuses other forms and impossible dates") {
    for (const auto* text : {"Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994",
                             "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 31 Feb 2026 08:49:37 GMT",
                             "Sun, 06 Nov 1994 24:49:37 GMT", "Sun, 06 Nox 1994 08:49:37 GMT",
                             "Sun, +6 Nov 1994 08:49:37 GMT", ""}) {
        CAPTURE(text);
        CHECK_FALSE(parse_http_date(text).has_value());
    }
}

}  // namespace credkit
