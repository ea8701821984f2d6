// The files `write-s3cfg` keeps fresh. An s3cfg or AWS credentials file is updated in place:
// only the credential keys of one section change, and every other section, key and comment
// stays as it was. env and credential-process files are rewritten whole. A file whose content
// and mode are already right is not touched at all (its mtime stays), which is what makes
// repeated runs idempotent for Ansible.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include <sys/types.h>

#include "credkit/atomic_file.hpp"
#include "credkit/credential_format.hpp"
#include "credkit/credentials.hpp"
#include "credkit/error.hpp"
#include "credkit/ini_document.hpp"

namespace credkit {

enum class OutputFormat { s3cfg, aws_credentials, env, credential_process };

// "s3cfg", "aws-credentials", "env", "credential-process".
Result<OutputFormat> parse_output_format(std::string_view name);
std::string_view output_format_name(OutputFormat format);

struct OutputSpec {
    std::filesystem::path path;
    OutputFormat format = OutputFormat::s3cfg;
    std::string section = "default";  // s3cfg section or credentials-file profile
    mode_t mode = 0600;
    std::optional<FileOwner> owner;
    S3cfgSettings s3cfg;
};

// The file's new content, given its current content (nothing: the file does not exist).
Result<std::string> render_output(const OutputSpec& spec, const Credentials& credentials,
                                  const std::optional<std::string>& current);

struct OutputChange {
    std::filesystem::path path;
    bool changed = false;
};

// Brings one file up to date. With `dry_run` it only says whether it would change.
Result<OutputChange> update_output(const OutputSpec& spec, const Credentials& credentials,
                                   bool dry_run = false);

}  // namespace credkit
