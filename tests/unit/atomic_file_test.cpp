#include "credkit/atomic_file.hpp"

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

namespace credkit {
namespace {

namespace fs = std::filesystem;

// A fresh directory for one test, removed with everything in it afterwards.
class TemporaryDirectory {
public:
    TemporaryDirectory() {
        std::string pattern = (fs::temp_directory_path() / "credkit-atomic-XXXXXX").string();
        REQUIRE(::mkdtemp(pattern.data()) != nullptr);
        path_ = pattern;
    }
    TemporaryDirectory(const TemporaryDirectory&) = delete;
    TemporaryDirectory& operator=(const TemporaryDirectory&) = delete;
    ~TemporaryDirectory() { fs::remove_all(path_); }

    [[nodiscard]] const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream content;
    content << in.rdbuf();
    return content.str();
}

void make_file(const fs::path& path, const std::string& content) {
    std::ofstream(path, std::ios::binary) << content;
}

mode_t mode_of(const fs::path& path) {
    struct stat info {};
    REQUIRE(::stat(path.c_str(), &info) == 0);
    return info.st_mode & 07777;
}

std::vector<std::string> names_in(const fs::path& directory) {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(directory)) {
        names.push_back(entry.path().filename().string());
    }
    std::ranges::sort(names);
    return names;
}

// Sets the process umask for one test.
class ScopedUmask {
public:
    explicit ScopedUmask(mode_t mask) : old_(::umask(mask)) {}
    ScopedUmask(const ScopedUmask&) = delete;
    ScopedUmask& operator=(const ScopedUmask&) = delete;
    ~ScopedUmask() { ::umask(old_); }

private:
    mode_t old_;
};

// Lowers the file size limit so that writes past `bytes` fail with EFBIG, as a full disk
// would fail them: root ignores permission bits, but not this limit.
class ScopedFileSizeLimit {
public:
    explicit ScopedFileSizeLimit(rlim_t bytes) {
        REQUIRE(::getrlimit(RLIMIT_FSIZE, &old_) == 0);
        old_handler_ = std::signal(SIGXFSZ, SIG_IGN);
        rlimit lowered = old_;
        lowered.rlim_cur = bytes;
        REQUIRE(::setrlimit(RLIMIT_FSIZE, &lowered) == 0);
    }
    ScopedFileSizeLimit(const ScopedFileSizeLimit&) = delete;
    ScopedFileSizeLimit& operator=(const ScopedFileSizeLimit&) = delete;
    ~ScopedFileSizeLimit() {
        ::setrlimit(RLIMIT_FSIZE, &old_);
        std::signal(SIGXFSZ, old_handler_);
    }

private:
    rlimit old_{};
    void (*old_handler_)(int) = nullptr;
};

}  // namespace

TEST_CASE("a new file gets the content and mode 0600 even with umask 0") {
    TemporaryDirectory dir;
    const fs::path target = dir.path() / "credentials";
    ScopedUmask umask(0);

    const auto result = write_file_atomically(target, "[default]\nkey = value\n");

    REQUIRE(result.has_value());
    CHECK(read_file(target) == "[default]\nkey = value\n");
    CHECK(mode_of(target) == 0600);
    CHECK(names_in(dir.path()) == std::vector<std::string>{"credentials"});
}

TEST_CASE("the mode asked for is set exactly, whatever the umask") {
    TemporaryDirectory dir;
    const fs::path target = dir.path() / "s3cfg";
    ScopedUmask umask(077);

    const auto result = write_file_atomically(target, "x", {.mode = 0644});

    REQUIRE(result.has_value());
    CHECK(mode_of(target) == 0644);
}

TEST_CASE("an existing file is replaced, content and mode") {
    TemporaryDirectory dir;
    const fs::path target = dir.path() / "credentials";
    make_file(target, "old content that is longer than the new one\n");
    fs::permissions(target, fs::perms(0666));

    const auto result = write_file_atomically(target, "new\n");

    REQUIRE(result.has_value());
    CHECK(read_file(target) == "new\n");
    CHECK(mode_of(target) == 0600);
    CHECK(names_in(dir.path()) == std::vector<std::string>{"credentials"});
}

TEST_CASE("an empty content gives an empty file") {
    TemporaryDirectory dir;
    const fs::path target = dir.path() / "empty";

    const auto result = write_file_atomically(target, "");

    REQUIRE(result.has_value());
    CHECK(fs::file_size(target) == 0);
}

TEST_CASE("a symbolic link is replaced itself, and the file it pointed to is left alone") {
    TemporaryDirectory dir;
    const fs::path pointed_to = dir.path() / "elsewhere";
    const fs::path link = dir.path() / "credentials";
    make_file(pointed_to, "untouched\n");
    fs::create_symlink(pointed_to, link);

    const auto result = write_file_atomically(link, "new\n");

    REQUIRE(result.has_value());
    CHECK_FALSE(fs::is_symlink(link));
    CHECK(read_file(link) == "new\n");
    CHECK(read_file(pointed_to) == "untouched\n");
}

TEST_CASE("a failed write leaves the old file exactly as it was and no temporary file") {
    TemporaryDirectory dir;
    const fs::path target = dir.path() / "credentials";
    make_file(target, "old\n");
    fs::permissions(target, fs::perms(0640));
    const std::string content(4096, 'n');

    Result<void> result;
    {
        // The first write is cut short at 16 bytes, the next one fails.
        ScopedFileSizeLimit limit(16);
        result = write_file_atomically(target, content);
    }

    REQUIRE_FALSE(result.has_value());
    CHECK(result.error().kind == ErrorKind::write_failed);
    CHECK(result.error().what == "cannot write " + target.string());
    CHECK(result.error().why == "file too large");
    CHECK_FALSE(result.error().hint.empty());
    CHECK(read_file(target) == "old\n");
    CHECK(mode_of(target) == 0640);
    CHECK(names_in(dir.path()) == std::vector<std::string>{"credentials"});
}

TEST_CASE("a target in a missing directory fails with a hint to create it") {
    TemporaryDirectory dir;
    const fs::path target = dir.path() / "missing" / "credentials";

    const auto result = write_file_atomically(target, "x");

    REQUIRE_FALSE(result.has_value());
    CHECK(result.error().kind == ErrorKind::write_failed);
    CHECK(result.error().what == "cannot write " + target.string());
    CHECK(result.error().why == "no such file or directory");
    CHECK(result.error().hint.find("create the directory") != std::string::npos);
}

TEST_CASE("a target whose directory is a regular file fails") {
    TemporaryDirectory dir;
    make_file(dir.path() / "file", "x");

    const auto result = write_file_atomically(dir.path() / "file" / "credentials", "x");

    REQUIRE_FALSE(result.has_value());
    CHECK(result.error().kind == ErrorKind::write_failed);
    CHECK(result.error().why == "not a directory");
    CHECK(read_file(dir.path() / "file") == "x");
}

TEST_CASE("a directory is not replaced by a file, and no temporary file is left") {
    TemporaryDirectory dir;
    const fs::path target = dir.path() / "credentials";
    fs::create_directory(target);
    make_file(target / "inside", "kept");

    const auto result = write_file_atomically(target, "x");

    REQUIRE_FALSE(result.has_value());
    CHECK(result.error().kind == ErrorKind::write_failed);
    CHECK(fs::is_directory(target));
    CHECK(read_file(target / "inside") == "kept");
    CHECK(names_in(dir.path()) == std::vector<std::string>{"credentials"});
}

TEST_CASE("a path that names a directory, not a file, is refused") {
    TemporaryDirectory dir;

    const auto result = write_file_atomically(dir.path() / "credentials" / "", "x");

    REQUIRE_FALSE(result.has_value());
    CHECK(result.error().kind == ErrorKind::write_failed);
    CHECK(names_in(dir.path()).empty());
}

TEST_CASE("an owner asked for is set on the file (as root)") {
    if (::geteuid() != 0) {
        MESSAGE("skipped: changing a file's owner needs root");
        return;
    }
    TemporaryDirectory dir;
    const fs::path target = dir.path() / "s3cfg";

    const auto result =
        write_file_atomically(target, "x", {.mode = 0640, .owner = FileOwner{65534, 65534}});

    REQUIRE(result.has_value());
    struct stat info {};
    REQUIRE(::stat(target.c_str(), &info) == 0);
    CHECK(info.st_uid == 65534);
    CHECK(info.st_gid == 65534);
    CHECK((info.st_mode & 07777) == 0640);
}

TEST_CASE("parse_file_mode reads octal modes in three spellings") {
    CHECK(parse_file_mode("0600").value() == 0600);
    CHECK(parse_file_mode("600").value() == 0600);
    CHECK(parse_file_mode("0o640").value() == 0640);
    CHECK(parse_file_mode("0O644").value() == 0644);
    CHECK(parse_file_mode("0").value() == 0);
    CHECK(parse_file_mode("07777").value() == 07777);
    CHECK(parse_file_mode("4755").value() == 04755);
}

TEST_CASE("parse_file_mode rejects anything else as a usage error") {
    for (const char* text : {"", "0o", "10000", "017777", "0800", "rw-------", "0x180", "-600",
                             "+600", " 600", "600 ", "99999999999999999999"}) {
        CAPTURE(text);
        const auto result = parse_file_mode(text);
        REQUIRE_FALSE(result.has_value());
        CHECK(result.error().kind == ErrorKind::usage);
        CHECK(result.error().what == std::string("invalid file mode '") + text + "'");
    }
}

TEST_CASE("parse_file_owner reads names and numeric ids") {
    const auto by_name = parse_file_owner("root");
    const auto both_names = parse_file_owner("root:root");
    const auto both_ids = parse_file_owner("0:0");
    const auto numeric_user = parse_file_owner("0");
    const auto mixed = parse_file_owner("root:4242");

    REQUIRE(by_name.has_value());
    CHECK(by_name->uid == 0);
    CHECK(by_name->gid == 0);
    REQUIRE(both_names.has_value());
    CHECK(both_names->uid == 0);
    CHECK(both_names->gid == 0);
    REQUIRE(both_ids.has_value());
    CHECK(both_ids->uid == 0);
    REQUIRE(numeric_user.has_value());
    CHECK(numeric_user->gid == 0);  // root's primary group
    REQUIRE(mixed.has_value());
    CHECK(mixed->gid == 4242);
}

TEST_CASE("parse_file_owner takes an unknown numeric id only with a group") {
    const auto with_group = parse_file_owner("4242:4243");
    const auto without_group = parse_file_owner("4242");

    REQUIRE(with_group.has_value());
    CHECK(with_group->uid == 4242);
    CHECK(with_group->gid == 4243);
    REQUIRE_FALSE(without_group.has_value());
    CHECK(without_group.error().kind == ErrorKind::usage);
}

TEST_CASE("parse_file_owner names an unknown user or group") {
    const auto user = parse_file_owner("no-such-user-credkit");
    const auto group = parse_file_owner("root:no-such-group-credkit");

    REQUIRE_FALSE(user.has_value());
    CHECK(user.error().kind == ErrorKind::usage);
    CHECK(user.error().why == "no such user 'no-such-user-credkit'");
    REQUIRE_FALSE(group.has_value());
    CHECK(group.error().why == "no such group 'no-such-group-credkit'");
}

TEST_CASE("parse_file_owner rejects malformed owners") {
    for (const char* text : {"", ":root", "root:", ":", "root:root:root"}) {
        CAPTURE(text);
        const auto result = parse_file_owner(text);
        REQUIRE_FALSE(result.has_value());
        CHECK(result.error().kind == ErrorKind::usage);
    }
}

}  // namespace credkit
