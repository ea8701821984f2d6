// A scripted HttpClient for tests: answers per "METHOD path" from queues, and records every
// request it was sent.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "credkit/clock.hpp"
#include "credkit/http_client.hpp"

namespace credkit::testing {

inline HttpResult answer(long status, std::string body = {}) {
    HttpResult result;
    result.response.status = status;
    result.response.body = std::move(body);
    return result;
}

inline HttpResult transport_failure(TransportFailure failure, std::string detail = "failed") {
    HttpResult result;
    result.failure = failure;
    result.detail = std::move(detail);
    return result;
}

class FakeHttp final : public HttpClient {
public:
    explicit FakeHttp(std::string endpoint = "http://imds.test") : endpoint_(std::move(endpoint)) {}

    // Queues answers for "PUT /latest/api/token" and the like. The last queued answer repeats
    // once the queue is down to one.
    void on(const std::string& method_and_path, std::vector<HttpResult> answers) {
        auto& queue = scripts_[method_and_path];
        queue.insert(queue.end(), answers.begin(), answers.end());
    }

    // Time each request takes, charged to the clock when there is one.
    void take(Clock* clock, Clock::Duration per_request) {
        clock_ = clock;
        per_request_ = per_request;
    }

    HttpResult send(const HttpRequest& request) override {
        requests.push_back(request);
        if (clock_ != nullptr) {
            clock_->sleep_for(per_request_);
        }
        const std::string key = request.method + " " + request.url.substr(endpoint_.size());
        auto found = scripts_.find(key);
        if (found == scripts_.end() || found->second.empty()) {
            return answer(404);
        }
        HttpResult result = found->second.front();
        if (found->second.size() > 1) {
            found->second.pop_front();
        }
        return result;
    }

    [[nodiscard]] int count(const std::string& method_and_path) const {
        int n = 0;
        for (const auto& request : requests) {
            if (request.method + " " + request.url.substr(endpoint_.size()) == method_and_path) {
                ++n;
            }
        }
        return n;
    }

    std::vector<HttpRequest> requests;

private:
    std::string endpoint_;
    std::map<std::string, std::deque<HttpResult>> scripts_;
    Clock* clock_ = nullptr;
    Clock::Duration per_request_{};
};

}  // namespace credkit::testing
