#include "credkit/credential_file.hpp"

#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <sys/stat.h>

#include "credkit/credential_format.hpp"
#include "credkit/credential_source.hpp"

namespace credkit {
namespace {

// What is on disk now: content, mode and owner, or nothing.
struct Existing {
    std::string content;
    mode_t mode;
    uid_t uid;
    gid_t gid;
};

Result<std::optional<Existing>> read_existing(const std::filesystem::path& path) {
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) {
        if (errno == ENOENT) {
            return std::optional<Existing>{};
        }
        return fail(ErrorKind::write_failed, fmt::format("cannot read {}", path.string()),
                    std::strerror(errno));
    }
    auto content = read_text_file(path);
    if (!content) {
        return fail(std::move(content.error()));
    }
    return Existing{std::move(*content), static_cast<mode_t>(info.st_mode & 07777), info.st_uid,
                    info.st_gid};
}

bool up_to_date(const Existing& existing, const std::string& content, const OutputSpec& spec) {
    if (existing.content != content || existing.mode != spec.mode) {
        return false;
    }
    return !spec.owner || (existing.uid == spec.owner->uid && existing.gid == spec.owner->gid);
}

Result<std::string> merge_ini(const OutputSpec& spec, const Credentials& credentials,
                              const std::optional<std::string>& current) {
    auto document = IniDocument::parse(current.value_or(""), spec.path.string());
    if (!document) {
        return fail(std::move(document.error())
                        .within(fmt::format("cannot update {}", spec.path.string())));
    }
    if (spec.format == OutputFormat::s3cfg) {
        apply_s3cfg(*document, spec.section, credentials, spec.s3cfg);
    } else {
        apply_aws_credentials(*document, spec.section, credentials);
    }
    return document->str();
}

}  // namespace

Result<OutputFormat> parse_output_format(std::string_view name) {
    if (name == "s3cfg") {
        return OutputFormat::s3cfg;
    }
    if (name == "aws-credentials") {
        return OutputFormat::aws_credentials;
    }
    if (name == "env") {
        return OutputFormat::env;
    }
    if (name == "credential-process") {
        return OutputFormat::credential_process;
    }
    return fail(ErrorKind::usage, fmt::format("unknown output format '{}'", name),
                "expected s3cfg, aws-credentials, env or credential-process");
}

std::string_view output_format_name(OutputFormat format) {
    switch (format) {
        case OutputFormat::s3cfg:
            return "s3cfg";
        case OutputFormat::aws_credentials:
            return "aws-credentials";
        case OutputFormat::env:
            return "env";
        case OutputFormat::credential_process:
            return "credential-process";
    }
    return "s3cfg";
}

Result<std::string> render_output(const OutputSpec& spec, const Credentials& credentials,
                                  const std::optional<std::string>& current) {
    switch (spec.format) {
        case OutputFormat::s3cfg:
        case OutputFormat::aws_credentials:
            return merge_ini(spec, credentials, current);
        case OutputFormat::env:
            return render_credentials(credentials, CredentialFormat::env);
        case OutputFormat::credential_process:
            return render_credentials(credentials, CredentialFormat::credential_process);
    }
    return fail(ErrorKind::failure, "cannot render output", "unknown format");
}

Result<OutputChange> update_output(const OutputSpec& spec, const Credentials& credentials,
                                   bool dry_run) {
    auto existing = read_existing(spec.path);
    if (!existing) {
        return fail(std::move(existing.error()));
    }
    const std::optional<std::string> current =
        *existing ? std::optional((*existing)->content) : std::nullopt;
    auto content = render_output(spec, credentials, current);
    if (!content) {
        return fail(std::move(content.error()));
    }

    OutputChange change{spec.path, !(*existing && up_to_date(**existing, *content, spec))};
    if (change.changed && !dry_run) {
        AtomicWriteOptions options;
        options.mode = spec.mode;
        options.owner = spec.owner;
        if (auto written = write_file_atomically(spec.path, *content, options); !written) {
            wipe_string(*content);
            return fail(std::move(written.error()));
        }
    }
    wipe_string(*content);
    if (*existing) {
        wipe_string((*existing)->content);
    }
    return change;
}

}  // namespace credkit
