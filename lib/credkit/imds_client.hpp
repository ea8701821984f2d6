// An IMDSv2 client that explains every failure by its cause.
//
// Each metadata read first needs a session token (PUT /latest/api/token with a TTL), which is
// reused until shortly before it ends. Transport failures, 429 and 5xx answers are retried
// with exponential backoff and jitter; a 401 renews the token once. When the token PUT times
// out but a plain GET answers, the instance's PUT response hop limit is too low for where we
// run (a container), and the error says so. IMDSv1 (no token) is used only when allowed.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "credkit/clock.hpp"
#include "credkit/credentials.hpp"
#include "credkit/error.hpp"
#include "credkit/http_client.hpp"
#include "credkit/imds_settings.hpp"
#include "credkit/logger.hpp"

namespace credkit {

// What the identity document and placement paths tell about the instance. Items IMDS could
// not give are left unset and named in `missing` with the reason.
struct InstanceMetadata {
    std::optional<std::string> region;
    std::optional<std::string> availability_zone;
    std::optional<std::string> instance_id;
    std::optional<std::string> account_id;
    std::vector<std::string> missing;  // "region: imds answered 404 ..."
};

// Reads a role's credentials document: Code "Success" when present, and a non-empty
// AccessKeyId, SecretAccessKey, Token and an RFC 3339 Expiration. Errors are about `what`
// and never quote the body, which holds secrets.
Result<Credentials> parse_imds_credentials(const std::string& body, const std::string& what);

class ImdsClient {
public:
    ImdsClient(ImdsSettings settings, HttpClient& http, Clock& clock,
               const Logger& log = Logger::silent(), std::uint64_t jitter_seed = 0);

    // The role named in the settings, or the first one IMDS lists.
    Result<std::string> role_name();

    // The role's current credentials. Expiry findings are for the caller to report.
    Result<Credentials> fetch_credentials();

    // The body of a metadata path such as "/latest/meta-data/placement/region".
    Result<std::string> get(std::string_view path);

    InstanceMetadata instance_metadata();

    [[nodiscard]] const ImdsSettings& settings() const { return settings_; }
    // True once the client has fallen back to IMDSv1 (only with allow_v1).
    [[nodiscard]] bool using_v1() const { return using_v1_; }

private:
    struct Token {
        std::string value;
        Clock::TimePoint renew_after;
    };

    // The token PUT; on failure, the last exchange, for the caller to explain.
    std::expected<Token, HttpResult> request_token();
    Result<void> ensure_token();
    Result<void> recover_from_token_failure(const HttpResult& last);
    Result<void> fall_back_to_v1(std::string_view reason);
    bool plain_get_answers(long& status);
    [[nodiscard]] Error explain_token_failure(const HttpResult& result) const;

    // A GET with the session token, renewing the token once on 401. Answers 200 and 404
    // come back as responses; anything else is explained as an error about `what`.
    Result<HttpResponse> fetch(std::string_view path, const std::string& what);
    HttpRequest get_request(std::string_view path) const;
    HttpResult send_with_retries(HttpRequest request);
    void log_exchange(const HttpRequest& request, const HttpResult& result,
                      Clock::Duration took) const;
    Clock::Duration backoff_delay(int attempt);
    [[nodiscard]] std::string url_for(std::string_view path) const;

    ImdsSettings settings_;
    HttpClient& http_;
    Clock& clock_;
    const Logger& log_;
    std::mt19937_64 jitter_;
    std::optional<Token> token_;
    bool using_v1_ = false;
};

}  // namespace credkit
