#include "credkit/s3_endpoint.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

namespace credkit {
namespace {

bool china(std::string_view region) {
    return region.starts_with("cn-");
}

// The commercial "aws" partition, the only one where botocore falls back on global hosts.
bool commercial(std::string_view region) {
    return !china(region) && !region.starts_with("us-gov-") && !region.starts_with("us-iso");
}

std::string dns_suffix(std::string_view region) {
    return china(region) ? "amazonaws.com.cn" : "amazonaws.com";
}

std::string lowercase(std::string_view text) {
    std::string out(text);
    std::ranges::transform(out, out.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

// The S3 service host of a region: regional everywhere, but botocore keeps the legacy global
// host for us-east-1.
std::string service_host(const EndpointOptions& options) {
    if (options.botocore_compat && options.region == "us-east-1") {  // commercial
        return "s3.amazonaws.com";
    }
    return fmt::format("s3.{}.{}", options.region, dns_suffix(options.region));
}

// botocore's default ("auto") for the aws partition puts every hostable bucket on the global
// host, whatever the region the signature is scoped to.
std::string virtual_host(std::string_view bucket, const EndpointOptions& options) {
    const bool global = options.botocore_compat && commercial(options.region) &&
                        options.style == AddressingStyle::automatic;
    return fmt::format("{}.{}", bucket,
                       global ? std::string("s3.amazonaws.com") : service_host(options));
}

// botocore's older DNS test, which ignores case: 2-63 letters, digits and hyphens, starting
// and ending with a letter or digit.
bool legacy_dns_name(std::string_view bucket) {
    if (bucket.size() < 2 || bucket.size() > 63) {
        return false;
    }
    const auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
    return std::ranges::all_of(bucket, [&](char c) { return alnum(c) || c == '-'; }) &&
           alnum(bucket.front()) && alnum(bucket.back());
}

// The host of a path-style URL. botocore's default ("auto") sends a bucket that its older,
// case-blind DNS test accepts to the global host too, though not virtual-hosted.
std::string path_host(std::string_view bucket, const EndpointOptions& options) {
    if (options.botocore_compat && options.style == AddressingStyle::automatic &&
        commercial(options.region) && legacy_dns_name(bucket)) {
        return "s3.amazonaws.com";
    }
    return service_host(options);
}

struct ParsedUrl {
    std::string scheme;
    std::string host;  // with port
    std::string prefix;
};

Result<ParsedUrl> parse_endpoint_url(std::string_view url) {
    const auto bad = [&](std::string why) {
        return fail(ErrorKind::usage, fmt::format("invalid --endpoint-url '{}'", url),
                    std::move(why), "for example http://127.0.0.1:9000 or https://s3.example.com");
    };
    const auto separator = url.find("://");
    if (separator == std::string_view::npos) {
        return bad("it has no scheme");
    }
    ParsedUrl parsed{lowercase(url.substr(0, separator)), {}, {}};
    if (parsed.scheme != "http" && parsed.scheme != "https") {
        return bad("the scheme must be http or https");
    }
    std::string_view rest = url.substr(separator + 3);
    const auto slash = rest.find('/');
    parsed.host = std::string(rest.substr(0, slash));
    if (slash != std::string_view::npos) {
        parsed.prefix = std::string(rest.substr(slash));
        while (parsed.prefix.ends_with('/')) {
            parsed.prefix.pop_back();
        }
    }
    if (parsed.host.empty() || parsed.host.find_first_of("?#@ ") != std::string::npos) {
        return bad("the host is missing or malformed");
    }
    return parsed;
}

// The host header: lowercase, and without the scheme's default port.
std::string signed_host_of(const std::string& scheme, const std::string& host) {
    std::string signed_host = lowercase(host);
    const std::string default_port = scheme == "https" ? ":443" : ":80";
    if (signed_host.ends_with(default_port) && signed_host.front() != '[') {
        signed_host.resize(signed_host.size() - default_port.size());
    } else if (signed_host.front() == '[' && signed_host.ends_with("]" + default_port)) {
        signed_host.resize(signed_host.size() - default_port.size());
    }
    return signed_host;
}

}  // namespace

Result<AddressingStyle> parse_addressing_style(std::string_view text) {
    if (text == "auto") {
        return AddressingStyle::automatic;
    }
    if (text == "virtual") {
        return AddressingStyle::virtual_hosted;
    }
    if (text == "path") {
        return AddressingStyle::path;
    }
    return fail(ErrorKind::usage, fmt::format("invalid --addressing-style '{}'", text),
                "expected auto, virtual or path");
}

bool virtual_hostable(std::string_view bucket) {
    if (bucket.size() < 3 || bucket.size() > 63) {
        return false;
    }
    const auto allowed = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    };
    return std::ranges::all_of(bucket, allowed) && bucket.front() != '-' && bucket.back() != '-';
}

Result<S3Endpoint> resolve_s3_endpoint(std::string_view bucket, const EndpointOptions& options) {
    const bool hostable = virtual_hostable(bucket);
    if (options.endpoint_url) {
        auto url = parse_endpoint_url(*options.endpoint_url);
        if (!url) {
            return fail(std::move(url.error()));
        }
        // A custom endpoint gets path style unless virtual hosting is asked for.
        const bool virtual_style = options.style == AddressingStyle::virtual_hosted && hostable;
        S3Endpoint endpoint{url->scheme, url->host, {}, url->prefix};
        if (virtual_style) {
            endpoint.host = fmt::format("{}.{}", bucket, url->host);
        } else {
            endpoint.path_prefix += "/" + std::string(bucket);
        }
        endpoint.signed_host = signed_host_of(endpoint.scheme, endpoint.host);
        return endpoint;
    }

    S3Endpoint endpoint{"https", {}, {}, {}};
    if (hostable && options.style != AddressingStyle::path) {
        endpoint.host = virtual_host(bucket, options);
    } else {
        endpoint.host = path_host(bucket, options);
        endpoint.path_prefix = "/" + std::string(bucket);
    }
    endpoint.signed_host = endpoint.host;
    return endpoint;
}

}  // namespace credkit
