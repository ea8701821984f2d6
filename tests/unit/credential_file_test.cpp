#include "credkit/credential_file.hpp"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

namespace credkit {
namespace {

Credentials role_credentials(std::string key_id = "ASIAEXAMPLEKEY123456") {
    Credentials credentials;
    credentials.access_key_id = std::move(key_id);
    credentials.secret_access_key = Secret("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    credentials.session_token = Secret("IQoJb3JpZ2luX2VjEXAMPLETOKEN==");
    credentials.expiration = *parse_rfc3339("2026-12-03T21:16:57Z");
    return credentials;
}

std::string render(OutputFormat format, const std::optional<std::string>& current,
                   const std::string& section = "default", S3cfgSettings settings = {}) {
    OutputSpec spec;
    spec.path = "/tmp/out";
    spec.format = format;
    spec.section = section;
    spec.s3cfg = std::move(settings);
    return *render_output(spec, role_credentials(), current);
}

class ScratchFile {
public:
    ScratchFile()
        : path_(std::filesystem::temp_directory_path() /
                ("credkit-file-" + std::to_string(::getpid()) + "-" + std::to_string(next_++))) {}
    ~ScratchFile() { std::filesystem::remove(path_); }
    ScratchFile(const ScratchFile&) = delete;
    ScratchFile& operator=(const ScratchFile&) = delete;

    [[nodiscard]] const std::filesystem::path& path() const { return path_; }
    [[nodiscard]] std::string read() const {
        std::ifstream in(path_);
        std::ostringstream text;
        text << in.rdbuf();
        return text.str();
    }
    [[nodiscard]] std::filesystem::file_time_type mtime() const {
        return std::filesystem::last_write_time(path_);
    }

private:
    std::filesystem::path path_;
    static inline int next_ = 0;
};

OutputSpec spec_for(const ScratchFile& file, OutputFormat format = OutputFormat::s3cfg) {
    OutputSpec spec;
    spec.path = file.path();
    spec.format = format;
    return spec;
}

}  // namespace

TEST_CASE("a new s3cfg holds the keys, the token and the expiry comment") {
    CHECK(render(OutputFormat::s3cfg, std::nullopt) ==
          "[default]\n"
          "access_key = ASIAEXAMPLEKEY123456\n"
          "secret_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
          "access_token = IQoJb3JpZ2luX2VjEXAMPLETOKEN==\n"
          "# credkit: credentials expire at 2026-12-03T21:16:57Z\n");
}

TEST_CASE("an s3cfg update keeps the user's settings, comments and other sections") {
    const std::string current =
        "# my s3cmd settings\n"
        "[default]\n"
        "access_key = AKIAOLDOLDOLDOLDOLD1\n"
        "secret_key=old-secret\n"
        "use_https = True\n"
        "# credkit: credentials expire at 2026-12-03T15:00:00Z\n"
        "signature_v2 = False\n"
        "\n"
        "[other]\n"
        "access_key = AKIAOTHEROTHEROTHER1\n";

    const std::string updated = render(OutputFormat::s3cfg, current);

    CHECK(updated ==
          "# my s3cmd settings\n"
          "[default]\n"
          "access_key = ASIAEXAMPLEKEY123456\n"
          "secret_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
          "use_https = True\n"
          "# credkit: credentials expire at 2026-12-03T21:16:57Z\n"
          "signature_v2 = False\n"
          "access_token = IQoJb3JpZ2luX2VjEXAMPLETOKEN==\n"
          "\n"
          "[other]\n"
          "access_key = AKIAOTHEROTHEROTHER1\n");
}

TEST_CASE("an s3cfg update writes the host settings given and drops a stale token") {
    Credentials long_term = role_credentials("AKIALONGTERMKEY00001");
    long_term.session_token = Secret();
    long_term.expiration.reset();
    OutputSpec spec;
    spec.path = "/tmp/out";
    spec.s3cfg = {"127.0.0.1:9000", "127.0.0.1:9000", "eu-west-1"};

    auto text = render_output(spec, long_term, "[default]\naccess_token = stale\n");

    REQUIRE(text.has_value());
    CHECK(*text ==
          "[default]\n"
          "access_key = AKIALONGTERMKEY00001\n"
          "secret_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
          "host_base = 127.0.0.1:9000\n"
          "host_bucket = 127.0.0.1:9000\n"
          "bucket_location = eu-west-1\n"
          "# credkit: credentials do not expire\n");
}

TEST_CASE("an aws credentials section holds exactly the four keys htslib refreshes from") {
    const std::string current =
        "[default]\n"
        "aws_access_key_id = AKIAKEEPKEEPKEEPKEEP\n"
        "aws_secret_access_key = keep\n"
        "\n"
        "[hts]\n"
        "region = eu-west-1\n"
        "aws_access_key_id = OLD\n"
        "aws_secret_access_key = OLD\n";

    const std::string updated = render(OutputFormat::aws_credentials, current, "hts");

    CHECK(updated ==
          "[default]\n"
          "aws_access_key_id = AKIAKEEPKEEPKEEPKEEP\n"
          "aws_secret_access_key = keep\n"
          "\n"
          "[hts]\n"
          "aws_access_key_id = ASIAEXAMPLEKEY123456\n"
          "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
          "aws_session_token = IQoJb3JpZ2luX2VjEXAMPLETOKEN==\n"
          "expiry_time = 2026-12-03T21:16:57Z\n");
}

TEST_CASE("a malformed existing file is an error naming its line, and nothing is written") {
    const ScratchFile file;
    std::ofstream(file.path()) << "[default]\nnot an ini line\n";

    auto change = update_output(spec_for(file), role_credentials());

    REQUIRE_FALSE(change.has_value());
    CHECK(change.error().what.find(file.path().string() + ":2") != std::string::npos);
    CHECK(file.read() == "[default]\nnot an ini line\n");
}

TEST_CASE("a second update with the same credentials changes nothing, mtime included") {
    const ScratchFile file;
    REQUIRE(update_output(spec_for(file), role_credentials())->changed);
    const auto first_mtime = file.mtime();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));

    auto again = update_output(spec_for(file), role_credentials());

    REQUIRE(again.has_value());
    CHECK_FALSE(again->changed);
    CHECK(file.mtime() == first_mtime);
}

TEST_CASE("a dry run says a change is due and writes nothing") {
    const ScratchFile file;
    REQUIRE(update_output(spec_for(file), role_credentials())->changed);
    const std::string before = file.read();

    auto change = update_output(spec_for(file), role_credentials("ASIANEWKEYNEWKEY0001"), true);

    REQUIRE(change.has_value());
    CHECK(change->changed);
    CHECK(file.read() == before);
}

TEST_CASE("a file with the right content but the wrong mode is rewritten with the mode") {
    const ScratchFile file;
    REQUIRE(update_output(spec_for(file), role_credentials())->changed);
    ::chmod(file.path().c_str(), 0644);

    auto change = update_output(spec_for(file), role_credentials());

    REQUIRE(change.has_value());
    CHECK(change->changed);
    struct stat info {};
    ::stat(file.path().c_str(), &info);
    CHECK((info.st_mode & 07777) == 0600);
}

TEST_CASE("env and credential-process outputs are rendered whole") {
    CHECK(render(OutputFormat::env, "anything").starts_with("unset AWS_SECURITY_TOKEN\n"));
    CHECK(render(OutputFormat::credential_process, std::nullopt).find("\"Version\": 1") !=
          std::string::npos);
}

TEST_CASE("output formats parse by their documented names") {
    CHECK(*parse_output_format("aws-credentials") == OutputFormat::aws_credentials);
    CHECK(output_format_name(OutputFormat::credential_process) == "credential-process");
    CHECK_FALSE(parse_output_format("ini").has_value());
}

}  // namespace credkit

namespace credkit {

TEST_CASE("a reader never sees a partial or empty file while it is replaced thousands of times") {
    const ScratchFile file;
    constexpr int kReplacements = 3000;
    std::atomic<bool> done{false};
    std::atomic<int> reads{0};
    std::atomic<int> bad_reads{0};
    REQUIRE(update_output(spec_for(file), role_credentials("ASIASTART00000000000"))->changed);

    std::thread reader([&] {
        while (!done) {
            auto document = IniDocument::parse(file.read());
            const bool whole = document && document->get("default", "access_key") &&
                               document->get("default", "secret_key") &&
                               document->get("default", "access_token") &&
                               document->comment("default", kS3cfgExpiryPrefix);
            bad_reads += whole ? 0 : 1;
            ++reads;
        }
    });
    int changed = 0;
    for (int i = 0; i < kReplacements; ++i) {
        changed +=
            update_output(spec_for(file), role_credentials(fmt::format("ASIA{:016}", i)))->changed;
    }
    done = true;
    reader.join();

    CHECK(changed == kReplacements);
    CHECK(reads > 100);
    CHECK(bad_reads == 0);
}

}  // namespace credkit
