#include "credkit/sigv4.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

namespace credkit::sigv4 {
namespace {

constexpr std::string_view kHexDigits = "0123456789abcdef";
constexpr std::string_view kUpperHexDigits = "0123456789ABCDEF";

bool unreserved(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '~';
}

Digest hmac(std::string_view key, std::string_view data) {
    Digest out{};
    unsigned int length = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &length);
    return out;
}

std::string_view as_text(const Digest& digest) {
    return {reinterpret_cast<const char*>(digest.data()), digest.size()};
}

std::string date_of(TimePoint when) {
    return format_amz_date(when).substr(0, 8);
}

// The encoded pairs, sorted as SigV4 wants them: by encoded name, then encoded value.
std::vector<std::pair<std::string, std::string>> encoded_sorted(const QueryParams& params) {
    std::vector<std::pair<std::string, std::string>> encoded;
    encoded.reserve(params.size());
    for (const auto& [name, value] : params) {
        encoded.emplace_back(uri_encode(name, false), uri_encode(value, false));
    }
    std::ranges::sort(encoded);
    return encoded;
}

void append_pairs(const std::vector<std::pair<std::string, std::string>>& pairs, std::string& out) {
    for (const auto& [name, value] : pairs) {
        if (!out.empty() && out.back() != '?') {
            out += '&';
        }
        out += name;
        out += '=';
        out += value;
    }
}

}  // namespace

void uri_encode(std::string_view text, bool keep_slash, std::string& out) {
    for (const char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if (unreserved(c) || (keep_slash && c == '/')) {
            out += ch;
        } else {
            out += '%';
            out += kUpperHexDigits[c >> 4U];
            out += kUpperHexDigits[c & 0x0FU];
        }
    }
}

std::string uri_encode(std::string_view text, bool keep_slash) {
    std::string out;
    out.reserve(text.size() * 3);
    uri_encode(text, keep_slash, out);
    return out;
}

std::string canonical_uri(std::string_view path) {
    return uri_encode(path, true);
}

std::string canonical_query_string(const QueryParams& params) {
    std::string out;
    append_pairs(encoded_sorted(params), out);
    return out;
}

std::string signed_headers(const QueryParams& headers) {
    std::string out;
    for (const auto& [name, value] : headers) {
        if (!out.empty()) {
            out += ';';
        }
        out += name;
    }
    return out;
}

std::string canonical_request(const CanonicalRequest& request) {
    std::string out = request.method + '\n' + request.uri + '\n' + request.query + '\n';
    for (const auto& [name, value] : request.headers) {
        out += name + ':' + value + '\n';
    }
    out += '\n' + signed_headers(request.headers) + '\n' + request.payload_hash;
    return out;
}

std::string credential_scope(TimePoint when, std::string_view region, std::string_view service) {
    return fmt::format("{}/{}/{}/aws4_request", date_of(when), region, service);
}

std::string string_to_sign(TimePoint when, std::string_view scope,
                           std::string_view canonical_request) {
    return fmt::format("{}\n{}\n{}\n{}", kAlgorithm, format_amz_date(when), scope,
                       hex(sha256(canonical_request)));
}

Digest derive_signing_key(const Secret& secret, std::string_view date, std::string_view region,
                          std::string_view service) {
    std::string seed = "AWS4" + secret.reveal();
    Digest key = hmac(seed, date);
    wipe_string(seed);
    key = hmac(as_text(key), region);
    key = hmac(as_text(key), service);
    key = hmac(as_text(key), "aws4_request");
    return key;
}

std::string hex(const Digest& digest) {
    std::string out(digest.size() * 2, '0');
    for (std::size_t i = 0; i < digest.size(); ++i) {
        out[2 * i] = kHexDigits[digest[i] >> 4U];
        out[2 * i + 1] = kHexDigits[digest[i] & 0x0FU];
    }
    return out;
}

Digest sha256(std::string_view data) {
    Digest out{};
    SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data());
    return out;
}

std::string signature(const Digest& signing_key, std::string_view string_to_sign) {
    return hex(hmac(as_text(signing_key), string_to_sign));
}

PresignSteps presign(const PresignRequest& request, const Credentials& credentials) {
    const std::string scope = credential_scope(request.when, request.region, request.service);
    QueryParams headers;
    if (request.content_type) {
        headers.emplace_back("content-type", *request.content_type);
    }
    headers.emplace_back("host", request.signed_host);
    std::ranges::sort(headers);

    QueryParams auth{
        {"X-Amz-Algorithm", std::string(kAlgorithm)},
        {"X-Amz-Credential", credentials.access_key_id + "/" + scope},
        {"X-Amz-Date", format_amz_date(request.when)},
        {"X-Amz-Expires", std::to_string(request.expires.count())},
        {"X-Amz-SignedHeaders", signed_headers(headers)},
    };
    if (credentials.has_session_token()) {
        auth.emplace_back("X-Amz-Security-Token", credentials.session_token.reveal());
    }
    QueryParams all = request.params;
    all.insert(all.end(), auth.begin(), auth.end());

    PresignSteps steps;
    const std::string uri = canonical_uri(request.path);
    steps.canonical_request = canonical_request(
        {request.method, uri, canonical_query_string(all), headers, request.payload_hash});
    steps.string_to_sign = string_to_sign(request.when, scope, steps.canonical_request);
    Digest key = derive_signing_key(credentials.secret_access_key, date_of(request.when),
                                    request.region, request.service);
    steps.signature = signature(key, steps.string_to_sign);
    OPENSSL_cleanse(key.data(), key.size());

    // Caller parameters first, in the order given (botocore keeps it), then the auth
    // parameters in botocore's order. Only the canonical query is sorted.
    steps.url = request.scheme + "://" + request.host + uri + "?";
    for (const auto& [name, value] : request.params) {
        if (steps.url.back() != '?') {
            steps.url += '&';
        }
        steps.url += uri_encode(name, false) + '=' + uri_encode(value, false);
    }
    for (const auto& [name, value] : auth) {
        if (steps.url.back() != '?') {
            steps.url += '&';
        }
        steps.url += name + '=' + uri_encode(value, false);
    }
    steps.url += "&X-Amz-Signature=" + steps.signature;
    return steps;
}

}  // namespace credkit::sigv4
