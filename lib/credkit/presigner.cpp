// The low-level SHA256_* functions are deprecated in OpenSSL 3 in favour of EVP, whose
// per-call set-up costs more than hashing a canonical request does; this file keeps them for
// the batch hot path.
#define OPENSSL_SUPPRESS_DEPRECATED

#include "credkit/presigner.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>
#include <openssl/crypto.h>

namespace credkit::sigv4 {
namespace {

constexpr std::size_t kBlock = 64;
constexpr std::string_view kHex = "0123456789abcdef";

void update(SHA256_CTX& context, std::string_view data) {
    SHA256_Update(&context, data.data(), data.size());
}

// Appends the lowercase hex of a digest.
void append_hex(const unsigned char* digest, std::string& out) {
    for (std::size_t i = 0; i < SHA256_DIGEST_LENGTH; ++i) {
        out += kHex[digest[i] >> 4U];
        out += kHex[digest[i] & 0x0FU];
    }
}

// The HMAC pads of a key no longer than a block, absorbed into fresh SHA-256 states.
void key_states(const Digest& key, SHA256_CTX& inner, SHA256_CTX& outer) {
    std::array<unsigned char, kBlock> ipad{};
    std::array<unsigned char, kBlock> opad{};
    ipad.fill(0x36);
    opad.fill(0x5c);
    for (std::size_t i = 0; i < key.size(); ++i) {
        ipad[i] ^= key[i];
        opad[i] ^= key[i];
    }
    SHA256_Init(&inner);
    SHA256_Update(&inner, ipad.data(), ipad.size());
    SHA256_Init(&outer);
    SHA256_Update(&outer, opad.data(), opad.size());
    OPENSSL_cleanse(ipad.data(), ipad.size());
    OPENSSL_cleanse(opad.data(), opad.size());
}

}  // namespace

Presigner::Presigner(const PresignRequest& base, const Credentials& credentials) {
    // The reference signer builds the canonical request around placeholders that cannot occur
    // in an encoded URI or host; splitting at them gives the constant parts.
    constexpr std::string_view kUri = "\x01URI\x01";
    constexpr std::string_view kHost = "\x02HOST\x02";
    PresignRequest probe = base;
    probe.path = "/";
    probe.signed_host = std::string(kHost);
    probe.host = "h";
    const PresignSteps steps = presign(probe, credentials);

    std::string canonical = steps.canonical_request;
    const auto uri_at = canonical.find('\n') + 1;
    canonical.replace(uri_at, 1, kUri);
    method_line_ = canonical.substr(0, uri_at);
    const auto host_at = canonical.find(kHost);
    query_to_host_ = canonical.substr(uri_at + kUri.size(), host_at - uri_at - kUri.size());
    tail_ = canonical.substr(host_at + kHost.size());

    const auto query_at = steps.url.find('?') + 1;
    url_query_ = steps.url.substr(query_at, steps.url.rfind("&X-Amz-Signature=") - query_at);

    const std::string to_sign_prefix =
        steps.string_to_sign.substr(0, steps.string_to_sign.rfind('\n') + 1);
    Digest key =
        derive_signing_key(credentials.secret_access_key, format_amz_date(base.when).substr(0, 8),
                           base.region, base.service);
    key_states(key, inner_, outer_);
    OPENSSL_cleanse(key.data(), key.size());
    update(inner_, to_sign_prefix);
    uri_.reserve(4096);
}

Presigner::~Presigner() {
    OPENSSL_cleanse(&inner_, sizeof inner_);
    OPENSSL_cleanse(&outer_, sizeof outer_);
}

void Presigner::append_url(std::string_view scheme, std::string_view host,
                           std::string_view signed_host, std::string_view path, std::string& out) {
    uri_.clear();
    uri_encode(path, true, uri_);

    SHA256_CTX request{};
    SHA256_Init(&request);
    update(request, method_line_);
    update(request, uri_);
    update(request, query_to_host_);
    update(request, signed_host);
    update(request, tail_);
    std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
    SHA256_Final(digest.data(), &request);

    std::array<char, 2 * SHA256_DIGEST_LENGTH> request_hex{};
    for (std::size_t i = 0; i < digest.size(); ++i) {
        request_hex[2 * i] = kHex[digest[i] >> 4U];
        request_hex[2 * i + 1] = kHex[digest[i] & 0x0FU];
    }
    SHA256_CTX inner = inner_;
    SHA256_Update(&inner, request_hex.data(), request_hex.size());
    SHA256_Final(digest.data(), &inner);
    SHA256_CTX outer = outer_;
    SHA256_Update(&outer, digest.data(), digest.size());
    SHA256_Final(digest.data(), &outer);

    out += scheme;
    out += "://";
    out += host;
    out += uri_;
    out += '?';
    out += url_query_;
    out += "&X-Amz-Signature=";
    append_hex(digest.data(), out);
}

}  // namespace credkit::sigv4
