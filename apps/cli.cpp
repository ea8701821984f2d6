#include "cli.hpp"

namespace credkit::cli {

Logger GlobalOptions::logger() const {
    if (quiet) {
        return Logger(Verbosity::quiet);
    }
    return Logger(static_cast<Verbosity>(std::min(verbose, 2)));
}

int report(const Error& error, const Logger& logger) {
    logger.report(error);
    return exit_code(error.kind);
}

}  // namespace credkit::cli
