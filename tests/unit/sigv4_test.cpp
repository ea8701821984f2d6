#include "credkit/sigv4.hpp"

#include <doctest/doctest.h>

namespace credkit::sigv4 {
namespace {

Credentials example_credentials() {
    Credentials credentials;
    credentials.access_key_id = "AKIAIOSFODNN7EXAMPLE";
    credentials.secret_access_key = Secret("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    return credentials;
}

PresignRequest example_request() {
    PresignRequest request;
    request.host = "examplebucket.s3.amazonaws.com";
    request.signed_host = request.host;
    request.path = "/test.txt";
    request.when = *parse_rfc3339("2013-05-24T00:00:00Z");
    request.expires = Seconds(86400);
    return request;
}

}  // namespace

TEST_CASE("sigv4 reproduces the aws documentation's presigned get") {
    const PresignSteps steps = presign(example_request(), example_credentials());

    CHECK(hex(sha256(steps.canonical_request)) ==
          "3bfa292879f6447bbcda7001decf97f4a54dc650c8942174ae0a9121cf58ad04");
    CHECK(steps.signature == "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
    CHECK(steps.url ==
          "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
          "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
          "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
          "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
}

TEST_CASE("sigv4 encodes keys once, keeping slashes and unreserved characters") {
    CHECK(canonical_uri("/a b/c+d//./e~_-.f") == "/a%20b/c%2Bd//./e~_-.f");
    CHECK(canonical_uri("/\xC3\xA9") == "/%C3%A9");
    CHECK(uri_encode("a/b=c&d", false) == "a%2Fb%3Dc%26d");
}

TEST_CASE("sigv4 sorts the canonical query by encoded name then value") {
    const QueryParams params{{"b", "2"}, {"a", "z"}, {"a", "y"}, {"X-Amz-Date", "1"}};

    CHECK(canonical_query_string(params) == "X-Amz-Date=1&a=y&a=z&b=2");
}

TEST_CASE("sigv4 signs the session token and a put's content type") {
    Credentials credentials = example_credentials();
    credentials.session_token = Secret("token/with+chars=");
    PresignRequest request = example_request();
    request.method = "PUT";
    request.content_type = "text/plain";

    const PresignSteps steps = presign(request, credentials);

    CHECK(steps.canonical_request.find("X-Amz-Security-Token=token%2Fwith%2Bchars%3D") !=
          std::string::npos);
    CHECK(steps.canonical_request.find("content-type:text/plain\nhost:") != std::string::npos);
    CHECK(steps.url.find("X-Amz-SignedHeaders=content-type%3Bhost") != std::string::npos);
    CHECK(steps.url.find("&X-Amz-Security-Token=token%2Fwith%2Bchars%3D&X-Amz-Signature=") !=
          std::string::npos);
}

TEST_CASE("sigv4 puts caller parameters before the auth parameters, in the order given") {
    PresignRequest request = example_request();
    request.params = {{"versionId", "v1"}, {"response-content-type", "text/csv"}};

    const PresignSteps steps = presign(request, example_credentials());

    CHECK(
        steps.url.starts_with("https://examplebucket.s3.amazonaws.com/test.txt?"
                              "versionId=v1&response-content-type=text%2Fcsv&X-Amz-Algorithm="));
}

TEST_CASE("sigv4 derived key depends only on secret, date, region and service") {
    const Secret secret("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");

    CHECK(derive_signing_key(secret, "20130524", "us-east-1", "s3") ==
          derive_signing_key(secret, "20130524", "us-east-1", "s3"));
    CHECK(derive_signing_key(secret, "20130524", "us-east-1", "s3") !=
          derive_signing_key(secret, "20130525", "us-east-1", "s3"));
}

}  // namespace credkit::sigv4
