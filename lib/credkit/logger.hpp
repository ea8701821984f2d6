// One module for everything credkit says on stderr. Messages have one shape:
//   credkit: error: <what failed>: <why>
//   hint: <a concrete fix>
// lowercase and one line each. Verbosity decides which levels are shown: -q shows errors only,
// the default adds warnings and notes, -v adds info and -vv adds debug (one line per HTTP
// exchange, never a body, a header value that carries a token, or a secret).
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "credkit/error.hpp"

namespace credkit {

enum class Level { error, warning, note, info, debug };

// -q = -1, default = 0, -v = 1, -vv = 2.
enum class Verbosity { quiet = -1, normal = 0, verbose = 1, debug = 2 };

class Logger {
public:
    using Sink = std::function<void(std::string_view line)>;

    // Writes to stderr at the given verbosity.
    explicit Logger(Verbosity verbosity = Verbosity::normal);
    Logger(Verbosity verbosity, Sink sink) : verbosity_(verbosity), sink_(std::move(sink)) {}

    [[nodiscard]] bool enabled(Level level) const;
    [[nodiscard]] Verbosity verbosity() const { return verbosity_; }

    void log(Level level, std::string_view message) const;

    template <typename... Args>
    void error(fmt::format_string<Args...> format, Args&&... args) const {
        emit(Level::error, format, std::forward<Args>(args)...);
    }
    template <typename... Args>
    void warning(fmt::format_string<Args...> format, Args&&... args) const {
        emit(Level::warning, format, std::forward<Args>(args)...);
    }
    template <typename... Args>
    void note(fmt::format_string<Args...> format, Args&&... args) const {
        emit(Level::note, format, std::forward<Args>(args)...);
    }
    template <typename... Args>
    void info(fmt::format_string<Args...> format, Args&&... args) const {
        emit(Level::info, format, std::forward<Args>(args)...);
    }
    template <typename... Args>
    void debug(fmt::format_string<Args...> format, Args&&... args) const {
        emit(Level::debug, format, std::forward<Args>(args)...);
    }

    // Prints an Error in the one message shape, with its hint line when it has one.
    void report(const Error& error) const;

    // A logger that drops everything, for library code called without one.
    static const Logger& silent();

private:
    template <typename... Args>
    void emit(Level level, fmt::format_string<Args...> format, Args&&... args) const {
        if (enabled(level)) {
            log(level, fmt::format(format, std::forward<Args>(args)...));
        }
    }

    Verbosity verbosity_;
    Sink sink_;
};

// "error: cannot fetch credentials: no role" as one line, without the "credkit: " prefix.
std::string format_error(const Error& error);

}  // namespace credkit
