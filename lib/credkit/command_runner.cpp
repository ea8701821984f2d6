#include "credkit/command_runner.hpp"

#include <array>
#include <cerrno>
#include <cstring>
#include <optional>

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace credkit {
namespace {

using Clock = std::chrono::steady_clock;

Error command_error(std::string why) {
    return make_error(ErrorKind::failure, "cannot run the command", std::move(why));
}

// The character after a backslash inside double quotes keeps the backslash unless it is one
// of the few the shell treats specially there.
bool escapable_in_double_quotes(char c) {
    return c == '"' || c == '\\' || c == '$' || c == '`' || c == '\n';
}

// Appends the quoted text that starts at `open` (a ' or ") to `word`; returns where the
// closing quote is.
Result<std::size_t> read_quoted(std::string_view line, std::size_t open, std::string& word) {
    const char quote = line[open];
    for (std::size_t i = open + 1; i < line.size(); ++i) {
        if (line[i] == quote) {
            return i;
        }
        if (quote == '"' && line[i] == '\\' && i + 1 < line.size() &&
            escapable_in_double_quotes(line[i + 1])) {
            ++i;
        }
        word += line[i];
    }
    return fail(ErrorKind::usage, "cannot split the command line",
                fmt::format("the {} quote is not closed", quote == '"' ? "double" : "single"));
}

class Pipe {
public:
    Pipe() {
        if (::pipe2(fds_.data(), O_CLOEXEC) != 0) {
            fds_ = {-1, -1};
        }
    }
    ~Pipe() {
        close_read();
        close_write();
    }
    Pipe(const Pipe&) = delete;
    Pipe& operator=(const Pipe&) = delete;

    [[nodiscard]] bool ok() const { return fds_[0] >= 0; }
    [[nodiscard]] int read_end() const { return fds_[0]; }
    [[nodiscard]] int write_end() const { return fds_[1]; }
    void close_read() { close_fd(fds_[0]); }
    void close_write() { close_fd(fds_[1]); }

private:
    static void close_fd(int& fd) {
        if (fd >= 0) {
            ::close(fd);
            fd = -1;
        }
    }
    std::array<int, 2> fds_{-1, -1};
};

Result<pid_t> spawn(const std::vector<std::string>& words, const Pipe& out) {
    std::vector<char*> argv;
    for (const auto& word : words) {
        argv.push_back(const_cast<char*>(word.c_str()));
    }
    argv.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, out.write_end(), STDOUT_FILENO);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    pid_t pid = 0;
    const int status = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (status != 0) {
        return std::unexpected(
            command_error(fmt::format("{}: {}", words[0], std::strerror(status))));
    }
    return pid;
}

// Reads until end of file, the deadline or the size limit; nothing on success.
std::optional<std::string> drain(int fd, Clock::time_point deadline, std::size_t max_output,
                                 std::string& out) {
    std::array<char, 4096> buffer{};
    for (;;) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) {
            return "it did not finish in time";
        }
        pollfd waiting{fd, POLLIN, 0};
        const int ready = ::poll(&waiting, 1, static_cast<int>(left.count()));
        if (ready < 0 && errno == EINTR) {
            continue;
        }
        if (ready <= 0) {
            return "it did not finish in time";
        }
        const ssize_t got = ::read(fd, buffer.data(), buffer.size());
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got <= 0) {
            return std::nullopt;
        }
        out.append(buffer.data(), static_cast<std::size_t>(got));
        if (out.size() > max_output) {
            return fmt::format("it printed more than {} bytes", max_output);
        }
    }
}

int wait_for(pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFSIGNALED(status)) {
        return 128 + WTERMSIG(status);
    }
    return WEXITSTATUS(status);
}

}  // namespace

Result<std::vector<std::string>> split_command_line(std::string_view command_line) {
    std::vector<std::string> words;
    std::string word;
    bool in_word = false;
    for (std::size_t i = 0; i < command_line.size(); ++i) {
        const char c = command_line[i];
        if (c == ' ' || c == '\t' || c == '\n') {
            if (in_word) {
                words.push_back(std::exchange(word, {}));
                in_word = false;
            }
            continue;
        }
        in_word = true;
        if (c == '\\' && i + 1 < command_line.size()) {
            word += command_line[++i];
        } else if (c == '\'' || c == '"') {
            auto close = read_quoted(command_line, i, word);
            if (!close) {
                return fail(std::move(close.error()));
            }
            i = *close;
        } else {
            word += c;
        }
    }
    if (in_word) {
        words.push_back(std::move(word));
    }
    return words;
}

Result<CommandOutput> run_command(std::string_view command_line, std::chrono::milliseconds timeout,
                                  std::size_t max_output) {
    auto words = split_command_line(command_line);
    if (!words) {
        return fail(std::move(words.error()));
    }
    if (words->empty()) {
        return fail(command_error("the command line is empty"));
    }
    Pipe out;
    if (!out.ok()) {
        return fail(command_error(std::strerror(errno)));
    }
    auto pid = spawn(*words, out);
    if (!pid) {
        return fail(std::move(pid.error()));
    }
    out.close_write();

    CommandOutput result;
    const auto problem = drain(out.read_end(), Clock::now() + timeout, max_output, result.out);
    if (problem) {
        ::kill(*pid, SIGKILL);
    }
    result.exit_status = wait_for(*pid);
    if (problem) {
        return fail(command_error(*problem));
    }
    return result;
}

}  // namespace credkit
