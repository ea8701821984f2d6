#include "credkit/duration.hpp"

#include <doctest/doctest.h>

namespace credkit {

TEST_CASE("duration reads each unit and their combinations") {
    using std::chrono::hours;
    using std::chrono::minutes;
    CHECK(*parse_duration("90s") == Millis(90'000));
    CHECK(*parse_duration("15m") == minutes(15));
    CHECK(*parse_duration("1h30m") == minutes(90));
    CHECK(*parse_duration("7d") == hours(168));
    CHECK(*parse_duration("2m30s") == Millis(150'000));
    CHECK(*parse_duration("250ms") == Millis(250));
    CHECK(*parse_duration("1s500ms") == Millis(1500));
}

TEST_CASE("duration reads a bare number as seconds") {
    CHECK(*parse_duration("3600") == Millis(3'600'000));
    CHECK(*parse_duration("0") == Millis(0));
}

TEST_CASE("duration rejects malformed text with a usage error") {
    for (const char* text : {"", "h", "-5s", "5x", "1h30", "30m1h", "1.5h", "5 s", "1m1m"}) {
        CAPTURE(text);
        auto parsed = parse_duration(text);
        REQUIRE_FALSE(parsed.has_value());
        CHECK(parsed.error().kind == ErrorKind::usage);
        CHECK(parsed.error().hint.find("1h30m") != std::string::npos);
    }
}

TEST_CASE("duration rejects values that overflow") {
    CHECK_FALSE(parse_duration("9999999999999999d").has_value());
}

TEST_CASE("duration formats in the shortest form that reads back") {
    CHECK(format_duration(Millis(0)) == "0s");
    CHECK(format_duration(Seconds(90)) == "1m30s");
    CHECK(format_duration(Seconds(5400)) == "1h30m");
    CHECK(format_duration(Seconds(604800)) == "7d");
    CHECK(format_duration(Millis(250)) == "250ms");
    CHECK(format_duration(Millis(1500)) == "1s500ms");
    CHECK(format_duration(Seconds(-90)) == "-1m30s");
    for (const char* text : {"1d2h3m4s", "45s", "6h", "1s500ms"}) {
        CHECK(format_duration(*parse_duration(text)) == text);
    }
}

}  // namespace credkit
