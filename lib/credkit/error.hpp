// The error vocabulary of the library: every fallible function returns Result<T>, whose error
// says what failed, why, and (where one is known) how to fix it. Only apps/ prints errors and
// turns them into exit codes.
#pragma once

#include <expected>
#include <string>
#include <utility>

namespace credkit {

// The exit code table of the credkit executable. Values are part of the product contract
// (documented in credkit(1)) and are never renumbered; new kinds get new numbers.
enum class ErrorKind {
    failure = 1,           // anything not covered below
    usage = 2,             // bad options, arguments or configuration
    no_credentials = 3,    // no source had credentials (no role attached, empty env, ...)
    imds_unavailable = 4,  // the metadata service could not be reached or refused us
    write_failed = 5,      // a file could not be written; the old one is untouched
    partial_failure = 6,   // a batch went through, but some of its inputs failed
};

constexpr int exit_code(ErrorKind kind) {
    return static_cast<int>(kind);
}

struct Error {
    ErrorKind kind = ErrorKind::failure;
    std::string what;  // what failed, e.g. "cannot fetch credentials from imds"
    std::string why;   // the cause, e.g. "no iam role is attached to this instance"
    std::string hint;  // optional: a concrete fix

    // Adds context in front of `what`, for callers that know more about the operation.
    Error&& within(std::string outer) && {
        what = what.empty() ? std::move(outer) : std::move(outer) + ": " + what;
        return std::move(*this);
    }
};

inline Error make_error(ErrorKind kind, std::string what, std::string why, std::string hint = {}) {
    return Error{kind, std::move(what), std::move(why), std::move(hint)};
}

template <typename T>
using Result = std::expected<T, Error>;

// Shorthand for returning an error from a function whose result type is Result<T>.
inline std::unexpected<Error> fail(ErrorKind kind, std::string what, std::string why,
                                   std::string hint = {}) {
    return std::unexpected(make_error(kind, std::move(what), std::move(why), std::move(hint)));
}

inline std::unexpected<Error> fail(Error error) {
    return std::unexpected(std::move(error));
}

}  // namespace credkit
