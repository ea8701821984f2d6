#include "credkit/timestamp.hpp"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

namespace credkit {
namespace {

// A cursor over the text that reads fixed-width fields and literal separators.
class Reader {
public:
    explicit Reader(std::string_view text) : rest_(text) {}

    bool digits(std::size_t width, int& out) {
        if (rest_.size() < width) {
            return false;
        }
        const char* first = rest_.data();
        const auto [end, ec] = std::from_chars(first, first + width, out);
        if (ec != std::errc{} || end != first + width) {
            return false;
        }
        rest_.remove_prefix(width);
        return true;
    }

    bool literal(std::string_view accepted) {
        if (rest_.empty() || accepted.find(rest_.front()) == std::string_view::npos) {
            return false;
        }
        rest_.remove_prefix(1);
        return true;
    }

    void skip_digits() {
        while (!rest_.empty() && rest_.front() >= '0' && rest_.front() <= '9') {
            rest_.remove_prefix(1);
        }
    }

    [[nodiscard]] bool at_end() const { return rest_.empty(); }
    [[nodiscard]] char peek() const { return rest_.empty() ? '\0' : rest_.front(); }

private:
    std::string_view rest_;
};

// A point in time broken down into its UTC calendar fields.
struct CivilTime {
    int year;
    unsigned month, day;
    long hour, minute, second;
};

CivilTime civil_time(TimePoint when) {
    const auto day = std::chrono::floor<std::chrono::days>(when);
    const std::chrono::year_month_day date(day);
    const std::chrono::hh_mm_ss time(when - day);
    return {static_cast<int>(date.year()),
            static_cast<unsigned>(date.month()),
            static_cast<unsigned>(date.day()),
            time.hours().count(),
            time.minutes().count(),
            static_cast<long>(time.seconds().count())};
}

Error bad_time(std::string_view text, std::string_view why) {
    return make_error(ErrorKind::usage, fmt::format("invalid timestamp '{}'", text),
                      std::string(why), "write times in RFC 3339, like 2026-12-03T15:16:57Z");
}

}  // namespace

Result<TimePoint> parse_rfc3339(std::string_view text) {
    Reader in(text);
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
    if (!(in.digits(4, y) && in.literal("-") && in.digits(2, mo) && in.literal("-") &&
          in.digits(2, d) && in.literal("Tt ") && in.digits(2, h) && in.literal(":") &&
          in.digits(2, mi) && in.literal(":") && in.digits(2, s))) {
        return fail(bad_time(text, "expected YYYY-MM-DDTHH:MM:SS"));
    }
    if (in.literal(".")) {
        in.skip_digits();
    }

    std::chrono::seconds offset{0};
    if (in.literal("Zz")) {
        // UTC
    } else if (const char sign = in.peek(); sign == '+' || sign == '-') {
        in.literal("+-");
        int oh = 0, om = 0;
        if (!(in.digits(2, oh) && in.literal(":") && in.digits(2, om)) || oh > 23 || om > 59) {
            return fail(bad_time(text, "the zone offset must be +HH:MM or -HH:MM"));
        }
        offset = std::chrono::hours(oh) + std::chrono::minutes(om);
        if (sign == '-') {
            offset = -offset;
        }
    } else {
        return fail(bad_time(text, "it has no time zone (add Z for UTC)"));
    }
    if (!in.at_end()) {
        return fail(bad_time(text, "unexpected text after the time"));
    }

    const std::chrono::year_month_day date{std::chrono::year(y),
                                           std::chrono::month(static_cast<unsigned>(mo)),
                                           std::chrono::day(static_cast<unsigned>(d))};
    if (!date.ok() || h > 23 || mi > 59 || s > 60) {
        return fail(bad_time(text, "no such date or time"));
    }
    const auto seconds =
        std::chrono::hours(h) + std::chrono::minutes(mi) + std::chrono::seconds(std::min(s, 59));
    return TimePoint(std::chrono::sys_days(date)) + seconds - offset;
}

std::string format_rfc3339(TimePoint when) {
    const CivilTime t = civil_time(when);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", t.year, t.month, t.day, t.hour,
                       t.minute, t.second);
}

std::string format_amz_date(TimePoint when) {
    const CivilTime t = civil_time(when);
    return fmt::format("{:04}{:02}{:02}T{:02}{:02}{:02}Z", t.year, t.month, t.day, t.hour, t.minute,
                       t.second);
}

}  // namespace credkit
