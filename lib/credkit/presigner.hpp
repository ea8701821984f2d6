// The batch fast path of SigV4 presigning. Everything that does not change from one object to
// the next (credentials, region, time, expiry, method, parameters) is worked out once: the
// signing key, the HMAC states keyed with it, the constant parts of the canonical request and
// of the URL. Each URL then costs one SHA-256 of its canonical request and one HMAC, written
// straight into the caller's buffer without allocating.
//
// sigv4::presign() is the reference: readable steps, every intermediate exposed. Tests check
// that both produce the same URLs.
#pragma once

#include <string>
#include <string_view>

#include <openssl/sha.h>

#include "credkit/credentials.hpp"
#include "credkit/sigv4.hpp"

namespace credkit::sigv4 {

class Presigner {
public:
    // `base` gives everything but scheme, host, signed_host and path, which vary per URL.
    Presigner(const PresignRequest& base, const Credentials& credentials);
    ~Presigner();
    Presigner(const Presigner&) = delete;
    Presigner& operator=(const Presigner&) = delete;

    // Appends the URL for one object to `out`. `path` is "/KEY" or "/BUCKET/KEY", raw.
    void append_url(std::string_view scheme, std::string_view host, std::string_view signed_host,
                    std::string_view path, std::string& out);

private:
    // Canonical request = method_line_ + URI + query_to_host_ + signed host + tail_.
    std::string method_line_;
    std::string query_to_host_;
    std::string tail_;
    // URL = scheme://host + URI + "?" + url_query_ + "&X-Amz-Signature=" + signature.
    std::string url_query_;
    // HMAC-SHA256 keyed with the signing key: the inner state has also absorbed the constant
    // start of the string to sign; the outer state waits for the inner digest.
    SHA256_CTX inner_{};
    SHA256_CTX outer_{};
    std::string uri_;  // scratch, reused
};

}  // namespace credkit::sigv4
