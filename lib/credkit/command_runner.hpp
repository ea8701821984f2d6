// Runs a credential_process command line the way botocore does: split into words by POSIX
// shell quoting rules, then executed directly (no shell), its stdout captured. Bounded in time
// and output, so that a hung or chatty command cannot hang or swamp `credkit diagnose`.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "credkit/error.hpp"

namespace credkit {

// Words of a command line: whitespace separates, '...' is literal, "..." allows \" \\ \$ \`,
// a backslash outside quotes escapes the next character. An unterminated quote is an error.
Result<std::vector<std::string>> split_command_line(std::string_view command_line);

struct CommandOutput {
    int exit_status = 0;  // the exit code, or 128 + signal number
    std::string out;      // stdout; stderr is discarded (it may hold secrets)
};

// Runs the command with stdin closed. Fails when it cannot start, outlives `timeout` (it is
// killed) or prints more than `max_output` bytes.
Result<CommandOutput> run_command(std::string_view command_line, std::chrono::milliseconds timeout,
                                  std::size_t max_output = 64 * 1024);

}  // namespace credkit
