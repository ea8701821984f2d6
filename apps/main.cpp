// credkit: AWS credentials on EC2, for the programs that cannot fetch them by themselves.
// This file only wires the subcommands together; each lives in a file of its own.
#include <cstdio>
#include <vector>

#include "cli.hpp"
#include <CLI/CLI.hpp>

namespace {

constexpr std::string_view kDescription =
    "credkit: AWS credentials on EC2 for every tool on the instance.\n"
    "Fetch instance-role credentials from IMDS, keep credential files fresh for htslib and\n"
    "s3cmd, presign S3 URLs, check expiry and diagnose which credentials each tool uses.";

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
        credkit::cli::register_mock_imds(app, global),
    };

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
