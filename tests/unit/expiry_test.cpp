#include "credkit/expiry.hpp"

#include <doctest/doctest.h>

namespace credkit {
namespace {

TimePoint at(std::string_view text) {
    return *parse_rfc3339(text);
}

}  // namespace

TEST_CASE("a sigv4 url expires at x-amz-date plus x-amz-expires") {
    auto expiry = presigned_url_expiry(
        "https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20130524T000000Z"
        "&X-Amz-Expires=86400&X-Amz-Signature=abc");

    REQUIRE(expiry.has_value());
    CHECK(format_rfc3339(*expiry->expires) == "2013-05-25T00:00:00Z");
    CHECK(expiry->target == "https://b.s3.amazonaws.com/k");
    CHECK_FALSE(expiry->may_end_earlier);
}

TEST_CASE("a url signed with a session token may end earlier than it says") {
    auto expiry = presigned_url_expiry(
        "https://b/k?X-Amz-Date=20130524T000000Z&X-Amz-Expires=60&X-Amz-Security-Token=t%2B");

    REQUIRE(expiry.has_value());
    CHECK(expiry->may_end_earlier);
    CHECK(expiry->note.find("session token") != std::string::npos);
}

TEST_CASE("a sigv2 url expires at its expires epoch") {
    auto expiry =
        presigned_url_expiry("https://b.s3.amazonaws.com/k?AWSAccessKeyId=AKIA&Expires=1369440000");

    REQUIRE(expiry.has_value());
    CHECK(format_rfc3339(*expiry->expires) == "2013-05-25T00:00:00Z");
}

TEST_CASE("a url without query authentication is an error that says what is missing") {
    for (const char* url :
         {"https://b/k", "https://b/k?X-Amz-Date=2013&X-Amz-Expires=60",
          "https://b/k?X-Amz-Date=20130524T000000Z", "https://b/k?Expires=soon"}) {
        CAPTURE(url);
        auto expiry = presigned_url_expiry(url);
        REQUIRE_FALSE(expiry.has_value());
        CHECK_FALSE(expiry.error().why.empty());
    }
}

TEST_CASE("files give their expiry in each format credkit and the aws tools write") {
    CHECK(format_rfc3339(*file_expiry(R"({"Version":1,"Expiration":"2026-12-03T21:00:00Z"})",
                                      "p.json", "default")
                              ->expires) == "2026-12-03T21:00:00Z");
    CHECK(format_rfc3339(
              *file_expiry("[hts]\nexpiry_time = 2026-12-03T21:00:00Z\n", "c", "hts")->expires) ==
          "2026-12-03T21:00:00Z");
    CHECK(format_rfc3339(*file_expiry("[default]\naccess_key = A\n"
                                      "# credkit: credentials expire at 2026-12-03T21:00:00Z\n",
                                      "s3cfg", "default")
                              ->expires) == "2026-12-03T21:00:00Z");
}

TEST_CASE("a file without an expiry is known to have none, not an error") {
    auto expiry = file_expiry("[default]\naws_access_key_id = AKIA\n", "c", "default");

    REQUIRE(expiry.has_value());
    CHECK_FALSE(expiry->expires.has_value());
    CHECK(expiry->note == "section [default] records no expiry");
}

TEST_CASE("truncated or misnamed files are errors") {
    CHECK_FALSE(file_expiry(R"({"Version":1,"Expiration":"2026-12)", "p.json", "default"));
    CHECK_FALSE(file_expiry("[default]\naws_access_key_id\n", "c", "default"));
    CHECK_FALSE(file_expiry("[other]\nexpiry_time = 2026-12-03T21:00:00Z\n", "c", "default"));
}

TEST_CASE("the environment's expiry comes from either variable, checked") {
    CHECK(format_rfc3339(
              *env_expiry(MapEnvironment{{"AWS_SESSION_EXPIRATION", "2026-12-03T21:00:00Z"}})
                   ->expires) == "2026-12-03T21:00:00Z");
    CHECK_FALSE(env_expiry(MapEnvironment{})->expires.has_value());
    CHECK_FALSE(env_expiry(MapEnvironment{{"AWS_CREDENTIAL_EXPIRATION", "tomorrow"}}));
}

TEST_CASE("status boundaries: at warn is warning, at crit and expired are critical") {
    const Thresholds limits;  // 30m, 5m
    const TimePoint now = at("2026-12-03T15:00:00Z");

    CHECK(judge(at("2026-12-03T15:30:01Z"), now, limits) == Status::ok);
    CHECK(judge(at("2026-12-03T15:30:00Z"), now, limits) == Status::warning);
    CHECK(judge(at("2026-12-03T15:05:01Z"), now, limits) == Status::warning);
    CHECK(judge(at("2026-12-03T15:05:00Z"), now, limits) == Status::critical);
    CHECK(judge(at("2026-12-03T14:00:00Z"), now, limits) == Status::critical);
    CHECK(judge(std::nullopt, now, limits) == Status::unknown);
    CHECK(status_name(Status::warning) == "WARNING");
}

}  // namespace credkit
