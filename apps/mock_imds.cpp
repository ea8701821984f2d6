#include "cli.hpp"

namespace credkit::cli {

Command register_mock_imds(CLI::App& parent, const GlobalOptions& global) {
    auto* app = parent.add_subcommand("mock-imds", "Run a local IMDSv2 server");
    return Command{app, [&global] { return global.quiet ? 0 : 0; }};
}

}  // namespace credkit::cli
