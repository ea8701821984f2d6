#include <algorithm>
#include <cctype>
#include <memory>
#include <mutex>
#include <string_view>

#include <curl/curl.h>

#include "credkit/http_client.hpp"

namespace credkit {
namespace {

CURL* as_curl(void* handle) {
    return static_cast<CURL*>(handle);
}

// curl_global_init is not thread-safe and must run before the first handle exists; once per
// process is enough, and cleanup is left to process exit since other handles may still live.
void init_curl_once() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct SlistDeleter {
    void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using HeaderList = std::unique_ptr<curl_slist, SlistDeleter>;

// Collects the body and stops the transfer at the first byte past the limit, so that an
// endless or hostile answer costs at most max_body bytes of memory.
struct BodySink {
    std::string& body;
    std::size_t max_body;
    bool overflowed = false;
};

std::size_t write_body(char* data, std::size_t size, std::size_t count, void* user) {
    auto& sink = *static_cast<BodySink*>(user);
    const std::size_t length = size * count;
    if (length > sink.max_body - sink.body.size()) {
        sink.overflowed = true;
        return 0;  // any value but `length` makes curl fail with CURLE_WRITE_ERROR
    }
    sink.body.append(data, length);
    return length;
}

std::string_view trim(std::string_view text) {
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) {
        return {};
    }
    const auto last = text.find_last_not_of(" \t\r\n");
    return text.substr(first, last - first + 1);
}

std::string lowercase(std::string_view text) {
    std::string out(text);
    std::ranges::transform(out, out.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

// Called once per header line. A status line starts a new header block (after a 100 Continue
// or an interim answer), so only the headers of the final response remain.
std::size_t read_header(char* data, std::size_t size, std::size_t count, void* user) {
    auto& headers = *static_cast<std::map<std::string, std::string>*>(user);
    const std::size_t length = size * count;
    const std::string_view line(data, length);
    if (line.starts_with("HTTP/")) {
        headers.clear();
        return length;
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) {
        return length;  // the blank line that ends the block
    }

    auto name = lowercase(trim(line.substr(0, colon)));
    const auto value = trim(line.substr(colon + 1));
    auto [it, inserted] = headers.try_emplace(std::move(name), value);
    if (!inserted) {
        it->second.append(", ").append(value);  // repeated fields combine, as RFC 9110 says
    }
    return length;
}

// curl sends "Name;" as a header with an empty value; "Name:" would remove the header.
HeaderList make_header_list(const HttpRequest& request) {
    curl_slist* list = nullptr;
    bool has_content_type = false;
    for (const auto& [name, value] : request.headers) {
        const std::string line = value.empty() ? name + ";" : name + ": " + value;
        list = curl_slist_append(list, line.c_str());
        has_content_type = has_content_type || lowercase(name) == "content-type";
    }
    if (!has_content_type) {
        // Otherwise curl labels the empty body of a PUT or POST as a form, which it is not.
        list = curl_slist_append(list, "Content-Type:");
    }
    return HeaderList(list);
}

void set_method(CURL* curl, const std::string& method) {
    if (method == "GET") {
        curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    } else if (method == "HEAD") {
        curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    } else {
        // An empty request body, announced as "Content-Length: 0", so that the server never
        // waits for a body that is not coming (IMDS's token PUT needs this).
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "");
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, 0L);
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
    }
}

void set_limits(CURL* curl, const HttpRequest& request) {
    // curl reads a timeout of 0 as "wait forever"; the smallest real timeout is meant instead.
    const long timeout_ms = std::max(1L, static_cast<long>(request.timeout.count()));
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(request.max_body));
    if (!request.use_proxy) {
        // An empty proxy overrides the *_proxy variables and "*" overrides no_proxy's
        // exceptions, so that no environment can route the request through a proxy.
        curl_easy_setopt(curl, CURLOPT_PROXY, "");
        curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
    }
}

HttpResult transport_failure(CURLcode code, const char* message, bool overflowed) {
    HttpResult result;
    result.detail = message[0] != '\0' ? message : curl_easy_strerror(code);
    if (overflowed || code == CURLE_FILESIZE_EXCEEDED) {
        result.failure = TransportFailure::body_too_large;
    } else if (code == CURLE_COULDNT_CONNECT) {
        result.failure = TransportFailure::connection_refused;
    } else if (code == CURLE_OPERATION_TIMEDOUT) {
        result.failure = TransportFailure::timed_out;
    } else {
        result.failure = TransportFailure::other;
    }
    return result;
}

}  // namespace

// libcurl is set up on the first request, not here: initialising it (and the TLS and
// directory libraries it loads) costs milliseconds that a run which never reaches the network,
// such as presigning with keys from the environment, should not pay.
CurlHttpClient::CurlHttpClient() : handle_(nullptr) {}

CurlHttpClient::~CurlHttpClient() {
    if (handle_ != nullptr) {
        curl_easy_cleanup(as_curl(handle_));
    }
}

HttpResult CurlHttpClient::send(const HttpRequest& request) {
    if (handle_ == nullptr) {
        init_curl_once();
        handle_ = curl_easy_init();
    }
    CURL* curl = as_curl(handle_);
    if (curl == nullptr) {
        return HttpResult{TransportFailure::other, "libcurl could not be initialised", {}};
    }
    // Reset drops every option of the previous request but keeps its open connections.
    curl_easy_reset(curl);

    HttpResponse response;
    BodySink sink{response.body, request.max_body};
    const HeaderList headers = make_header_list(request);
    char message[CURL_ERROR_SIZE] = {};
    curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, message);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, read_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response.headers);
    set_method(curl, request.method);
    set_limits(curl, request);

    const CURLcode code = curl_easy_perform(curl);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);  // `message` dies with this frame
    if (code != CURLE_OK) {
        return transport_failure(code, message, sink.overflowed);
    }
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
    return HttpResult{TransportFailure::none, {}, std::move(response)};
}

}  // namespace credkit
