// AWS Signature Version 4 for presigned URLs, as a chain of pure steps: each step is a
// function of its inputs alone (credentials and time are passed in), so that tests can check
// every intermediate against published vectors and against botocore.
//
//   canonical_uri -> canonical_query_string -> canonical_request -> string_to_sign
//   derive_signing_key(secret, date, region, service) -> signature -> presigned URL
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "credkit/credentials.hpp"
#include "credkit/duration.hpp"
#include "credkit/secret.hpp"
#include "credkit/timestamp.hpp"

namespace credkit::sigv4 {

using Digest = std::array<std::uint8_t, 32>;
using QueryParams = std::vector<std::pair<std::string, std::string>>;  // raw, unencoded

inline constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";

// RFC 3986 percent-encoding with uppercase hex; A-Z a-z 0-9 - _ . ~ stay literal, and '/'
// too when `keep_slash`. Appends to `out` (no allocation when it has room).
void uri_encode(std::string_view text, bool keep_slash, std::string& out);
std::string uri_encode(std::string_view text, bool keep_slash);

// S3's canonical URI: the key encoded once, '/' kept, nothing normalised ("//", "./" stay).
// `path` is "/KEY" or "/BUCKET/KEY" as it goes in the URL.
std::string canonical_uri(std::string_view path);

// The encoded pairs sorted by name, then value, joined with '&'.
std::string canonical_query_string(const QueryParams& params);

struct CanonicalRequest {
    std::string method;        // GET, PUT, HEAD, DELETE
    std::string uri;           // from canonical_uri
    std::string query;         // from canonical_query_string
    QueryParams headers;       // lowercase names, trimmed values, sorted by name
    std::string payload_hash;  // UNSIGNED-PAYLOAD for S3 presigning
};

std::string signed_headers(const QueryParams& headers);  // "content-type;host"
std::string canonical_request(const CanonicalRequest& request);

// "20130524/us-east-1/s3/aws4_request"
std::string credential_scope(TimePoint when, std::string_view region, std::string_view service);

std::string string_to_sign(TimePoint when, std::string_view scope,
                           std::string_view canonical_request);

// The HMAC chain "AWS4"+secret -> date -> region -> service -> "aws4_request". The result is a
// secret: callers wipe it (SigningKey does).
Digest derive_signing_key(const Secret& secret, std::string_view date, std::string_view region,
                          std::string_view service);

std::string hex(const Digest& digest);
Digest sha256(std::string_view data);
std::string signature(const Digest& signing_key, std::string_view string_to_sign);

// A presigned URL request, everything but the credentials.
struct PresignRequest {
    std::string method = "GET";
    std::string scheme = "https";
    std::string host;         // as it goes in the URL, with a non-default port if any
    std::string signed_host;  // the host header signed: lowercase, default port dropped
    std::string path;         // "/KEY" or "/BUCKET/KEY", raw (encoded here), or a prefix + key
    QueryParams params;       // caller parameters (raw), in the order they go in the URL
    std::optional<std::string> content_type;  // PUT: signed as a header
    std::string region = "us-east-1";
    std::string service = "s3";
    std::string payload_hash{kUnsignedPayload};
    TimePoint when;
    Seconds expires{3600};
};

// Every intermediate of one signature, for golden tests and --debug output.
struct PresignSteps {
    std::string canonical_request;
    std::string string_to_sign;
    std::string signature;
    std::string url;
};

// Signs one URL the way botocore's S3SigV4QueryAuth does: caller parameters first, then
// X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders,
// X-Amz-Security-Token (with a token) and X-Amz-Signature last.
PresignSteps presign(const PresignRequest& request, const Credentials& credentials);

}  // namespace credkit::sigv4
