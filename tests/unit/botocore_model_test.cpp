// botocore_model: one test per rule of botocore's chain, each on a machine built in memory.
// The end-to-end test (test_diagnose_botocore.py) checks the same rules against botocore.
#include "credkit/botocore_model.hpp"

#include <algorithm>

#include <doctest/doctest.h>

namespace credkit {
namespace {

const TimePoint kNow = *parse_rfc3339("2026-06-01T12:00:00Z");

constexpr auto kCredentialsPath = "/h/.aws/credentials";
constexpr auto kConfigPath = "/h/.aws/config";

// A machine: its variables, its files, and what diagnose learnt about IMDS.
struct Machine {
    MapEnvironment env;
    MapFileView files;
    std::optional<std::string> profile;
    std::optional<ImdsProbe> imds;
    std::function<std::optional<std::string>(const std::string&)> run_command;

    ToolVerdict verdict(Tool tool = Tool::boto3) const {
        MachineView view{env, files, "/h", kNow};
        view.profile = profile;
        view.imds = imds;
        view.imds_not_probed_reason = "--no-probe";
        view.run_command = run_command;
        return model_botocore(view, tool);
    }
    void env_keys(const std::string& key_id) {
        env.set("AWS_ACCESS_KEY_ID", key_id);
        env.set("AWS_SECRET_ACCESS_KEY", "env-secret");
    }
    void no_imds() { env.set("AWS_EC2_METADATA_DISABLED", "true"); }
    void credentials(const std::string& text) { files.add(kCredentialsPath, text); }
    void config(const std::string& text) { files.add(kConfigPath, text); }
};

std::string file_keys(const std::string& section, const std::string& key_id) {
    return "[" + section + "]\naws_access_key_id = " + key_id +
           "\naws_secret_access_key = file-secret\n";
}

std::string method_of(const ToolVerdict& verdict) {
    return verdict.source ? verdict.source->method : "";
}

std::string key_of(const ToolVerdict& verdict) {
    return verdict.source ? verdict.source->access_key_id : "";
}

std::vector<std::string> skipped_methods(const ToolVerdict& verdict) {
    std::vector<std::string> methods;
    for (const auto& skipped : verdict.skipped) {
        methods.push_back(skipped.method);
    }
    return methods;
}

std::string reason_for(const ToolVerdict& verdict, std::string_view method) {
    for (const auto& skipped : verdict.skipped) {
        if (skipped.method == method) {
            return skipped.reason;
        }
    }
    return "(not skipped)";
}

bool contains(std::string_view text, std::string_view part) {
    return text.find(part) != std::string_view::npos;
}

Credentials role_keys(const std::string& key_id, TimePoint expires) {
    Credentials credentials;
    credentials.access_key_id = key_id;
    credentials.secret_access_key = Secret("role-secret");
    credentials.session_token = Secret("role-token");
    credentials.expiration = expires;
    return credentials;
}

ImdsProbe healthy_probe(const std::string& key_id) {
    ImdsProbe probe;
    probe.endpoint = "http://169.254.169.254";
    probe.token.status = 200;
    probe.role = "app-role";
    probe.credentials_v2 = role_keys(key_id, kNow + std::chrono::hours(6));
    probe.v1_problem = "not asked: the token request succeeded, so tools use IMDSv2";
    return probe;
}

// A probe whose token PUT timed out (a hop limit of 1 from a container) while the role list
// without a token answered `v1_status`.
ImdsProbe hop_limited_probe(long v1_status, const std::string& key_id) {
    ImdsProbe probe;
    probe.endpoint = "http://169.254.169.254";
    probe.token.failure = TransportFailure::timed_out;
    probe.v1 = ProbeExchange{TransportFailure::none, v1_status, std::chrono::milliseconds(3)};
    if (v1_status == 200) {
        probe.role = "app-role";
        probe.credentials_v1 = role_keys(key_id, kNow + std::chrono::hours(6));
    } else {
        probe.v1_problem = "imds requires a session token (401)";
    }
    probe.v2_problem = "no session token (no answer within 1s)";
    return probe;
}

// --- the profile in effect --------------------------------------------------------------

TEST_CASE("botocore: a profile named in code wins over AWS_DEFAULT_PROFILE and AWS_PROFILE") {
    Machine machine;
    machine.credentials(file_keys("code", "AKIACODE00000001") + file_keys("dflt", "AKIADFLT0001") +
                        file_keys("prof", "AKIAPROF0001"));
    machine.env.set("AWS_DEFAULT_PROFILE", "dflt");
    machine.env.set("AWS_PROFILE", "prof");
    machine.no_imds();

    machine.profile = "code";
    const ToolVerdict named = machine.verdict();
    machine.profile.reset();
    const ToolVerdict by_env = machine.verdict();

    CHECK(named.profile == "code");
    CHECK(key_of(named) == "AKIACODE00000001");
    CHECK(by_env.profile == "dflt");
    CHECK(key_of(by_env) == "AKIADFLT0001");
}

TEST_CASE("botocore: AWS_PROFILE picks the profile when AWS_DEFAULT_PROFILE is unset") {
    Machine machine;
    machine.credentials(file_keys("default", "AKIADEFAULT1") + file_keys("prof", "AKIAPROF0001"));
    machine.env.set("AWS_PROFILE", "prof");
    machine.no_imds();

    const ToolVerdict verdict = machine.verdict();

    CHECK(verdict.profile == "prof");
    CHECK(key_of(verdict) == "AKIAPROF0001");
}

TEST_CASE("botocore: a profile named in code takes the env provider out of the chain") {
    Machine machine;
    machine.env_keys("AKIAENV000000001");
    machine.credentials(file_keys("default", "AKIAFILE00000001"));
    machine.profile = "default";

    const ToolVerdict verdict = machine.verdict();

    CHECK(method_of(verdict) == "shared-credentials-file");
    CHECK(contains(reason_for(verdict, "env"), "not in the chain"));
}

TEST_CASE("botocore: AWS_PROFILE keeps the env provider, which wins") {
    Machine machine;
    machine.env_keys("AKIAENV000000002");
    machine.credentials(file_keys("prod", "AKIAFILE00000002"));
    machine.env.set("AWS_PROFILE", "prod");

    const ToolVerdict verdict = machine.verdict();

    CHECK(method_of(verdict) == "env");
    CHECK(verdict.profile == "prod");
}

TEST_CASE("botocore: a named profile in neither file raises ProfileNotFound, env keys or not") {
    Machine machine;
    machine.env_keys("AKIAENV000000003");
    machine.env.set("AWS_PROFILE", "missing");

    const ToolVerdict verdict = machine.verdict();

    CHECK_FALSE(verdict.source);
    REQUIRE(verdict.failure);
    CHECK(contains(*verdict.failure, "ProfileNotFound"));
    CHECK(contains(*verdict.failure, "(missing)"));
}

TEST_CASE("botocore: a missing profile goes unnoticed when every resolver setting is in env") {
    Machine machine;
    machine.env_keys("AKIAENV000000004");
    machine.env.set("AWS_PROFILE", "missing");
    for (const char* variable :
         {"AWS_METADATA_SERVICE_TIMEOUT", "AWS_METADATA_SERVICE_NUM_ATTEMPTS",
          "AWS_EC2_METADATA_SERVICE_ENDPOINT", "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE",
          "AWS_EC2_METADATA_V1_DISABLED"}) {
        machine.env.set(variable, "1");
    }
    machine.env.set("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "ipv4");
    machine.env.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:1");

    const ToolVerdict boto3 = machine.verdict(Tool::boto3);
    const ToolVerdict awscli = machine.verdict(Tool::awscli);

    CHECK(method_of(boto3) == "env");
    CHECK_FALSE(boto3.failure);
    REQUIRE(awscli.failure);
    CHECK(contains(*awscli.failure, "ProfileNotFound"));
}

TEST_CASE("botocore: an empty AWS_DEFAULT_PROFILE is a profile named \"\" that is not found") {
    Machine machine;
    machine.env_keys("AKIAENV000000005");
    machine.env.set("AWS_DEFAULT_PROFILE", "");
    machine.env.set("AWS_PROFILE", "prod");
    machine.credentials(file_keys("prod", "AKIAPROF0002"));

    const ToolVerdict verdict = machine.verdict();

    REQUIRE(verdict.failure);
    CHECK(contains(*verdict.failure, "the config profile () could not be found"));
}

TEST_CASE("botocore: a profile that only the credentials file has is found") {
    Machine machine;
    machine.config("[profile other]\nregion = eu-west-1\n");
    machine.credentials(file_keys("prod", "AKIAPROF0003"));
    machine.env.set("AWS_PROFILE", "prod");
    machine.no_imds();

    const ToolVerdict verdict = machine.verdict();

    CHECK_FALSE(verdict.failure);
    CHECK(key_of(verdict) == "AKIAPROF0003");
}

TEST_CASE("botocore: the AWS CLI ignores an empty --profile") {
    Machine machine;
    machine.env_keys("AKIAENV000000006");
    machine.profile = "";

    const ToolVerdict awscli = machine.verdict(Tool::awscli);
    const ToolVerdict boto3 = machine.verdict(Tool::boto3);

    CHECK(method_of(awscli) == "env");
    REQUIRE(boto3.failure);
    CHECK(contains(*boto3.failure, "ProfileNotFound"));
}

// --- env --------------------------------------------------------------------------------

TEST_CASE("botocore: env keys win, with the legacy AWS_SECURITY_TOKEN read first") {
    Machine machine;
    machine.env_keys("AKIAENV000000007");
    machine.env.set("AWS_SECURITY_TOKEN", "legacy-token");
    machine.env.set("AWS_SESSION_TOKEN", "modern-token");

    const ToolVerdict verdict = machine.verdict();

    REQUIRE(verdict.source);
    CHECK(verdict.source->method == "env");
    CHECK(verdict.source->location == "AWS_ACCESS_KEY_ID");
    CHECK(verdict.source->has_session_token);
    CHECK_FALSE(verdict.source->refreshes);
    CHECK(contains(verdict.source->refresh_note, "AWS_SECURITY_TOKEN"));
    CHECK(verdict.skipped.empty());
}

TEST_CASE("botocore: an empty AWS_ACCESS_KEY_ID is skipped, not an error") {
    Machine machine;
    machine.env.set("AWS_ACCESS_KEY_ID", "");
    machine.env.set("AWS_SECRET_ACCESS_KEY", "orphan-secret");
    machine.credentials(file_keys("default", "AKIAFILE00000003"));

    const ToolVerdict verdict = machine.verdict();

    CHECK(method_of(verdict) == "shared-credentials-file");
    CHECK(reason_for(verdict, "env") == "AWS_ACCESS_KEY_ID is empty");
}

TEST_CASE("botocore: a key id without a secret in env raises PartialCredentialsError") {
    Machine machine;
    machine.env.set("AWS_ACCESS_KEY_ID", "AKIAENV000000008");
    machine.credentials(file_keys("default", "AKIAFILE00000004"));

    const ToolVerdict verdict = machine.verdict();

    CHECK_FALSE(verdict.source);
    REQUIRE(verdict.failure);
    CHECK(contains(*verdict.failure, "env: botocore raises PartialCredentialsError"));
}

TEST_CASE("botocore: AWS_CREDENTIAL_EXPIRATION gives an expiry but no renewal") {
    Machine machine;
    machine.env_keys("ASIAENV000000009");
    machine.env.set("AWS_SESSION_TOKEN", "token");
    machine.env.set("AWS_CREDENTIAL_EXPIRATION", "2026-06-01T18:00:00Z");

    const ToolVerdict verdict = machine.verdict();

    REQUIRE(verdict.source);
    CHECK(verdict.source->expires == parse_rfc3339("2026-06-01T18:00:00Z").value());
    CHECK_FALSE(verdict.source->refreshes);
    CHECK(contains(verdict.source->refresh_note, "same process environment"));
    CHECK_FALSE(verdict.failure);
}

TEST_CASE("botocore: an expired AWS_CREDENTIAL_EXPIRATION makes env keys fail on first use") {
    Machine machine;
    machine.env_keys("ASIAENV000000010");
    machine.env.set("AWS_CREDENTIAL_EXPIRATION", "2026-06-01T11:00:00Z");

    const ToolVerdict verdict = machine.verdict();

    CHECK(method_of(verdict) == "env");
    REQUIRE(verdict.failure);
    CHECK(contains(*verdict.failure, "RuntimeError"));
}

TEST_CASE("botocore: an AWS_CREDENTIAL_EXPIRATION that is not a date raises at once") {
    Machine machine;
    machine.env_keys("ASIAENV000000011");
    machine.env.set("AWS_CREDENTIAL_EXPIRATION", "tomorrow");

    const ToolVerdict verdict = machine.verdict();

    CHECK_FALSE(verdict.source);
    REQUIRE(verdict.failure);
    CHECK(contains(*verdict.failure, "ParserError"));
}

TEST_CASE("botocore: an AWS_CREDENTIAL_EXPIRATION without a zone fails on first use") {
    Machine machine;
    machine.env_keys("ASIAENV000000012");
    machine.env.set("AWS_CREDENTIAL_EXPIRATION", "2030-01-01T00:00:00");

    const ToolVerdict verdict = machine.verdict();

    CHECK(method_of(verdict) == "env");
    REQUIRE(verdict.failure);
    CHECK(contains(*verdict.failure, "TypeError"));
}

// --- shared-credentials-file ------------------------------------------------------------

TEST_CASE("botocore: shared credentials are static, with the section's expiry reported") {
    Machine machine;
    machine.credentials(file_keys("default", "ASIAFILE00000005") +
                        "aws_session_token = tok\nexpiry_time = 2026-06-01T13:00:00Z\n");

    const ToolVerdict verdict = machine.verdict();

    REQUIRE(verdict.source);
    CHECK(verdict.source->location == kCredentialsPath);
    CHECK(verdict.source->section == "default");
    CHECK(verdict.source->has_session_token);
    CHECK(verdict.source->expires == parse_rfc3339("2026-06-01T13:00:00Z").value());
    CHECK_FALSE(verdict.source->refreshes);
    CHECK(contains(verdict.source->refresh_note, "never re-reads"));
}

TEST_CASE("botocore: the skipped reasons name the file and the missing section") {
    Machine machine;
    machine.credentials(file_keys("other", "AKIAOTHER0001"));
    machine.env.set("AWS_PROFILE", "other");
    machine.config("[profile prod]\nregion = x\n");
    machine.no_imds();
    machine.env.set("AWS_PROFILE", "prod");

    const ToolVerdict verdict = machine.verdict();

    CHECK_FALSE(verdict.source);
    CHECK_FALSE(verdict.failure);
    CHECK(reason_for(verdict, "shared-credentials-file") ==
          "/h/.aws/credentials has no [prod] section");
    CHECK(reason_for(verdict, "config-file") ==
          "[profile prod] in /h/.aws/config has no "
          "aws_access_key_id");
    CHECK(reason_for(verdict, "iam-role") == "AWS_EC2_METADATA_DISABLED is true");
}

TEST_CASE("botocore: with nothing anywhere every provider is skipped in botocore's order") {
    Machine machine;
    machine.no_imds();

    const ToolVerdict verdict = machine.verdict();

    CHECK_FALSE(verdict.source);
    CHECK_FALSE(verdict.failure);
    CHECK(skipped_methods(verdict) ==
          std::vector<std::string>{"env", "assume-role", "assume-role-with-web-identity", "sso",
                                   "shared-credentials-file", "login", "custom-process",
                                   "config-file", "ec2-credentials-file", "boto-config",
                                   "container-role", "iam-role"});
    CHECK(reason_for(verdict, "shared-credentials-file") == "/h/.aws/credentials does not exist");
}

TEST_CASE("botocore: a key id without a secret in the credentials file raises") {
    Machine machine;
    machine.credentials("[default]\naws_access_key_id = AKIAHALF0001\n");

    const ToolVerdict verdict = machine.verdict();

    REQUIRE(verdict.failure);
    CHECK(contains(*verdict.failure,
                   "shared-credentials-file: botocore raises "
                   "PartialCredentialsError"));
}

TEST_CASE("botocore: AWS_SHARED_CREDENTIALS_FILE names the file, with $VAR and ~ expanded") {
    Machine machine;
    machine.env.set("AWS_SHARED_CREDENTIALS_FILE", "~/${SUB}/creds");
    machine.env.set("SUB", "keys");
    machine.files.add("/h/keys/creds", file_keys("default", "AKIAEXPANDED01"));

    const ToolVerdict verdict = machine.verdict();

    REQUIRE(verdict.source);
    CHECK(verdict.source->location == "/h/keys/creds");
    CHECK(key_of(verdict) == "AKIAEXPANDED01");
}

TEST_CASE("botocore: an empty AWS_SHARED_CREDENTIALS_FILE means no file, not the default") {
    Machine machine;
    machine.env.set("AWS_SHARED_CREDENTIALS_FILE", "");
    machine.credentials(file_keys("default", "AKIAIGNORED001"));
    machine.no_imds();

    const ToolVerdict verdict = machine.verdict();

    CHECK_FALSE(verdict.source);
    CHECK(reason_for(verdict, "shared-credentials-file") == "AWS_SHARED_CREDENTIALS_FILE is empty");
}

// --- reading the files as configparser does ---------------------------------------------
// (configparser's own rules are tested in python_configparser_test.cpp; these are botocore's.)

TEST_CASE("botocore: an uppercase key with ':' and a trailing comment is still the key") {
    Machine machine;
    machine.credentials(
        "[default]\n"
        "AWS_ACCESS_KEY_ID: AKIACOLON002 # mine\n"
        "aws_secret_access_key   =   x\n");

    const ToolVerdict verdict = machine.verdict();

    CHECK(key_of(verdict) == "AKIACOLON002 # mine");
}

TEST_CASE("botocore: a section that appears twice makes the file unreadable for botocore") {
    Machine machine;
    machine.env_keys("AKIAENV000000013");
    machine.credentials(file_keys("default", "AKIADUP00001") + "[default]\nregion = x\n");

    const ToolVerdict verdict = machine.verdict();

    CHECK_FALSE(verdict.source);
    REQUIRE(verdict.failure);
    CHECK(contains(*verdict.failure, "ConfigParseError"));
    CHECK(contains(*verdict.failure, "section [default] appears twice"));
}

TEST_CASE("botocore: a key that appears twice in a section is an error too") {
    Machine machine;
    machine.config("[default]\nregion = a\nregion = b\n");

    const ToolVerdict verdict = machine.verdict();

    REQUIRE(verdict.failure);
    CHECK(contains(*verdict.failure, "option 'region' appears twice in [default]"));
}

TEST_CASE("botocore: a line that is not key = value breaks the whole file") {
    Machine machine;
    machine.config("[default]\nregion = a\nthis line is wrong\n");
    machine.credentials(file_keys("default", "AKIAFILE00000006"));

    const ToolVerdict verdict = machine.verdict();

    REQUIRE(verdict.failure);
    CHECK(contains(*verdict.failure, "unable to parse /h/.aws/config"));
}

TEST_CASE("botocore: a [DEFAULT] section lends its keys to every section") {
    Machine machine;
    machine.credentials(
        "[DEFAULT]\naws_access_key_id = AKIALENT0001\naws_secret_access_key = x\n"
        "[prod]\nregion = x\n");
    machine.env.set("AWS_PROFILE", "prod");

    const ToolVerdict verdict = machine.verdict();

    CHECK(method_of(verdict) == "shared-credentials-file");
    CHECK(key_of(verdict) == "AKIALENT0001");
}

TEST_CASE("botocore: a file that starts with a byte order mark cannot be parsed") {
    Machine machine;
    machine.credentials("\xEF\xBB\xBF" + file_keys("default", "AKIABOM00001"));

    const ToolVerdict verdict = machine.verdict();

    REQUIRE(verdict.failure);
    CHECK(contains(*verdict.failure, "before any [section] header"));
}

TEST_CASE("botocore: a value on the lines after its key must be nested key = value pairs") {
    Machine machine;
    machine.config("[default]\ns3 =\n    addressing_style = path\n");
    machine.credentials(file_keys("default", "AKIANESTED01"));
    const ToolVerdict good = machine.verdict();

    machine.config("[default]\ns3 =\n    just words\n");
    const ToolVerdict bad = machine.verdict();

    CHECK(key_of(good) == "AKIANESTED01");
    REQUIRE(bad.failure);
    CHECK(contains(*bad.failure, "ConfigParseError"));
}

// --- config-file ------------------------------------------------------------------------

TEST_CASE("botocore: config file keys under [profile NAME] are the config-file source") {
    Machine machine;
    machine.config(
        "[prod]\naws_access_key_id = AKIANOTPROFILE\naws_secret_access_key = x\n"
        "[profile   prod]\naws_access_key_id = AKIACONFIG01\naws_secret_access_key = x\n");
    machine.env.set("AWS_PROFILE", "prod");

    const ToolVerdict verdict = machine.verdict();

    REQUIRE(verdict.source);
    CHECK(verdict.source->method == "config-file");
    CHECK(verdict.source->location == kConfigPath);
    CHECK(key_of(verdict) == "AKIACONFIG01");
    CHECK(reason_for(verdict, "shared-credentials-file") == "/h/.aws/credentials does not exist");
}

TEST_CASE("botocore: a quoted profile header is split like a shell would") {
    Machine machine;
    machine.config(
        "[profile \"two words\"]\naws_access_key_id = AKIAQUOTED01\n"
        "aws_secret_access_key = x\n");
    machine.env.set("AWS_PROFILE", "two words");

    const ToolVerdict verdict = machine.verdict();

    CHECK(key_of(verdict) == "AKIAQUOTED01");
}

TEST_CASE("botocore: profile headers split as shlex does, not as the shell does") {
    Machine machine;
    machine.config(
        "[profile \"a\\$b\"]\naws_access_key_id = AKIASHLEX001\naws_secret_access_key = x\n"
        "[profile c\\]\naws_access_key_id = AKIASHLEX002\naws_secret_access_key = x\n");
    machine.no_imds();

    machine.env.set("AWS_PROFILE", "a\\$b");
    const ToolVerdict escaped_dollar = machine.verdict();
    machine.env.set("AWS_PROFILE", "c\\");
    const ToolVerdict trailing_backslash = machine.verdict();

    // Inside double quotes shlex keeps the backslash before '$'; a trailing backslash makes
    // shlex fail, and botocore drops the section.
    CHECK(key_of(escaped_dollar) == "AKIASHLEX001");
    REQUIRE(trailing_backslash.failure);
    CHECK(contains(*trailing_backslash.failure, "ProfileNotFound"));
}

TEST_CASE("botocore: the credentials file comes before the config file") {
    Machine machine;
    machine.config(file_keys("default", "AKIACONFIG02"));
    machine.credentials(file_keys("default", "AKIAFILE00000007"));

    const ToolVerdict verdict = machine.verdict();

    CHECK(method_of(verdict) == "shared-credentials-file");
}

// --- assume-role, web identity, sso, login ----------------------------------------------

TEST_CASE("botocore: role_arn with a source_profile is assume-role, its key known later") {
    Machine machine;
    machine.config(
        "[profile prod]\nrole_arn = arn:aws:iam::123456789012:role/app\nsource_profile = base\n"
        "[profile base]\nregion = x\n");
    machine.credentials(file_keys("base", "AKIABASE0001"));
    machine.env.set("AWS_PROFILE", "prod");

    const ToolVerdict verdict = machine.verdict();

    REQUIRE(verdict.source);
    CHECK(verdict.source->method == "assume-role");
    CHECK(verdict.source->location == kConfigPath);
    CHECK(verdict.source->access_key_id.empty());
    CHECK(verdict.source->refreshes);
    CHECK(contains(verdict.source->refresh_note, "known only after"));
}

TEST_CASE("botocore: a role profile with a broken source raises") {
    Machine machine;
    machine.env.set("AWS_PROFILE", "prod");
    machine.no_imds();

    machine.config("[profile prod]\nrole_arn = arn:x\n");
    const ToolVerdict neither = machine.verdict();
    machine.config("[profile prod]\nrole_arn = arn:x\nsource_profile = gone\n");
    const ToolVerdict missing = machine.verdict();
    machine.config("[profile prod]\nrole_arn = arn:x\ncredential_source = Ec2Metadata\n");
    const ToolVerdict invalid = machine.verdict();
    machine.config("[profile prod]\nrole_arn = arn:x\ncredential_source = Ec2InstanceMetadata\n");
    const ToolVerdict no_role = machine.verdict();
    machine.config("[profile prod]\nrole_arn = arn:x\nsource_profile = base\n[profile base]\n");
    const ToolVerdict empty_source = machine.verdict();

    CHECK(contains(neither.failure.value_or(""), "PartialCredentialsError"));
    CHECK(contains(missing.failure.value_or(""), "source_profile \"gone\""));
    CHECK(contains(invalid.failure.value_or(""), "is not valid"));
    CHECK(contains(no_role.failure.value_or(""), "CredentialRetrievalError"));
    CHECK(contains(empty_source.failure.value_or(""), "must have credentials"));
}

TEST_CASE("botocore: AWS_WEB_IDENTITY_TOKEN_FILE with AWS_ROLE_ARN is web identity") {
    Machine machine;
    machine.env.set("AWS_WEB_IDENTITY_TOKEN_FILE", "/var/run/token");
    machine.files.add("/var/run/token", "jwt");
    machine.env.set("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/pod");

    const ToolVerdict verdict = machine.verdict();
    machine.env.set("AWS_ROLE_ARN", "");
    const ToolVerdict no_role = machine.verdict();

    CHECK(method_of(verdict) == "assume-role-with-web-identity");
    CHECK(verdict.source->location == "/var/run/token");
    CHECK_FALSE(verdict.failure);
    CHECK(contains(no_role.failure.value_or(""), "InvalidConfigError"));
}

TEST_CASE("botocore: an SSO profile is sso, and half an SSO profile raises") {
    Machine machine;
    machine.env.set("AWS_PROFILE", "dev");
    machine.config(
        "[profile dev]\nsso_session = corp\nsso_account_id = 123456789012\n"
        "sso_role_name = Dev\n[sso-session corp]\nsso_start_url = https://x\n"
        "sso_region = eu-west-1\n");
    const ToolVerdict verdict = machine.verdict();

    machine.config("[profile dev]\nsso_account_id = 123456789012\n");
    const ToolVerdict half = machine.verdict();

    CHECK(method_of(verdict) == "sso");
    CHECK(contains(half.failure.value_or(""),
                   "missing required configuration: sso_role_name, "
                   "sso_start_url, sso_region"));
}

TEST_CASE("botocore: login_session is the login source") {
    Machine machine;
    machine.config("[default]\nlogin_session = arn:aws:iam::123456789012:user/me\n");

    const ToolVerdict verdict = machine.verdict();

    CHECK(method_of(verdict) == "login");
    CHECK(key_of(verdict).empty());
}

// --- custom-process ---------------------------------------------------------------------

TEST_CASE("botocore: credential_process output gives the key, and Expiration a renewal") {
    Machine machine;
    machine.config("[default]\ncredential_process = /bin/creds --profile x\n");
    std::string ran;
    machine.run_command = [&ran](const std::string& command) -> std::optional<std::string> {
        ran = command;
        return R"({"Version": 1, "AccessKeyId": "ASIAPROC0001", "SecretAccessKey": "s",
                   "SessionToken": "t", "Expiration": "2026-06-01T13:00:00Z"})";
    };

    const ToolVerdict verdict = machine.verdict();

    CHECK(ran == "/bin/creds --profile x");
    REQUIRE(verdict.source);
    CHECK(verdict.source->method == "custom-process");
    CHECK(key_of(verdict) == "ASIAPROC0001");
    CHECK(verdict.source->has_session_token);
    CHECK(verdict.source->expires == parse_rfc3339("2026-06-01T13:00:00Z").value());
    CHECK(verdict.source->refreshes);
}

TEST_CASE("botocore: credential_process output without Expiration is static") {
    Machine machine;
    machine.credentials("[default]\ncredential_process = /bin/creds\n");
    machine.run_command = [](const std::string&) -> std::optional<std::string> {
        return R"({"Version": 1, "AccessKeyId": "AKIAPROC0002", "SecretAccessKey": "s"})";
    };

    const ToolVerdict verdict = machine.verdict();

    CHECK(key_of(verdict) == "AKIAPROC0002");
    CHECK_FALSE(verdict.source->refreshes);
    CHECK_FALSE(verdict.source->has_session_token);
}

TEST_CASE("botocore: credential_process output that botocore refuses raises") {
    Machine machine;
    machine.config("[default]\ncredential_process = /bin/creds\n");
    std::string output;
    machine.run_command = [&output](const std::string&) -> std::optional<std::string> {
        return output;
    };

    output = R"({"Version": 2, "AccessKeyId": "A", "SecretAccessKey": "s"})";
    const ToolVerdict version = machine.verdict();
    output = R"({"Version": 1, "AccessKeyId": "A"})";
    const ToolVerdict no_secret = machine.verdict();
    output = "not json";
    const ToolVerdict garbage = machine.verdict();
    output = R"({"Version": 1, "AccessKeyId": "A", "SecretAccessKey": "s",
                 "Expiration": "2026-06-01T11:00:00Z"})";
    const ToolVerdict expired = machine.verdict();

    CHECK(contains(version.failure.value_or(""), "unsupported Version"));
    CHECK(contains(no_secret.failure.value_or(""), "'SecretAccessKey'"));
    CHECK(contains(garbage.failure.value_or(""), "JSONDecodeError"));
    CHECK(method_of(expired) == "custom-process");
    CHECK(contains(expired.failure.value_or(""), "RuntimeError"));
}

TEST_CASE("botocore: a failing credential_process raises") {
    Machine machine;
    machine.config("[default]\ncredential_process = /bin/false\n");
    machine.run_command = [](const std::string&) -> std::optional<std::string> { return {}; };

    const ToolVerdict verdict = machine.verdict();

    CHECK_FALSE(verdict.source);
    CHECK(contains(verdict.failure.value_or(""), "custom-process: botocore raises"));
}

TEST_CASE("botocore: credential_process not run leaves the key unknown") {
    Machine machine;
    machine.config("[default]\ncredential_process = /bin/creds --secret s3cr3t\n");

    const ToolVerdict verdict = machine.verdict();

    REQUIRE(verdict.source);
    CHECK(verdict.source->location == "/h/.aws/config");
    CHECK(verdict.source->access_key_id.empty());
    CHECK(contains(verdict.source->refresh_note, "credential_process /bin/creds was not run"));
    CHECK_FALSE(contains(verdict.source->refresh_note, "s3cr3t"));
}

// --- the legacy files and the container ---------------------------------------------------

TEST_CASE("botocore: AWS_CREDENTIAL_FILE naming no file raises ConfigNotFound") {
    Machine machine;
    machine.env.set("AWS_CREDENTIAL_FILE", "/nowhere");
    const ToolVerdict missing = machine.verdict();

    machine.files.add("/old/creds", "AWSAccessKeyId=AKIAEC2FILE01\nAWSSecretKey=x\n");
    machine.env.set("AWS_CREDENTIAL_FILE", "/old/creds");
    const ToolVerdict found = machine.verdict();

    CHECK(contains(missing.failure.value_or(""), "ConfigNotFound"));
    CHECK(method_of(found) == "ec2-credentials-file");
    CHECK(key_of(found) == "AKIAEC2FILE01");
}

TEST_CASE("botocore: ~/.boto [Credentials] is the boto-config source") {
    Machine machine;
    machine.files.add("/h/.boto",
                      "[Credentials]\naws_access_key_id = AKIABOTO0001\n"
                      "aws_secret_access_key = x\n");

    const ToolVerdict verdict = machine.verdict();

    CHECK(method_of(verdict) == "boto-config");
    CHECK(verdict.source->location == "/h/.boto");
    CHECK(key_of(verdict) == "AKIABOTO0001");
}

TEST_CASE("botocore: a container credentials URI is container-role, and a foreign host raises") {
    Machine machine;
    machine.env.set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/abc");
    const ToolVerdict relative = machine.verdict();

    machine.env = MapEnvironment{{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://10.0.0.9/creds"}};
    const ToolVerdict foreign = machine.verdict();

    CHECK(method_of(relative) == "container-role");
    CHECK(relative.source->location == "http://169.254.170.2/v2/credentials/abc");
    CHECK(relative.source->refreshes);
    CHECK(contains(foreign.failure.value_or(""), "ValueError"));
}

// --- iam-role ---------------------------------------------------------------------------

TEST_CASE("botocore: IMDS with a token gives the role's keys, refreshed") {
    Machine machine;
    machine.imds = healthy_probe("ASIAROLE0001");

    const ToolVerdict verdict = machine.verdict();

    REQUIRE(verdict.source);
    CHECK(verdict.source->method == "iam-role");
    CHECK(verdict.source->location == "http://169.254.169.254");
    CHECK(verdict.source->section == "app-role");
    CHECK(key_of(verdict) == "ASIAROLE0001");
    CHECK(verdict.source->refreshes);
    CHECK(verdict.source->expires == kNow + std::chrono::hours(6));
}

TEST_CASE("botocore: IMDS not probed is a possible iam-role with an unknown key") {
    Machine machine;

    const ToolVerdict verdict = machine.verdict();

    REQUIRE(verdict.source);
    CHECK(verdict.source->method == "iam-role");
    CHECK(verdict.source->access_key_id.empty());
    CHECK(contains(verdict.source->refresh_note, "not probed: --no-probe"));
}

TEST_CASE("botocore: AWS_EC2_METADATA_DISABLED=TRUE skips IMDS whatever the probe saw") {
    Machine machine;
    machine.env.set("AWS_EC2_METADATA_DISABLED", "TRUE");
    machine.imds = healthy_probe("ASIAROLE0002");

    const ToolVerdict verdict = machine.verdict();

    CHECK_FALSE(verdict.source);
    CHECK(reason_for(verdict, "iam-role") == "AWS_EC2_METADATA_DISABLED is true");
}

TEST_CASE("botocore: a token PUT answered 400 means no credentials, no IMDSv1") {
    Machine machine;
    machine.imds = hop_limited_probe(200, "ASIAROLE0003");
    machine.imds->token = ProbeExchange{TransportFailure::none, 400, {}};

    const ToolVerdict verdict = machine.verdict();

    CHECK_FALSE(verdict.source);
    CHECK(contains(reason_for(verdict, "iam-role"), "400"));
}

TEST_CASE("botocore: a token PUT that times out falls back to IMDSv1") {
    Machine machine;
    machine.imds = hop_limited_probe(200, "ASIAROLE0004");

    const ToolVerdict verdict = machine.verdict();

    CHECK(key_of(verdict) == "ASIAROLE0004");
    CHECK(contains(verdict.source->refresh_note, "IMDSv1 after the token PUT timed out"));
}

TEST_CASE("botocore: a token PUT that times out with IMDSv1 refused gives nothing") {
    Machine machine;
    machine.imds = hop_limited_probe(401, "");

    const ToolVerdict verdict = machine.verdict();

    CHECK_FALSE(verdict.source);
    CHECK_FALSE(verdict.failure);
    CHECK(reason_for(verdict, "iam-role") ==
          "the IMDS token PUT timed out, and IMDSv1: the role list answered 401");
}

TEST_CASE("botocore: no token with IMDSv1 disabled raises MetadataRetrievalError") {
    Machine machine;
    machine.imds = hop_limited_probe(200, "ASIAROLE0005");
    machine.env.set("AWS_EC2_METADATA_V1_DISABLED", "true");
    const ToolVerdict by_env = machine.verdict();

    machine.env = MapEnvironment{};
    machine.config("[default]\nec2_metadata_v1_disabled = True\n");
    const ToolVerdict by_config = machine.verdict();

    CHECK(contains(by_env.failure.value_or(""), "MetadataRetrievalError"));
    CHECK(contains(by_config.failure.value_or(""), "MetadataRetrievalError"));
}

TEST_CASE("botocore: with a token, a missing role is not retried over IMDSv1") {
    Machine machine;
    machine.imds = healthy_probe("");
    machine.imds->role.reset();
    machine.imds->credentials_v2.reset();
    machine.imds->v2_problem = "no role attached";

    const ToolVerdict verdict = machine.verdict();

    CHECK_FALSE(verdict.source);
    CHECK(reason_for(verdict, "iam-role") == "IMDSv2: no role attached");
}

TEST_CASE("botocore: IMDS refusing connections gives no credentials") {
    Machine machine;
    ImdsProbe probe;
    probe.endpoint = "http://127.0.0.1:9";
    probe.token.failure = TransportFailure::connection_refused;
    probe.v1_problem = "connection refused";
    machine.imds = probe;
    machine.env.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:9");

    const ToolVerdict verdict = machine.verdict();

    CHECK_FALSE(verdict.source);
    CHECK(contains(reason_for(verdict, "iam-role"), "unreachable"));
}

TEST_CASE("botocore: expired IMDS credentials are taken, with botocore's expiry moved ahead") {
    Machine machine;
    machine.imds = healthy_probe("ASIAROLE0006");
    machine.imds->credentials_v2->expiration = kNow - std::chrono::minutes(5);

    const ToolVerdict verdict = machine.verdict();

    CHECK(key_of(verdict) == "ASIAROLE0006");
    CHECK_FALSE(verdict.failure);
    CHECK(contains(verdict.source->refresh_note, "17-25 minutes"));
}

TEST_CASE("botocore: the location is the endpoint botocore asks, noted when the probe differed") {
    Machine machine;
    machine.imds = healthy_probe("ASIAROLE0007");
    machine.env.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:8111/");

    const ToolVerdict verdict = machine.verdict();

    CHECK(verdict.source->location == "http://127.0.0.1:8111/");
    CHECK(contains(verdict.source->refresh_note, "the probe asked http://169.254.169.254"));
}

// --- what happens before the chain ----------------------------------------------------

TEST_CASE("botocore: a broken config file fails even when env keys are set") {
    Machine machine;
    machine.env_keys("AKIAENV000000014");
    machine.config("[default]\nregion\n");

    const ToolVerdict verdict = machine.verdict();

    CHECK_FALSE(verdict.source);
    CHECK(contains(verdict.failure.value_or(""), "ConfigParseError"));
}

TEST_CASE("botocore: a metadata timeout that is not a number raises ValueError") {
    Machine machine;
    machine.env_keys("AKIAENV000000015");
    machine.env.set("AWS_METADATA_SERVICE_TIMEOUT", "1.5");

    const ToolVerdict verdict = machine.verdict();

    CHECK(contains(verdict.failure.value_or(""), "ValueError"));
}

}  // namespace
}  // namespace credkit
