// Durations as users write them: "90s", "15m", "1h30m", "7d", "500ms", or a plain number of
// seconds.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "credkit/error.hpp"

namespace credkit {

using Seconds = std::chrono::seconds;
using Millis = std::chrono::milliseconds;

// Parses a duration. Units d, h, m, s and ms may be combined from largest to smallest
// ("1h30m", "2m30s"); a bare number is seconds. Negative values and overflow are errors.
Result<Millis> parse_duration(std::string_view text);

// The shortest form that parse_duration reads back: "1h30m", "7d", "0s", "250ms".
std::string format_duration(Millis value);

inline std::string format_duration(Seconds value) {
    return format_duration(Millis(value));
}

}  // namespace credkit
