#include "credkit/logger.hpp"

#include <cstdio>

namespace credkit {
namespace {

std::string_view level_name(Level level) {
    switch (level) {
        case Level::error:
            return "error";
        case Level::warning:
            return "warning";
        case Level::note:
            return "note";
        case Level::info:
            return "info";
        case Level::debug:
            return "debug";
    }
    return "note";
}

int threshold(Level level) {
    switch (level) {
        case Level::error:
            return -1;
        case Level::warning:
        case Level::note:
            return 0;
        case Level::info:
            return 1;
        case Level::debug:
            return 2;
    }
    return 0;
}

void write_stderr(std::string_view line) {
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fputc('\n', stderr);
    std::fflush(stderr);
}

}  // namespace

Logger::Logger(Verbosity verbosity) : verbosity_(verbosity), sink_(write_stderr) {}

bool Logger::enabled(Level level) const {
    return sink_ && static_cast<int>(verbosity_) >= threshold(level);
}

void Logger::log(Level level, std::string_view message) const {
    if (!enabled(level)) {
        return;
    }
    sink_(fmt::format("credkit: {}: {}", level_name(level), message));
}

void Logger::report(const Error& error) const {
    if (!enabled(Level::error)) {
        return;
    }
    std::string message = error.what;
    if (!error.why.empty()) {
        message += message.empty() ? error.why : ": " + error.why;
    }
    sink_(fmt::format("credkit: error: {}", message));
    if (!error.hint.empty()) {
        sink_(fmt::format("hint: {}", error.hint));
    }
}

const Logger& Logger::silent() {
    static const Logger kSilent(Verbosity::quiet, Sink{});
    return kSilent;
}

std::string format_error(const Error& error) {
    std::string message = "error: " + error.what;
    if (!error.why.empty()) {
        message += ": " + error.why;
    }
    return message;
}

}  // namespace credkit
