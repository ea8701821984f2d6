#include "credkit/imds_probe.hpp"

// TODO: being written.
namespace credkit {
ImdsProbe probe_imds(const ImdsSettings& settings, HttpClient&, Clock&, std::chrono::milliseconds) {
    ImdsProbe probe;
    probe.endpoint = settings.endpoint;
    return probe;
}
}
