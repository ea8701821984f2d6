// Asks the metadata service the questions diagnose needs answered, each bounded so that the
// whole probe ends within a budget even when nothing answers.
#pragma once

#include <chrono>

#include "credkit/clock.hpp"
#include "credkit/diagnosis.hpp"
#include "credkit/http_client.hpp"
#include "credkit/imds_settings.hpp"

namespace credkit {

ImdsProbe probe_imds(const ImdsSettings& settings, HttpClient& http, Clock& clock,
                     std::chrono::milliseconds budget);

}  // namespace credkit
