// Golden tests for the SigV4 presigner. Every folder under tests/golden/sigv4 is one case: its
// inputs (context.json, request.txt) and every intermediate a correct signer produces from them
// (canonical-request.txt, string-to-sign.txt, signature.txt and, where it applies,
// signed-url.txt). The cases come from the AWS SigV4 test suite, the AWS S3 documentation and
// botocore; tests/golden/sigv4/README.md says which is which and how each was derived.
//
// Two tests walk the same folders: one runs presign() end to end, the other feeds each step
// the golden output of the step before it, so that a failure names the first step that is wrong.
#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "credkit/credentials.hpp"
#include "credkit/secret.hpp"
#include "credkit/sigv4.hpp"
#include "credkit/timestamp.hpp"

namespace credkit {
namespace {

namespace fs = std::filesystem;

struct GoldenCase {
    std::string name;  // the folder's name, which says the edge it covers
    sigv4::PresignRequest request;
    Credentials credentials;
    std::string canonical_request;
    std::string string_to_sign;
    std::string signature;
    std::optional<std::string> url;  // absent where the URL form does not apply
};

fs::path golden_dir() {
    return fs::path(CREDKIT_GOLDEN_DIR) / "sigv4";
}

// A golden file's value. Files end with one newline for the editors' sake (.editorconfig);
// it is not part of the value: no canonical request, string to sign or URL ends with one.
std::string read_value(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    REQUIRE_MESSAGE(in.good(), "cannot read ", path.string());
    std::ostringstream text;
    text << in.rdbuf();
    std::string value = text.str();
    if (value.ends_with('\n')) {
        value.pop_back();
    }
    return value;
}

std::vector<std::string> split(std::string_view text, char separator) {
    std::vector<std::string> parts;
    for (std::size_t start = 0;;) {
        std::size_t end = text.find(separator, start);
        parts.emplace_back(text.substr(start, end - start));
        if (end == std::string_view::npos) {
            return parts;
        }
        start = end + 1;
    }
}

// request.txt holds the path and query as they go on the wire; the contract takes them raw.
std::string percent_decode(std::string_view text) {
    std::string raw;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%') {
            raw += text[i];
            continue;
        }
        REQUIRE_MESSAGE(i + 2 < text.size(), "truncated escape in ", std::string(text));
        unsigned value = 0;
        auto [end, error] = std::from_chars(text.data() + i + 1, text.data() + i + 3, value, 16);
        REQUIRE_MESSAGE((error == std::errc() && end == text.data() + i + 3), "bad escape in ",
                        std::string(text));
        raw += static_cast<char>(value);
        i += 2;
    }
    return raw;
}

// "METHOD /path?query HTTP/1.1", then "Host:..." and optionally "Content-Type:...". Any other
// header is a request the presign contract cannot express, so it fails the case.
void read_request(std::string_view text, sigv4::PresignRequest& request) {
    std::vector<std::string> lines = split(text, '\n');
    const std::string& request_line = lines.at(0);
    std::size_t method_end = request_line.find(' ');
    std::size_t target_end = request_line.rfind(" HTTP/1.1");
    REQUIRE_MESSAGE((method_end != std::string::npos && target_end != std::string::npos &&
                     method_end < target_end),
                    "bad request line: ", request_line);
    request.method = request_line.substr(0, method_end);

    std::string target = request_line.substr(method_end + 1, target_end - method_end - 1);
    std::size_t query_start = target.find('?');
    request.path = percent_decode(target.substr(0, query_start));
    if (query_start != std::string::npos) {
        for (const std::string& pair : split(target.substr(query_start + 1), '&')) {
            std::size_t equals = pair.find('=');
            REQUIRE_MESSAGE(equals != std::string::npos, "parameter without '=': ", pair);
            request.params.emplace_back(percent_decode(pair.substr(0, equals)),
                                        percent_decode(pair.substr(equals + 1)));
        }
    }

    for (std::size_t i = 1; i < lines.size() && !lines[i].empty(); ++i) {
        std::size_t colon = lines[i].find(':');
        std::string name = lines[i].substr(0, colon);
        std::string value = colon == std::string::npos ? "" : lines[i].substr(colon + 1);
        if (name == "Host") {
            request.host = value;
            request.signed_host = value;
        } else if (name == "Content-Type") {
            request.content_type = value;
        } else {
            FAIL("request.txt has a header presigning cannot sign: ", lines[i]);
        }
    }
    REQUIRE_MESSAGE(!request.host.empty(), "request.txt has no Host header");
}

GoldenCase load_case(const fs::path& dir) {
    GoldenCase golden;
    golden.name = dir.filename().string();

    std::ifstream context_file(dir / "context.json");
    REQUIRE_MESSAGE(context_file.good(), "missing context.json");
    nlohmann::json context = nlohmann::json::parse(context_file);
    const nlohmann::json& keys = context.at("credentials");
    golden.credentials.access_key_id = keys.at("access_key_id").get<std::string>();
    golden.credentials.secret_access_key = Secret(keys.at("secret_access_key").get<std::string>());
    if (keys.contains("token")) {
        golden.credentials.session_token = Secret(keys.at("token").get<std::string>());
    }

    sigv4::PresignRequest& request = golden.request;
    read_request(read_value(dir / "request.txt"), request);
    // The URL may name the host differently from the signed Host header (an explicit :443).
    if (context.contains("url_host")) {
        request.host = context.at("url_host").get<std::string>();
    }
    request.scheme = context.value("scheme", "https");
    request.region = context.at("region").get<std::string>();
    request.service = context.at("service").get<std::string>();
    request.payload_hash = context.at("payload_hash").get<std::string>();
    request.expires = Seconds(context.at("expiration_in_seconds").get<long long>());
    auto when = parse_rfc3339(context.at("timestamp").get<std::string>());
    REQUIRE_MESSAGE(when.has_value(), "bad timestamp in context.json");
    request.when = *when;

    golden.canonical_request = read_value(dir / "canonical-request.txt");
    golden.string_to_sign = read_value(dir / "string-to-sign.txt");
    golden.signature = read_value(dir / "signature.txt");
    if (fs::exists(dir / "signed-url.txt")) {
        golden.url = read_value(dir / "signed-url.txt");
    }
    return golden;
}

// Every folder is a case; an empty or missing directory fails rather than passing vacuously.
std::vector<fs::path> case_dirs() {
    REQUIRE_MESSAGE(fs::is_directory(golden_dir()), "no golden directory at ",
                    golden_dir().string());
    std::vector<fs::path> dirs;
    for (const fs::directory_entry& entry : fs::directory_iterator(golden_dir())) {
        if (entry.is_directory() && !entry.path().filename().string().starts_with('.') &&
            entry.path().filename() != "__pycache__") {
            dirs.push_back(entry.path());
        }
    }
    REQUIRE_MESSAGE(!dirs.empty(), "no golden cases in ", golden_dir().string());
    std::sort(dirs.begin(), dirs.end());
    return dirs;
}

// The "name:value" lines between the query line and the blank line of a canonical request.
sigv4::QueryParams canonical_headers(const std::vector<std::string>& lines) {
    sigv4::QueryParams headers;
    for (std::size_t i = 3; i < lines.size() && !lines[i].empty(); ++i) {
        std::size_t colon = lines[i].find(':');
        headers.emplace_back(lines[i].substr(0, colon), lines[i].substr(colon + 1));
    }
    return headers;
}

TEST_CASE("presign reproduces every golden case end to end") {
    for (const fs::path& dir : case_dirs()) {
        GoldenCase golden = load_case(dir);
        CAPTURE(golden.name);

        sigv4::PresignSteps steps = sigv4::presign(golden.request, golden.credentials);

        CHECK(steps.canonical_request == golden.canonical_request);
        CHECK(steps.string_to_sign == golden.string_to_sign);
        CHECK(steps.signature == golden.signature);
        if (golden.url) {
            CHECK(steps.url == *golden.url);
        }
    }
}

TEST_CASE("each signing step turns the golden output of the step before into its own") {
    for (const fs::path& dir : case_dirs()) {
        GoldenCase golden = load_case(dir);
        CAPTURE(golden.name);
        const sigv4::PresignRequest& request = golden.request;
        std::vector<std::string> canonical_lines = split(golden.canonical_request, '\n');
        std::vector<std::string> sts_lines = split(golden.string_to_sign, '\n');
        REQUIRE(canonical_lines.size() >= 7);
        REQUIRE(sts_lines.size() == 4);
        const std::string& scope = sts_lines[2];

        // Canonical URI and signed headers, from the request alone.
        sigv4::QueryParams headers = canonical_headers(canonical_lines);
        CHECK(sigv4::canonical_uri(request.path) == canonical_lines[1]);
        CHECK(sigv4::signed_headers(headers) == canonical_lines[canonical_lines.size() - 2]);

        // Canonical query: the caller's parameters and the X-Amz-* ones, which the signer
        // would add, built here from the golden scope and signed headers.
        sigv4::QueryParams params = request.params;
        params.emplace_back("X-Amz-Algorithm", std::string(sigv4::kAlgorithm));
        params.emplace_back("X-Amz-Credential", golden.credentials.access_key_id + "/" + scope);
        params.emplace_back("X-Amz-Date", format_amz_date(request.when));
        params.emplace_back("X-Amz-Expires", std::to_string(request.expires.count()));
        params.emplace_back("X-Amz-SignedHeaders", sigv4::signed_headers(headers));
        if (golden.credentials.has_session_token()) {
            params.emplace_back("X-Amz-Security-Token", golden.credentials.session_token.reveal());
        }
        CHECK(sigv4::canonical_query_string(params) == canonical_lines[2]);

        // Canonical request from its golden pieces, then the string to sign from it.
        sigv4::CanonicalRequest pieces{request.method, canonical_lines[1], canonical_lines[2],
                                       headers, request.payload_hash};
        CHECK(sigv4::canonical_request(pieces) == golden.canonical_request);
        CHECK(sigv4::credential_scope(request.when, request.region, request.service) == scope);
        CHECK(sigv4::hex(sigv4::sha256(golden.canonical_request)) == sts_lines[3]);
        CHECK(sigv4::string_to_sign(request.when, scope, golden.canonical_request) ==
              golden.string_to_sign);

        // Signature from the golden string to sign.
        sigv4::Digest key =
            sigv4::derive_signing_key(golden.credentials.secret_access_key, scope.substr(0, 8),
                                      request.region, request.service);
        CHECK(sigv4::signature(key, golden.string_to_sign) == golden.signature);
        if (golden.url) {
            CHECK(golden.url->ends_with("&X-Amz-Signature=" + golden.signature));
        }
    }
}

}  // namespace
}  // namespace credkit
