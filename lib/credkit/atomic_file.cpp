#include "credkit/atomic_file.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <optional>
#include <random>
#include <system_error>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <fmt/format.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

namespace credkit {
namespace {

namespace fs = std::filesystem;

constexpr mode_t kMaxMode = 07777;

// strerror's words, lowercased to fit the one message shape ("cannot write X: no space ...").
std::string describe_errno(int error) {
    std::string text = std::generic_category().message(error);
    if (!text.empty()) {
        text.front() = static_cast<char>(std::tolower(static_cast<unsigned char>(text.front())));
    }
    return text;
}

std::string hint_for(int error, const fs::path& directory) {
    const std::string dir = directory.string();
    switch (error) {
        case EACCES:
            return fmt::format("check the permissions of {}: this user may not create files there",
                               dir);
        case EPERM:
            return "changing a file's owner needs root, and an immutable file stays as it is";
        case EROFS:
            return fmt::format("{} is on a read-only file system; write somewhere else", dir);
        case ENOSPC:
        case EDQUOT:
            return fmt::format("free disk space (or quota) on the file system holding {}", dir);
        case EFBIG:
            return "the file size limit of this process (ulimit -f) is too low";
        case ENOENT:
            return fmt::format("create the directory {} first", dir);
        case EISDIR:
            return "the target is a directory; name a file instead";
        default:
            return {};
    }
}

Error write_error(const fs::path& target, const fs::path& directory, int error) {
    return make_error(ErrorKind::write_failed, fmt::format("cannot write {}", target.string()),
                      describe_errno(error), hint_for(error, directory));
}

// Six random letters or digits: enough that guessing the temporary name is pointless, and
// O_EXCL makes a collision a retry rather than a hazard.
std::string random_suffix() {
    static constexpr std::string_view kAlphabet =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    thread_local std::mt19937_64 engine{std::random_device{}()};
    std::uniform_int_distribution<std::size_t> pick(0, kAlphabet.size() - 1);
    std::string suffix(6, '\0');
    std::ranges::generate(suffix, [&] { return kAlphabet[pick(engine)]; });
    return suffix;
}

// ".NAME.XXXXXX": hidden, beside the target (so the rename stays on one file system), and
// short enough for NAME_MAX however long the target's name is.
fs::path temporary_name(const fs::path& directory, const fs::path& target) {
    const std::string name = target.filename().string().substr(0, 200);
    return directory / fmt::format(".{}.{}", name, random_suffix());
}

// A temporary file that removes itself unless it was renamed into place.
class TemporaryFile {
public:
    TemporaryFile(fs::path path, int fd) : path_(std::move(path)), fd_(fd) {}
    TemporaryFile(TemporaryFile&& other) noexcept
        : path_(std::move(other.path_)),
          fd_(std::exchange(other.fd_, -1)),
          renamed_(std::exchange(other.renamed_, true)) {}
    TemporaryFile(const TemporaryFile&) = delete;
    TemporaryFile& operator=(const TemporaryFile&) = delete;
    TemporaryFile& operator=(TemporaryFile&&) = delete;

    ~TemporaryFile() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
        if (!renamed_) {
            ::unlink(path_.c_str());
        }
    }

    [[nodiscard]] int fd() const { return fd_; }

    // Returns 0 or the errno of a failed close, which may report a delayed write error.
    int close() {
        const int result = ::close(std::exchange(fd_, -1));
        return result == 0 ? 0 : errno;
    }

    int rename_to(const fs::path& target) {
        if (::rename(path_.c_str(), target.c_str()) != 0) {
            return errno;
        }
        renamed_ = true;
        return 0;
    }

private:
    fs::path path_;
    int fd_;
    bool renamed_ = false;
};

// Created 0600 whatever the umask; the wanted mode is set once the owner is right.
std::expected<TemporaryFile, int> create_temporary(const fs::path& directory,
                                                   const fs::path& target) {
    constexpr int kAttempts = 100;
    for (int attempt = 0; attempt < kAttempts; ++attempt) {
        fs::path path = temporary_name(directory, target);
        const int fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
        if (fd >= 0) {
            return TemporaryFile(std::move(path), fd);
        }
        if (errno != EEXIST) {
            return std::unexpected(errno);
        }
    }
    return std::unexpected(EEXIST);
}

int write_all(int fd, std::string_view content) {
    while (!content.empty()) {
        const ssize_t written = ::write(fd, content.data(), content.size());
        if (written < 0 && errno == EINTR) {
            continue;
        }
        if (written <= 0) {
            return written == 0 ? EIO : errno;
        }
        content.remove_prefix(static_cast<std::size_t>(written));
    }
    return 0;
}

// fchown first: changing the owner clears set-id bits that fchmod may have to set.
int set_owner_and_mode(int fd, const AtomicWriteOptions& options) {
    if (options.owner && ::fchown(fd, options.owner->uid, options.owner->gid) != 0) {
        return errno;
    }
    return ::fchmod(fd, options.mode) == 0 ? 0 : errno;
}

// Everything up to the rename: the temporary file holds the whole content on disk.
int fill_temporary(TemporaryFile& file, std::string_view content,
                   const AtomicWriteOptions& options) {
    if (const int error = set_owner_and_mode(file.fd(), options); error != 0) {
        return error;
    }
    if (const int error = write_all(file.fd(), content); error != 0) {
        return error;
    }
    if (::fsync(file.fd()) != 0) {
        return errno;
    }
    return file.close();
}

// Makes the rename itself durable. Some file systems cannot sync a directory (EINVAL); there
// the rename is as durable as that file system makes it, which is all that can be had.
int sync_directory(const fs::path& directory) {
    const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return errno;
    }
    const int result = ::fsync(fd) == 0 || errno == EINVAL ? 0 : errno;
    ::close(fd);
    return result;
}

Error usage_error(std::string what, std::string why, std::string hint = {}) {
    return make_error(ErrorKind::usage, std::move(what), std::move(why), std::move(hint));
}

bool all_digits(std::string_view text) {
    return !text.empty() && std::ranges::all_of(text, [](char c) { return c >= '0' && c <= '9'; });
}

template <typename Id>
std::optional<Id> parse_id(std::string_view text) {
    Id id{};
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (!all_digits(text) || ec != std::errc{} || end != text.data() + text.size()) {
        return std::nullopt;
    }
    return id;
}

// Runs a getpwnam_r-style lookup, growing the buffer while the system asks for more room, and
// hands the entry to `read` before the buffer its strings point into is gone.
template <typename Entry, typename Lookup, typename Read>
auto lookup_entry(Lookup lookup, Read read) -> std::optional<decltype(read(Entry{}))> {
    std::vector<char> buffer(1024);
    Entry entry{};
    Entry* found = nullptr;
    int error = 0;
    while ((error = lookup(&entry, buffer.data(), buffer.size(), &found)) == ERANGE &&
           buffer.size() < (1U << 20)) {
        buffer.resize(buffer.size() * 2);
    }
    if (error != 0 || found == nullptr) {
        return std::nullopt;
    }
    return read(entry);
}

struct UserIds {
    uid_t uid;
    std::optional<gid_t> primary_group;  // unknown for a numeric id the database lacks
};

std::optional<UserIds> find_user(const std::string& name) {
    return lookup_entry<passwd>(
        [&](passwd* entry, char* buffer, std::size_t size, passwd** out) {
            return ::getpwnam_r(name.c_str(), entry, buffer, size, out);
        },
        [](const passwd& entry) {
            return UserIds{entry.pw_uid, entry.pw_gid};
        });
}

std::optional<UserIds> find_user(uid_t uid) {
    return lookup_entry<passwd>(
        [&](passwd* entry, char* buffer, std::size_t size, passwd** out) {
            return ::getpwuid_r(uid, entry, buffer, size, out);
        },
        [](const passwd& entry) {
            return UserIds{entry.pw_uid, entry.pw_gid};
        });
}

std::optional<gid_t> find_group(const std::string& name) {
    return lookup_entry<group>(
        [&](group* entry, char* buffer, std::size_t size, group** out) {
            return ::getgrnam_r(name.c_str(), entry, buffer, size, out);
        },
        [](const group& entry) { return entry.gr_gid; });
}

Error bad_owner(std::string_view text, std::string why) {
    return usage_error(fmt::format("invalid owner '{}'", text), std::move(why),
                       "write USER or USER:GROUP, by name or numeric id");
}

// A name in the user database wins over a numeric reading, as chown(1) does it.
Result<UserIds> resolve_user(std::string_view owner_text, std::string_view user) {
    if (auto ids = find_user(std::string(user))) {
        return *ids;
    }
    if (const auto uid = parse_id<uid_t>(user)) {
        return find_user(*uid).value_or(UserIds{*uid, std::nullopt});
    }
    return fail(bad_owner(owner_text, fmt::format("no such user '{}'", user)));
}

Result<gid_t> resolve_group(std::string_view owner_text, std::string_view group_name) {
    if (const auto gid = find_group(std::string(group_name))) {
        return *gid;
    }
    if (const auto gid = parse_id<gid_t>(group_name)) {
        return *gid;
    }
    return fail(bad_owner(owner_text, fmt::format("no such group '{}'", group_name)));
}

// Without a group the user's primary group is meant, as chown USER: does it.
Result<gid_t> primary_group(std::string_view owner_text, const UserIds& ids) {
    if (!ids.primary_group) {
        return fail(bad_owner(owner_text, fmt::format("user id {} is not in the user database, "
                                                      "so it has no primary group; name one",
                                                      ids.uid)));
    }
    return *ids.primary_group;
}

}  // namespace

Result<void> write_file_atomically(const fs::path& target, std::string_view content,
                                   const AtomicWriteOptions& options) {
    const fs::path directory = target.has_parent_path() ? target.parent_path() : fs::path(".");
    if (target.filename().empty()) {
        return fail(ErrorKind::write_failed, fmt::format("cannot write {}", target.string()),
                    "the path names a directory, not a file");
    }
    auto file = create_temporary(directory, target);
    if (!file) {
        return fail(write_error(target, directory, file.error()));
    }

    if (const int error = fill_temporary(*file, content, options); error != 0) {
        return fail(write_error(target, directory, error));
    }
    if (const int error = file->rename_to(target); error != 0) {
        return fail(write_error(target, directory, error));
    }
    if (const int error = sync_directory(directory); error != 0) {
        return fail(make_error(
            ErrorKind::write_failed, fmt::format("cannot write {}", target.string()),
            "the new content is in place but may not survive a crash: " + describe_errno(error)));
    }
    return {};
}

Result<mode_t> parse_file_mode(std::string_view text) {
    std::string_view digits = text;
    if (digits.starts_with("0o") || digits.starts_with("0O")) {
        digits.remove_prefix(2);
    }

    unsigned value = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value, 8);
    if (!all_digits(digits) || ec != std::errc{} || end != digits.data() + digits.size() ||
        value > kMaxMode) {
        return fail(usage_error(fmt::format("invalid file mode '{}'", text),
                                "expected an octal mode between 0000 and 07777",
                                "write the mode like chmod does, for example 0600 or 0640"));
    }
    return static_cast<mode_t>(value);
}

Result<FileOwner> parse_file_owner(std::string_view text) {
    const auto colon = text.find(':');
    const bool has_group = colon != std::string_view::npos;
    const std::string_view user = text.substr(0, colon);
    const std::string_view group_name = has_group ? text.substr(colon + 1) : std::string_view{};
    if (user.empty() || (has_group && group_name.empty()) ||
        group_name.find(':') != std::string_view::npos) {
        return fail(bad_owner(text, "expected USER or USER:GROUP"));
    }

    const auto ids = resolve_user(text, user);
    if (!ids) {
        return fail(ids.error());
    }
    const auto gid = has_group ? resolve_group(text, group_name) : primary_group(text, *ids);
    if (!gid) {
        return fail(gid.error());
    }
    return FileOwner{ids->uid, *gid};
}

}  // namespace credkit
