// The instance metadata service's wire protocol, shared by the client and the mock server:
// the paths credkit reads and the IMDSv2 token headers.
#pragma once

#include <string_view>

namespace credkit::imds {

inline constexpr std::string_view kTokenPath = "/latest/api/token";
inline constexpr std::string_view kCredentialsPath = "/latest/meta-data/iam/security-credentials/";
inline constexpr std::string_view kRegionPath = "/latest/meta-data/placement/region";
inline constexpr std::string_view kZonePath = "/latest/meta-data/placement/availability-zone";
inline constexpr std::string_view kInstanceIdPath = "/latest/meta-data/instance-id";
inline constexpr std::string_view kIdentityPath = "/latest/dynamic/instance-identity/document";

// Sent with every request once there is a token.
inline constexpr std::string_view kTokenHeader = "X-aws-ec2-metadata-token";
// Sent with the token PUT: the token's lifetime in seconds, 1..21600.
inline constexpr std::string_view kTtlHeader = "X-aws-ec2-metadata-token-ttl-seconds";
inline constexpr int kMaxTokenTtlSeconds = 21600;

}  // namespace credkit::imds
