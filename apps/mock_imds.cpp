// `credkit mock-imds`: a local IMDSv2 server, so that every command runs on a laptop and tests
// can rehearse what goes wrong on an instance. stdout carries the endpoint URL alone, for
// scripts; everything else goes to stderr.
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "cli.hpp"
#include <fmt/format.h>

#include "credkit/atomic_file.hpp"
#include "credkit/clock.hpp"
#include "credkit/duration.hpp"
#include "credkit/mock_imds_server.hpp"

namespace credkit::cli {
namespace {

constexpr std::string_view kFooter =
    "Examples:\n"
    "  credkit mock-imds --listen 127.0.0.1:8080\n"
    "  credkit mock-imds --rotate-every 5m --lifetime 15m --seed 1\n"
    "  credkit mock-imds --fault status:503@/latest/api/token*2 --fault expired\n"
    "Then: credkit fetch-creds --imds-endpoint URL, or AWS_EC2_METADATA_SERVICE_ENDPOINT=URL";

// The command line as typed; checked and turned into a MockImdsConfig when the command runs.
struct MockImdsOptions {
    std::string listen = "127.0.0.1:0";
    std::string role{kMockDefaultRole};
    bool no_role = false;
    std::string lifetime = "6h";
    std::string rotate_every = "1h";
    MockImdsConfig instance;  // region, zone, instance id, account id, allow_v1
    std::vector<std::string> faults;
    std::optional<std::uint64_t> seed;
    std::string port_file;
};

void add_listen_options(CLI::App& app, MockImdsOptions& options) {
    app.add_option("--listen", options.listen,
                   "Address to serve on, HOST:PORT or [::1]:PORT; loopback addresses only; port "
                   "0 lets the system pick a free one (default 127.0.0.1:0)")
        ->option_text("HOST:PORT");
    app.add_option("--port-file", options.port_file,
                   "Write the port to FILE once listening, for scripts (default: none)")
        ->option_text("FILE");
}

void add_credential_options(CLI::App& app, MockImdsOptions& options) {
    const std::string group = "Role and credentials";
    app.add_option("--role", options.role,
                   fmt::format("Instance role to serve (default {})", kMockDefaultRole))
        ->option_text("NAME")
        ->group(group);
    // Checked in the handler rather than with CLI11's excludes(), which would clutter the help.
    app.add_flag("--no-role", options.no_role,
                 "Attach no role: the role listing answers 404 (default: a role is attached)")
        ->group(group);
    app.add_option("--lifetime", options.lifetime,
                   "How long each set of credentials stays valid (default 6h)")
        ->option_text("DURATION")
        ->group(group);
    app.add_option("--rotate-every", options.rotate_every,
                   "How often new credentials appear; shorter than --lifetime, so new keys come "
                   "before the old expire, as IMDS does (default 1h)")
        ->option_text("DURATION")
        ->group(group);
    app.add_option_function<std::uint64_t>(
           "--seed", [&options](std::uint64_t seed) { options.seed = seed; },
           "Derive the keys from N, so that runs repeat them (default: random per run)")
        ->option_text("N")
        ->group(group);
}

void add_instance_options(CLI::App& app, MockImdsConfig& instance) {
    const std::string group = "Instance";
    app.add_option("--region", instance.region,
                   fmt::format("Region the instance runs in (default {})", instance.region))
        ->option_text("REGION")
        ->group(group);
    app.add_option("--availability-zone", instance.availability_zone,
                   "Availability zone (default: the region followed by 'a')")
        ->option_text("ZONE")
        ->group(group);
    app.add_option("--instance-id", instance.instance_id,
                   fmt::format("Instance id (default {})", instance.instance_id))
        ->option_text("ID")
        ->group(group);
    app.add_option(
           "--account-id", instance.account_id,
           fmt::format("Account id in the identity document (default {})", instance.account_id))
        ->option_text("ID")
        ->group(group);
}

void add_behaviour_options(CLI::App& app, MockImdsOptions& options) {
    const std::string group = "Behaviour";
    app.add_flag("--allow-v1", options.instance.allow_v1,
                 "Answer GETs that carry no token (IMDSv1); a bad token is still refused with "
                 "401 (default: a token is required)")
        ->group(group);
    app.add_option("--fault", options.faults,
                   "Inject a fault, KIND[:ARG][@PATH][*TIMES]; repeatable. KIND: status:CODE, "
                   "delay:DURATION, hang, malformed-json, expired, drop-token-put, no-role. A "
                   "PATH ending in * is a prefix; *TIMES limits the fault to the first TIMES "
                   "matching requests (default: none)")
        ->option_text("SPEC")
        ->group(group);
}

// A duration option the server counts in whole seconds.
Result<Seconds> parse_seconds(std::string_view option, const std::string& text) {
    auto value = parse_duration(text);
    if (!value) {
        return fail(std::move(value.error()).within(std::string(option)));
    }
    if (value->count() % 1000 != 0) {
        return fail(ErrorKind::usage, fmt::format("{}: invalid duration '{}'", option, text),
                    "it must be a whole number of seconds");
    }
    return std::chrono::duration_cast<Seconds>(*value);
}

Result<std::vector<MockFault>> parse_faults(const std::vector<std::string>& specs) {
    std::vector<MockFault> faults;
    for (const auto& spec : specs) {
        auto fault = parse_mock_fault(spec);
        if (!fault) {
            return fail(std::move(fault.error()).within("--fault"));
        }
        faults.push_back(std::move(*fault));
    }
    return faults;
}

std::uint64_t random_seed() {
    std::random_device device;
    return (std::uint64_t{device()} << 32) | device();
}

Result<MockImdsConfig> build_config(const MockImdsOptions& options) {
    auto listen = parse_listen_address(options.listen);
    if (!listen) {
        return fail(std::move(listen.error()).within("--listen"));
    }
    auto lifetime = parse_seconds("--lifetime", options.lifetime);
    if (!lifetime) {
        return fail(lifetime.error());
    }
    auto rotation = parse_seconds("--rotate-every", options.rotate_every);
    if (!rotation) {
        return fail(rotation.error());
    }
    auto faults = parse_faults(options.faults);
    if (!faults) {
        return fail(faults.error());
    }

    if (options.no_role && options.role != kMockDefaultRole) {
        return fail(ErrorKind::usage, "--no-role and --role contradict each other",
                    "one says no role is attached, the other names one", "give one of them");
    }

    MockImdsConfig config = options.instance;
    config.host = listen->host;
    config.port = listen->port;
    config.role = options.no_role ? std::nullopt : std::optional(options.role);
    config.lifetime = *lifetime;
    config.rotation = *rotation;
    config.faults = std::move(*faults);
    config.seed = options.seed.value_or(random_seed());
    return config;
}

// Blocked before the server starts, so that its threads inherit the mask and the signals wait
// for sigtimedwait in this thread.
sigset_t block_stop_signals() {
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    return signals;
}

// Returns the signal that asked us to stop, or 0 when the server stopped by itself.
int wait_for_stop_signal(const sigset_t& signals, const MockImdsServer& server) {
    const timespec poll{0, 200'000'000};
    while (server.running()) {
        const int number = sigtimedwait(&signals, nullptr, &poll);
        if (number > 0) {
            return number;
        }
    }
    return 0;
}

void announce(const MockImdsServer& server, const MockImdsConfig& config, const Logger& log) {
    std::fputs((server.endpoint() + "\n").c_str(), stdout);
    std::fflush(stdout);
    log.note("mock imds is serving; point tools at it with AWS_EC2_METADATA_SERVICE_ENDPOINT={}",
             server.endpoint());
    for (const auto& fault : config.faults) {
        log.info("mock-imds: fault armed: {}", format_mock_fault(fault));
    }
}

Result<void> write_port_file(const std::string& path, std::uint16_t port) {
    if (path.empty()) {
        return {};
    }
    return write_file_atomically(path, fmt::format("{}\n", port), AtomicWriteOptions{.mode = 0644});
}

int serve_until_stopped(const MockImdsConfig& config, const MockImdsOptions& options,
                        const Logger& log) {
    const sigset_t signals = block_stop_signals();
    SystemClock clock;
    MockImdsServer server(config, clock, log);
    if (auto started = server.start(); !started) {
        return report(started.error(), log);
    }
    if (auto written = write_port_file(options.port_file, server.port()); !written) {
        return report(written.error(), log);
    }
    announce(server, config, log);

    const int number = wait_for_stop_signal(signals, server);
    server.stop();
    if (number == 0) {
        return report(make_error(ErrorKind::failure, "mock imds stopped", "the server failed"),
                      log);
    }
    log.info("mock-imds: stopped by {}", number == SIGINT ? "SIGINT" : "SIGTERM");
    return 0;
}

int run_mock_imds(const MockImdsOptions& options, const GlobalOptions& global) {
    const Logger log = global.logger();
    auto config = build_config(options);
    if (!config) {
        return report(config.error(), log);
    }
    return serve_until_stopped(*config, options, log);
}

}  // namespace

Command register_mock_imds(CLI::App& parent, const GlobalOptions& global) {
    auto* app = parent.add_subcommand(
        "mock-imds",
        "Run a local IMDSv2 server with a rotating instance role, for demos and tests");
    app->footer(std::string(kFooter));
    auto options = std::make_shared<MockImdsOptions>();
    add_listen_options(*app, *options);
    add_credential_options(*app, *options);
    add_instance_options(*app, options->instance);
    add_behaviour_options(*app, *options);
    return Command{app, [options, &global] { return run_mock_imds(*options, global); }};
}

}  // namespace credkit::cli
