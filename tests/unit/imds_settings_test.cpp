#include "credkit/imds_settings.hpp"

#include <vector>

#include <doctest/doctest.h>

namespace credkit {

TEST_CASE("imds settings default to ipv4, 1s, 3 attempts, 6h tokens, v2 only") {
    auto settings = resolve_imds_settings({}, {}, MapEnvironment{});

    REQUIRE(settings.has_value());
    CHECK(settings->endpoint == "http://169.254.169.254");
    CHECK(settings->timeout == Millis(1000));
    CHECK(settings->attempts == 3);
    CHECK(settings->token_ttl == Seconds(21600));
    CHECK_FALSE(settings->allow_v1);
    CHECK_FALSE(settings->disabled);
    CHECK_FALSE(settings->role.has_value());
}

TEST_CASE("imds settings take the command line over the environment over the config file") {
    ImdsOverrides cli;
    cli.endpoint = "http://127.0.0.1:9000/";
    ImdsOverrides config;
    config.endpoint = "http://config.test";
    config.timeout = "5s";
    config.attempts = 7;
    const MapEnvironment env({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://env.test"},
                              {"AWS_METADATA_SERVICE_TIMEOUT", "2.5"}});

    auto settings = resolve_imds_settings(cli, config, env);

    REQUIRE(settings.has_value());
    CHECK(settings->endpoint == "http://127.0.0.1:9000");
    CHECK(settings->timeout == Millis(2500));
    CHECK(settings->attempts == 7);
}

TEST_CASE("imds settings pick the ipv6 endpoint for ipv6 mode") {
    const MapEnvironment env({{"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "IPv6"}});

    auto settings = resolve_imds_settings({}, {}, env);

    REQUIRE(settings.has_value());
    CHECK(settings->mode == ImdsMode::ipv6);
    CHECK(settings->endpoint == "http://[fd00:ec2::254]");
}

TEST_CASE("imds settings read AWS_EC2_METADATA_DISABLED and the attempts variable") {
    const MapEnvironment env(
        {{"AWS_EC2_METADATA_DISABLED", "True"}, {"AWS_METADATA_SERVICE_NUM_ATTEMPTS", "5"}});

    auto settings = resolve_imds_settings({}, {}, env);

    REQUIRE(settings.has_value());
    CHECK(settings->disabled);
    CHECK(settings->attempts == 5);
}

TEST_CASE("imds settings reject bad values naming where they came from") {
    struct Case {
        ImdsOverrides cli;
        MapEnvironment env;
        std::string names;
    };
    std::vector<Case> cases;
    cases.push_back({{.token_ttl = "7h"}, {}, "--imds-token-ttl"});
    cases.push_back({{.token_ttl = "0s"}, {}, "--imds-token-ttl"});
    cases.push_back({{.token_ttl = "1500ms"}, {}, "--imds-token-ttl"});
    cases.push_back({{.endpoint = "169.254.169.254"}, {}, "--imds-endpoint"});
    cases.push_back({{.endpoint = "http://host/latest"}, {}, "--imds-endpoint"});
    cases.push_back({{.mode = "ipv5"}, {}, "--imds-mode"});
    cases.push_back({{.timeout = "soon"}, {}, "--imds-timeout"});
    cases.push_back({{.attempts = 0}, {}, "--imds-attempts"});
    cases.push_back({{},
                     MapEnvironment({{"AWS_METADATA_SERVICE_TIMEOUT", "x"}}),
                     "AWS_METADATA_SERVICE_TIMEOUT"});
    for (const auto& c : cases) {
        CAPTURE(c.names);
        auto settings = resolve_imds_settings(c.cli, {}, c.env);
        REQUIRE_FALSE(settings.has_value());
        CHECK(settings.error().kind == ErrorKind::usage);
        CHECK(settings.error().what.find(c.names) != std::string::npos);
    }
}

TEST_CASE("imds settings accept the token ttl limits") {
    CHECK(resolve_imds_settings({.token_ttl = "1s"}, {}, MapEnvironment{})->token_ttl ==
          Seconds(1));
    CHECK(resolve_imds_settings({.token_ttl = "6h"}, {}, MapEnvironment{})->token_ttl ==
          Seconds(21600));
}

}  // namespace credkit
