#include "credkit/timestamp.hpp"

#include <doctest/doctest.h>

namespace credkit {

TEST_CASE("rfc3339 reads utc times and writes them back unchanged") {
    auto parsed = parse_rfc3339("2026-12-03T15:16:57Z");

    REQUIRE(parsed.has_value());
    CHECK(format_rfc3339(*parsed) == "2026-12-03T15:16:57Z");
    CHECK(parsed->time_since_epoch().count() == 1796311017);
}

TEST_CASE("rfc3339 applies zone offsets and drops fractional seconds") {
    CHECK(format_rfc3339(*parse_rfc3339("2026-12-03T17:16:57+02:00")) == "2026-12-03T15:16:57Z");
    CHECK(format_rfc3339(*parse_rfc3339("2026-12-03T10:16:57-05:00")) == "2026-12-03T15:16:57Z");
    CHECK(format_rfc3339(*parse_rfc3339("2026-12-03T15:16:57.999Z")) == "2026-12-03T15:16:57Z");
    CHECK(format_rfc3339(*parse_rfc3339("2026-12-03 15:16:57z")) == "2026-12-03T15:16:57Z");
}

TEST_CASE("rfc3339 rejects times without a zone, impossible dates and trailing text") {
    for (const char* text :
         {"2026-12-03T15:16:57", "2026-02-30T00:00:00Z", "2026-12-03T24:00:00Z", "2026-12-03",
          "2026-12-03T15:16:57Zjunk", "tomorrow", "2026-12-03T15:16:57+0200"}) {
        CAPTURE(text);
        auto parsed = parse_rfc3339(text);
        REQUIRE_FALSE(parsed.has_value());
        CHECK(parsed.error().kind == ErrorKind::usage);
    }
}

TEST_CASE("amz date is the compact sigv4 form") {
    CHECK(format_amz_date(*parse_rfc3339("2013-05-24T00:00:00Z")) == "20130524T000000Z");
}

}  // namespace credkit
