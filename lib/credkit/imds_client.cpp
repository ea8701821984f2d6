#include "credkit/imds_client.hpp"

#include <algorithm>
#include <random>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "credkit/duration.hpp"
#include "credkit/imds_protocol.hpp"

namespace credkit {
namespace {

using imds::kTokenHeader;
using imds::kTokenPath;
using imds::kTtlHeader;
constexpr std::string_view kRolesPath = imds::kCredentialsPath;
constexpr std::string_view kHopLimitFix =
    "raise the hop limit: aws ec2 modify-instance-metadata-options --instance-id ID "
    "--http-put-response-hop-limit 2";

bool retryable(const HttpResult& result) {
    if (!result.ok()) {
        return result.failure != TransportFailure::body_too_large;
    }
    return result.response.status == 429 || result.response.status >= 500;
}

std::string status_text(long status) {
    switch (status) {
        case 400:
            return "400 bad request";
        case 401:
            return "401 unauthorized";
        case 403:
            return "403 forbidden";
        case 404:
            return "404 not found";
        case 405:
            return "405 method not allowed";
        case 429:
            return "429 too many requests";
        case 500:
            return "500 internal server error";
        case 503:
            return "503 service unavailable";
        default:
            return fmt::format("status {}", status);
    }
}

// The cause and fix of an answer that no retry will mend, for any metadata request.
Error explain_status(long status, std::string what) {
    const std::string answered = "imds answered " + status_text(status);
    switch (status) {
        case 403:
            return make_error(ErrorKind::imds_unavailable, std::move(what),
                              answered +
                                  ": the metadata service is turned off for this "
                                  "instance, or an http proxy answered instead of imds",
                              "turn it on: aws ec2 modify-instance-metadata-options "
                              "--instance-id ID --http-endpoint enabled; and keep "
                              "169.254.169.254 out of any proxy");
        case 405:
            return make_error(ErrorKind::imds_unavailable, std::move(what),
                              answered +
                                  ": whatever answered is not an instance metadata "
                                  "service (a proxy or another server?)",
                              "check --imds-endpoint and the proxy settings");
        case 429:
            return make_error(ErrorKind::imds_unavailable, std::move(what),
                              answered + ": imds is throttling this instance",
                              "retry later, or allow more tries with --imds-attempts");
        default:
            break;
    }
    if (status >= 500) {
        return make_error(ErrorKind::imds_unavailable, std::move(what),
                          answered + ": the metadata service is failing or still starting",
                          "retry in a few seconds");
    }
    return make_error(ErrorKind::imds_unavailable, std::move(what), answered);
}

Error explain_transport(const HttpResult& result, const ImdsSettings& settings, std::string what) {
    switch (result.failure) {
        case TransportFailure::connection_refused:
            return make_error(ErrorKind::imds_unavailable, std::move(what),
                              fmt::format("connection to {} refused", settings.endpoint),
                              "not on EC2? point --imds-endpoint at a metadata server, such as "
                              "one started by 'credkit mock-imds'");
        case TransportFailure::timed_out:
            return make_error(
                ErrorKind::imds_unavailable, std::move(what),
                fmt::format("no answer from {} within {} ({} attempts)", settings.endpoint,
                            format_duration(settings.timeout), settings.attempts),
                "not on EC2, or a firewall drops metadata traffic; elsewhere point "
                "--imds-endpoint at a metadata server");
        case TransportFailure::body_too_large:
            return make_error(ErrorKind::imds_unavailable, std::move(what),
                              "the answer is larger than the 64 KiB an imds answer can be");
        default:
            return make_error(
                ErrorKind::imds_unavailable, std::move(what),
                fmt::format("request to {} failed: {}", settings.endpoint, result.detail));
    }
}

std::string trim(std::string_view text) {
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) {
        return {};
    }
    const auto last = text.find_last_not_of(" \t\r\n");
    return std::string(text.substr(first, last - first + 1));
}

Error malformed(std::string what, std::string why) {
    return make_error(ErrorKind::imds_unavailable, std::move(what),
                      "imds returned malformed credentials: " + std::move(why));
}

}  // namespace

Result<Credentials> parse_imds_credentials(const std::string& body, const std::string& what) {
    const auto doc = nlohmann::json::parse(body, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) {
        return fail(malformed(what, "the answer is not a JSON object"));
    }
    if (doc.contains("Code") && doc["Code"] != "Success") {
        const auto code = doc["Code"].is_string() ? doc["Code"].get<std::string>() : "?";
        return fail(ErrorKind::imds_unavailable, what,
                    fmt::format("imds reported code '{}' instead of Success", code));
    }
    for (const char* key : {"AccessKeyId", "SecretAccessKey", "Token", "Expiration"}) {
        if (!doc.contains(key) || !doc[key].is_string() || doc[key].get<std::string>().empty()) {
            return fail(malformed(what, fmt::format("{} is missing or empty", key)));
        }
    }
    Credentials credentials;
    credentials.access_key_id = doc["AccessKeyId"].get<std::string>();
    credentials.secret_access_key = Secret(doc["SecretAccessKey"].get<std::string>());
    credentials.session_token = Secret(doc["Token"].get<std::string>());
    auto expiration = parse_rfc3339(doc["Expiration"].get<std::string>());
    if (!expiration) {
        return fail(malformed(what, "Expiration is not an RFC 3339 time"));
    }
    credentials.expiration = *expiration;
    if (doc.contains("LastUpdated") && doc["LastUpdated"].is_string()) {
        if (auto updated = parse_rfc3339(doc["LastUpdated"].get<std::string>())) {
            credentials.last_updated = *updated;
        }
    }
    credentials.refreshed_by_holder = false;
    return credentials;
}

ImdsClient::ImdsClient(ImdsSettings settings, HttpClient& http, Clock& clock, const Logger& log,
                       std::uint64_t jitter_seed)
    : settings_(std::move(settings)),
      http_(http),
      clock_(clock),
      log_(log),
      jitter_(jitter_seed != 0 ? jitter_seed : std::random_device{}()) {}

std::string ImdsClient::url_for(std::string_view path) const {
    return settings_.endpoint + std::string(path);
}

Clock::Duration ImdsClient::backoff_delay(int attempt) {
    // Exponential from 200 ms, capped at 3 s, with jitter over the upper half.
    constexpr Millis kBase{200};
    constexpr Millis kCap{3000};
    const auto ceiling = std::min(kCap, kBase * (1 << std::min(attempt - 1, 10)));
    std::uniform_int_distribution<std::int64_t> spread(ceiling.count() / 2, ceiling.count());
    return Millis(spread(jitter_));
}

HttpResult ImdsClient::send_with_retries(HttpRequest request) {
    request.timeout = settings_.timeout;
    request.use_proxy = false;
    HttpResult result;
    for (int attempt = 1; attempt <= settings_.attempts; ++attempt) {
        const auto started = clock_.now();
        result = http_.send(request);
        log_exchange(request, result, clock_.now() - started);
        if (!retryable(result) || attempt == settings_.attempts) {
            break;
        }
        const auto delay = backoff_delay(attempt);
        log_.debug("imds: retrying in {} (attempt {} of {})",
                   format_duration(std::chrono::duration_cast<Millis>(delay)), attempt + 1,
                   settings_.attempts);
        clock_.sleep_for(delay);
    }
    return result;
}

void ImdsClient::log_exchange(const HttpRequest& request, const HttpResult& result,
                              Clock::Duration took) const {
    if (!log_.enabled(Level::debug)) {
        return;
    }
    const auto path = request.url.substr(std::min(request.url.size(), settings_.endpoint.size()));
    const auto ms = std::chrono::duration_cast<Millis>(took).count();
    if (result.ok()) {
        log_.debug("imds: {} {} -> {} ({} ms)", request.method, path, result.response.status, ms);
    } else {
        log_.debug("imds: {} {} -> {} ({} ms)", request.method, path,
                   result.detail.empty() ? "transport failure" : result.detail, ms);
    }
}

std::expected<ImdsClient::Token, HttpResult> ImdsClient::request_token() {
    HttpRequest request;
    request.method = "PUT";
    request.url = url_for(kTokenPath);
    request.headers.emplace_back(kTtlHeader, std::to_string(settings_.token_ttl.count()));

    const auto obtained = clock_.now();
    HttpResult result = send_with_retries(request);
    if (!result.ok() || result.response.status != 200) {
        return std::unexpected(std::move(result));
    }
    std::string value = trim(result.response.body);
    if (value.empty()) {
        return std::unexpected(std::move(result));
    }
    const auto margin =
        std::min<Clock::Duration>(settings_.token_ttl / 10, std::chrono::minutes(5));
    return Token{std::move(value), obtained + settings_.token_ttl - margin};
}

Error ImdsClient::explain_token_failure(const HttpResult& result) const {
    std::string what = "cannot get an imds session token";
    if (!result.ok()) {
        return explain_transport(result, settings_, std::move(what));
    }
    switch (result.response.status) {
        case 200:
            return make_error(ErrorKind::imds_unavailable, std::move(what),
                              "imds answered 200 with an empty token");
        case 400:
            return make_error(ErrorKind::imds_unavailable, std::move(what),
                              "imds answered 400 bad request: the token lifetime header is "
                              "missing or outside 1s..6h",
                              "set --imds-token-ttl between 1s and 6h");
        case 404:
            return make_error(ErrorKind::imds_unavailable, std::move(what),
                              "imds answered 404 not found to the token request: this endpoint "
                              "does not offer IMDSv2",
                              "check --imds-endpoint; --allow-imdsv1 permits the old protocol");
        default:
            return explain_status(result.response.status, std::move(what));
    }
}

bool ImdsClient::plain_get_answers(long& status) {
    HttpRequest request = get_request("/latest/meta-data/");
    request.headers.clear();
    const auto started = clock_.now();
    const HttpResult result = http_.send(request);
    log_exchange(request, result, clock_.now() - started);
    status = result.ok() ? result.response.status : 0;
    return result.ok();
}

// The token PUT failed. With --allow-imdsv1 some failures let us go on without a token (as
// botocore does); a PUT that times out while a plain GET answers is the hop-limit signature.
Result<void> ImdsClient::recover_from_token_failure(const HttpResult& last) {
    const bool timed_out = !last.ok() && last.failure == TransportFailure::timed_out;
    const long status = last.ok() ? last.response.status : 0;
    long get_status = 0;
    if (timed_out && plain_get_answers(get_status)) {
        // A 401 to the plain GET means the instance requires tokens: v1 cannot help.
        if (settings_.allow_v1 && get_status != 401) {
            return fall_back_to_v1("the token request timed out (is the hop limit too low?)");
        }
        return fail(ErrorKind::imds_unavailable, "cannot get an imds session token",
                    fmt::format("the token request (PUT) timed out {} times while a plain GET "
                                "answered: the instance's PUT response hop limit is too low "
                                "for this network path (a container?)",
                                settings_.attempts),
                    std::string(kHopLimitFix) + "; or pass --allow-imdsv1 meanwhile");
    }
    if (settings_.allow_v1 && (status == 403 || status == 404 || status == 405)) {
        return fall_back_to_v1(fmt::format("the token request got {}", status_text(status)));
    }
    return fail(explain_token_failure(last));
}

Result<void> ImdsClient::fall_back_to_v1(std::string_view reason) {
    log_.warning("falling back to IMDSv1 because {}; IMDSv1 is being retired", reason);
    using_v1_ = true;
    return {};
}

Result<void> ImdsClient::ensure_token() {
    if (settings_.disabled) {
        return fail(ErrorKind::imds_unavailable, "cannot use imds",
                    "it is turned off by AWS_EC2_METADATA_DISABLED=true",
                    "unset AWS_EC2_METADATA_DISABLED to use the instance role");
    }
    if (using_v1_ || (token_ && clock_.now() < token_->renew_after)) {
        return {};
    }
    token_.reset();
    auto token = request_token();
    if (!token) {
        return recover_from_token_failure(token.error());
    }
    log_.debug("imds: got a session token for {}", format_duration(settings_.token_ttl));
    token_ = std::move(*token);
    return {};
}

HttpRequest ImdsClient::get_request(std::string_view path) const {
    HttpRequest request;
    request.url = url_for(path);
    if (token_ && !using_v1_) {
        request.headers.emplace_back(kTokenHeader, token_->value);
    }
    return request;
}

Result<HttpResponse> ImdsClient::fetch(std::string_view path, const std::string& what) {
    if (auto ready = ensure_token(); !ready) {
        return fail(std::move(ready.error()));
    }
    HttpResult result = send_with_retries(get_request(path));
    if (result.ok() && result.response.status == 401 && !using_v1_) {
        log_.info("imds rejected the session token; getting a new one");
        token_.reset();
        if (auto ready = ensure_token(); !ready) {
            return fail(std::move(ready.error()));
        }
        result = send_with_retries(get_request(path));
    }

    if (!result.ok()) {
        return fail(explain_transport(result, settings_, what));
    }
    const long status = result.response.status;
    if (status == 200 || status == 404) {
        return std::move(result.response);
    }
    if (status == 401) {
        return fail(ErrorKind::imds_unavailable, what,
                    using_v1_ ? "imds answered 401 unauthorized to a request without a token: "
                                "this instance requires IMDSv2"
                              : "imds answered 401 unauthorized twice: it refused a fresh "
                                "session token",
                    using_v1_ ? "find out why the token request failed (run with -vv)"
                              : "check that nothing between credkit and imds rewrites headers");
    }
    return fail(explain_status(status, what));
}

Result<std::string> ImdsClient::get(std::string_view path) {
    const std::string what = fmt::format("cannot read {} from imds", path);
    auto response = fetch(path, what);
    if (!response) {
        return fail(std::move(response.error()));
    }
    if (response->status == 404) {
        return fail(ErrorKind::failure, what, "imds answered 404 not found");
    }
    return std::move(response->body);
}

Result<std::string> ImdsClient::role_name() {
    if (settings_.role) {
        return *settings_.role;
    }
    const std::string what = "cannot find the instance's iam role";
    auto response = fetch(kRolesPath, what);
    if (!response) {
        return fail(std::move(response.error()));
    }
    const std::string listing = response->status == 200 ? response->body : "";
    const std::string first = trim(listing.substr(0, listing.find('\n')));
    if (first.empty()) {
        return fail(ErrorKind::no_credentials, what, "no iam role is attached to this instance",
                    "attach an instance profile: aws ec2 associate-iam-instance-profile "
                    "--instance-id ID --iam-instance-profile Name=PROFILE");
    }
    return first;
}

Result<Credentials> ImdsClient::fetch_credentials() {
    auto role = role_name();
    if (!role) {
        return fail(std::move(role.error()));
    }
    const std::string what = fmt::format("cannot fetch credentials for role '{}' from imds", *role);
    auto response = fetch(std::string(kRolesPath) + *role, what);
    if (!response) {
        return fail(std::move(response.error()));
    }
    if (response->status == 404) {
        return fail(ErrorKind::no_credentials, what,
                    "imds answered 404 not found: no role of that name is attached here",
                    settings_.role ? "leave out --role to use the role the instance has" : "");
    }

    auto credentials = parse_imds_credentials(response->body, what);
    wipe_string(response->body);
    if (!credentials) {
        return fail(std::move(credentials.error()));
    }
    credentials->origin = CredentialOrigin{SourceKind::imds, settings_.endpoint, *role};
    return credentials;
}

InstanceMetadata ImdsClient::instance_metadata() {
    InstanceMetadata metadata;
    const auto read = [&](std::string_view label,
                          std::string_view path) -> std::optional<std::string> {
        auto value = get(path);
        if (!value) {
            metadata.missing.push_back(fmt::format("{}: {}", label, value.error().why));
            return std::nullopt;
        }
        return trim(*value);
    };
    metadata.region = read("region", imds::kRegionPath);
    metadata.availability_zone = read("availability zone", imds::kZonePath);
    metadata.instance_id = read("instance id", imds::kInstanceIdPath);

    if (auto document = read("account id", imds::kIdentityPath)) {
        const auto doc = nlohmann::json::parse(*document, nullptr, false);
        if (!doc.is_discarded() && doc.is_object() && doc.contains("accountId") &&
            doc["accountId"].is_string()) {
            metadata.account_id = doc["accountId"].get<std::string>();
        } else {
            metadata.missing.emplace_back("account id: the identity document has no accountId");
        }
    }
    return metadata;
}

}  // namespace credkit
