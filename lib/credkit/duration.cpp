#include "credkit/duration.hpp"

#include <array>
#include <charconv>
#include <cstdint>
#include <limits>

#include <fmt/format.h>

namespace credkit {
namespace {

struct Unit {
    std::string_view suffix;
    std::int64_t millis;
};

// Longest suffix first within the same letter, so that "ms" is not read as "m" + "s".
constexpr std::array kUnits{
    Unit{"d", 86'400'000}, Unit{"h", 3'600'000}, Unit{"ms", 1}, Unit{"m", 60'000}, Unit{"s", 1000},
};

const Unit* match_unit(std::string_view rest) {
    for (const auto& unit : kUnits) {
        if (rest.starts_with(unit.suffix)) {
            return &unit;
        }
    }
    return nullptr;
}

Error bad_duration(std::string_view text, std::string_view why) {
    return make_error(ErrorKind::usage, fmt::format("invalid duration '{}'", text),
                      std::string(why), "write durations like 90s, 15m, 1h30m, 7d or 3600");
}

}  // namespace

Result<Millis> parse_duration(std::string_view text) {
    if (text.empty()) {
        return fail(bad_duration(text, "it is empty"));
    }
    std::int64_t total = 0;
    std::int64_t previous_unit = std::numeric_limits<std::int64_t>::max();
    std::string_view rest = text;
    while (!rest.empty()) {
        std::int64_t number = 0;
        const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), number);
        if (ec != std::errc{} || number < 0) {
            return fail(bad_duration(text, "expected a non-negative whole number"));
        }
        rest.remove_prefix(static_cast<std::size_t>(end - rest.data()));

        const Unit* unit = nullptr;
        if (rest.empty()) {
            if (total != 0 || previous_unit != std::numeric_limits<std::int64_t>::max()) {
                return fail(bad_duration(text, "a number after a unit needs a unit of its own"));
            }
            static constexpr Unit kSeconds{"", 1000};
            unit = &kSeconds;
        } else {
            unit = match_unit(rest);
            if (unit == nullptr) {
                return fail(
                    bad_duration(text, fmt::format("unknown unit '{}'", rest.substr(0, 1))));
            }
            if (unit->millis >= previous_unit) {
                return fail(bad_duration(text, "units must go from largest to smallest"));
            }
            rest.remove_prefix(unit->suffix.size());
        }
        previous_unit = unit->millis;

        if (number > (std::numeric_limits<std::int64_t>::max() - total) / unit->millis) {
            return fail(bad_duration(text, "it is too large"));
        }
        total += number * unit->millis;
    }
    return Millis(total);
}

std::string format_duration(Millis value) {
    std::int64_t ms = value.count();
    if (ms == 0) {
        return "0s";
    }
    std::string out;
    if (ms < 0) {
        out += '-';
        ms = -ms;
    }
    if (ms % 1000 != 0 && ms < 1000) {
        return out + fmt::format("{}ms", ms);
    }
    for (const auto& unit : kUnits) {
        if (unit.millis < 1000) {
            continue;
        }
        if (ms >= unit.millis) {
            out += fmt::format("{}{}", ms / unit.millis, unit.suffix);
            ms %= unit.millis;
        }
    }
    if (ms > 0) {
        out += fmt::format("{}ms", ms);
    }
    return out;
}

}  // namespace credkit
