// The vocabulary of `credkit diagnose`: what it looks at (a MachineView: environment
// variables, files, the metadata service as probed), what it concludes for each tool (a
// ToolVerdict: the source that wins in that tool's own order and every source skipped on
// the way), and what will go wrong (Hazards).
//
// The models of each tool (botocore_model, htslib_model, s3cmd_model) and the hazard rules
// are pure functions of a MachineView, so that tests can build any machine in memory.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "credkit/credentials.hpp"
#include "credkit/environment.hpp"
#include "credkit/http_client.hpp"
#include "credkit/timestamp.hpp"

namespace credkit {

enum class Tool { boto3, awscli, htslib, s3cmd };

// "boto3", "awscli", "htslib", "s3cmd".
std::string_view tool_name(Tool tool);
std::optional<Tool> parse_tool(std::string_view name);

// A file as diagnose sees it: its text and the metadata hazards need.
struct FileInfo {
    std::string text;
    std::filesystem::perms permissions = std::filesystem::perms::none;
    TimePoint modified;  // mtime, whole seconds
};

// Reads files for the models; a fake in tests, the real file system in the product.
class FileView {
public:
    virtual ~FileView() = default;
    // The file, or nothing when it does not exist or cannot be read.
    [[nodiscard]] virtual std::optional<FileInfo> read(const std::filesystem::path& path) const = 0;
};

class SystemFileView final : public FileView {
public:
    [[nodiscard]] std::optional<FileInfo> read(const std::filesystem::path& path) const override;
};

// Answers each path from the first read: the models and the hazard rules look at the same few
// files many times in one run, and should all see one version of each.
class CachingFileView final : public FileView {
public:
    explicit CachingFileView(const FileView& inner) : inner_(inner) {}

    [[nodiscard]] std::optional<FileInfo> read(const std::filesystem::path& path) const override {
        auto found = cache_.find(path);
        if (found == cache_.end()) {
            found = cache_.emplace(path, inner_.read(path)).first;
        }
        return found->second;
    }

private:
    const FileView& inner_;
    mutable std::map<std::filesystem::path, std::optional<FileInfo>> cache_;
};

// Whether this machine shows the marks of an EC2 instance (the DMI vendor or asset tag, or a
// Xen hypervisor uuid starting "ec2"), read through `files` from /sys.
bool looks_like_ec2(const FileView& files);

class MapFileView final : public FileView {
public:
    void add(std::filesystem::path path, std::string text,
             std::filesystem::perms permissions = std::filesystem::perms::owner_read |
                                                  std::filesystem::perms::owner_write,
             TimePoint modified = {}) {
        files_[std::move(path)] = FileInfo{std::move(text), permissions, modified};
    }
    [[nodiscard]] std::optional<FileInfo> read(const std::filesystem::path& path) const override {
        const auto found = files_.find(path);
        if (found == files_.end()) {
            return std::nullopt;
        }
        return found->second;
    }

private:
    std::map<std::filesystem::path, FileInfo> files_;
};

// One request of a probe: either a transport failure or an HTTP status.
struct ProbeExchange {
    TransportFailure failure = TransportFailure::none;
    long status = 0;  // when failure == none
    std::chrono::milliseconds took{0};

    [[nodiscard]] bool answered(long wanted) const {
        return failure == TransportFailure::none && status == wanted;
    }
};

// What asking the metadata service showed, the way each tool would ask it.
struct ImdsProbe {
    std::string endpoint;             // the base URL asked
    ProbeExchange token;              // PUT /latest/api/token
    std::optional<ProbeExchange> v1;  // GET of the role list without a token
    std::optional<std::string> role;  // the first role listed
    // The role's credentials as read with a token, and as read without one. Unset when that
    // way of asking gave none; `*_problem` says why ("no role attached", "malformed json").
    std::optional<Credentials> credentials_v2;
    std::optional<std::string> v2_problem;
    std::optional<Credentials> credentials_v1;
    std::optional<std::string> v1_problem;
    // The server's Date header minus the local clock, when a Date header came back.
    std::optional<std::chrono::seconds> clock_skew;
};

// Everything diagnose looks at. The models read only this.
struct MachineView {
    const Environment& env;
    const FileView& files;
    std::filesystem::path home;  // $HOME, where ~ points
    TimePoint now;
    std::optional<std::string> profile;  // a profile named in code or by --profile
    std::optional<std::string> url;      // the s3:// URL htslib will open, if given
    std::optional<ImdsProbe> imds;       // nothing when probes were off or skipped
    std::string imds_not_probed_reason;  // why `imds` is empty, for skipped sources
    // Files that a credential refresher is known to rewrite (credkit's config outputs, a
    // running `write-s3cfg --watch`), with what says so.
    std::map<std::filesystem::path, std::string> refreshed_files;
    // Runs a credential_process command line (as botocore would, through a shell-less split)
    // and returns its stdout, or nothing when it failed. Unset when diagnose must not run
    // commands (--no-probe): a model then names the command without its key.
    std::function<std::optional<std::string>(const std::string& command)> run_command;
};

// Where a tool takes credentials from. `method` is the tool's own name for the source: for
// boto3 and the AWS CLI, botocore's method name ("env", "shared-credentials-file",
// "custom-process", "iam-role", ...); for htslib "url", "env", "shared-credentials-file",
// "s3cfg", "awssecret" or "anonymous"; for s3cmd "s3cfg", "env", "shared-credentials-file"
// or "iam-role".
struct SourceUse {
    std::string method;
    std::string location;       // file path, variable name, command or endpoint
    std::string section;        // profile or section, when there is one
    std::string access_key_id;  // full id; shown by its last 4 characters only
    bool has_session_token = false;
    std::optional<TimePoint> expires;  // when knowable
    bool refreshes = false;            // whether this tool renews them by itself
    std::string refresh_note;          // how or why not, one line
};

struct SkippedSource {
    std::string method;
    std::string reason;  // "AWS_ACCESS_KEY_ID is not set"
};

struct ToolVerdict {
    Tool tool;
    std::optional<SourceUse> source;     // nothing: the tool has no credentials
    std::vector<SkippedSource> skipped;  // in the tool's order, before the winner
    // Set when the tool will raise rather than go on (a profile named but missing, half a
    // key pair in the environment, a broken file): what it will say.
    std::optional<std::string> failure;
    std::string profile;  // the profile (or s3cfg section) this tool uses
};

enum class Severity { info, warning, error };

// "info", "warning", "error".
std::string_view severity_name(Severity severity);

struct Hazard {
    std::string code;  // stable, listed in credkit-diagnose(1)
    Severity severity = Severity::warning;
    std::string tool;     // the tool it affects, or "all"
    std::string finding;  // one line, no secrets
    std::string fix;      // one concrete step
};

}  // namespace credkit
