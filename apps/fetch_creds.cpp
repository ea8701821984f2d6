#include "cli.hpp"

namespace credkit::cli {

Command register_fetch_creds(CLI::App& parent, const GlobalOptions& global) {
    auto* app = parent.add_subcommand("fetch-creds", "Fetch the instance role's credentials");
    return Command{app, [&global] { return global.quiet ? 0 : 0; }};
}

}  // namespace credkit::cli
