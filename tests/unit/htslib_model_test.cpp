#include "credkit/htslib_model.hpp"

#include <doctest/doctest.h>

namespace credkit {
namespace {

constexpr const char* kHome = "/home/u";
constexpr const char* kCredentials = "/home/u/.aws/credentials";
constexpr const char* kS3cfg = "/home/u/.s3cfg";
constexpr const char* kAwsSecret = "/home/u/.awssecret";

// A machine in memory: set env, add files, maybe a URL, then run the model.
struct Machine {
    MapEnvironment env;
    MapFileView files;
    std::optional<std::string> url;
    TimePoint now = TimePoint(std::chrono::seconds(1'800'000'000));

    ToolVerdict verdict() const {
        MachineView view{env, files, kHome, now, std::nullopt, url, std::nullopt, "", {}, {}};
        return model_htslib(view);
    }
};

TimePoint at(std::string_view text) {
    return *parse_rfc3339(text);
}

std::string methods_skipped(const ToolVerdict& verdict) {
    std::string methods;
    for (const auto& skipped : verdict.skipped) {
        methods += (methods.empty() ? "" : ",") + skipped.method;
    }
    return methods;
}

bool contains(std::string_view text, std::string_view part) {
    return text.find(part) != std::string_view::npos;
}

// The expiry htslib gives `text` in a credentials file, or nothing when it sees none.
std::optional<TimePoint> expiry_of(const std::string& text) {
    Machine machine;
    machine.files.add(kCredentials,
                      "[default]\naws_access_key_id = AKIAFILE\naws_secret_access_key = s\n"
                      "expiry_time = " +
                          text + "\n");
    return machine.verdict().source->expires;
}

}  // namespace

TEST_CASE("htslib with nothing anywhere sends anonymous requests after trying every source") {
    Machine machine;

    const ToolVerdict verdict = machine.verdict();

    REQUIRE(verdict.source);
    CHECK(verdict.source->method == "anonymous");
    CHECK(verdict.source->access_key_id.empty());
    CHECK(methods_skipped(verdict) == "url,env,shared-credentials-file,s3cfg,awssecret");
    CHECK(verdict.skipped[1].reason == "AWS_ACCESS_KEY_ID is not set");
    CHECK(contains(verdict.skipped[2].reason, kCredentials));
    CHECK(verdict.profile == "default");
    CHECK_FALSE(verdict.failure);
}

TEST_CASE("htslib takes id, secret and token from the url's user part and reads nothing else") {
    Machine machine;
    machine.url = "s3://AKIAURL1:se%2Fcret:tok@bucket/key.vcf";
    machine.env.set("AWS_ACCESS_KEY_ID", "AKIAENV1");
    machine.env.set("AWS_SECRET_ACCESS_KEY", "s");

    const ToolVerdict verdict = machine.verdict();

    REQUIRE(verdict.source);
    CHECK(verdict.source->method == "url");
    CHECK(verdict.source->access_key_id == "AKIAURL1");
    CHECK(verdict.source->has_session_token);
    CHECK_FALSE(verdict.source->refreshes);
    CHECK(verdict.skipped.empty());
    CHECK_FALSE(verdict.failure);
}

TEST_CASE("htslib reads the url's user part for s3+http and s3+https urls too") {
    for (const char* url : {"s3+http://AKIAURL1:s@bucket/key", "s3+https://AKIAURL1:s@bucket/key",
                            "s3:AKIAURL1:s@bucket/key"}) {
        CAPTURE(url);
        Machine machine;
        machine.url = url;

        const ToolVerdict verdict = machine.verdict();

        REQUIRE(verdict.source);
        CHECK(verdict.source->method == "url");
        CHECK(verdict.source->access_key_id == "AKIAURL1");
    }
}

TEST_CASE("an unescaped slash in the url's secret hides the whole user part from htslib") {
    Machine machine;
    machine.url = "s3://AKIAURL1:se/cret@bucket/key";
    machine.env.set("AWS_ACCESS_KEY_ID", "AKIAENV1");
    machine.env.set("AWS_SECRET_ACCESS_KEY", "s");

    const ToolVerdict verdict = machine.verdict();

    CHECK(verdict.source->method == "env");
    CHECK(verdict.source->access_key_id == "AKIAENV1");
}

TEST_CASE("a profile in the url picks the section and turns the environment off") {
    Machine machine;
    machine.url = "s3://work@bucket/key";
    machine.env.set("AWS_ACCESS_KEY_ID", "AKIAENV1");
    machine.env.set("AWS_SECRET_ACCESS_KEY", "s");
    machine.env.set("AWS_SESSION_TOKEN", "envtoken");
    machine.env.set("AWS_PROFILE", "other");
    machine.files.add(kCredentials,
                      "[other]\naws_access_key_id = AKIAOTHR\naws_secret_access_key = o\n"
                      "[work]\naws_access_key_id = AKIAWORK\naws_secret_access_key = w\n");

    const ToolVerdict verdict = machine.verdict();

    REQUIRE(verdict.source);
    CHECK(verdict.source->method == "shared-credentials-file");
    CHECK(verdict.source->access_key_id == "AKIAWORK");
    CHECK(verdict.source->section == "work");
    CHECK_FALSE(verdict.source->has_session_token);
    CHECK(verdict.profile == "work");
    CHECK(methods_skipped(verdict) == "url,env");
    CHECK(contains(verdict.skipped[0].reason, "profile 'work'"));
    CHECK(contains(verdict.skipped[1].reason, "not read"));
}

TEST_CASE("a profile in the url still lets the file variables choose the files") {
    Machine machine;
    machine.url = "s3+http://work@bucket/key";
    machine.env.set("AWS_SHARED_CREDENTIALS_FILE", "/etc/creds");
    machine.env.set("HTS_S3_S3CFG", "/etc/s3cfg");
    machine.files.add("/etc/s3cfg", "[work]\naccess_key = AKIAS3CF\nsecret_key = s\n");
    machine.files.add(kS3cfg, "[work]\naccess_key = AKIAHOME\nsecret_key = s\n");

    const ToolVerdict verdict = machine.verdict();

    CHECK(verdict.source->method == "s3cfg");
    CHECK(verdict.source->location == "/etc/s3cfg");
    CHECK(verdict.source->access_key_id == "AKIAS3CF");
    CHECK(contains(verdict.skipped[2].reason, "/etc/creds"));
}

TEST_CASE("a key id alone in the url is a profile name, not a key") {
    Machine machine;
    machine.url = "s3://AKIAURL1@bucket/key";

    const ToolVerdict verdict = machine.verdict();

    CHECK(verdict.source->method == "anonymous");
    CHECK(verdict.profile == "AKIAURL1");
}

TEST_CASE("an empty profile in the url makes htslib crash on a file with sections") {
    Machine machine;
    machine.url = "s3://@bucket/key";
    machine.files.add(kCredentials, "[default]\naws_access_key_id = AKIAFILE\n");

    const ToolVerdict verdict = machine.verdict();

    CHECK_FALSE(verdict.source);
    REQUIRE(verdict.failure);
    CHECK(contains(*verdict.failure, "crashes"));
}

TEST_CASE("an empty profile in the url still reads keys placed before any section") {
    Machine machine;
    machine.url = "s3://@bucket/key";
    machine.files.add(kS3cfg, "access_key = AKIAGLOB\nsecret_key = s\n");

    const ToolVerdict verdict = machine.verdict();

    CHECK(verdict.source->method == "s3cfg");
    CHECK(verdict.source->access_key_id == "AKIAGLOB");
    CHECK_FALSE(verdict.failure);
}

TEST_CASE("environment keys shadow the credentials file and the s3cfg") {
    Machine machine;
    machine.env.set("AWS_ACCESS_KEY_ID", "AKIAENV1");
    machine.env.set("AWS_SECRET_ACCESS_KEY", "s");
    machine.env.set("AWS_SESSION_TOKEN", "t");
    machine.files.add(kCredentials, "[default]\naws_access_key_id = AKIAFILE\n");
    machine.files.add(kS3cfg, "[default]\naccess_key = AKIAS3CF\nsecret_key = s\n");

    const ToolVerdict verdict = machine.verdict();

    CHECK(verdict.source->method == "env");
    CHECK(verdict.source->location == "AWS_ACCESS_KEY_ID");
    CHECK(verdict.source->access_key_id == "AKIAENV1");
    CHECK(verdict.source->has_session_token);
    CHECK_FALSE(verdict.source->refreshes);
    CHECK(methods_skipped(verdict) == "url");
    CHECK_FALSE(verdict.failure);
}

TEST_CASE("an empty AWS_ACCESS_KEY_ID lets the files decide") {
    Machine machine;
    machine.env.set("AWS_ACCESS_KEY_ID", "");
    machine.files.add(kS3cfg, "[default]\naccess_key = AKIAS3CF\nsecret_key = s\n");

    const ToolVerdict verdict = machine.verdict();

    CHECK(verdict.source->method == "s3cfg");
    CHECK(verdict.skipped[1].reason == "AWS_ACCESS_KEY_ID is set but empty");
}

TEST_CASE("a credentials file section shadows the s3cfg") {
    Machine machine;
    machine.files.add(kCredentials,
                      "[default]\naws_access_key_id = AKIAFILE\naws_secret_access_key = s\n");
    machine.files.add(kS3cfg, "[default]\naccess_key = AKIAS3CF\nsecret_key = s\n");

    const ToolVerdict verdict = machine.verdict();

    CHECK(verdict.source->method == "shared-credentials-file");
    CHECK(verdict.source->location == kCredentials);
    CHECK(verdict.source->section == "default");
    CHECK(verdict.source->access_key_id == "AKIAFILE");
    CHECK_FALSE(verdict.failure);
}

TEST_CASE("a credentials file without the profile's section falls through to the s3cfg") {
    Machine machine;
    machine.env.set("AWS_PROFILE", "work");
    machine.files.add(kCredentials,
                      "[default]\naws_access_key_id = AKIAFILE\naws_secret_access_key = s\n");
    machine.files.add(kS3cfg, "[work]\naccess_key = AKIAS3CF\nsecret_key = s\n");

    const ToolVerdict verdict = machine.verdict();

    CHECK(verdict.source->method == "s3cfg");
    CHECK(verdict.source->section == "work");
    CHECK(contains(verdict.skipped[2].reason, "has no [work] section"));
}

TEST_CASE("a missing section falls through to awssecret, first word the id, second the secret") {
    Machine machine;
    machine.files.add(kS3cfg, "[other]\naccess_key = AKIAS3CF\nsecret_key = s\n");
    machine.files.add(kAwsSecret, "  AKIASIMP\nsecretword\n");

    const ToolVerdict verdict = machine.verdict();

    CHECK(verdict.source->method == "awssecret");
    CHECK(verdict.source->location == kAwsSecret);
    CHECK(verdict.source->access_key_id == "AKIASIMP");
    CHECK_FALSE(verdict.failure);
    CHECK(methods_skipped(verdict) == "url,env,shared-credentials-file,s3cfg");
}

TEST_CASE("AWS_DEFAULT_PROFILE wins over AWS_PROFILE, even when empty") {
    Machine machine;
    machine.env.set("AWS_PROFILE", "prof");
    machine.files.add(kCredentials,
                      "[dflt]\naws_access_key_id = AKIADFLT\naws_secret_access_key = s\n"
                      "[prof]\naws_access_key_id = AKIAPROF\naws_secret_access_key = s\n");

    machine.env.set("AWS_DEFAULT_PROFILE", "dflt");
    CHECK(machine.verdict().source->access_key_id == "AKIADFLT");

    machine.env.set("AWS_DEFAULT_PROFILE", "");
    const ToolVerdict verdict = machine.verdict();
    CHECK(verdict.source->method == "anonymous");
    CHECK(verdict.profile.empty());
}

TEST_CASE("keys before any section header count for every profile and sections override them") {
    Machine machine;
    machine.env.set("AWS_PROFILE", "work");
    machine.files.add(kCredentials,
                      "aws_access_key_id = AKIAGLOB\naws_secret_access_key = g\n"
                      "[default]\naws_access_key_id = AKIADFLT\n");

    CHECK(machine.verdict().source->access_key_id == "AKIAGLOB");

    machine.env.set("AWS_PROFILE", "default");
    CHECK(machine.verdict().source->access_key_id == "AKIADFLT");
}

TEST_CASE("a hash line is a key that matches nothing, not a comment") {
    Machine machine;
    machine.files.add(kCredentials,
                      "[default]\n# aws_access_key_id = AKIAHASH\naws_access_key_id = AKIAREAL\n"
                      "aws_secret_access_key = s # not a comment\n");

    const ToolVerdict verdict = machine.verdict();

    CHECK(verdict.source->access_key_id == "AKIAREAL");

    machine.files.add(kCredentials, "[default]\n#aws_access_key_id = AKIAHASH\n");
    CHECK(machine.verdict().source->method == "anonymous");
}

TEST_CASE("a colon separates key and value as an equals sign does, whichever comes first") {
    Machine machine;
    machine.files.add(kS3cfg, "[default]\r\n  access_key:AKIACOLN  \r\nsecret_key: a=b\r\n");

    const ToolVerdict verdict = machine.verdict();

    CHECK(verdict.source->access_key_id == "AKIACOLN");
    CHECK_FALSE(verdict.failure);
}

TEST_CASE("a section header must start the line and match the profile exactly") {
    Machine machine;
    machine.files.add(kCredentials,
                      " [default]\n[ default ]\naws_access_key_id = AKIANOPE\n"
                      "[profile default]\naws_access_key_id = AKIANOPE\n");

    CHECK(machine.verdict().source->method == "anonymous");
}

TEST_CASE("the last value of a key wins, and an empty one empties it") {
    Machine machine;
    machine.files.add(kCredentials,
                      "[default]\naws_access_key_id = AKIAFRST\naws_access_key_id = AKIALAST\n"
                      "aws_secret_access_key = s\n");
    CHECK(machine.verdict().source->access_key_id == "AKIALAST");

    machine.files.add(kCredentials,
                      "[default]\naws_access_key_id = AKIAFRST\naws_access_key_id =\n");
    const ToolVerdict verdict = machine.verdict();
    CHECK(verdict.source->method == "anonymous");
    CHECK(contains(verdict.skipped[2].reason, "aws_access_key_id is empty"));
}

TEST_CASE("the s3cfg named by HTS_S3_S3CFG replaces ~/.s3cfg") {
    Machine machine;
    machine.env.set("HTS_S3_S3CFG", "/etc/hts.s3cfg");
    machine.files.add("/etc/hts.s3cfg", "[default]\naccess_key = AKIAVARS\nsecret_key = s\n");
    machine.files.add(kS3cfg, "[default]\naccess_key = AKIAHOME\nsecret_key = s\n");

    const ToolVerdict verdict = machine.verdict();

    CHECK(verdict.source->access_key_id == "AKIAVARS");
    CHECK(verdict.source->location == "/etc/hts.s3cfg");
    CHECK_FALSE(verdict.source->refreshes);
    CHECK(contains(verdict.source->refresh_note, "never inside an open file"));
    CHECK_FALSE(verdict.failure);
}

TEST_CASE("the credentials file named by AWS_SHARED_CREDENTIALS_FILE replaces the default") {
    Machine machine;
    machine.env.set("AWS_SHARED_CREDENTIALS_FILE", "~/creds");
    machine.files.add("/home/u/creds",
                      "[default]\naws_access_key_id = AKIAVARS\naws_secret_access_key = s\n");
    machine.files.add(kCredentials,
                      "[default]\naws_access_key_id = AKIAHOME\naws_secret_access_key = s\n");

    CHECK(machine.verdict().source->access_key_id == "AKIAVARS");

    machine.env.set("AWS_SHARED_CREDENTIALS_FILE", "");
    CHECK(machine.verdict().source->method == "anonymous");
}

TEST_CASE("the secret htslib signs with may come from an earlier source than the key id") {
    Machine machine;
    machine.env.set("AWS_SECRET_ACCESS_KEY", "envsecret");
    machine.files.add(kS3cfg, "[default]\naccess_key = AKIAS3CF\n");

    const ToolVerdict verdict = machine.verdict();

    CHECK(verdict.source->method == "s3cfg");
    REQUIRE(verdict.failure);
    CHECK(contains(*verdict.failure, "secret key from AWS_SECRET_ACCESS_KEY"));
    CHECK_FALSE(contains(*verdict.failure, "envsecret"));
}

TEST_CASE("a leftover AWS_SESSION_TOKEN is sent with the file's keys") {
    Machine machine;
    machine.env.set("AWS_SESSION_TOKEN", "envtoken");
    machine.files.add(kCredentials,
                      "[default]\naws_access_key_id = AKIAFILE\naws_secret_access_key = s\n");

    const ToolVerdict verdict = machine.verdict();

    CHECK(verdict.source->has_session_token);
    REQUIRE(verdict.failure);
    CHECK(contains(*verdict.failure, "session token from AWS_SESSION_TOKEN"));
}

TEST_CASE("a key id without a secret makes htslib send unsigned requests") {
    Machine machine;
    machine.env.set("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEENV1");
    machine.files.add(kS3cfg, "[default]\naccess_key = AKIAS3CF\nsecret_key = s\n");

    const ToolVerdict verdict = machine.verdict();

    CHECK(verdict.source->method == "anonymous");
    CHECK(methods_skipped(verdict) == "url,env,shared-credentials-file,s3cfg,awssecret");
    CHECK(contains(verdict.skipped[1].reason, "****ENV1"));
    CHECK(contains(verdict.skipped[3].reason, "not read"));
    REQUIRE(verdict.failure);
    CHECK(contains(*verdict.failure, "unsigned"));
}

TEST_CASE("awssecret appends its secret to one an earlier source left") {
    Machine machine;
    machine.env.set("AWS_SECRET_ACCESS_KEY", "envsecret");
    machine.files.add(kAwsSecret, "AKIASIMP\nsecretword\n");

    const ToolVerdict verdict = machine.verdict();

    CHECK(verdict.source->method == "awssecret");
    REQUIRE(verdict.failure);
    CHECK(contains(*verdict.failure, "AWS_SECRET_ACCESS_KEY then /home/u/.awssecret"));
}

TEST_CASE("only a credentials file with a valid expiry_time is refreshed by htslib") {
    Machine machine;
    machine.files.add(kCredentials,
                      "[default]\naws_access_key_id = AKIAFILE\naws_secret_access_key = s\n"
                      "aws_session_token = t\nexpiry_time = 2027-01-15T08:00:00Z\n");

    const ToolVerdict verdict = machine.verdict();

    REQUIRE(verdict.source);
    CHECK(verdict.source->refreshes);
    CHECK(verdict.source->expires == at("2027-01-15T08:00:00Z"));
    CHECK(verdict.source->has_session_token);
    CHECK(contains(verdict.source->refresh_note, "60 s"));
    CHECK(contains(verdict.source->refresh_note, "never inside a single request"));
    CHECK_FALSE(verdict.failure);
}

TEST_CASE("a credentials file without expiry_time is never re-read") {
    Machine machine;
    machine.files.add(kCredentials,
                      "[default]\naws_access_key_id = AKIAFILE\naws_secret_access_key = s\n");

    const ToolVerdict verdict = machine.verdict();

    CHECK_FALSE(verdict.source->refreshes);
    CHECK_FALSE(verdict.source->expires);
    CHECK(contains(verdict.source->refresh_note, "never re-reads"));
}

TEST_CASE("htslib reads expiry_time with a Z or a numeric zone and a T, t or space") {
    CHECK(expiry_of("2027-01-15T08:00:00Z") == at("2027-01-15T08:00:00Z"));
    CHECK(expiry_of("2027-01-15t08:00:00z") == at("2027-01-15T08:00:00Z"));
    CHECK(expiry_of("2027-01-15 08:00:00Z") == at("2027-01-15T08:00:00Z"));
    CHECK(expiry_of("2027-01-15T10:00:00+02:00") == at("2027-01-15T08:00:00Z"));
    CHECK(expiry_of("2027-01-15T06:30:00-01:30") == at("2027-01-15T08:00:00Z"));
    CHECK(expiry_of("2027-01-15T08:00:00Zjunk") == at("2027-01-15T08:00:00Z"));
    CHECK(expiry_of("2027-01-31T32:00:00Z") == at("2027-02-01T08:00:00Z"));
}

TEST_CASE("htslib counts fractional seconds, a missing zone or an odd separator as no expiry") {
    for (const char* text :
         {"2027-01-15T08:00:00.000Z", "2027-01-15T08:00:00", "2027-01-15X08:00:00Z",
          "1969-12-31T23:00:00Z", "tomorrow", "1700000000"}) {
        CAPTURE(text);
        Machine machine;
        machine.files.add(kCredentials,
                          "[default]\naws_access_key_id = AKIAFILE\naws_secret_access_key = s\n"
                          "expiry_time = " +
                              std::string(text) + "\n");

        const ToolVerdict verdict = machine.verdict();

        CHECK_FALSE(verdict.source->expires);
        CHECK_FALSE(verdict.source->refreshes);
        CHECK(contains(verdict.source->refresh_note, "not a time htslib reads"));
    }
}

TEST_CASE("a refreshable section holding other keys trips htslib's re-read") {
    Machine machine;
    machine.files.add(kCredentials,
                      "[default]\naws_access_key_id = AKIAFILE\naws_secret_access_key = s\n"
                      "region = eu-west-1\nexpiry_time = 2027-01-15T08:00:00Z\n");

    const ToolVerdict verdict = machine.verdict();

    CHECK(verdict.source->refreshes);
    CHECK(contains(verdict.source->refresh_note, "'region'"));
}

TEST_CASE("an expiry_time in an s3cfg means nothing to htslib") {
    Machine machine;
    machine.files.add(kS3cfg,
                      "[default]\naccess_key = AKIAS3CF\nsecret_key = s\n"
                      "expiry_time = 2027-01-15T08:00:00Z\n");

    const ToolVerdict verdict = machine.verdict();

    CHECK(verdict.source->method == "s3cfg");
    CHECK_FALSE(verdict.source->refreshes);
    CHECK_FALSE(verdict.source->expires);
}

TEST_CASE("a url htslib's s3 plugin does not open is a failure") {
    Machine machine;
    machine.url = "https://bucket.s3.amazonaws.com/key";

    const ToolVerdict verdict = machine.verdict();

    CHECK_FALSE(verdict.source);
    CHECK(verdict.failure);
}

}  // namespace credkit

namespace credkit {

TEST_CASE("an s3cfg written by credkit tells when its keys end, though htslib ignores it") {
    Machine machine;
    machine.files.add(kS3cfg,
                      "[default]\naccess_key = ASIAS3CFG\nsecret_key = s\n"
                      "access_token = t\n"
                      "# credkit: credentials expire at 2027-01-15T08:00:00Z\n");

    const ToolVerdict verdict = machine.verdict();

    REQUIRE(verdict.source);
    CHECK(verdict.source->method == "s3cfg");
    CHECK(verdict.source->expires == at("2027-01-15T08:00:00Z"));
    CHECK_FALSE(verdict.source->refreshes);
}

}  // namespace credkit
