// Where a presigned URL points: scheme, host and path prefix for a bucket, chosen the way
// credkit promises (regional virtual-hosted by default) or exactly as botocore does
// (--botocore-compat, for drop-in replacement).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "credkit/error.hpp"

namespace credkit {

enum class AddressingStyle { automatic, virtual_hosted, path };

Result<AddressingStyle> parse_addressing_style(std::string_view text);  // auto|virtual|path

struct EndpointOptions {
    std::string region = "us-east-1";
    std::optional<std::string> endpoint_url;  // scheme://host[:port][/prefix]
    AddressingStyle style = AddressingStyle::automatic;
    bool botocore_compat = false;
};

struct S3Endpoint {
    std::string scheme;       // https, or the endpoint URL's
    std::string host;         // as it goes in the URL (a port only when one was given)
    std::string signed_host;  // lowercase, without the scheme's default port
    std::string path_prefix;  // "" or "/prefix" from the endpoint URL, then "/BUCKET" in path
                              // style; the key follows after '/'
};

// Whether a bucket can be the first label of a host name over https: 3-63 lowercase letters,
// digits and hyphens, starting and ending with a letter or digit (dots break certificates).
bool virtual_hostable(std::string_view bucket);

// The endpoint for one bucket. Errors are usage errors (a malformed endpoint URL).
Result<S3Endpoint> resolve_s3_endpoint(std::string_view bucket, const EndpointOptions& options);

}  // namespace credkit
