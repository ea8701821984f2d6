// Files that readers never see half-written. The content goes to a temporary file created
// exclusively beside the target (mode 0600 or the one asked for), is flushed and fsynced, is
// renamed over the target, and the directory is fsynced. On any failure the target keeps its
// old content and no temporary file is left behind.
//
// The path itself is replaced: when the target is a symbolic link, the link gives way to a
// regular file and the file it pointed to is left as it was. A run as root therefore cannot be
// led by a planted link into overwriting some other file.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include <sys/types.h>

#include "credkit/error.hpp"

namespace credkit {

struct FileOwner {
    uid_t uid;
    gid_t gid;
};

struct AtomicWriteOptions {
    mode_t mode = 0600;
    std::optional<FileOwner> owner;  // chown before the rename; needs privileges
};

// Errors are ErrorKind::write_failed, with what = "cannot write PATH", the system's reason as
// why, and a hint where a fix is known (permissions, disk space, a missing directory).
Result<void> write_file_atomically(const std::filesystem::path& target, std::string_view content,
                                   const AtomicWriteOptions& options = {});

// Reads "0600", "600" or "0o600" as a permission mode, at most 07777; else a usage error.
Result<mode_t> parse_file_mode(std::string_view text);

// Reads "USER", "USER:GROUP", or numeric ids, through the system's user database. Without a
// group the user's primary group is meant. Unknown names are usage errors naming them.
Result<FileOwner> parse_file_owner(std::string_view text);

}  // namespace credkit
