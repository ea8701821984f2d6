#include "credkit/credential_format.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>
#include <stdio.h>
#include <unistd.h>

#include "credkit/timestamp.hpp"

namespace credkit {
namespace {

namespace fs = std::filesystem;

TimePoint at(std::string_view text) {
    return parse_rfc3339(text).value();
}

// Role credentials as IMDS serves them.
Credentials role_credentials() {
    Credentials credentials;
    credentials.access_key_id = "ASIAEXAMPLEKEY123456";
    credentials.secret_access_key = Secret("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    credentials.session_token = Secret("IQoJb3JpZ2luX2VjEXAMPLETOKEN==");
    credentials.expiration = at("2026-12-03T21:16:57Z");
    credentials.last_updated = at("2026-12-03T15:16:57Z");
    credentials.origin = {SourceKind::imds, "http://169.254.169.254", "web-role"};
    return credentials;
}

// Long-term keys from a file: no token, no expiry, no issue time.
Credentials long_term_credentials() {
    Credentials credentials;
    credentials.access_key_id = "AKIAIOSFODNN7EXAMPLE";
    credentials.secret_access_key = Secret("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    credentials.origin = {SourceKind::shared_credentials_file, "/root/.aws/credentials", "default"};
    return credentials;
}

std::set<std::string> keys_of(const nlohmann::json& object) {
    std::set<std::string> keys;
    for (const auto& item : object.items()) {
        keys.insert(item.key());
    }
    return keys;
}

// Runs `command` through /bin/sh and returns what it printed.
std::string run(const std::string& command) {
    FILE* pipe = ::popen(command.c_str(), "r");
    REQUIRE(pipe != nullptr);
    std::string output;
    char buffer[256];
    while (const std::size_t n = std::fread(buffer, 1, sizeof(buffer), pipe)) {
        output.append(buffer, n);
    }
    CHECK(::pclose(pipe) == 0);
    return output;
}

// A script file that lives for one test.
class ScriptFile {
public:
    explicit ScriptFile(const std::string& content) {
        std::string pattern = (fs::temp_directory_path() / "credkit-format-XXXXXX").string();
        const int fd = ::mkstemp(pattern.data());
        REQUIRE(fd >= 0);
        ::close(fd);
        path_ = pattern;
        std::ofstream(path_, std::ios::binary) << content;
    }
    ScriptFile(const ScriptFile&) = delete;
    ScriptFile& operator=(const ScriptFile&) = delete;
    ~ScriptFile() { fs::remove(path_); }

    [[nodiscard]] std::string path() const { return path_.string(); }

private:
    fs::path path_;
};

bool have_fish() {
    return std::system("command -v fish >/dev/null 2>&1") == 0;
}

}  // namespace

TEST_CASE("json holds every field in the documented order") {
    const std::string text = render_credentials(role_credentials(), CredentialFormat::json);

    CHECK(text == R"({
  "AccessKeyId": "ASIAEXAMPLEKEY123456",
  "SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
  "SessionToken": "IQoJb3JpZ2luX2VjEXAMPLETOKEN==",
  "Expiration": "2026-12-03T21:16:57Z",
  "LastUpdated": "2026-12-03T15:16:57Z",
  "Role": "web-role"
}
)");
}

TEST_CASE("json writes null for what is not known, and no role outside imds") {
    const std::string text = render_credentials(long_term_credentials(), CredentialFormat::json);

    const auto document = nlohmann::json::parse(text);
    CHECK(keys_of(document) == std::set<std::string>{"AccessKeyId", "SecretAccessKey",
                                                     "SessionToken", "Expiration", "LastUpdated",
                                                     "Role"});
    CHECK(document["AccessKeyId"] == "AKIAIOSFODNN7EXAMPLE");
    CHECK(document["SessionToken"].is_null());
    CHECK(document["Expiration"].is_null());
    CHECK(document["LastUpdated"].is_null());
    CHECK(document["Role"].is_null());
}

TEST_CASE("json escapes quotes and backslashes in values") {
    Credentials credentials = long_term_credentials();
    credentials.secret_access_key = Secret(R"(a"b\c)");

    const std::string text = render_credentials(credentials, CredentialFormat::json);

    CHECK(nlohmann::json::parse(text)["SecretAccessKey"] == R"(a"b\c)");
}

TEST_CASE("credential-process has Version 1 and exactly the known keys") {
    const std::string text =
        render_credentials(role_credentials(), CredentialFormat::credential_process);

    CHECK(text == R"({
  "Version": 1,
  "AccessKeyId": "ASIAEXAMPLEKEY123456",
  "SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
  "SessionToken": "IQoJb3JpZ2luX2VjEXAMPLETOKEN==",
  "Expiration": "2026-12-03T21:16:57Z"
}
)");
}

TEST_CASE("credential-process leaves out the token and expiry when there are none") {
    const std::string text =
        render_credentials(long_term_credentials(), CredentialFormat::credential_process);

    const auto document = nlohmann::json::parse(text);
    CHECK(keys_of(document) == std::set<std::string>{"Version", "AccessKeyId", "SecretAccessKey"});
    CHECK(document["Version"] == 1);
    CHECK(document["Version"].is_number_integer());
}

TEST_CASE("env exports the key pair, the token and the expiry") {
    const std::string text = render_credentials(role_credentials(), CredentialFormat::env);

    CHECK(text ==
          "unset AWS_SECURITY_TOKEN\n"
          "export AWS_ACCESS_KEY_ID='ASIAEXAMPLEKEY123456'\n"
          "export AWS_SECRET_ACCESS_KEY='wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'\n"
          "export AWS_SESSION_TOKEN='IQoJb3JpZ2luX2VjEXAMPLETOKEN=='\n"
          "export AWS_CREDENTIAL_EXPIRATION='2026-12-03T21:16:57Z'\n");
}

TEST_CASE("env unsets the token and expiry of earlier credentials when there are none") {
    const std::string text = render_credentials(long_term_credentials(), CredentialFormat::env);

    CHECK(text ==
          "unset AWS_SECURITY_TOKEN\n"
          "export AWS_ACCESS_KEY_ID='AKIAIOSFODNN7EXAMPLE'\n"
          "export AWS_SECRET_ACCESS_KEY='wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'\n"
          "unset AWS_SESSION_TOKEN\n"
          "unset AWS_CREDENTIAL_EXPIRATION\n");
}

TEST_CASE("env output sourced by /bin/sh sets the exact values") {
    Credentials credentials = role_credentials();
    credentials.secret_access_key = Secret("it's a $ecret `with` \"quotes\" \\ and spaces");
    ScriptFile script(render_credentials(credentials, CredentialFormat::env));

    const std::string secret =
        run("sh -c '. " + script.path() + "; printf %s \"$AWS_SECRET_ACCESS_KEY\"'");
    const std::string token =
        run("sh -c '. " + script.path() + "; printf %s \"$AWS_SESSION_TOKEN\"'");

    CHECK(secret == "it's a $ecret `with` \"quotes\" \\ and spaces");
    CHECK(token == "IQoJb3JpZ2luX2VjEXAMPLETOKEN==");
}

TEST_CASE("env output sourced by /bin/sh removes a stale session token") {
    ScriptFile script(render_credentials(long_term_credentials(), CredentialFormat::env));

    const std::string token = run("AWS_SESSION_TOKEN=stale sh -c '. " + script.path() +
                                  "; printf %s \"${AWS_SESSION_TOKEN-gone}\"'");

    CHECK(token == "gone");
}

TEST_CASE("fish output sets and erases the same variables") {
    const std::string with_token = render_credentials(role_credentials(), CredentialFormat::fish);
    const std::string without = render_credentials(long_term_credentials(), CredentialFormat::fish);

    CHECK(with_token ==
          "set -e AWS_SECURITY_TOKEN\n"
          "set -gx AWS_ACCESS_KEY_ID 'ASIAEXAMPLEKEY123456'\n"
          "set -gx AWS_SECRET_ACCESS_KEY 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'\n"
          "set -gx AWS_SESSION_TOKEN 'IQoJb3JpZ2luX2VjEXAMPLETOKEN=='\n"
          "set -gx AWS_CREDENTIAL_EXPIRATION '2026-12-03T21:16:57Z'\n");
    CHECK(without ==
          "set -e AWS_SECURITY_TOKEN\n"
          "set -gx AWS_ACCESS_KEY_ID 'AKIAIOSFODNN7EXAMPLE'\n"
          "set -gx AWS_SECRET_ACCESS_KEY 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'\n"
          "set -e AWS_SESSION_TOKEN\n"
          "set -e AWS_CREDENTIAL_EXPIRATION\n");
}

TEST_CASE("fish output sourced by fish sets the exact values") {
    if (!have_fish()) {
        MESSAGE("skipped: fish is not installed");
        return;
    }
    Credentials credentials = role_credentials();
    credentials.secret_access_key = Secret("it's a $ecret \\' with \\\\ and spaces");
    ScriptFile script(render_credentials(credentials, CredentialFormat::fish));

    const std::string secret =
        run("fish -N -c 'source " + script.path() + "; printf %s \"$AWS_SECRET_ACCESS_KEY\"'");

    CHECK(secret == "it's a $ecret \\' with \\\\ and spaces");
}

TEST_CASE("ini holds exactly the four keys htslib refreshes from") {
    const std::string text =
        render_credentials(role_credentials(), CredentialFormat::ini, {.section = "htslib"});

    CHECK(text ==
          "[htslib]\n"
          "aws_access_key_id = ASIAEXAMPLEKEY123456\n"
          "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
          "aws_session_token = IQoJb3JpZ2luX2VjEXAMPLETOKEN==\n"
          "expiry_time = 2026-12-03T21:16:57Z\n");
}

TEST_CASE("ini without a token or expiry blanks the token so no old one survives a re-read") {
    const std::string text = render_credentials(long_term_credentials(), CredentialFormat::ini);

    CHECK(text ==
          "[default]\n"
          "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"
          "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
          "aws_session_token =\n");
}

TEST_CASE("s3cfg holds the s3cmd keys and the expiry comment credkit reads back") {
    const std::string text = render_credentials(role_credentials(), CredentialFormat::s3cfg);

    CHECK(text ==
          "[default]\n"
          "access_key = ASIAEXAMPLEKEY123456\n"
          "secret_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
          "access_token = IQoJb3JpZ2luX2VjEXAMPLETOKEN==\n"
          "# credkit: credentials expire at 2026-12-03T21:16:57Z\n");
}

TEST_CASE("s3cfg without a token or expiry has no token key and says the keys do not expire") {
    const std::string text =
        render_credentials(long_term_credentials(), CredentialFormat::s3cfg, {.section = "vcf"});

    CHECK(text ==
          "[vcf]\n"
          "access_key = AKIAIOSFODNN7EXAMPLE\n"
          "secret_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
          "# credkit: credentials do not expire\n");
}

TEST_CASE("every format name reads back as its format") {
    for (const CredentialFormat format : kCredentialFormats) {
        CAPTURE(format_name(format));

        const auto parsed = parse_credential_format(format_name(format));

        REQUIRE(parsed.has_value());
        CHECK(*parsed == format);
    }
    CHECK(format_name(CredentialFormat::credential_process) == "credential-process");
}

TEST_CASE("an unknown format name is a usage error listing the valid names") {
    const auto result = parse_credential_format("yaml");

    REQUIRE_FALSE(result.has_value());
    CHECK(result.error().kind == ErrorKind::usage);
    CHECK(result.error().what == "unknown credential format 'yaml'");
    CHECK(result.error().why ==
          "valid formats are json, credential-process, env, fish, ini, s3cfg");
}

TEST_CASE("shell_quote wraps in single quotes and splices embedded ones") {
    CHECK(shell_quote("") == "''");
    CHECK(shell_quote("plain") == "'plain'");
    CHECK(shell_quote("it's") == R"('it'\''s')");
    CHECK(shell_quote(R"($HOME \ `x`)") == R"('$HOME \ `x`')");
}

TEST_CASE("fish_quote escapes backslashes and single quotes") {
    CHECK(fish_quote("") == "''");
    CHECK(fish_quote("plain") == "'plain'");
    CHECK(fish_quote("it's") == R"('it\'s')");
    CHECK(fish_quote(R"(a\b)") == R"('a\\b')");
    CHECK(fish_quote("$HOME") == "'$HOME'");
}

}  // namespace credkit
