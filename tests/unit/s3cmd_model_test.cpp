#include "credkit/s3cmd_model.hpp"

#include <string>

#include <doctest/doctest.h>

namespace credkit {
namespace {

const TimePoint kNow = *parse_rfc3339("2026-03-01T12:00:00Z");
constexpr auto kHome = "/home/ada";
constexpr auto kS3cfg = "/home/ada/.s3cfg";
constexpr auto kCredentials = "/home/ada/.aws/credentials";
constexpr auto kRoleEndpoint = "http://169.254.169.254";

// A machine in memory: its environment, its files and what the metadata service showed.
struct Machine {
    MapEnvironment env;
    MapFileView files;
    std::optional<ImdsProbe> imds;
    std::string not_probed = "--no-probe";

    [[nodiscard]] ToolVerdict verdict() const {
        const MachineView view{env, files, kHome, kNow, {}, {}, imds, not_probed, {}, {}};
        return model_s3cmd(view);
    }
};

Credentials role_keys(std::string key_id, TimePoint expires = kNow + std::chrono::hours(6)) {
    Credentials credentials;
    credentials.access_key_id = std::move(key_id);
    credentials.secret_access_key = Secret("role-secret");
    credentials.session_token = Secret("role-token");
    credentials.expiration = expires;
    credentials.last_updated = kNow - std::chrono::minutes(5);
    return credentials;
}

// A probe of IMDSv2 that found a role and its keys.
ImdsProbe role_probe(std::string key_id, std::string endpoint = kRoleEndpoint) {
    ImdsProbe probe;
    probe.endpoint = std::move(endpoint);
    probe.token.status = 200;
    probe.role = "worker";
    probe.credentials_v2 = role_keys(std::move(key_id));
    return probe;
}

ImdsProbe no_role_probe() {
    ImdsProbe probe;
    probe.endpoint = kRoleEndpoint;
    probe.token.status = 200;
    probe.v2_problem = "no role attached";
    return probe;
}

std::string skipped_reason(const ToolVerdict& verdict, std::string_view method) {
    for (const auto& skipped : verdict.skipped) {
        if (skipped.method == method) {
            return skipped.reason;
        }
    }
    return {};
}

bool contains(std::string_view text, std::string_view part) {
    return text.find(part) != std::string_view::npos;
}

}  // namespace

TEST_CASE("s3cmd uses access_key from ~/.s3cfg") {
    Machine machine;
    machine.files.add(kS3cfg, "[default]\naccess_key = AKIAS3CFG0000000001\nsecret_key = s\n");

    const auto verdict = machine.verdict();

    REQUIRE(verdict.source);
    CHECK(verdict.source->method == "s3cfg");
    CHECK(verdict.source->location == kS3cfg);
    CHECK(verdict.source->section == "default");
    CHECK(verdict.source->access_key_id == "AKIAS3CFG0000000001");
    CHECK(verdict.profile == "default");
    CHECK(verdict.skipped.empty());
    CHECK_FALSE(verdict.failure);
}

TEST_CASE("s3cmd reads the file $S3CMD_CONFIG names instead of ~/.s3cfg") {
    Machine machine;
    machine.files.add(kS3cfg, "access_key = AKIAHOME000000000001\nsecret_key = s\n");
    machine.files.add("/etc/s3cmd.cfg", "access_key = AKIANAMED00000000002\nsecret_key = s\n");
    machine.env.set("S3CMD_CONFIG", "/etc/s3cmd.cfg");

    const auto verdict = machine.verdict();

    REQUIRE(verdict.source);
    CHECK(verdict.source->location == "/etc/s3cmd.cfg");
    CHECK(verdict.source->access_key_id == "AKIANAMED00000000002");
}

TEST_CASE("s3cmd takes keys from every section, a later section winning") {
    Machine machine;
    machine.files.add(kS3cfg,
                      "[default]\naccess_key = AKIAFIRST0000000001\nsecret_key = s\n"
                      "[work]\naccess_key = AKIALATER0000000002\n");

    const auto verdict = machine.verdict();

    REQUIRE(verdict.source);
    CHECK(verdict.source->access_key_id == "AKIALATER0000000002");
    CHECK(verdict.source->section == "work");
    CHECK(verdict.profile == "default,work");
}

TEST_CASE("s3cmd skips '#' comment lines and ignores 'key: value' lines") {
    Machine machine;
    machine.files.add(kS3cfg,
                      "access_key = AKIAREAL00000000001\nsecret_key = s\n"
                      "  # access_key = AKIACOMMENTED000002\n"
                      "access_key: AKIACOLON0000000003\n");

    const auto verdict = machine.verdict();

    REQUIRE(verdict.source);
    CHECK(verdict.source->access_key_id == "AKIAREAL00000000001");
}

TEST_CASE("s3cmd strips the double quotes around a value") {
    Machine machine;
    machine.files.add(kS3cfg, "access_key = \"AKIAQUOTED000000001\"\r\nsecret_key = s\r\n");

    const auto verdict = machine.verdict();

    REQUIRE(verdict.source);
    CHECK(verdict.source->access_key_id == "AKIAQUOTED000000001");
}

TEST_CASE("s3cmd takes a $NAME value from the environment") {
    Machine machine;
    machine.files.add(kS3cfg, "access_key = $MY_KEY\nsecret_key = $MY_SECRET\n");
    machine.env.set("MY_KEY", "AKIAFROMVAR00000001");
    machine.env.set("MY_SECRET", "s");

    const auto verdict = machine.verdict();

    REQUIRE(verdict.source);
    CHECK(verdict.source->method == "s3cfg");
    CHECK(verdict.source->access_key_id == "AKIAFROMVAR00000001");
    CHECK(contains(verdict.source->refresh_note, "$MY_KEY"));
}

TEST_CASE("s3cmd falls back to the environment when $NAME is not set") {
    Machine machine;
    machine.files.add(kS3cfg, "access_key = $MY_KEY\n");
    machine.env.set("AWS_ACCESS_KEY_ID", "AKIAENV000000000001");
    machine.env.set("AWS_SECRET_ACCESS_KEY", "s");

    const auto verdict = machine.verdict();

    REQUIRE(verdict.source);
    CHECK(verdict.source->method == "env");
    CHECK(verdict.source->location == "AWS_ACCESS_KEY_ID");
    CHECK(contains(skipped_reason(verdict, "s3cfg"), "$MY_KEY"));
}

TEST_CASE("s3cmd stops when $NAME values refer to each other in a circle") {
    Machine machine;
    machine.files.add(kS3cfg, "access_key = $A\n");
    machine.env.set("A", "$B");
    machine.env.set("B", "$A");

    const auto verdict = machine.verdict();

    CHECK_FALSE(verdict.source);
    REQUIRE(verdict.failure);
    CHECK(contains(*verdict.failure, "recursion"));
}

TEST_CASE("s3cmd prefers AWS_ACCESS_KEY over AWS_ACCESS_KEY_ID") {
    Machine machine;
    machine.env.set("AWS_ACCESS_KEY", "AKIASHORTNAME000001");
    machine.env.set("AWS_ACCESS_KEY_ID", "AKIALONGNAME0000002");
    machine.env.set("AWS_SECRET_ACCESS_KEY", "s");

    const auto verdict = machine.verdict();

    REQUIRE(verdict.source);
    CHECK(verdict.source->location == "AWS_ACCESS_KEY");
    CHECK(verdict.source->access_key_id == "AKIASHORTNAME000001");
    CHECK(contains(skipped_reason(verdict, "s3cfg"), "does not exist"));
}

TEST_CASE("s3cmd stops when an environment key has no secret") {
    Machine machine;
    machine.env.set("AWS_ACCESS_KEY_ID", "AKIAENV000000000001");

    const auto verdict = machine.verdict();

    CHECK_FALSE(verdict.source);
    REQUIRE(verdict.failure);
    CHECK(contains(*verdict.failure, "AWS_SECRET_ACCESS_KEY"));
}

TEST_CASE("s3cmd never reads ~/.aws/credentials while its config file exists") {
    Machine machine;
    machine.files.add(kS3cfg, "[default]\nhost_base = s3.example\n");
    machine.files.add(kCredentials, "[default]\naws_access_key_id = AKIACRED00000000001\n");
    machine.env.set("AWS_PROFILE", "default");
    machine.env.set("AWS_ACCESS_KEY_ID", "AKIAENV000000000002");
    machine.env.set("AWS_SECRET_ACCESS_KEY", "s");

    const auto verdict = machine.verdict();

    REQUIRE(verdict.source);
    CHECK(verdict.source->method == "env");
    CHECK(contains(skipped_reason(verdict, "s3cfg"), "no access_key"));
    CHECK(contains(skipped_reason(verdict, "shared-credentials-file"), "missing"));
}

TEST_CASE("s3cmd without a config file skips ~/.aws/credentials unless AWS_PROFILE is set") {
    Machine machine;
    machine.files.add(kCredentials, "[default]\naws_access_key_id = AKIACRED00000000001\n");
    machine.env.set("AWS_ACCESS_KEY_ID", "AKIAENV000000000002");
    machine.env.set("AWS_SECRET_ACCESS_KEY", "s");

    const auto verdict = machine.verdict();

    REQUIRE(verdict.source);
    CHECK(verdict.source->method == "env");
    CHECK(contains(skipped_reason(verdict, "shared-credentials-file"), "AWS_PROFILE"));
}

TEST_CASE("s3cmd without a config file reads the AWS_PROFILE profile before the environment") {
    Machine machine;
    machine.files.add(kCredentials,
                      "[default]\naws_access_key_id = AKIADEFAULT00000001\n"
                      "aws_secret_access_key = s\n"
                      "[work]\naws_access_key_id = AKIAWORK00000000002\n"
                      "aws_secret_access_key = s\n");
    machine.env.set("AWS_PROFILE", "work");
    machine.env.set("AWS_ACCESS_KEY_ID", "AKIAENV000000000003");
    machine.env.set("AWS_SECRET_ACCESS_KEY", "s");

    const auto verdict = machine.verdict();

    REQUIRE(verdict.source);
    CHECK(verdict.source->method == "shared-credentials-file");
    CHECK(verdict.source->location == kCredentials);
    CHECK(verdict.source->section == "work");
    CHECK(verdict.source->access_key_id == "AKIAWORK00000000002");
    CHECK(verdict.profile == "work");
}

TEST_CASE("s3cmd reads AWS_CREDENTIAL_FILE, not AWS_SHARED_CREDENTIALS_FILE") {
    Machine machine;
    machine.files.add("/srv/shared", "[default]\naws_access_key_id = AKIASHARED000000001\n");
    machine.files.add("/srv/legacy",
                      "[default]\naws_access_key_id = AKIALEGACY000000002\n"
                      "aws_secret_access_key = s\n");
    machine.env.set("AWS_SHARED_CREDENTIALS_FILE", "/srv/shared");
    machine.env.set("AWS_CREDENTIAL_FILE", "/srv/legacy");

    const auto verdict = machine.verdict();

    REQUIRE(verdict.source);
    CHECK(verdict.source->location == "/srv/legacy");
    CHECK(verdict.source->access_key_id == "AKIALEGACY000000002");
}

TEST_CASE("s3cmd reads a credentials file without a header as [default]") {
    Machine machine;
    machine.files.add(kCredentials, "AWSAccessKeyId=AKIAOLDSTYLE0000001\nAWSSecretKey=s\n");
    machine.env.set("AWS_PROFILE", "default");

    const auto verdict = machine.verdict();

    REQUIRE(verdict.source);
    CHECK(verdict.source->access_key_id == "AKIAOLDSTYLE0000001");
    CHECK_FALSE(verdict.failure);
}

TEST_CASE("s3cmd skips a credentials file without the profile") {
    Machine machine;
    machine.files.add(kCredentials, "[default]\naws_access_key_id = AKIADEFAULT00000001\n");
    machine.env.set("AWS_PROFILE", "missing");

    const auto verdict = machine.verdict();

    CHECK(contains(skipped_reason(verdict, "shared-credentials-file"), "no [missing] section"));
}

TEST_CASE("s3cmd stops on a credentials file with a section twice") {
    Machine machine;
    machine.files.add(kCredentials, "[a]\nx = 1\n[a]\ny = 2\n");
    machine.env.set("AWS_PROFILE", "a");

    const auto verdict = machine.verdict();

    REQUIRE(verdict.failure);
    CHECK(contains(*verdict.failure, "section [a] appears again on line 3"));
}

TEST_CASE("s3cmd stops on a credentials file line that is not an option") {
    Machine machine;
    machine.files.add(kCredentials,
                      "[default]\naws_access_key_id = AKIAGARBAGE00000001\ngarbage\n");
    machine.env.set("AWS_PROFILE", "default");

    const auto verdict = machine.verdict();

    CHECK_FALSE(verdict.source);
    REQUIRE(verdict.failure);
    CHECK(contains(*verdict.failure, "cannot parse line 3"));
}

TEST_CASE("s3cmd expands %(name)s in the credentials file as configparser does") {
    Machine machine;
    machine.files.add(kCredentials,
                      "[DEFAULT]\nprefix = AKIAEXPANDED\n"
                      "[default]\naws_access_key_id = %(prefix)s0000001\n"
                      "aws_secret_access_key = 100%%\n");
    machine.env.set("AWS_PROFILE", "default");

    const auto verdict = machine.verdict();

    REQUIRE(verdict.source);
    CHECK(verdict.source->access_key_id == "AKIAEXPANDED0000001");
    CHECK_FALSE(verdict.failure);
}

TEST_CASE("s3cmd stops on a bare '%' in the credentials file") {
    Machine machine;
    machine.files.add(kCredentials,
                      "[default]\naws_access_key_id = AKIAPERCENT00000001\n"
                      "aws_secret_access_key = ab%cd\n");
    machine.env.set("AWS_PROFILE", "default");

    const auto verdict = machine.verdict();

    REQUIRE(verdict.failure);
    CHECK(contains(*verdict.failure, "aws_secret_access_key"));
    CHECK_FALSE(contains(*verdict.failure, "ab%cd"));
}

TEST_CASE("s3cmd keeps the newline of a key that starts on the line after its name") {
    Machine machine;
    machine.files.add(kCredentials,
                      "[default]\naws_access_key_id =\n  AKIANEWLINE00001\n"
                      "aws_secret_access_key = s\n");
    machine.env.set("AWS_PROFILE", "default");

    const auto verdict = machine.verdict();

    // configparser joins the value's lines after an empty first one: s3cmd 2.3's
    // --dump-config shows the same key.
    REQUIRE(verdict.source);
    CHECK(verdict.source->access_key_id == "\nAKIANEWLINE00001");
}

TEST_CASE("s3cmd keeps plain keys without refreshing them") {
    Machine machine;
    machine.files.add(kS3cfg, "access_key = AKIAPLAIN0000000001\nsecret_key = s\n");
    machine.imds = role_probe("ASIAROLE000000000009");

    const auto verdict = machine.verdict();

    REQUIRE(verdict.source);
    CHECK(verdict.source->method == "s3cfg");
    CHECK_FALSE(verdict.source->has_session_token);
    CHECK_FALSE(verdict.source->refreshes);
}

TEST_CASE("s3cmd fails every request on an access key without a secret") {
    Machine machine;
    machine.files.add(kS3cfg, "access_key = AKIANOSECRET0000001\n");

    const auto verdict = machine.verdict();

    REQUIRE(verdict.source);
    REQUIRE(verdict.failure);
    CHECK(contains(*verdict.failure, "no secret key"));
}

TEST_CASE("s3cmd uses the instance role when nothing else has keys") {
    Machine machine;
    machine.imds = role_probe("ASIAROLE000000000001");

    const auto verdict = machine.verdict();

    REQUIRE(verdict.source);
    CHECK(verdict.source->method == "iam-role");
    CHECK(verdict.source->location == kRoleEndpoint);
    CHECK(verdict.source->section == "worker");
    CHECK(verdict.source->access_key_id == "ASIAROLE000000000001");
    CHECK(verdict.source->refreshes);
    CHECK(contains(verdict.source->refresh_note, "2026-03-01T17:45:00Z"));
    CHECK(verdict.skipped.size() == 3);
}

TEST_CASE("s3cmd asks the role before every request when LastUpdated is in the future") {
    Machine machine;
    ImdsProbe probe = role_probe("ASIAROLE000000000001");
    probe.credentials_v2->last_updated = kNow + std::chrono::minutes(3);
    machine.imds = probe;

    const auto verdict = machine.verdict();

    REQUIRE(verdict.source);
    CHECK(contains(verdict.source->refresh_note, "before every request"));
}

TEST_CASE("s3cmd falls back to IMDSv1 when the token PUT fails") {
    Machine machine;
    ImdsProbe probe;
    probe.endpoint = kRoleEndpoint;
    probe.token.failure = TransportFailure::timed_out;
    probe.credentials_v1 = role_keys("ASIAROLEV1000000001");
    machine.imds = probe;

    const auto verdict = machine.verdict();

    REQUIRE(verdict.source);
    CHECK(verdict.source->access_key_id == "ASIAROLEV1000000001");
    CHECK(contains(verdict.source->refresh_note, "IMDSv1"));
}

TEST_CASE("s3cmd without a role says it stops with 'Configuration file not available'") {
    Machine machine;
    machine.imds = no_role_probe();

    const auto verdict = machine.verdict();

    CHECK_FALSE(verdict.source);
    const auto reason = skipped_reason(verdict, "iam-role");
    CHECK(contains(reason, "no role attached"));
    CHECK(contains(reason, "Configuration file not available"));
}

TEST_CASE("s3cmd's role is unknown when diagnose did not probe") {
    Machine machine;

    const auto verdict = machine.verdict();

    CHECK_FALSE(verdict.source);
    const auto reason = skipped_reason(verdict, "iam-role");
    CHECK(contains(reason, "169.254.169.254"));
    CHECK(contains(reason, "--no-probe"));
}

TEST_CASE("s3cmd ignores a probe of another metadata endpoint") {
    Machine machine;
    machine.imds = role_probe("ASIAMOCK000000000001", "http://127.0.0.1:8111");

    const auto verdict = machine.verdict();

    CHECK_FALSE(verdict.source);
    CHECK(contains(skipped_reason(verdict, "iam-role"), "probed http://127.0.0.1:8111 instead"));
}

TEST_CASE("s3cmd asks STS instead of the instance role when AWS_ROLE_ARN is set") {
    Machine machine;
    machine.env.set("AWS_ROLE_ARN", "arn:aws:iam::1:role/x");
    machine.imds = role_probe("ASIAROLE000000000001");

    const auto verdict = machine.verdict();

    CHECK_FALSE(verdict.source);
    CHECK(contains(skipped_reason(verdict, "iam-role"), "STS"));
}

TEST_CASE("s3cmd's session token from the config file may give way to the role, unprobed") {
    Machine machine;
    machine.files.add(kS3cfg,
                      "access_key = ASIAFILE0000000001\nsecret_key = s\naccess_token = t\n");

    const auto verdict = machine.verdict();

    REQUIRE(verdict.source);
    CHECK(verdict.source->method == "s3cfg");
    CHECK(verdict.source->has_session_token);
    CHECK_FALSE(verdict.source->refreshes);
    CHECK(contains(verdict.source->refresh_note, "role's keys replace these"));
    CHECK(contains(verdict.source->refresh_note, "Could not refresh role"));
}

TEST_CASE("s3cmd's session token from the config file gives way to an instance role") {
    Machine machine;
    machine.files.add(kS3cfg,
                      "access_key = ASIAFILE0000000001\nsecret_key = s\naccess_token = t\n");
    machine.imds = role_probe("ASIAROLE000000000002");

    const auto verdict = machine.verdict();

    REQUIRE(verdict.source);
    CHECK(verdict.source->method == "iam-role");
    CHECK(verdict.source->access_key_id == "ASIAROLE000000000002");
    CHECK(contains(skipped_reason(verdict, "s3cfg"), "the role's keys replace these"));
}

TEST_CASE("s3cmd's session token from the config file stays where there is no role") {
    Machine machine;
    machine.files.add(kS3cfg,
                      "access_key = ASIAFILE0000000001\nsecret_key = s\naccess_token = t\n");
    machine.imds = no_role_probe();

    const auto verdict = machine.verdict();

    REQUIRE(verdict.source);
    CHECK(verdict.source->method == "s3cfg");
    CHECK(contains(verdict.source->refresh_note, "no role attached"));
}

TEST_CASE("s3cmd never refreshes a session token from the environment") {
    Machine machine;
    machine.env.set("AWS_ACCESS_KEY_ID", "ASIAENV000000000001");
    machine.env.set("AWS_SECRET_ACCESS_KEY", "s");
    machine.env.set("AWS_SECURITY_TOKEN", "t");
    machine.imds = role_probe("ASIAROLE000000000002");

    const auto verdict = machine.verdict();

    REQUIRE(verdict.source);
    CHECK(verdict.source->method == "env");
    CHECK(verdict.source->has_session_token);
    CHECK(contains(verdict.source->refresh_note, "turns its role refresh off"));
}

TEST_CASE("s3cmd sends the config file's token with environment keys, and refreshes it") {
    Machine machine;
    machine.files.add(kS3cfg, "access_token = t\n");
    machine.env.set("AWS_ACCESS_KEY_ID", "ASIAENV000000000001");
    machine.env.set("AWS_SECRET_ACCESS_KEY", "s");
    machine.imds = role_probe("ASIAROLE000000000002");

    const auto verdict = machine.verdict();

    REQUIRE(verdict.source);
    CHECK(verdict.source->method == "iam-role");
    CHECK(contains(skipped_reason(verdict, "env"), kS3cfg));
}

}  // namespace credkit
