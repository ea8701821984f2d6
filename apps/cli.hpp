// What every subcommand shares: global options, the IMDS options, and the one place where a
// library Error becomes a message on stderr and an exit code.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "credkit/error.hpp"
#include "credkit/imds_settings.hpp"
#include "credkit/logger.hpp"

namespace credkit::cli {

struct GlobalOptions {
    int verbose = 0;  // -v count
    bool quiet = false;
    std::string config_path;  // --config; empty: $CREDKIT_CONFIG, then /etc/credkit/config.yaml

    [[nodiscard]] Logger logger() const;
};

// A registered subcommand: its CLI11 node and what to run when it was chosen. `run` returns
// the process exit code.
struct Command {
    CLI::App* app = nullptr;
    std::function<int()> run;
};

// Adds --imds-endpoint, --imds-mode, --imds-timeout, --imds-attempts, --imds-token-ttl,
// --allow-imdsv1 and --role to a subcommand, in one option group.
void add_imds_options(CLI::App& command, ImdsOverrides& overrides);

// Adds only --imds-endpoint, --imds-mode and --imds-timeout, for a command that asks the
// metadata service the way other tools do rather than fetching credentials from it.
void add_imds_location_options(CLI::App& command, ImdsOverrides& overrides);

// Adds --source and --profile; `shown_default` is the source the help names as default.
void add_source_options(CLI::App& command, std::string& source, std::optional<std::string>& profile,
                        std::string_view shown_default);

// The IMDS settings for a run: command line, then environment, then the config file.
Result<ImdsSettings> resolve_imds(const ImdsOverrides& command_line, const GlobalOptions& global);

// Prints the error in the one message shape and returns its exit code.
int report(const Error& error, const Logger& logger);

// The subcommands, one file each.
Command register_fetch_creds(CLI::App& parent, const GlobalOptions& global);
Command register_mock_imds(CLI::App& parent, const GlobalOptions& global);
Command register_write_s3cfg(CLI::App& parent, const GlobalOptions& global);
Command register_presign(CLI::App& parent, const GlobalOptions& global);
Command register_check_expiry(CLI::App& parent, const GlobalOptions& global);
Command register_diagnose(CLI::App& parent, const GlobalOptions& global);

}  // namespace credkit::cli
