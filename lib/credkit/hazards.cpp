#include "credkit/hazards.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "credkit/credential_format.hpp"
#include "credkit/credential_source.hpp"
#include "credkit/duration.hpp"
#include "credkit/ini_document.hpp"

namespace credkit {
namespace {

namespace fs = std::filesystem;

// Each code's meaning, as --list-hazards and credkit-diagnose(1) give it. Codes are part of
// the product contract: never renamed, never reused.
constexpr std::array kCatalogue{
    HazardKind{"boto3-reads-refreshed-file", Severity::error,
               "boto3 reads a shared credentials file that a refresher rewrites; it reads it "
               "once per session and signs with expired keys hours later"},
    HazardKind{"env-shadows-refreshed-file", Severity::warning,
               "keys in the environment win over a file that a refresher keeps fresh; they "
               "will expire unrenewed"},
    HazardKind{"expired-credentials", Severity::error,
               "a tool's credentials have already expired and it will not renew them"},
    HazardKind{"expiring-soon", Severity::warning,
               "a tool's credentials expire within 15 minutes and it will not renew them"},
    HazardKind{"expired-file", Severity::warning,
               "a credentials file or s3cfg holds expired credentials"},
    HazardKind{"session-key-without-token", Severity::error,
               "a temporary (ASIA) key id comes without its session token; every request "
               "will be refused"},
    HazardKind{"profile-missing", Severity::error,
               "the profile in effect is named but no file defines it"},
    HazardKind{"tool-fails", Severity::error,
               "the tool will stop with an error before it finds credentials"},
    HazardKind{"no-credentials", Severity::error, "the tool finds no credentials at all"},
    HazardKind{"htslib-anonymous", Severity::warning,
               "htslib finds no credentials and sends unsigned requests; a private bucket "
               "answers 403"},
    HazardKind{"s3cfg-expiry-ignored", Severity::warning,
               "an s3cfg carries expiry_time, which htslib and s3cmd ignore there"},
    HazardKind{"htslib-long-stream", Severity::info,
               "htslib signs with temporary keys from an s3cfg, which it reads only when a "
               "file is opened; a read that outlives them fails"},
    HazardKind{"htslib-refresh-extra-keys", Severity::warning,
               "a credentials section that htslib refreshes holds keys beyond the four it "
               "re-reads, which trips a known htslib bug during the re-read"},
    HazardKind{"htslib-expiry-unreadable", Severity::warning,
               "htslib cannot parse the section's expiry_time, so it never re-reads the file"},
    HazardKind{"s3cmd-role-refresh", Severity::warning,
               "an s3cfg with a session token makes s3cmd refresh from the instance role by "
               "itself, replacing the file's keys with the role's"},
    HazardKind{"file-permissions", Severity::warning,
               "a file holding credentials can be read by group or others"},
    HazardKind{"imds-proxy", Severity::warning,
               "an HTTP proxy is set and NO_PROXY does not exempt the metadata service: "
               "botocore sends its IMDS requests through the proxy"},
    HazardKind{"imds-hop-limit", Severity::warning,
               "the IMDSv2 token request timed out while a plain request answered: the PUT "
               "response hop limit is too low for this container"},
    HazardKind{"imdsv1-only", Severity::warning,
               "the metadata service refuses IMDSv2 tokens and answers only IMDSv1"},
    HazardKind{"imdsv1-enabled", Severity::info,
               "the metadata service still answers IMDSv1 requests without a token"},
    HazardKind{"clock-skew", Severity::warning,
               "the local clock differs from the metadata service's; signatures fail beyond "
               "15 minutes"},
};

// An expiry closer than this, with nobody to renew it, is worth a warning.
constexpr std::chrono::minutes kExpiringSoonWindow{15};
// A file rewritten this recently and holding a session token was written by a refresher.
constexpr std::chrono::hours kRecentlyRewritten{6};
constexpr std::chrono::seconds kSkewWarning{60};
constexpr std::chrono::minutes kSkewError{15};

const std::string kImdsHost = "169.254.169.254";

class Findings {
public:
    explicit Findings(std::vector<Hazard>& out) : out_(out) {}

    void add(std::string_view code, std::string_view tool, std::string finding, std::string fix,
             std::optional<Severity> severity = std::nullopt) {
        // Every code comes from the catalogue; the unit tests hold the rules to it.
        const auto kind = std::ranges::find(kCatalogue, code, &HazardKind::code);
        const Severity usual = kind == kCatalogue.end() ? Severity::warning : kind->severity;
        out_.push_back(Hazard{std::string(code), severity.value_or(usual), std::string(tool),
                              std::move(finding), std::move(fix)});
    }

private:
    std::vector<Hazard>& out_;
};

std::optional<IniDocument> parse_ini(const MachineView& view, const fs::path& path) {
    const auto file = view.files.read(path);
    if (!file) {
        return std::nullopt;
    }
    auto document = IniDocument::parse(file->text, path.string());
    return document ? std::optional(std::move(*document)) : std::nullopt;
}

fs::path expand_home(const MachineView& view, const std::string& path) {
    if (path == "~" || path.starts_with("~/")) {
        return view.home / path.substr(std::min<std::size_t>(path.size(), 2));
    }
    return path;
}

fs::path credentials_file(const MachineView& view) {
    return expand_home(
        view, view.env.non_empty("AWS_SHARED_CREDENTIALS_FILE").value_or("~/.aws/credentials"));
}

fs::path config_file(const MachineView& view) {
    return expand_home(view, view.env.non_empty("AWS_CONFIG_FILE").value_or("~/.aws/config"));
}

fs::path htslib_s3cfg(const MachineView& view) {
    return expand_home(view, view.env.non_empty("HTS_S3_S3CFG").value_or("~/.s3cfg"));
}

bool same_file(const fs::path& a, const fs::path& b) {
    return a.lexically_normal() == b.lexically_normal();
}

// Why we believe a refresher rewrites this file, or nothing.
std::optional<std::string> refresh_evidence(const MachineView& view, const fs::path& path,
                                            const std::string& section) {
    for (const auto& [refreshed, why] : view.refreshed_files) {
        if (same_file(refreshed, path)) {
            return why;
        }
    }
    const auto document = parse_ini(view, path);
    if (document && section_expiry(*document, section)) {
        return fmt::format("its [{}] section records an expiry, as refreshers write", section);
    }
    const auto file = view.files.read(path);
    const bool has_token = document && (document->get(section, "aws_session_token") ||
                                        document->get(section, "aws_security_token"));
    if (file && has_token && view.now - file->modified < kRecentlyRewritten &&
        view.now >= file->modified) {
        return fmt::format("it holds a session token and was rewritten {} ago",
                           format_duration(view.now - file->modified));
    }
    return std::nullopt;
}

std::string where(const SourceUse& source) {
    return source.section.empty() ? source.location
                                  : fmt::format("{} [{}]", source.location, source.section);
}

std::string_view name(const ToolVerdict& verdict) {
    return tool_name(verdict.tool);
}

const std::string kHtslibFix =
    "give htslib an s3cfg of its own that credkit keeps fresh (credkit write-s3cfg --watch -o "
    "/run/credkit/hts.s3cfg) and set HTS_S3_S3CFG=/run/credkit/hts.s3cfg for htslib only";

void refreshed_file_for_boto3(const MachineView& view, const ToolVerdict& verdict,
                              Findings& findings) {
    const auto& source = verdict.source;
    if (verdict.tool != Tool::boto3 || !source || source->method != "shared-credentials-file") {
        return;
    }
    const auto evidence = refresh_evidence(view, source->location, source->section);
    if (!evidence) {
        return;
    }
    findings.add(
        "boto3-reads-refreshed-file", "boto3",
        fmt::format("boto3 takes its keys from {}, which a refresher rewrites ({}); boto3 reads "
                    "it once per session, so a long-lived process keeps signing with these keys "
                    "after they expire",
                    where(*source), *evidence),
        fmt::format("keep that file away from boto3 (remove the [{}] section or "
                    "AWS_SHARED_CREDENTIALS_FILE from its environment) so that it uses the "
                    "instance role, which it refreshes itself; {}",
                    source->section, kHtslibFix));
}

// The files a tool would read after its environment, for the shadowing check.
std::vector<std::pair<fs::path, std::string>> files_behind_env(const MachineView& view,
                                                               const ToolVerdict& verdict) {
    std::vector<std::pair<fs::path, std::string>> files{{credentials_file(view), verdict.profile}};
    if (verdict.tool == Tool::htslib) {
        files.emplace_back(htslib_s3cfg(view), verdict.profile);
    }
    return files;
}

void env_shadows_refreshed_file(const MachineView& view, const ToolVerdict& verdict,
                                Findings& findings) {
    if (!verdict.source || verdict.source->method != "env" || verdict.tool == Tool::s3cmd) {
        return;
    }
    for (const auto& [path, section] : files_behind_env(view, verdict)) {
        if (!view.files.read(path)) {
            continue;
        }
        if (const auto evidence = refresh_evidence(view, path, section)) {
            findings.add("env-shadows-refreshed-file", name(verdict),
                         fmt::format("{} takes AWS_ACCESS_KEY_ID from the environment, which "
                                     "hides {} ({}); the environment's keys will not be renewed",
                                     name(verdict), path.string(), *evidence),
                         "unset AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN "
                         "in this program's environment");
            return;
        }
    }
}

// Whether a refresher renews the file the tool reads, and the tool reads it again: htslib
// and s3cmd read their files at each open or run, each `aws` command reads them anew; boto3
// never does.
bool renewed_by_a_refresher(const MachineView& view, const ToolVerdict& verdict) {
    const auto& source = *verdict.source;
    const bool file = source.method == "s3cfg" || source.method == "shared-credentials-file";
    return file && verdict.tool != Tool::boto3 &&
           refresh_evidence(view, source.location, source.section).has_value();
}

void expiry_of_source(const MachineView& view, const ToolVerdict& verdict, Findings& findings) {
    const auto& source = verdict.source;
    if (!source || !source->expires || source->refreshes) {
        return;
    }
    const auto left = *source->expires - view.now;
    if (left <= Seconds(0)) {
        findings.add("expired-credentials", name(verdict),
                     fmt::format("{} uses {} ({}), which expired at {}, {} ago", name(verdict),
                                 source->method, where(*source), format_rfc3339(*source->expires),
                                 format_duration(-left)),
                     "renew the credentials at their source, and have them kept fresh "
                     "(credkit write-s3cfg --watch for files)");
    } else if (left < kExpiringSoonWindow && !renewed_by_a_refresher(view, verdict)) {
        findings.add(
            "expiring-soon", name(verdict),
            fmt::format("{} uses {} ({}), which expires at {}, in {}, and {} will not "
                        "renew them",
                        name(verdict), source->method, where(*source),
                        format_rfc3339(*source->expires), format_duration(left), name(verdict)),
            "renew the credentials before then, or have them kept fresh");
    }
}

void session_key_without_token(const ToolVerdict& verdict, Findings& findings) {
    const auto& source = verdict.source;
    if (!source || !source->access_key_id.starts_with("ASIA") || source->has_session_token) {
        return;
    }
    findings.add("session-key-without-token", name(verdict),
                 fmt::format("{} uses a temporary key id from {} without a session token; AWS "
                             "refuses every request signed with it",
                             name(verdict), where(*source)),
                 "add the session token beside the key (aws_session_token, access_token or "
                 "AWS_SESSION_TOKEN), or use long-term keys");
}

bool profile_defined(const MachineView& view, const ToolVerdict& verdict) {
    const auto has = [&view](const fs::path& path, const std::string& section) {
        const auto document = parse_ini(view, path);
        return document && document->has_section(section);
    };
    const std::string& profile = verdict.profile;
    if (has(credentials_file(view), profile)) {
        return true;
    }
    if (verdict.tool == Tool::htslib) {
        return has(htslib_s3cfg(view), profile);
    }
    return has(config_file(view), "profile " + profile) ||
           (profile == "default" && has(config_file(view), "default"));
}

bool profile_missing(const MachineView& view, const ToolVerdict& verdict, Findings& findings) {
    if (verdict.tool == Tool::s3cmd || verdict.profile.empty() || verdict.profile == "default" ||
        profile_defined(view, verdict)) {
        return false;
    }
    const bool botocore = verdict.tool == Tool::boto3 || verdict.tool == Tool::awscli;
    if (!botocore && verdict.source && verdict.source->method != "anonymous" &&
        verdict.source->method != "awssecret") {
        return false;  // htslib found the profile's keys elsewhere (the URL or the environment)
    }
    findings.add(
        "profile-missing", name(verdict),
        botocore ? fmt::format("{} is told to use profile '{}', which neither {} nor {} defines; "
                               "it will stop with ProfileNotFound",
                               name(verdict), verdict.profile, credentials_file(view).string(),
                               config_file(view).string())
                 : fmt::format("htslib looks for profile '{}', which neither {} nor {} defines, "
                               "and goes on without it",
                               verdict.profile, credentials_file(view).string(),
                               htslib_s3cfg(view).string()),
        fmt::format("add a [{}] section, or stop naming the profile (AWS_PROFILE, "
                    "AWS_DEFAULT_PROFILE, --profile or the URL)",
                    verdict.profile),
        botocore ? Severity::error : Severity::warning);
    return true;
}

void unusable(const MachineView& view, const ToolVerdict& verdict, Findings& findings) {
    if (profile_missing(view, verdict, findings) && verdict.tool != Tool::htslib) {
        return;
    }
    if (verdict.failure) {
        findings.add("tool-fails", name(verdict),
                     fmt::format("{} will stop with an error: {}", name(verdict), *verdict.failure),
                     "fix the source named in the error, or remove it");
    } else if (!verdict.source) {
        findings.add("no-credentials", name(verdict),
                     fmt::format("{} finds no credentials on this machine", name(verdict)),
                     "attach an instance role, or give the tool a credentials source");
    } else if (verdict.source->method == "anonymous") {
        findings.add("htslib-anonymous", "htslib",
                     "htslib finds no credentials and will send unsigned requests", kHtslibFix);
    }
}

void htslib_file_rules(const MachineView& view, const ToolVerdict& verdict, Findings& findings) {
    const auto& source = verdict.source;
    if (verdict.tool != Tool::htslib || !source) {
        return;
    }
    if (source->method == "s3cfg" && source->has_session_token) {
        findings.add("htslib-long-stream", "htslib",
                     fmt::format("htslib signs with temporary keys from {}, which it reads only "
                                 "when a file is opened; a read still open when they expire fails",
                                 where(*source)),
                     "for reads that can outlive the keys, also keep a credentials file with "
                     "expiry_time for htslib alone (credkit write-s3cfg --also-credentials-file), "
                     "named only in the htslib process's environment");
    }
    if (source->method != "shared-credentials-file") {
        return;
    }
    const auto document = parse_ini(view, source->location);
    if (!document || !document->get(source->section, "expiry_time")) {
        return;
    }
    if (!source->refreshes) {
        findings.add("htslib-expiry-unreadable", "htslib",
                     fmt::format("htslib cannot read the expiry_time of {}, so it never re-reads "
                                 "the file",
                                 where(*source)),
                     "write expiry_time as YYYY-MM-DDTHH:MM:SSZ (credkit write-s3cfg "
                     "--also-credentials-file does)");
    }
    const std::array<std::string_view, 4> kRefreshed{"aws_access_key_id", "aws_secret_access_key",
                                                     "aws_session_token", "expiry_time"};
    for (const auto& [key, value] : document->entries(source->section)) {
        if (std::ranges::find(kRefreshed, key) == kRefreshed.end()) {
            findings.add("htslib-refresh-extra-keys", "htslib",
                         fmt::format("{} holds '{}' beside the four keys htslib re-reads; htslib's "
                                     "re-read of such a section can crash or misread",
                                     where(*source), key),
                         "keep only aws_access_key_id, aws_secret_access_key, aws_session_token "
                         "and expiry_time in that section");
            return;
        }
    }
}

void s3cfg_expiry_ignored(const MachineView& view, const std::vector<ToolVerdict>& verdicts,
                          Findings& findings) {
    for (const auto& verdict : verdicts) {
        if (!verdict.source || verdict.source->method != "s3cfg") {
            continue;
        }
        const auto document = parse_ini(view, verdict.source->location);
        const std::string& section = verdict.source->section;
        if (document &&
            (document->get(section, "expiry_time") || document->get("", "expiry_time"))) {
            findings.add("s3cfg-expiry-ignored", name(verdict),
                         fmt::format("{} has expiry_time, which {} ignores in an s3cfg: it will "
                                     "not re-read the file when that time comes",
                                     where(*verdict.source), name(verdict)),
                         "refresh the s3cfg before it expires (credkit write-s3cfg --watch); "
                         "expiry_time only works in an AWS credentials file");
        }
    }
}

void s3cmd_role_refresh(const ToolVerdict& verdict, Findings& findings) {
    const auto& source = verdict.source;
    if (verdict.tool != Tool::s3cmd || !source || source->method != "s3cfg" ||
        !source->has_session_token) {
        return;
    }
    findings.add("s3cmd-role-refresh", "s3cmd",
                 fmt::format("{} holds a session token, so s3cmd refreshes from the instance role "
                             "by itself (asking 169.254.169.254 directly) and may sign with the "
                             "role's keys instead of the file's",
                             where(*source)),
                 "let s3cmd use the instance role directly (no keys in its config), or accept "
                 "that it does; off EC2 it warns 'Could not refresh role' and goes on");
}

// Where a credential file may hold keys: every file any model reads by default.
std::vector<fs::path> credential_files(const MachineView& view,
                                       const std::vector<ToolVerdict>& verdicts) {
    std::vector<fs::path> paths{credentials_file(view), config_file(view), htslib_s3cfg(view),
                                view.home / ".s3cfg", view.home / ".awssecret"};
    for (const auto& [path, why] : view.refreshed_files) {
        paths.push_back(path);
    }
    for (const auto& verdict : verdicts) {
        if (verdict.source && verdict.source->location.starts_with("/")) {
            paths.emplace_back(verdict.source->location);
        }
    }
    std::ranges::sort(paths);
    paths.erase(std::ranges::unique(paths).begin(), paths.end());
    return paths;
}

// Whether a tool takes its keys from this section: its expiry is then reported for that tool.
bool used_by_a_tool(const std::vector<ToolVerdict>& verdicts, const fs::path& path,
                    const std::string& section) {
    return std::ranges::any_of(verdicts, [&](const ToolVerdict& verdict) {
        return verdict.source && verdict.source->section == section &&
               same_file(verdict.source->location, path);
    });
}

bool holds_keys(std::string_view text) {
    for (const std::string_view key :
         {"aws_secret_access_key", "secret_key", "aws_session_token"}) {
        if (text.find(key) != std::string_view::npos) {
            return true;
        }
    }
    return false;
}

void file_rules(const MachineView& view, const std::vector<ToolVerdict>& verdicts,
                Findings& findings) {
    using fs::perms;
    for (const auto& path : credential_files(view, verdicts)) {
        const auto file = view.files.read(path);
        if (!file) {
            continue;
        }
        const bool awssecret = path.filename() == ".awssecret";
        const auto open = file->permissions & (perms::group_read | perms::others_read);
        if (open != perms::none && (awssecret || holds_keys(file->text))) {
            findings.add(
                "file-permissions", "all",
                fmt::format("{} holds credentials and can be read by {}", path.string(),
                            (open & perms::others_read) != perms::none ? "anyone" : "its group"),
                fmt::format("chmod 600 {}", path.string()));
        }
        const auto document = IniDocument::parse(file->text, path.string());
        if (!document) {
            continue;
        }
        for (const auto& section : document->sections()) {
            const auto expires = section_expiry(*document, section);
            if (expires && *expires <= view.now && !used_by_a_tool(verdicts, path, section)) {
                findings.add("expired-file", "all",
                             fmt::format("{} [{}] holds credentials that expired at {}",
                                         path.string(), section, format_rfc3339(*expires)),
                             "refresh the file, or remove the stale section");
            }
        }
    }
}

bool no_proxy_exempts(const MachineView& view, const std::string& host) {
    for (const char* variable : {"no_proxy", "NO_PROXY"}) {
        const auto list = view.env.non_empty(variable);
        if (!list) {
            continue;
        }
        std::string_view rest = *list;
        while (!rest.empty()) {
            const auto comma = rest.find(',');
            std::string_view entry = rest.substr(0, comma);
            rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
            while (!entry.empty() && (entry.front() == ' ' || entry.front() == '.')) {
                entry.remove_prefix(1);
            }
            while (!entry.empty() && entry.back() == ' ') {
                entry.remove_suffix(1);
            }
            if (entry == "*" || entry == host ||
                (host.size() > entry.size() && host.ends_with(entry) &&
                 host[host.size() - entry.size() - 1] == '.')) {
                return true;
            }
        }
    }
    return false;
}

std::string imds_host(const MachineView& view) {
    std::string endpoint = view.imds ? view.imds->endpoint
                                     : view.env.non_empty("AWS_EC2_METADATA_SERVICE_ENDPOINT")
                                           .value_or("http://" + kImdsHost);
    if (const auto scheme = endpoint.find("://"); scheme != std::string::npos) {
        endpoint.erase(0, scheme + 3);
    }
    return endpoint.substr(0, endpoint.find_first_of(":/"));
}

void proxy_rule(const MachineView& view, const std::vector<ToolVerdict>& verdicts,
                Findings& findings) {
    const auto proxy = view.env.non_empty("http_proxy") ? view.env.non_empty("http_proxy")
                                                        : view.env.non_empty("HTTP_PROXY");
    const bool botocore = std::ranges::any_of(verdicts, [](const ToolVerdict& verdict) {
        return verdict.tool == Tool::boto3 || verdict.tool == Tool::awscli;
    });
    const std::string host = imds_host(view);
    if (!proxy || !botocore || no_proxy_exempts(view, host)) {
        return;
    }
    findings.add("imds-proxy", "boto3",
                 fmt::format("http_proxy is set and NO_PROXY does not name {}: botocore sends "
                             "its metadata requests, and gets the role's keys back, through the "
                             "proxy, which may also answer for IMDS",
                             host),
                 fmt::format("add {} to NO_PROXY and no_proxy", host));
}

void probe_rules(const MachineView& view, Findings& findings) {
    if (!view.imds) {
        return;
    }
    const ImdsProbe& probe = *view.imds;
    const bool v1_answers = probe.v1 && probe.v1->answered(200);
    const bool v1_reached = probe.v1 && probe.v1->failure == TransportFailure::none;
    if (probe.token.failure == TransportFailure::timed_out && v1_reached) {
        findings.add("imds-hop-limit", "all",
                     fmt::format("the IMDSv2 token request to {} timed out while a plain request "
                                 "answered: the answer to the PUT dies on its way into this "
                                 "container",
                                 probe.endpoint),
                     "raise the hop limit: aws ec2 modify-instance-metadata-options "
                     "--instance-id ID --http-put-response-hop-limit 2");
    } else if (probe.token.failure == TransportFailure::none && probe.token.status != 200 &&
               v1_answers) {
        findings.add("imdsv1-only", "all",
                     fmt::format("the metadata service refuses the IMDSv2 token request ({}) but "
                                 "answers IMDSv1; tools that require IMDSv2 will fail",
                                 probe.token.status),
                     "make sure no proxy or firewall answers the token PUT, then require IMDSv2: "
                     "aws ec2 modify-instance-metadata-options --instance-id ID --http-tokens "
                     "required");
    } else if (probe.token.answered(200) && v1_answers) {
        findings.add("imdsv1-enabled", "all",
                     "the metadata service still answers IMDSv1 requests without a token",
                     "require IMDSv2: aws ec2 modify-instance-metadata-options --instance-id ID "
                     "--http-tokens required");
    }
    if (probe.clock_skew) {
        const auto skew = std::chrono::abs(*probe.clock_skew);
        if (skew >= kSkewWarning) {
            findings.add("clock-skew", "all",
                         fmt::format("the local clock is {} {} the metadata service's",
                                     format_duration(skew),
                                     probe.clock_skew->count() > 0 ? "behind" : "ahead of"),
                         "synchronise the clock (chrony or systemd-timesyncd, with the Amazon "
                         "Time Sync Service at 169.254.169.123)",
                         skew >= kSkewError ? Severity::error : Severity::warning);
        }
    }
}

}  // namespace

std::span<const HazardKind> hazard_catalogue() {
    return kCatalogue;
}

std::vector<Hazard> find_hazards(const MachineView& view,
                                 const std::vector<ToolVerdict>& verdicts) {
    std::vector<Hazard> hazards;
    Findings findings(hazards);
    for (const auto& verdict : verdicts) {
        refreshed_file_for_boto3(view, verdict, findings);
    }
    for (const auto& verdict : verdicts) {
        env_shadows_refreshed_file(view, verdict, findings);
        unusable(view, verdict, findings);
        expiry_of_source(view, verdict, findings);
        session_key_without_token(verdict, findings);
        htslib_file_rules(view, verdict, findings);
        s3cmd_role_refresh(verdict, findings);
    }
    s3cfg_expiry_ignored(view, verdicts, findings);
    file_rules(view, verdicts, findings);
    proxy_rule(view, verdicts, findings);
    probe_rules(view, findings);
    // Errors first; the central hazard leads its severity because it was found first.
    std::ranges::stable_sort(hazards, std::greater<>(), &Hazard::severity);
    return hazards;
}

}  // namespace credkit
