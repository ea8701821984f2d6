#include "credkit/credential_source.hpp"

#include <filesystem>
#include <fstream>

#include "fake_http.hpp"
#include <doctest/doctest.h>

namespace credkit {
namespace {

// A scratch directory with files, removed at the end of the test.
class ScratchDir {
public:
    ScratchDir() {
        path_ = std::filesystem::temp_directory_path() /
                ("credkit-source-" + std::to_string(::getpid()) + "-" + std::to_string(next_++));
        std::filesystem::create_directories(path_);
    }
    ~ScratchDir() { std::filesystem::remove_all(path_); }
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;

    std::string write(const std::string& name, const std::string& text) const {
        const auto file = path_ / name;
        std::ofstream(file) << text;
        return file.string();
    }
    [[nodiscard]] std::string path() const { return path_.string(); }

private:
    std::filesystem::path path_;
    static inline int next_ = 0;
};

struct Resolver {
    testing::FakeHttp http;
    ManualClock clock{Clock::TimePoint{}};

    Result<Credentials> resolve(std::string_view source, const MapEnvironment& env,
                                std::optional<std::string> profile = {}) {
        ImdsSettings imds;
        imds.endpoint = "http://imds.test";
        imds.attempts = 1;
        SourceContext context{env, http, clock, Logger::silent(), imds, std::move(profile)};
        return resolve_credentials(*parse_source(source), context);
    }
};

constexpr auto kCredentialsFile =
    "[default]\n"
    "aws_access_key_id = AKIADEFAULTKEY000001\n"
    "aws_secret_access_key = default-secret\n"
    "\n"
    "[hts]\n"
    "aws_access_key_id = ASIAHTSKEY0000000002\n"
    "aws_secret_access_key = hts-secret\n"
    "aws_session_token = hts-token\n"
    "expiry_time = 2026-12-03T21:16:57Z\n";

}  // namespace

TEST_CASE("source names parse with and without their argument") {
    CHECK(parse_source("auto")->kind == SourceSpec::Kind::automatic);
    CHECK(parse_source("imds")->kind == SourceSpec::Kind::imds);
    CHECK(parse_source("profile")->argument.empty());
    CHECK(parse_source("profile:hts")->argument == "hts");
    CHECK(parse_source("s3cfg:/etc/hts.s3cfg")->argument == "/etc/hts.s3cfg");
    for (const char* bad : {"", "ENV", "imds:x", "profile:", "keychain"}) {
        CAPTURE(bad);
        REQUIRE_FALSE(parse_source(bad).has_value());
        CHECK(parse_source(bad).error().kind == ErrorKind::usage);
    }
}

TEST_CASE("the profile in effect follows botocore's order") {
    CHECK(effective_profile(std::nullopt, MapEnvironment{}) == "default");
    CHECK(effective_profile(std::nullopt, MapEnvironment{{"AWS_PROFILE", "a"}}) == "a");
    CHECK(effective_profile(std::nullopt, MapEnvironment{{"AWS_PROFILE", "a"},
                                                         {"AWS_DEFAULT_PROFILE", "b"}}) == "b");
    CHECK(effective_profile("c", MapEnvironment{{"AWS_DEFAULT_PROFILE", "b"}}) == "c");
}

TEST_CASE("env source reads the variables, preferring the legacy token name") {
    const MapEnvironment env{{"AWS_ACCESS_KEY_ID", "ASIAENVKEY0000000001"},
                             {"AWS_SECRET_ACCESS_KEY", "env-secret"},
                             {"AWS_SESSION_TOKEN", "new-token"},
                             {"AWS_SECURITY_TOKEN", "legacy-token"},
                             {"AWS_CREDENTIAL_EXPIRATION", "2026-12-03T21:16:57Z"}};

    auto credentials = credentials_from_env(env);

    REQUIRE(credentials.has_value());
    CHECK(credentials->session_token.reveal() == "legacy-token");
    CHECK(format_rfc3339(*credentials->expiration) == "2026-12-03T21:16:57Z");
    CHECK(credentials->origin.kind == SourceKind::env);
}

TEST_CASE("env source with a key id but no secret is an error, not an absence") {
    auto credentials = credentials_from_env(MapEnvironment{{"AWS_ACCESS_KEY_ID", "AKIAX"}});

    REQUIRE_FALSE(credentials.has_value());
    CHECK(credentials.error().kind == ErrorKind::failure);
    CHECK(credentials.error().why.find("AWS_SECRET_ACCESS_KEY") != std::string::npos);
}

TEST_CASE("profile source reads a section with its token and expiry") {
    const ScratchDir dir;
    const auto file = dir.write("credentials", kCredentialsFile);

    auto credentials = credentials_from_profile(file, "hts");

    REQUIRE(credentials.has_value());
    CHECK(credentials->access_key_id == "ASIAHTSKEY0000000002");
    CHECK(credentials->session_token.reveal() == "hts-token");
    CHECK(format_rfc3339(*credentials->expiration) == "2026-12-03T21:16:57Z");
    CHECK(credentials->origin.section == "hts");
}

TEST_CASE("profile source reports a missing section as no credentials") {
    const ScratchDir dir;
    const auto file = dir.write("credentials", kCredentialsFile);

    auto credentials = credentials_from_profile(file, "prod");

    REQUIRE_FALSE(credentials.has_value());
    CHECK(credentials.error().kind == ErrorKind::no_credentials);
    CHECK(credentials.error().why == "the file has no such section");
}

TEST_CASE("expiry is read under every name credential files use") {
    for (const char* key : {"expiry_time", "aws_expiration", "aws_credential_expiration",
                            "x_security_token_expires"}) {
        CAPTURE(key);
        auto document =
            IniDocument::parse(std::string("[p]\n") + key + " = 2026-12-03T21:16:57Z\n");

        CHECK(format_rfc3339(*section_expiry(*document, "p")) == "2026-12-03T21:16:57Z");
    }
}

TEST_CASE("s3cfg source reads the keys and credkit's expiry comment") {
    const ScratchDir dir;
    const auto file = dir.write("s3cfg",
                                "[default]\n"
                                "access_key = ASIAS3CFGKEY00000001\n"
                                "secret_key = s3cfg-secret\n"
                                "access_token = s3cfg-token\n"
                                "# credkit: credentials expire at 2026-12-03T21:16:57Z\n"
                                "use_https = True\n");

    auto credentials = credentials_from_s3cfg(file, "default");

    REQUIRE(credentials.has_value());
    CHECK(credentials->session_token.reveal() == "s3cfg-token");
    CHECK(format_rfc3339(*credentials->expiration) == "2026-12-03T21:16:57Z");
    CHECK(credentials->origin.kind == SourceKind::s3cfg);
}

TEST_CASE("a malformed file is an error naming file and line, without its secret") {
    const ScratchDir dir;
    const auto file = dir.write("credentials", "[default]\naws_access_key_id = AKIAX\nhunter2\n");

    auto credentials = credentials_from_profile(file, "default");

    REQUIRE_FALSE(credentials.has_value());
    CHECK(credentials.error().what == "cannot read " + file + ":3");
    CHECK(format_error(credentials.error()).find("hunter2") == std::string::npos);
}

TEST_CASE_FIXTURE(Resolver, "auto takes the environment before the credentials file") {
    const ScratchDir dir;
    const auto file = dir.write("credentials", kCredentialsFile);
    const MapEnvironment env{{"AWS_SHARED_CREDENTIALS_FILE", file},
                             {"AWS_ACCESS_KEY_ID", "AKIAENVKEY0000000001"},
                             {"AWS_SECRET_ACCESS_KEY", "env-secret"}};

    auto credentials = resolve("auto", env);

    REQUIRE(credentials.has_value());
    CHECK(credentials->origin.kind == SourceKind::env);
}

TEST_CASE_FIXTURE(Resolver, "auto with an explicit profile skips the environment's keys") {
    const ScratchDir dir;
    const auto file = dir.write("credentials", kCredentialsFile);
    const MapEnvironment env{{"AWS_SHARED_CREDENTIALS_FILE", file},
                             {"AWS_ACCESS_KEY_ID", "AKIAENVKEY0000000001"},
                             {"AWS_SECRET_ACCESS_KEY", "env-secret"}};

    auto credentials = resolve("auto", env, "hts");

    REQUIRE(credentials.has_value());
    CHECK(credentials->access_key_id == "ASIAHTSKEY0000000002");
}

TEST_CASE_FIXTURE(Resolver, "auto uses the profile in effect from the credentials file") {
    const ScratchDir dir;
    const auto file = dir.write("credentials", kCredentialsFile);
    const MapEnvironment env{{"AWS_SHARED_CREDENTIALS_FILE", file}, {"AWS_PROFILE", "hts"}};

    auto credentials = resolve("auto", env);

    REQUIRE(credentials.has_value());
    CHECK(credentials->access_key_id == "ASIAHTSKEY0000000002");
    CHECK(http.requests.empty());
}

TEST_CASE_FIXTURE(Resolver, "auto falls through to imds when nothing else has credentials") {
    const ScratchDir dir;
    const MapEnvironment env{{"AWS_SHARED_CREDENTIALS_FILE", dir.path() + "/missing"}};
    http.on("PUT /latest/api/token", {testing::answer(200, "t")});
    http.on("GET /latest/meta-data/iam/security-credentials/", {testing::answer(404)});

    auto credentials = resolve("auto", env);

    REQUIRE_FALSE(credentials.has_value());
    CHECK(credentials.error().why == "no iam role is attached to this instance");
    CHECK(http.count("PUT /latest/api/token") == 1);
}

TEST_CASE_FIXTURE(Resolver, "profile source takes its name from the spec, then --profile") {
    const ScratchDir dir;
    const auto file = dir.write("credentials", kCredentialsFile);
    const MapEnvironment env{{"AWS_SHARED_CREDENTIALS_FILE", file}};

    CHECK(resolve("profile:hts", env)->access_key_id == "ASIAHTSKEY0000000002");
    CHECK(resolve("profile", env, "hts")->access_key_id == "ASIAHTSKEY0000000002");
    CHECK(resolve("profile", env)->access_key_id == "AKIADEFAULTKEY000001");
}

}  // namespace credkit
