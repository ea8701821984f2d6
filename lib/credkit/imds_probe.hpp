// Asks the metadata service the questions diagnose needs answered, each bounded so that the
// whole probe ends within a budget even when nothing answers.
//
// The probe asks as the tools do: a token PUT with botocore's 6-hour lifetime, the role
// listing without a token (does IMDSv1 still answer? with a PUT that timed out, that is the
// hop-limit signature), then the first role's credentials with the token, and without one only
// when the PUT failed (which is when botocore and s3cmd fall back to IMDSv1). Each request is
// one attempt, never through a proxy, with a timeout of the per-attempt timeout or what is
// left of the budget, whichever is shorter. A refused connection ends the probe at once.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "credkit/clock.hpp"
#include "credkit/diagnosis.hpp"
#include "credkit/http_client.hpp"
#include "credkit/imds_settings.hpp"
#include "credkit/timestamp.hpp"

namespace credkit {

// With settings.disabled nothing is sent: only `endpoint` is filled in.
ImdsProbe probe_imds(const ImdsSettings& settings, HttpClient& http, Clock& clock,
                     std::chrono::milliseconds budget);

// Reads an HTTP Date header in the IMF-fixdate form every current server sends
// ("Sun, 06 Nov 1994 08:49:37 GMT", RFC 7231 section 7.1.1.1). Nothing for any other form.
std::optional<TimePoint> parse_http_date(std::string_view text);

}  // namespace credkit
