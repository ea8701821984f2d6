// Points in time as credkit reads and writes them: RFC 3339 in UTC.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "credkit/error.hpp"

namespace credkit {

using TimePoint = std::chrono::sys_seconds;

// Reads "2026-12-03T15:16:57Z", "2026-12-03T15:16:57.123Z" or "2026-12-03T17:16:57+02:00"
// (a lowercase "t"/"z" or a space for "T" too). Fractional seconds are truncated.
Result<TimePoint> parse_rfc3339(std::string_view text);

// Writes "2026-12-03T15:16:57Z": UTC, no fractional seconds.
std::string format_rfc3339(TimePoint when);

// Writes the compact SigV4 form "20261203T151657Z".
std::string format_amz_date(TimePoint when);

}  // namespace credkit
