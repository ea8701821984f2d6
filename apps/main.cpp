// credkit: AWS credentials on EC2, for the programs that cannot fetch them by themselves.
// This file only wires the subcommands together; each lives in a file of its own.
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "cli.hpp"
#include <CLI/CLI.hpp>

namespace {

constexpr std::string_view kDescription =
    "credkit: AWS credentials on EC2 for the tools that cannot fetch them by themselves.\n"
    "Fetch instance-role credentials from IMDSv2 with every failure explained, in the format\n"
    "each tool reads, and rehearse it all against a local metadata server.";

// CLI11 reports a mistyped command as a missing one; name it instead.
std::optional<std::string> unknown_command(int argc, char** argv, const CLI::App& app) {
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--config") {
            ++i;  // its value
            continue;
        }
        if (arg.starts_with("-")) {
            continue;
        }
        for (const CLI::App* sub : app.get_subcommands({})) {
            if (sub->get_name() == arg) {
                return std::nullopt;
            }
        }
        return std::string(arg);
    }
    return std::nullopt;
}

int usage_error(const CLI::ParseError& error, const CLI::App& app) {
    std::string message = error.what();
    if (!message.empty()) {
        message[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(message[0])));
    }
    std::fprintf(stderr, "credkit: error: %s\n", message.c_str());
    const CLI::App* chosen = &app;
    for (const CLI::App* sub : app.get_subcommands()) {
        chosen = sub;
    }
    const std::string name = chosen == &app ? "credkit" : "credkit " + chosen->get_name();
    std::fprintf(stderr, "hint: see '%s --help'\n", name.c_str());
    // Monitoring commands report a usage error as UNKNOWN, as monitoring plugins do.
    constexpr int kMonitoringUnknown = 3;
    if (chosen->get_name() == "check-expiry") {
        return kMonitoringUnknown;
    }
    return credkit::exit_code(credkit::ErrorKind::usage);
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{std::string(kDescription), "credkit"};
    app.set_version_flag("--version", std::string("credkit ") + CREDKIT_VERSION);
    app.require_subcommand(1);
    app.fallthrough();

    credkit::cli::GlobalOptions global;
    app.add_flag("-v,--verbose", global.verbose,
                 "Say more on stderr; repeat (-vv) for one line per IMDS request");
    app.add_flag("-q,--quiet", global.quiet, "Print errors only");
    app.add_option("--config", global.config_path,
                   "YAML config file (default: $CREDKIT_CONFIG, then /etc/credkit/config.yaml)")
        ->option_text("FILE");

    const std::vector<credkit::cli::Command> commands{
        credkit::cli::register_fetch_creds(app, global),
        credkit::cli::register_write_s3cfg(app, global),
        credkit::cli::register_presign(app, global),
        credkit::cli::register_check_expiry(app, global),
        credkit::cli::register_diagnose(app, global),
        credkit::cli::register_mock_imds(app, global),
    };

    if (auto unknown = unknown_command(argc, argv, app)) {
        std::fprintf(stderr, "credkit: error: unknown command '%s'\n", unknown->c_str());
        std::fprintf(stderr, "hint: see 'credkit --help' for the commands\n");
        return credkit::exit_code(credkit::ErrorKind::usage);
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& help) {
        return app.exit(help);
    } catch (const CLI::CallForAllHelp& help) {
        return app.exit(help);
    } catch (const CLI::CallForVersion& version) {
        return app.exit(version);
    } catch (const CLI::ParseError& error) {
        return usage_error(error, app);
    }

    for (const auto& command : commands) {
        if (command.app->parsed()) {
            return command.run();
        }
    }
    return credkit::exit_code(credkit::ErrorKind::usage);
}
