#include "credkit/hazards.hpp"

#include <algorithm>
#include <set>

#include <doctest/doctest.h>

#include "credkit/diagnose_report.hpp"

namespace credkit {
namespace {

using namespace std::chrono_literals;
using std::filesystem::perms;

const TimePoint kNow = TimePoint(std::chrono::seconds(1'800'000'000));
constexpr auto kPrivate = perms::owner_read | perms::owner_write;

// A machine in memory: HOME is /h, files and variables as each test sets them.
struct Machine {
    MapEnvironment env;
    MapFileView files;
    MachineView view{env, files, "/h", kNow};

    std::vector<Hazard> hazards(const std::vector<ToolVerdict>& verdicts) {
        return find_hazards(view, verdicts);
    }
};

SourceUse source(std::string method, std::string location, std::string section = {}) {
    SourceUse use;
    use.method = std::move(method);
    use.location = std::move(location);
    use.section = std::move(section);
    use.access_key_id = "AKIAEXAMPLEKEY000001";
    return use;
}

ToolVerdict uses(Tool tool, SourceUse use, std::string profile = "default") {
    return ToolVerdict{tool, std::move(use), {}, {}, std::move(profile)};
}

std::vector<std::string> codes(const std::vector<Hazard>& hazards) {
    std::vector<std::string> out;
    for (const auto& hazard : hazards) {
        out.push_back(hazard.code);
    }
    return out;
}

bool has(const std::vector<Hazard>& hazards, std::string_view code) {
    return std::ranges::any_of(hazards, [code](const Hazard& h) { return h.code == code; });
}

const std::string kRefreshedSection =
    "[default]\n"
    "aws_access_key_id = ASIAEXAMPLEKEY000001\n"
    "aws_secret_access_key = secret\n"
    "aws_session_token = token\n"
    "expiry_time = 2027-01-15T08:00:00Z\n";

TEST_CASE("boto3 reading a credentials file that records an expiry is the first hazard") {
    Machine machine;
    machine.files.add("/h/.aws/credentials", kRefreshedSection, kPrivate, kNow - 24h);
    auto use = source("shared-credentials-file", "/h/.aws/credentials", "default");
    use.has_session_token = true;

    const auto hazards =
        machine.hazards({uses(Tool::boto3, use), uses(Tool::htslib, source("anonymous", ""))});

    REQUIRE_FALSE(hazards.empty());
    CHECK(hazards.front().code == "boto3-reads-refreshed-file");
    CHECK(hazards.front().severity == Severity::error);
    CHECK(hazards.front().tool == "boto3");
    CHECK(hazards.front().finding.find("records an expiry") != std::string::npos);
    CHECK(hazards.front().fix.find("HTS_S3_S3CFG") != std::string::npos);
}

TEST_CASE("a credentials file named by a refresher is flagged even without an expiry") {
    Machine machine;
    machine.files.add("/h/.aws/credentials",
                      "[default]\naws_access_key_id = AKIAEXAMPLEKEY000001\n"
                      "aws_secret_access_key = secret\n",
                      kPrivate, kNow - 48h);
    machine.view.refreshed_files["/h/.aws/credentials"] = "a running refresher writes it";

    const auto hazards = machine.hazards(
        {uses(Tool::boto3, source("shared-credentials-file", "/h/.aws/credentials", "default"))});

    REQUIRE(has(hazards, "boto3-reads-refreshed-file"));
    CHECK(hazards.front().finding.find("a running refresher writes it") != std::string::npos);
}

TEST_CASE("a session token rewritten within hours marks a credentials file as refreshed") {
    Machine machine;
    machine.files.add("/h/.aws/credentials",
                      "[default]\naws_access_key_id = ASIAEXAMPLEKEY000001\n"
                      "aws_secret_access_key = s\naws_session_token = t\n",
                      kPrivate, kNow - 10min);
    const auto verdict =
        uses(Tool::boto3, source("shared-credentials-file", "/h/.aws/credentials", "default"));

    const auto recent = machine.hazards({verdict});
    machine.files.add("/h/.aws/credentials",
                      "[default]\naws_access_key_id = ASIAEXAMPLEKEY000001\n"
                      "aws_secret_access_key = s\naws_session_token = t\n",
                      kPrivate, kNow - 30h);
    const auto old = machine.hazards({verdict});

    CHECK(has(recent, "boto3-reads-refreshed-file"));
    CHECK_FALSE(has(old, "boto3-reads-refreshed-file"));
}

TEST_CASE("long-term keys in a credentials file, or the AWS CLI reading it, raise nothing") {
    Machine machine;
    machine.files.add("/h/.aws/credentials",
                      "[default]\naws_access_key_id = AKIAEXAMPLEKEY000001\n"
                      "aws_secret_access_key = secret\n",
                      kPrivate, kNow - 1h);
    machine.files.add("/h/.aws/other", kRefreshedSection, kPrivate, kNow - 1h);

    const auto boto3 = machine.hazards(
        {uses(Tool::boto3, source("shared-credentials-file", "/h/.aws/credentials", "default"))});
    const auto awscli = machine.hazards(
        {uses(Tool::awscli, source("shared-credentials-file", "/h/.aws/other", "default"))});

    CHECK(codes(boto3).empty());
    CHECK_FALSE(has(awscli, "boto3-reads-refreshed-file"));
}

TEST_CASE("environment keys hiding a refreshed file are flagged for the tool that takes them") {
    Machine machine;
    machine.files.add("/h/.aws/credentials", kRefreshedSection, kPrivate, kNow - 1h);

    const auto hazards = machine.hazards({uses(Tool::htslib, source("env", "AWS_ACCESS_KEY_ID"))});

    REQUIRE(has(hazards, "env-shadows-refreshed-file"));
    CHECK(hazards.front().tool == "htslib");
}

TEST_CASE("expired credentials are an error, soon-expiring ones a warning, renewed ones nothing") {
    Machine machine;
    auto expired = source("s3cfg", "/h/.s3cfg", "default");
    expired.expires = kNow - 5min;
    auto soon = source("env", "AWS_ACCESS_KEY_ID");
    soon.expires = kNow + 5min;
    auto renewed = source("iam-role", "http://169.254.169.254");
    renewed.expires = kNow - 5min;
    renewed.refreshes = true;

    const auto hazards = machine.hazards(
        {uses(Tool::s3cmd, expired), uses(Tool::htslib, soon), uses(Tool::boto3, renewed)});

    CHECK(codes(hazards) == std::vector<std::string>{"expired-credentials", "expiring-soon"});
    CHECK(hazards[0].tool == "s3cmd");
    CHECK(hazards[1].tool == "htslib");
}

TEST_CASE(
    "keys about to end in a file a refresher renews are no warning for a tool that re-reads") {
    Machine machine;
    machine.files.add("/h/hts.s3cfg", "[default]\naccess_key = ASIAX\n");
    machine.view.refreshed_files["/h/hts.s3cfg"] = "a running refresher writes it";
    auto use = source("s3cfg", "/h/hts.s3cfg", "default");
    use.expires = kNow + 5min;

    const auto htslib = machine.hazards({uses(Tool::htslib, use)});
    machine.view.refreshed_files.clear();
    const auto unrenewed = machine.hazards({uses(Tool::htslib, use)});

    CHECK(codes(htslib).empty());
    CHECK(codes(unrenewed) == std::vector<std::string>{"expiring-soon"});
}

TEST_CASE("a temporary key id without its session token is an error") {
    Machine machine;
    auto use = source("env", "AWS_ACCESS_KEY_ID");
    use.access_key_id = "ASIAEXAMPLEKEY000001";

    const auto hazards = machine.hazards({uses(Tool::boto3, use)});

    CHECK(codes(hazards) == std::vector<std::string>{"session-key-without-token"});
}

TEST_CASE("a missing profile stops botocore but only misleads htslib") {
    Machine machine;
    machine.files.add("/h/.aws/credentials", "[other]\naws_access_key_id = AKIAX\n");
    ToolVerdict boto3{Tool::boto3, {}, {}, "The config profile (prod) could not be found", "prod"};
    ToolVerdict htslib{Tool::htslib, source("anonymous", ""), {}, {}, "prod"};

    const auto hazards = machine.hazards({boto3, htslib});

    REQUIRE(codes(hazards) ==
            std::vector<std::string>{"profile-missing", "profile-missing", "htslib-anonymous"});
    CHECK(hazards[0].severity == Severity::error);
    CHECK(hazards[0].tool == "boto3");
    CHECK(hazards[1].severity == Severity::warning);
}

TEST_CASE("a profile defined only in the config file is not missing for botocore") {
    Machine machine;
    machine.files.add("/h/.aws/config", "[profile prod]\ncredential_process = x\n");
    ToolVerdict boto3 = uses(Tool::boto3, source("custom-process", "x"), "prod");

    CHECK_FALSE(has(machine.hazards({boto3}), "profile-missing"));
}

TEST_CASE("a tool that fails or finds nothing is an error") {
    Machine machine;
    ToolVerdict fails{Tool::boto3, {}, {}, "partial credentials found in env", "default"};
    ToolVerdict nothing{Tool::s3cmd, {}, {}, {}, "default"};

    const auto hazards = machine.hazards({fails, nothing});

    CHECK(codes(hazards) == std::vector<std::string>{"tool-fails", "no-credentials"});
    CHECK(hazards[0].finding.find("partial credentials") != std::string::npos);
}

TEST_CASE("an s3cfg with expiry_time is flagged for the tool that reads it") {
    Machine machine;
    machine.files.add("/h/.s3cfg",
                      "[default]\naccess_key = AKIAX\nsecret_key = s\n"
                      "expiry_time = 2027-01-01T00:00:00Z\n");

    const auto hazards =
        machine.hazards({uses(Tool::htslib, source("s3cfg", "/h/.s3cfg", "default"))});

    CHECK(codes(hazards) == std::vector<std::string>{"s3cfg-expiry-ignored"});
}

TEST_CASE("temporary keys from an s3cfg warn of s3cmd's role refresh, and note long reads") {
    Machine machine;
    auto use = source("s3cfg", "/h/.s3cfg", "default");
    use.has_session_token = true;

    const auto hazards = machine.hazards({uses(Tool::htslib, use), uses(Tool::s3cmd, use)});

    REQUIRE(codes(hazards) == std::vector<std::string>{"s3cmd-role-refresh", "htslib-long-stream"});
    CHECK(hazards[1].severity == Severity::info);
}

TEST_CASE("htslib's refreshable section must hold the four keys and a readable expiry") {
    Machine machine;
    machine.files.add("/h/.aws/credentials", kRefreshedSection + "region = eu-west-1\n");
    auto use = source("shared-credentials-file", "/h/.aws/credentials", "default");
    use.refreshes = false;  // as the model says when it cannot parse expiry_time

    const auto hazards = machine.hazards({uses(Tool::htslib, use)});

    CHECK(codes(hazards) ==
          std::vector<std::string>{"htslib-expiry-unreadable", "htslib-refresh-extra-keys"});
}

TEST_CASE("a credentials file readable by others is flagged, a private one is not") {
    Machine machine;
    machine.files.add("/h/.aws/credentials", "[a]\naws_secret_access_key = s\n",
                      kPrivate | perms::group_read | perms::others_read);
    machine.files.add("/h/.s3cfg", "[default]\nsecret_key = s\n", kPrivate);

    const auto hazards = machine.hazards({});

    REQUIRE(codes(hazards) == std::vector<std::string>{"file-permissions"});
    CHECK(hazards[0].fix == "chmod 600 /h/.aws/credentials");
}

TEST_CASE("an expired section no tool uses is a warning of its own") {
    Machine machine;
    machine.files.add("/h/.aws/credentials",
                      "[old]\naws_access_key_id = AKIAX\n"
                      "aws_expiration = 2020-01-01T00:00:00Z\n");

    CHECK(codes(machine.hazards({})) == std::vector<std::string>{"expired-file"});
}

TEST_CASE("an http proxy without an exemption for IMDS is flagged for botocore") {
    Machine machine;
    machine.env.set("http_proxy", "http://proxy:3128");
    const std::vector<ToolVerdict> verdicts{uses(Tool::boto3, source("iam-role", "imds"))};

    const auto proxied = machine.hazards(verdicts);
    machine.env.set("NO_PROXY", "localhost, .169.254.169.254");
    const auto exempt = machine.hazards(verdicts);

    CHECK(codes(proxied) == std::vector<std::string>{"imds-proxy"});
    CHECK(codes(exempt).empty());
}

ImdsProbe probe(ProbeExchange token, std::optional<ProbeExchange> v1) {
    ImdsProbe result;
    result.endpoint = "http://169.254.169.254";
    result.token = token;
    result.v1 = v1;
    return result;
}

TEST_CASE("the probe's answers name the hop limit, IMDSv1 only and IMDSv1 still enabled") {
    Machine machine;
    const ProbeExchange timed_out{TransportFailure::timed_out, 0, 1000ms};
    const ProbeExchange ok{TransportFailure::none, 200, 1ms};
    const ProbeExchange refused_token{TransportFailure::none, 403, 1ms};
    const ProbeExchange unauthorized{TransportFailure::none, 401, 1ms};

    machine.view.imds = probe(timed_out, unauthorized);
    const auto hop_limit = codes(machine.hazards({}));
    machine.view.imds = probe(refused_token, ok);
    const auto v1_only = codes(machine.hazards({}));
    machine.view.imds = probe(ok, ok);
    const auto v1_enabled = machine.hazards({});
    machine.view.imds = probe(ok, unauthorized);
    const auto v2_only = codes(machine.hazards({}));

    CHECK(hop_limit == std::vector<std::string>{"imds-hop-limit"});
    CHECK(v1_only == std::vector<std::string>{"imdsv1-only"});
    CHECK(codes(v1_enabled) == std::vector<std::string>{"imdsv1-enabled"});
    CHECK(v1_enabled[0].severity == Severity::info);
    CHECK(v2_only.empty());
}

TEST_CASE("clock skew warns past a minute and is an error past fifteen") {
    Machine machine;
    const ProbeExchange ok{TransportFailure::none, 200, 1ms};
    auto skewed = probe(ok, ProbeExchange{TransportFailure::none, 401, 1ms});

    skewed.clock_skew = 30s;
    machine.view.imds = skewed;
    const auto small = machine.hazards({});
    skewed.clock_skew = -2min;
    machine.view.imds = skewed;
    const auto ahead = machine.hazards({});
    skewed.clock_skew = 20min;
    machine.view.imds = skewed;
    const auto large = machine.hazards({});

    CHECK(small.empty());
    REQUIRE(codes(ahead) == std::vector<std::string>{"clock-skew"});
    CHECK(ahead[0].severity == Severity::warning);
    CHECK(ahead[0].finding.find("ahead of") != std::string::npos);
    REQUIRE(codes(large) == std::vector<std::string>{"clock-skew"});
    CHECK(large[0].severity == Severity::error);
}

TEST_CASE("the catalogue's codes are unique and every code found is in it") {
    std::set<std::string_view> catalogue;
    for (const auto& kind : hazard_catalogue()) {
        CHECK(catalogue.insert(kind.code).second);
        CHECK_FALSE(kind.meaning.empty());
    }

    Machine machine;
    machine.files.add("/h/.aws/credentials", kRefreshedSection, kPrivate | perms::others_read);
    machine.env.set("http_proxy", "http://proxy:3128");
    auto use = source("shared-credentials-file", "/h/.aws/credentials", "default");
    use.access_key_id = "ASIAEXAMPLEKEY000001";
    use.expires = kNow - 1h;
    for (const auto& hazard : machine.hazards({uses(Tool::boto3, use)})) {
        CHECK(catalogue.contains(hazard.code));
    }
}

TEST_CASE("the exit code is 2 for errors, 1 for warnings and 0 for information alone") {
    Diagnosis diagnosis;
    CHECK(diagnosis.exit_code() == 0);
    diagnosis.hazards.push_back(Hazard{"imdsv1-enabled", Severity::info, "all", "", ""});
    CHECK(diagnosis.exit_code() == 0);
    diagnosis.hazards.push_back(Hazard{"imds-proxy", Severity::warning, "boto3", "", ""});
    CHECK(diagnosis.exit_code() == 1);
    diagnosis.hazards.push_back(Hazard{"no-credentials", Severity::error, "s3cmd", "", ""});
    CHECK(diagnosis.exit_code() == 2);
}

}  // namespace
}  // namespace credkit
