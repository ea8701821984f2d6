#include "credkit/imds_probe.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <expected>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "credkit/duration.hpp"
#include "credkit/imds_client.hpp"
#include "credkit/imds_protocol.hpp"
#include "credkit/secret.hpp"

namespace credkit {
namespace {

using imds::kCredentialsPath;
using imds::kTokenPath;

constexpr std::string_view kOutOfTime = "not asked: the probe's time ran out";

// What one request brought back: the summary the probe reports and the answer itself.
struct Sent {
    ProbeExchange exchange;
    HttpResult result;
    Millis timeout{0};  // what the request was given

    [[nodiscard]] bool answered(long status) const { return exchange.answered(status); }
};

std::string trim(std::string_view text) {
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) {
        return {};
    }
    const auto last = text.find_last_not_of(" \t\r\n");
    return std::string(text.substr(first, last - first + 1));
}

// One line on why a request gave nothing usable; nothing here quotes a body.
std::string describe(const std::optional<Sent>& sent) {
    if (!sent) {
        return std::string(kOutOfTime);
    }
    switch (sent->exchange.failure) {
        case TransportFailure::none:
            return fmt::format("imds answered {}", sent->exchange.status);
        case TransportFailure::connection_refused:
            return "connection refused";
        case TransportFailure::timed_out:
            return fmt::format("no answer within {}", format_duration(sent->timeout));
        case TransportFailure::body_too_large:
            return "the answer is larger than an imds answer can be";
        case TransportFailure::other:
            break;
    }
    return "the request failed: " + sent->result.detail;
}

// A failure that every further request would meet too, so the probe stops at once. A timeout
// is not one: the token PUT alone times out when the hop limit is too low.
bool unreachable(const std::optional<Sent>& sent) {
    return sent && (sent->exchange.failure == TransportFailure::connection_refused ||
                    sent->exchange.failure == TransportFailure::other);
}

// One probe: its requests share one deadline, and the first Date header tells the server's
// time.
class Prober {
public:
    Prober(const ImdsSettings& settings, HttpClient& http, Clock& clock, Millis budget)
        : settings_(settings),
          http_(http),
          clock_(clock),
          budget_(budget),
          deadline_(clock.now() + budget) {
        probe_.endpoint = settings.endpoint;
    }

    ImdsProbe run();

private:
    std::optional<Sent> send(const std::string& method, std::string_view path,
                             const std::string& token, Millis cap = Millis::max());
    HttpRequest make_request(const std::string& method, std::string_view path,
                             const std::string& token, Millis timeout) const;
    void note_date(const HttpResult& result, Clock::TimePoint arrived);
    void ask_token();
    void ask_v1();
    void find_role();
    void read_v2();
    void read_v1();
    std::expected<Credentials, std::string> read_credentials(const std::string& token);
    [[nodiscard]] std::string listing_problem(const std::optional<Sent>& listing) const;
    [[nodiscard]] std::string refusal() const;

    const ImdsSettings& settings_;
    HttpClient& http_;
    Clock& clock_;
    Millis budget_;
    Clock::TimePoint deadline_;
    ImdsProbe probe_;
    std::optional<Sent> token_;    // the PUT; nothing when the budget was spent before it
    std::string token_value_;      // empty: no token
    std::optional<Sent> v1_;       // the role listing without a token
    std::optional<Sent> listing_;  // the listing the role came from
};

ImdsProbe Prober::run() {
    if (settings_.disabled) {
        return probe_;
    }
    ask_token();
    if (unreachable(token_)) {
        probe_.v2_problem = probe_.v1_problem = describe(token_);
        return probe_;
    }
    ask_v1();
    find_role();
    read_v2();
    read_v1();
    return probe_;
}

// One attempt with the per-attempt timeout, cut to what is left of the budget and to `cap`;
// nothing when less than a millisecond is left.
std::optional<Sent> Prober::send(const std::string& method, std::string_view path,
                                 const std::string& token, Millis cap) {
    const auto left = std::chrono::duration_cast<Millis>(deadline_ - clock_.now());
    const Millis timeout = std::min({Millis(settings_.timeout), left, cap});
    if (timeout < Millis(1)) {
        return std::nullopt;
    }
    const auto started = clock_.now();
    Sent sent{{}, http_.send(make_request(method, path, token, timeout)), timeout};
    const auto arrived = clock_.now();

    sent.exchange.failure = sent.result.failure;
    sent.exchange.status = sent.result.ok() ? sent.result.response.status : 0;
    sent.exchange.took = std::chrono::duration_cast<Millis>(arrived - started);
    note_date(sent.result, arrived);
    return sent;
}

HttpRequest Prober::make_request(const std::string& method, std::string_view path,
                                 const std::string& token, Millis timeout) const {
    HttpRequest request;
    request.method = method;
    request.url = settings_.endpoint + std::string(path);
    request.timeout = timeout;
    request.use_proxy = false;
    if (method == "PUT") {
        // botocore's lifetime, so that IMDS sees the request botocore would send.
        request.headers.emplace_back(imds::kTtlHeader, std::to_string(imds::kMaxTokenTtlSeconds));
    }
    if (!token.empty()) {
        request.headers.emplace_back(imds::kTokenHeader, token);
    }
    return request;
}

// Date has whole seconds, so the local time is cut to whole seconds too: a server in step
// with this clock then shows no skew.
void Prober::note_date(const HttpResult& result, Clock::TimePoint arrived) {
    if (probe_.clock_skew || !result.ok()) {
        return;
    }
    const auto found = result.response.headers.find("date");
    if (found == result.response.headers.end()) {
        return;
    }
    if (const auto server = parse_http_date(found->second)) {
        probe_.clock_skew = *server - std::chrono::floor<std::chrono::seconds>(arrived);
    }
}

// The PUT gets half the budget at most, so that when it times out there is still time for
// the GET that tells the hop-limit signature.
void Prober::ask_token() {
    token_ = send("PUT", kTokenPath, {}, budget_ / 2);
    if (!token_) {
        probe_.token.failure = TransportFailure::timed_out;
        return;
    }
    probe_.token = token_->exchange;
    if (token_->answered(200)) {
        token_value_ = trim(token_->result.response.body);
    }
}

void Prober::ask_v1() {
    v1_ = send("GET", kCredentialsPath, {});
    if (v1_) {
        probe_.v1 = v1_->exchange;
    }
}

// The listing a tool would read: with the token when there is one, else without.
void Prober::find_role() {
    listing_ = token_value_.empty() ? v1_ : send("GET", kCredentialsPath, token_value_);
    if (!listing_ || !listing_->answered(200)) {
        return;
    }
    const std::string& body = listing_->result.response.body;
    std::string first = trim(std::string_view(body).substr(0, body.find('\n')));
    if (!first.empty()) {
        probe_.role = std::move(first);
    }
}

std::string Prober::listing_problem(const std::optional<Sent>& listing) const {
    if (listing && (listing->answered(200) || listing->answered(404))) {
        return "no role attached";
    }
    if (listing && listing->answered(401)) {
        return refusal();
    }
    return describe(listing);
}

// What a 401 means: without a token, that IMDSv1 is off; with one, that it was not accepted.
std::string Prober::refusal() const {
    return token_value_.empty() ? "imds requires a session token (401)"
                                : "imds refused the session token (401)";
}

void Prober::read_v2() {
    if (token_value_.empty()) {
        probe_.v2_problem = token_ && token_->answered(200)
                                ? "imds answered 200 with an empty token"
                                : fmt::format("no session token ({})", describe(token_));
        return;
    }
    if (!probe_.role) {
        probe_.v2_problem = listing_problem(listing_);
        return;
    }
    auto credentials = read_credentials(token_value_);
    if (credentials) {
        probe_.credentials_v2 = std::move(*credentials);
    } else {
        probe_.v2_problem = std::move(credentials.error());
    }
}

// Only when the PUT failed: that is when botocore and s3cmd fall back to IMDSv1, and asking
// otherwise would lengthen every probe for an answer no tool uses.
void Prober::read_v1() {
    if (!token_value_.empty()) {
        probe_.v1_problem = "not asked: the token request succeeded, so tools use IMDSv2";
        return;
    }
    if (!probe_.role) {
        probe_.v1_problem = listing_problem(v1_);
        return;
    }
    auto credentials = read_credentials({});
    if (credentials) {
        probe_.credentials_v1 = std::move(*credentials);
    } else {
        probe_.v1_problem = std::move(credentials.error());
    }
}

// The role's credentials, with the token or (when empty) without one; else why not.
std::expected<Credentials, std::string> Prober::read_credentials(const std::string& token) {
    auto sent = send("GET", std::string(kCredentialsPath) + *probe_.role, token);
    if (!sent || !sent->result.ok()) {
        return std::unexpected(describe(sent));
    }
    if (sent->answered(401)) {
        return std::unexpected(refusal());
    }
    if (!sent->answered(200)) {
        return std::unexpected(describe(sent));
    }
    auto credentials = parse_imds_credentials(sent->result.response.body, "imds credentials");
    wipe_string(sent->result.response.body);
    if (!credentials) {
        return std::unexpected(std::move(credentials.error().why));
    }
    return std::move(*credentials);
}

// Whole decimal digits, or nothing.
std::optional<int> digits(std::string_view text) {
    int value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size() || text.starts_with('-')) {
        return std::nullopt;
    }
    return value;
}

constexpr std::array<std::string_view, 12> kMonths{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

std::optional<std::chrono::month> month_named(std::string_view name) {
    const auto* found = std::ranges::find(kMonths, name);
    if (found == kMonths.end()) {
        return std::nullopt;
    }
    return std::chrono::month(static_cast<unsigned>(found - kMonths.begin() + 1));
}

}  // namespace

ImdsProbe probe_imds(const ImdsSettings& settings, HttpClient& http, Clock& clock,
                     std::chrono::milliseconds budget) {
    return Prober(settings, http, clock, budget).run();
}

// Fixed columns: "Sun, 06 Nov 1994 08:49:37 GMT". The weekday is not checked against the
// date; nothing here depends on it.
std::optional<TimePoint> parse_http_date(std::string_view text) {
    if (text.size() != 29 || text.substr(3, 2) != ", " || text[7] != ' ' || text[11] != ' ' ||
        text[16] != ' ' || text[19] != ':' || text[22] != ':' || text.substr(25) != " GMT") {
        return std::nullopt;
    }
    const auto day = digits(text.substr(5, 2));
    const auto month = month_named(text.substr(8, 3));
    const auto year = digits(text.substr(12, 4));
    const auto hour = digits(text.substr(17, 2));
    const auto minute = digits(text.substr(20, 2));
    const auto second = digits(text.substr(23, 2));
    if (!day || !month || !year || !hour || !minute || !second || *hour > 23 || *minute > 59 ||
        *second > 59) {
        return std::nullopt;
    }
    const std::chrono::year_month_day date{std::chrono::year(*year), *month,
                                           std::chrono::day(static_cast<unsigned>(*day))};
    if (!date.ok()) {
        return std::nullopt;
    }
    return std::chrono::sys_days(date) + std::chrono::hours(*hour) + std::chrono::minutes(*minute) +
           std::chrono::seconds(*second);
}

}  // namespace credkit
