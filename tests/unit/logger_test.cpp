#include "credkit/logger.hpp"

#include <vector>

#include <doctest/doctest.h>

namespace credkit {
namespace {

struct Captured {
    std::vector<std::string> lines;
    Logger logger(Verbosity verbosity) {
        return Logger(verbosity, [this](std::string_view line) { lines.emplace_back(line); });
    }
};

void say_everything(const Logger& log) {
    log.error("e");
    log.warning("w");
    log.note("n");
    log.info("i");
    log.debug("d");
}

}  // namespace

TEST_CASE("logger shows each level from its verbosity on") {
    Captured quiet, normal, verbose, debug;

    say_everything(quiet.logger(Verbosity::quiet));
    say_everything(normal.logger(Verbosity::normal));
    say_everything(verbose.logger(Verbosity::verbose));
    say_everything(debug.logger(Verbosity::debug));

    CHECK(quiet.lines == std::vector<std::string>{"credkit: error: e"});
    CHECK(normal.lines.size() == 3);
    CHECK(verbose.lines.size() == 4);
    CHECK(debug.lines.back() == "credkit: debug: d");
}

TEST_CASE("logger reports an error in the one message shape with its hint") {
    Captured out;
    const auto error = make_error(ErrorKind::imds_unavailable, "cannot get an imds session token",
                                  "connection refused", "start credkit mock-imds");

    out.logger(Verbosity::normal).report(error);

    REQUIRE(out.lines.size() == 2);
    CHECK(out.lines[0] == "credkit: error: cannot get an imds session token: connection refused");
    CHECK(out.lines[1] == "hint: start credkit mock-imds");
}

TEST_CASE("error context is added in front of what failed") {
    auto error = make_error(ErrorKind::failure, "cannot parse", "bad").within("cannot read x");

    CHECK(format_error(error) == "error: cannot read x: cannot parse: bad");
}

TEST_CASE("silent logger drops everything") {
    CHECK_FALSE(Logger::silent().enabled(Level::error));
}

}  // namespace credkit
