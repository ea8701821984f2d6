#include "credkit/presigner.hpp"

#include <random>

#include <doctest/doctest.h>

namespace credkit::sigv4 {
namespace {

Credentials credentials_with_token(bool token) {
    Credentials credentials;
    credentials.access_key_id = "ASIAEXAMPLEKEY123456";
    credentials.secret_access_key = Secret("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    if (token) {
        credentials.session_token = Secret(std::string(1000, 'T') + "+/=");
    }
    return credentials;
}

// Keys of random bytes (no NUL), lengths up to 300, over a fixed seed.
std::vector<std::string> random_keys(int count) {
    std::mt19937 random(7);
    std::uniform_int_distribution<int> length(1, 300);
    std::uniform_int_distribution<int> byte(1, 255);
    std::vector<std::string> keys;
    for (int i = 0; i < count; ++i) {
        std::string key(static_cast<std::size_t>(length(random)), ' ');
        for (char& c : key) {
            c = static_cast<char>(byte(random));
        }
        keys.push_back(std::move(key));
    }
    return keys;
}

}  // namespace

TEST_CASE("the batch presigner makes exactly the reference signer's urls") {
    for (const bool token : {false, true}) {
        for (const char* method : {"GET", "PUT"}) {
            CAPTURE(token);
            CAPTURE(method);
            PresignRequest base;
            base.method = method;
            base.region = "eu-west-1";
            base.when = *parse_rfc3339("2026-12-03T15:16:57Z");
            base.expires = Seconds(900);
            base.params = {{"response-content-disposition", "attachment; filename=\"a b.csv\""}};
            if (std::string_view(method) == "PUT") {
                base.content_type = "text/csv";
            }
            const Credentials credentials = credentials_with_token(token);
            Presigner presigner(base, credentials);

            for (const auto& key : random_keys(200)) {
                PresignRequest request = base;
                request.host = "my-bucket.s3.eu-west-1.amazonaws.com";
                request.signed_host = request.host;
                request.path = "/" + key;
                std::string url;

                presigner.append_url("https", request.host, request.signed_host, request.path, url);

                REQUIRE(url == presign(request, credentials).url);
            }
        }
    }
}

TEST_CASE("the batch presigner appends to what the buffer already holds") {
    PresignRequest base;
    base.when = *parse_rfc3339("2013-05-24T00:00:00Z");
    base.expires = Seconds(86400);
    Credentials credentials = credentials_with_token(false);
    credentials.access_key_id = "AKIAIOSFODNN7EXAMPLE";
    Presigner presigner(base, credentials);
    std::string out = "first line\n";

    presigner.append_url("https", "examplebucket.s3.amazonaws.com",
                         "examplebucket.s3.amazonaws.com", "/test.txt", out);

    CHECK(out.starts_with("first line\nhttps://examplebucket.s3.amazonaws.com/test.txt?"));
    CHECK(out.ends_with(
        "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"));
}

}  // namespace credkit::sigv4
