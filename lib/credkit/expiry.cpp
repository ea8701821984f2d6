#include "credkit/expiry.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "credkit/credential_format.hpp"
#include "credkit/credential_source.hpp"
#include "credkit/ini_document.hpp"

namespace credkit {
namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

std::string percent_decode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
            hex_value(text[i + 2]) >= 0) {
            out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
            i += 2;
        } else {
            out += text[i] == '+' ? ' ' : text[i];
        }
    }
    return out;
}

// The value of one query parameter, decoded; names compare without regard to case.
std::optional<std::string> query_value(std::string_view query, std::string_view name) {
    while (!query.empty()) {
        const auto amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        const auto eq = pair.find('=');
        const std::string_view key = pair.substr(0, eq);
        if (key.size() == name.size() &&
            std::equal(key.begin(), key.end(), name.begin(), [](char a, char b) {
                return std::tolower(static_cast<unsigned char>(a)) ==
                       std::tolower(static_cast<unsigned char>(b));
            })) {
            return eq == std::string_view::npos ? std::string()
                                                : percent_decode(pair.substr(eq + 1));
        }
        query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    }
    return std::nullopt;
}

std::optional<std::int64_t> whole_number(const std::string& text) {
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size()) {
        return std::nullopt;
    }
    return value;
}

// "20130524T000000Z" as written in X-Amz-Date.
std::optional<TimePoint> amz_date(const std::string& text) {
    if (text.size() != 16 || text[8] != 'T' || text[15] != 'Z') {
        return std::nullopt;
    }
    const std::string rfc3339 =
        fmt::format("{}-{}-{}T{}:{}:{}Z", text.substr(0, 4), text.substr(4, 2), text.substr(6, 2),
                    text.substr(9, 2), text.substr(11, 2), text.substr(13, 2));
    auto parsed = parse_rfc3339(rfc3339);
    return parsed ? std::optional(*parsed) : std::nullopt;
}

Error unreadable(std::string what, std::string why) {
    return make_error(ErrorKind::usage, std::move(what), std::move(why));
}

constexpr std::string_view kTokenNote =
    "signed with a session token: it stops working when the token expires, which the URL "
    "does not say";

Result<Expiry> credential_process_expiry(std::string_view text, const std::string& path) {
    const auto doc = nlohmann::json::parse(text, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) {
        return fail(unreadable(fmt::format("cannot read {}", path),
                               "it starts like JSON but is not a valid JSON object"));
    }
    Expiry expiry{"file", path, std::nullopt, false, {}};
    if (!doc.contains("Expiration")) {
        expiry.note = "the JSON document has no Expiration (long-term keys do not expire)";
        return expiry;
    }
    if (!doc["Expiration"].is_string()) {
        return fail(unreadable(fmt::format("cannot read {}", path), "Expiration is not a string"));
    }
    auto when = parse_rfc3339(doc["Expiration"].get<std::string>());
    if (!when) {
        return fail(
            unreadable(fmt::format("cannot read {}", path), "Expiration is not an RFC 3339 time"));
    }
    expiry.expires = *when;
    return expiry;
}

}  // namespace

Result<Expiry> presigned_url_expiry(std::string_view url) {
    const auto question = url.find('?');
    const std::string target(url.substr(0, question));
    const std::string_view query =
        question == std::string_view::npos ? std::string_view() : url.substr(question + 1);
    Expiry expiry{"url", target, std::nullopt, false, {}};
    const std::string what = fmt::format("cannot read the expiry of {}", target);

    if (auto date = query_value(query, "X-Amz-Date")) {
        const auto seconds = query_value(query, "X-Amz-Expires");
        const auto signed_at = amz_date(*date);
        const auto lifetime = seconds ? whole_number(*seconds) : std::nullopt;
        if (!signed_at || !lifetime || *lifetime < 0) {
            return fail(unreadable(what, "X-Amz-Date or X-Amz-Expires is missing or malformed"));
        }
        expiry.expires = *signed_at + Seconds(*lifetime);
        expiry.may_end_earlier = query_value(query, "X-Amz-Security-Token").has_value();
    } else if (auto epoch = query_value(query, "Expires")) {
        const auto seconds = whole_number(*epoch);
        if (!seconds) {
            return fail(unreadable(what, "Expires is not a whole number of seconds"));
        }
        expiry.expires = TimePoint(Seconds(*seconds));
        expiry.may_end_earlier = query_value(query, "x-amz-security-token").has_value();
    } else {
        return fail(unreadable(what,
                               "it has neither X-Amz-Date and X-Amz-Expires (SigV4) nor "
                               "Expires (SigV2): is it a presigned URL?"));
    }
    if (expiry.may_end_earlier) {
        expiry.note = std::string(kTokenNote);
    }
    return expiry;
}

Result<Expiry> file_expiry(std::string_view text, const std::string& path,
                           const std::string& section) {
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first != std::string_view::npos && text[first] == '{') {
        return credential_process_expiry(text, path);
    }
    auto document = IniDocument::parse(text, path);
    if (!document) {
        return fail(std::move(document.error()));
    }
    if (!document->has_section(section)) {
        return fail(unreadable(fmt::format("cannot read {}", path),
                               fmt::format("it has no section [{}]", section)));
    }
    Expiry expiry{"file", path, section_expiry(*document, section), false, {}};
    if (!expiry.expires) {
        auto recorded = recorded_s3cfg_expiry(*document, section);
        if (!recorded) {
            return fail(unreadable(fmt::format("cannot read {}", path), recorded.error().why));
        }
        expiry.expires = *recorded;
    }
    if (!expiry.expires) {
        expiry.note = fmt::format("section [{}] records no expiry", section);
    }
    return expiry;
}

Result<Expiry> env_expiry(const Environment& env) {
    for (const char* name : {"AWS_CREDENTIAL_EXPIRATION", "AWS_SESSION_EXPIRATION"}) {
        if (auto value = env.non_empty(name)) {
            auto when = parse_rfc3339(*value);
            if (!when) {
                return fail(
                    unreadable(fmt::format("cannot read {}", name), "it is not an RFC 3339 time"));
            }
            return Expiry{"env", name, *when, false, {}};
        }
    }
    return Expiry{"env", "AWS_CREDENTIAL_EXPIRATION", std::nullopt, false,
                  "neither AWS_CREDENTIAL_EXPIRATION nor AWS_SESSION_EXPIRATION is set"};
}

std::string_view status_name(Status status) {
    switch (status) {
        case Status::ok:
            return "OK";
        case Status::warning:
            return "WARNING";
        case Status::critical:
            return "CRITICAL";
        case Status::unknown:
            return "UNKNOWN";
    }
    return "UNKNOWN";
}

Status judge(const std::optional<TimePoint>& expires, TimePoint now, const Thresholds& limits) {
    if (!expires) {
        return Status::unknown;
    }
    const auto remaining = *expires - now;
    if (remaining <= limits.crit) {
        return Status::critical;
    }
    return remaining <= limits.warn ? Status::warning : Status::ok;
}

}  // namespace credkit
