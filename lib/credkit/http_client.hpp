// HTTP as an interface, so that the IMDS client can be driven by a scripted fake in tests
// and by libcurl in the product.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "credkit/error.hpp"

namespace credkit {

struct HttpRequest {
    std::string method = "GET";
    std::string url;
    std::vector<std::pair<std::string, std::string>> headers;
    std::chrono::milliseconds timeout{1000};  // the whole exchange, connect included
    std::size_t max_body = 64 * 1024;         // a longer body is an error, not truncated
    bool use_proxy = false;  // false: never go through a proxy, whatever the environment says
};

struct HttpResponse {
    long status = 0;
    std::string body;
    std::map<std::string, std::string> headers;  // names in lowercase
};

// How a request failed before any HTTP status arrived.
enum class TransportFailure {
    none,
    connection_refused,
    timed_out,
    body_too_large,
    other,
};

struct HttpResult {
    TransportFailure failure = TransportFailure::none;
    std::string detail;  // the transport's own words when failure != none
    HttpResponse response;

    [[nodiscard]] bool ok() const { return failure == TransportFailure::none; }
};

class HttpClient {
public:
    virtual ~HttpClient() = default;
    virtual HttpResult send(const HttpRequest& request) = 0;
};

// libcurl underneath; one easy handle reused across requests (keeps the connection warm), so
// one client serves one thread at a time. Redirects are returned, never followed.
class CurlHttpClient final : public HttpClient {
public:
    CurlHttpClient();
    ~CurlHttpClient() override;
    CurlHttpClient(const CurlHttpClient&) = delete;
    CurlHttpClient& operator=(const CurlHttpClient&) = delete;

    HttpResult send(const HttpRequest& request) override;

private:
    void* handle_;  // CURL*, kept opaque so that this header does not pull in curl.h
};

}  // namespace credkit
