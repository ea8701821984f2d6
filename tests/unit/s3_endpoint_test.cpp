#include "credkit/s3_endpoint.hpp"

#include <doctest/doctest.h>

namespace credkit {
namespace {

std::string url_base(std::string_view bucket, EndpointOptions options) {
    auto endpoint = resolve_s3_endpoint(bucket, options);
    REQUIRE(endpoint.has_value());
    return endpoint->scheme + "://" + endpoint->host + endpoint->path_prefix;
}

EndpointOptions in(std::string region, AddressingStyle style = AddressingStyle::automatic,
                   bool compat = false) {
    EndpointOptions options;
    options.region = std::move(region);
    options.style = style;
    options.botocore_compat = compat;
    return options;
}

}  // namespace

TEST_CASE("buckets are virtual-hostable only as lowercase dns labels without dots") {
    CHECK(virtual_hostable("my-bucket-1"));
    CHECK_FALSE(virtual_hostable("my.bucket"));
    CHECK_FALSE(virtual_hostable("My_Bucket"));
    CHECK_FALSE(virtual_hostable("ab"));
    CHECK_FALSE(virtual_hostable("-bucket"));
    CHECK_FALSE(virtual_hostable(std::string(64, 'a')));
}

TEST_CASE("auto addressing is virtual-hosted on the regional endpoint, path style otherwise") {
    CHECK(url_base("mybucket", in("eu-west-1")) == "https://mybucket.s3.eu-west-1.amazonaws.com");
    CHECK(url_base("mybucket", in("us-east-1")) == "https://mybucket.s3.us-east-1.amazonaws.com");
    CHECK(url_base("my.bucket", in("eu-west-1")) == "https://s3.eu-west-1.amazonaws.com/my.bucket");
    CHECK(url_base("mybucket", in("eu-west-1", AddressingStyle::path)) ==
          "https://s3.eu-west-1.amazonaws.com/mybucket");
}

TEST_CASE("china regions use the amazonaws.com.cn domain") {
    CHECK(url_base("mybucket", in("cn-north-1")) ==
          "https://mybucket.s3.cn-north-1.amazonaws.com.cn");
    CHECK(url_base("mybucket", in("cn-north-1", AddressingStyle::automatic, true)) ==
          "https://mybucket.s3.cn-north-1.amazonaws.com.cn");
}

TEST_CASE("botocore compatibility keeps botocore's global host choices") {
    const auto compat = AddressingStyle::automatic;
    CHECK(url_base("mybucket", in("eu-west-1", compat, true)) ==
          "https://mybucket.s3.amazonaws.com");
    CHECK(url_base("my.bucket", in("us-east-1", compat, true)) ==
          "https://s3.amazonaws.com/my.bucket");
    CHECK(url_base("my.bucket", in("eu-west-1", compat, true)) ==
          "https://s3.eu-west-1.amazonaws.com/my.bucket");
    CHECK(url_base("mybucket", in("eu-west-1", AddressingStyle::virtual_hosted, true)) ==
          "https://mybucket.s3.eu-west-1.amazonaws.com");
    CHECK(url_base("mybucket", in("us-east-1", AddressingStyle::virtual_hosted, true)) ==
          "https://mybucket.s3.amazonaws.com");
    CHECK(url_base("mybucket", in("us-east-1", AddressingStyle::path, true)) ==
          "https://s3.amazonaws.com/mybucket");
}

TEST_CASE("botocore compatibility sends case-blind dns names path style to the global host") {
    const auto compat = AddressingStyle::automatic;
    CHECK(url_base("MyBucket", in("eu-west-1", compat, true)) ==
          "https://s3.amazonaws.com/MyBucket");
    CHECK(url_base("ab", in("eu-west-1", compat, true)) == "https://s3.amazonaws.com/ab");
    CHECK(url_base("My_Bucket", in("eu-west-1", compat, true)) ==
          "https://s3.eu-west-1.amazonaws.com/My_Bucket");
    CHECK(url_base("bucket-", in("eu-west-1", compat, true)) ==
          "https://s3.eu-west-1.amazonaws.com/bucket-");
    CHECK(url_base("MyBucket", in("eu-west-1", AddressingStyle::virtual_hosted, true)) ==
          "https://s3.eu-west-1.amazonaws.com/MyBucket");
    CHECK(url_base("MyBucket", in("cn-north-1", compat, true)) ==
          "https://s3.cn-north-1.amazonaws.com.cn/MyBucket");
}

TEST_CASE("botocore compatibility keeps govcloud on its own regional hosts") {
    CHECK(url_base("mybucket", in("us-gov-west-1", AddressingStyle::automatic, true)) ==
          "https://mybucket.s3.us-gov-west-1.amazonaws.com");
    CHECK(url_base("MyBucket", in("us-gov-west-1", AddressingStyle::automatic, true)) ==
          "https://s3.us-gov-west-1.amazonaws.com/MyBucket");
}

TEST_CASE("a custom endpoint is path style, keeps its prefix and signs no default port") {
    EndpointOptions options = in("eu-west-1");
    options.endpoint_url = "https://S3.Example.com:443/prefix/";

    auto endpoint = resolve_s3_endpoint("mybucket", options);

    REQUIRE(endpoint.has_value());
    CHECK(endpoint->host == "S3.Example.com:443");
    CHECK(endpoint->signed_host == "s3.example.com");
    CHECK(endpoint->path_prefix == "/prefix/mybucket");
}

TEST_CASE("a custom endpoint keeps a non-default port in the signed host") {
    EndpointOptions options = in("us-east-1");
    options.endpoint_url = "http://127.0.0.1:9000";

    CHECK(resolve_s3_endpoint("b", options)->signed_host == "127.0.0.1:9000");
}

TEST_CASE("a malformed endpoint url is a usage error") {
    for (const char* url : {"127.0.0.1:9000", "ftp://host", "http://", "http://a b"}) {
        EndpointOptions options;
        options.endpoint_url = url;
        CAPTURE(url);
        auto endpoint = resolve_s3_endpoint("b", options);
        REQUIRE_FALSE(endpoint.has_value());
        CHECK(endpoint.error().kind == ErrorKind::usage);
    }
}

}  // namespace credkit
