#include "credkit/credentials.hpp"

#include <fmt/format.h>

#include "credkit/duration.hpp"

namespace credkit {

std::string_view source_name(SourceKind kind) {
    switch (kind) {
        case SourceKind::env:
            return "env";
        case SourceKind::shared_credentials_file:
            return "shared-credentials-file";
        case SourceKind::s3cfg:
            return "s3cfg";
        case SourceKind::credential_process:
            return "credential-process";
        case SourceKind::imds:
            return "imds";
    }
    return "unknown";
}

std::vector<ExpiryFinding> check_freshness(const Credentials& credentials, TimePoint now) {
    std::vector<ExpiryFinding> findings;
    if (credentials.expiration) {
        const auto expires = *credentials.expiration;
        if (expires <= now) {
            findings.push_back(
                {ExpiryFinding::Kind::expired,
                 fmt::format("credentials for key {} expired at {} ({} ago by the local clock)",
                             redact_key_id(credentials.access_key_id), format_rfc3339(expires),
                             format_duration(now - expires))});
        } else if (expires - now < kExpiringSoon) {
            findings.push_back(
                {ExpiryFinding::Kind::expiring_soon,
                 fmt::format("credentials for key {} expire at {}, in {}",
                             redact_key_id(credentials.access_key_id), format_rfc3339(expires),
                             format_duration(expires - now))});
        }
    }
    if (credentials.last_updated && *credentials.last_updated > now + std::chrono::minutes(1)) {
        findings.push_back(
            {ExpiryFinding::Kind::issued_in_future,
             fmt::format("credentials were issued at {}, {} ahead of the local clock: is the "
                         "clock wrong?",
                         format_rfc3339(*credentials.last_updated),
                         format_duration(*credentials.last_updated - now))});
    }
    return findings;
}

}  // namespace credkit
