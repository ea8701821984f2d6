#include "credkit/credentials.hpp"

#include <doctest/doctest.h>

namespace credkit {
namespace {

TimePoint at(std::string_view text) {
    return *parse_rfc3339(text);
}

Credentials expiring(std::string_view when) {
    Credentials credentials;
    credentials.access_key_id = "ASIAEXAMPLEKEY123456";
    credentials.secret_access_key = Secret("secret");
    credentials.expiration = at(when);
    return credentials;
}

}  // namespace

TEST_CASE("fresh credentials raise no finding") {
    CHECK(check_freshness(expiring("2026-12-03T21:00:00Z"), at("2026-12-03T15:00:00Z")).empty());
}

TEST_CASE("expired credentials are reported with how long ago, by redacted key") {
    auto findings = check_freshness(expiring("2026-12-03T14:00:00Z"), at("2026-12-03T15:30:00Z"));

    REQUIRE(findings.size() == 1);
    CHECK(findings[0].kind == ExpiryFinding::Kind::expired);
    CHECK(findings[0].message ==
          "credentials for key ****3456 expired at 2026-12-03T14:00:00Z (1h30m ago by the local "
          "clock)");
}

TEST_CASE("credentials within five minutes of expiry are reported as expiring soon") {
    auto soon = check_freshness(expiring("2026-12-03T15:04:59Z"), at("2026-12-03T15:00:00Z"));
    auto later = check_freshness(expiring("2026-12-03T15:05:00Z"), at("2026-12-03T15:00:00Z"));

    REQUIRE(soon.size() == 1);
    CHECK(soon[0].kind == ExpiryFinding::Kind::expiring_soon);
    CHECK(later.empty());
}

TEST_CASE("credentials issued in the future hint at clock skew") {
    auto credentials = expiring("2026-12-03T21:00:00Z");
    credentials.last_updated = at("2026-12-03T15:10:00Z");

    auto findings = check_freshness(credentials, at("2026-12-03T15:00:00Z"));

    REQUIRE(findings.size() == 1);
    CHECK(findings[0].kind == ExpiryFinding::Kind::issued_in_future);
    CHECK(findings[0].message.find("is the clock wrong?") != std::string::npos);
}

TEST_CASE("source names are the ones the docs use") {
    CHECK(source_name(SourceKind::shared_credentials_file) == "shared-credentials-file");
    CHECK(source_name(SourceKind::imds) == "imds");
}

}  // namespace credkit
