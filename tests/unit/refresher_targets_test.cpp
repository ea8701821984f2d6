#include "credkit/refresher_targets.hpp"

#include <doctest/doctest.h>

namespace credkit {
namespace {

using Argv = std::vector<std::string>;
using Environment = std::map<std::string, std::string>;

TEST_CASE("a write-s3cfg --watch names its outputs, relative ones from its working directory") {
    const Argv argv{"/usr/bin/credkit", "write-s3cfg",
                    "--watch",          "-o",
                    "hts.s3cfg",        "--also-credentials-file=/run/credkit/credentials"};

    const auto targets = watcher_targets(argv, {}, "/srv/app", 42);

    REQUIRE(targets.size() == 2);
    CHECK(targets.contains("/srv/app/hts.s3cfg"));
    CHECK(targets.contains("/run/credkit/credentials"));
    CHECK(targets.at("/srv/app/hts.s3cfg") ==
          "a running credkit write-s3cfg --watch (pid 42) writes it");
}

TEST_CASE("a watcher without -o writes $HTS_S3_S3CFG of its own environment") {
    const Argv argv{"credkit", "-v", "write-s3cfg", "--watch"};
    const Environment environment{{"HTS_S3_S3CFG", "/run/credkit/hts.s3cfg"},
                                  {"CREDKIT_CONFIG", "/nonexistent/config.yaml"}};

    const auto targets = watcher_targets(argv, environment, "/", 7);

    CHECK(targets.size() == 1);
    CHECK(targets.contains("/run/credkit/hts.s3cfg"));
}

TEST_CASE("processes that are not a credkit refresher name nothing") {
    CHECK(watcher_targets({"credkit", "write-s3cfg", "-o", "/x"}, {}, "/", 1).empty());
    CHECK(watcher_targets({"vim", "write-s3cfg", "--watch", "-o", "/x"}, {}, "/", 1).empty());
    CHECK(watcher_targets({}, {}, "/", 1).empty());
}

TEST_CASE("the config file's outputs are refreshed files, named with where they are listed") {
    auto config = parse_config(
        "outputs:\n  - path: /run/credkit/hts.s3cfg\n"
        "  - path: /home/app/.aws/credentials\n"
        "    format: aws-credentials\n",
        "/etc/credkit/config.yaml");
    REQUIRE(config);

    const auto targets = config_targets(*config);

    REQUIRE(targets.size() == 2);
    CHECK(targets.at("/home/app/.aws/credentials") ==
          "credkit config /etc/credkit/config.yaml:3 lists it as an output");
}

}  // namespace
}  // namespace credkit
