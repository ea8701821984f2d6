#include "credkit/config_file.hpp"

#include <cstdlib>
#include <fstream>

#include <doctest/doctest.h>

namespace credkit {

TEST_CASE("config file gives imds defaults") {
    auto config = parse_config(R"(
imds:
  endpoint: http://127.0.0.1:8111
  mode: ipv4
  timeout: 2s
  attempts: 5
  token_ttl: 1h
  allow_imdsv1: true
  role: app-role
)",
                               "/etc/credkit/config.yaml");

    REQUIRE(config.has_value());
    CHECK(config->imds.endpoint == "http://127.0.0.1:8111");
    CHECK(config->imds.timeout == "2s");
    CHECK(config->imds.attempts == 5);
    CHECK(config->imds.token_ttl == "1h");
    CHECK(config->imds.allow_v1 == true);
    CHECK(config->imds.role == "app-role");
}

TEST_CASE("config file names file and line of an unknown key") {
    auto config = parse_config("imds:\n  endpoint: http://x\n  retries: 3\n", "c.yaml");

    REQUIRE_FALSE(config.has_value());
    CHECK(config.error().kind == ErrorKind::usage);
    CHECK(config.error().what == "invalid config c.yaml:3");
    CHECK(config.error().why == "unknown key 'imds.retries'");
    CHECK(config.error().hint.find("attempts") != std::string::npos);
}

TEST_CASE("config file rejects an unknown section and bad value types") {
    CHECK(parse_config("imsd:\n  role: x\n", "c.yaml").error().what == "invalid config c.yaml:1");
    CHECK(parse_config("imds:\n  attempts: many\n", "c.yaml").error().why ==
          "imds.attempts must be a whole number");
    CHECK(parse_config("imds:\n  role: [a, b]\n", "c.yaml").error().why ==
          "imds.role must be a single value");
}

TEST_CASE("config file reports yaml syntax errors with their line") {
    auto config = parse_config("imds:\n  role: x\n bad: [\n", "c.yaml");

    REQUIRE_FALSE(config.has_value());
    CHECK(config.error().what.starts_with("invalid config c.yaml:"));
}

TEST_CASE("config file is optional only at the system path") {
    const MapEnvironment none;
    auto absent = load_config("", none, "/nonexistent/credkit.yaml");
    auto named = load_config("/nonexistent/credkit.yaml", none, "/nonexistent/x.yaml");
    const MapEnvironment env{{"CREDKIT_CONFIG", "/nonexistent/env.yaml"}};
    auto from_env = load_config("", env, "/nonexistent/x.yaml");

    REQUIRE(absent.has_value());
    CHECK_FALSE(absent->has_value());
    REQUIRE_FALSE(named.has_value());
    CHECK(named.error().what == "cannot read config /nonexistent/credkit.yaml");
    REQUIRE_FALSE(from_env.has_value());
}

TEST_CASE("config file is read from the path given") {
    const std::string path = "/tmp/credkit-config-test.yaml";
    std::ofstream(path) << "imds:\n  role: from-file\n";

    auto config = load_config(path, MapEnvironment{});

    REQUIRE(config.has_value());
    REQUIRE(config->has_value());
    CHECK((*config)->imds.role == "from-file");
    std::remove(path.c_str());
}

}  // namespace credkit

namespace credkit {

TEST_CASE("config file lists the outputs write-s3cfg keeps, with their lines") {
    auto config = parse_config(R"(source: imds
watch:
  refresh_margin: 20m
outputs:
  - path: /run/hts.s3cfg
    host_base: 127.0.0.1:9000
  - path: /run/credentials
    format: aws-credentials
    profile: hts
    mode: "0640"
)",
                               "c.yaml");

    REQUIRE(config.has_value());
    CHECK(config->source == "imds");
    CHECK(config->watch.refresh_margin == "20m");
    REQUIRE(config->outputs.size() == 2);
    CHECK(config->outputs[0].path == "/run/hts.s3cfg");
    CHECK(config->outputs[0].host_base == "127.0.0.1:9000");
    CHECK(config->outputs[0].line == 5);
    CHECK(config->outputs[1].format == "aws-credentials");
    CHECK(config->outputs[1].section == "hts");
    CHECK(config->outputs[1].mode == "0640");
}

TEST_CASE("config file rejects unknown output keys and outputs without a path") {
    CHECK(parse_config("outputs:\n  - path: /x\n    secton: a\n", "c.yaml").error().why ==
          "unknown key 'outputs.secton'");
    CHECK(parse_config("outputs:\n  - format: env\n", "c.yaml").error().why ==
          "an output has no path");
    CHECK(parse_config("outputs: /x\n", "c.yaml").error().why == "outputs must be a list of files");
    CHECK(parse_config("watch:\n  every: 5m\n", "c.yaml").error().why ==
          "unknown key 'watch.every'");
}

}  // namespace credkit

namespace credkit {

TEST_CASE("config file gives presign defaults and checks their types") {
    auto config = parse_config(
        "presign:\n  region: eu-west-1\n  expires: 15m\n  botocore_compat: true\n", "c.yaml");

    REQUIRE(config.has_value());
    CHECK(config->presign.region == "eu-west-1");
    CHECK(config->presign.expires == "15m");
    CHECK(config->presign.botocore_compat == true);
    CHECK(parse_config("presign:\n  botocore_compat: maybe\n", "c.yaml").error().why ==
          "presign.botocore_compat must be true or false");
}

}  // namespace credkit
