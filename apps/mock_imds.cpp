// `credkit mock-imds`: a local IMDSv2 server, so that every command runs on a laptop and tests
// can rehearse what goes wrong on an instance. stdout carries the endpoint URL alone, for
// scripts; everything else goes to stderr.
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
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
#include "credkit/secret.hpp"

namespace credkit::cli {
namespace {

constexpr std::string_view kFooter =
    "Examples:\n"
    "  credkit mock-imds --listen 127.0.0.1:8080\n"
    "  credkit mock-imds --rotate-every 5m --lifetime 15m --seed 1\n"
    "  credkit mock-imds --fault status:503@/latest/api/token*2 --fault expired\n"
    "  credkit mock-imds --credentials-file keys.json --rotate-every 30s --lifetime 5m\n"
    "  credkit mock-imds --clock-skew=-10m\n"
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
    std::string clock_skew = "0s";
    std::optional<std::uint64_t> seed;
    std::string credentials_file;
    std::string port_file;
};

// A credentials file is a few hundred bytes per key pair; anything this big is a mistake.
constexpr std::size_t kMaxCredentialsFile = std::size_t{1024} * 1024;

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
    app.add_option("--credentials-file", options.credentials_file,
                   "Serve these keys instead of made-up ones: a JSON array of {AccessKeyId, "
                   "SecretAccessKey, Token (optional)}, one entry per rotation, in turn "
                   "(default: made-up keys)")
        ->option_text("FILE")
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
    app.add_option("--clock-skew", options.clock_skew,
                   "Run the instance's clock this far ahead of this machine's, or behind with a "
                   "leading -: the Date header, LastUpdated and Expiration follow it (default 0s)")
        ->option_text("DURATION")
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

Error credentials_file_error(const std::string& path, std::string why, std::string hint = {}) {
    return make_error(ErrorKind::usage, fmt::format("invalid credentials file {}", path),
                      std::move(why), std::move(hint));
}

// Why a file could not be opened, in the lowercase the messages use.
std::string open_failure(int error_number) {
    std::string why = error_number != 0 ? std::strerror(error_number) : "it cannot be opened";
    why[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(why[0])));
    return why;
}

Result<std::string> read_credentials_file(const std::string& path) {
    std::error_code ignored;
    if (std::filesystem::is_directory(path, ignored)) {
        return fail(ErrorKind::usage, fmt::format("cannot read credentials file {}", path),
                    "it is a directory");
    }
    errno = 0;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return fail(ErrorKind::usage, fmt::format("cannot read credentials file {}", path),
                    open_failure(errno));
    }
    std::string text(kMaxCredentialsFile + 1, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(in.gcount()));
    if (in.bad()) {
        wipe_string(text);
        return fail(credentials_file_error(path, "it could not be read to the end"));
    }
    if (text.size() > kMaxCredentialsFile) {
        wipe_string(text);
        return fail(credentials_file_error(path, "it is larger than 1 MiB"));
    }
    return text;
}

// The keys of --credentials-file, or none when it is not given. Errors name the file and the
// entry, never a value.
Result<std::vector<Credentials>> load_fixed_credentials(const std::string& path) {
    if (path.empty()) {
        return std::vector<Credentials>{};
    }
    auto text = read_credentials_file(path);
    if (!text) {
        return fail(std::move(text.error()));
    }
    auto credentials = parse_mock_credentials(*text);
    wipe_string(*text);
    if (!credentials) {
        return fail(
            credentials_file_error(path, credentials.error().why, credentials.error().hint));
    }
    return credentials;
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
    auto skew = parse_clock_skew(options.clock_skew);
    if (!skew) {
        return fail(std::move(skew.error()).within("--clock-skew"));
    }

    if (options.no_role && options.role != kMockDefaultRole) {
        return fail(ErrorKind::usage, "--no-role and --role contradict each other",
                    "one says no role is attached, the other names one", "give one of them");
    }
    if (options.seed && !options.credentials_file.empty()) {
        return fail(ErrorKind::usage, "--seed and --credentials-file contradict each other",
                    "the seed makes up keys, the file gives them", "give one of them");
    }
    auto fixed = load_fixed_credentials(options.credentials_file);
    if (!fixed) {
        return fail(fixed.error());
    }

    MockImdsConfig config = options.instance;
    config.host = listen->host;
    config.port = listen->port;
    config.role = options.no_role ? std::nullopt : std::optional(options.role);
    config.lifetime = *lifetime;
    config.rotation = *rotation;
    config.faults = std::move(*faults);
    config.clock_skew = *skew;
    config.seed = options.seed.value_or(random_seed());
    config.fixed_credentials = std::move(*fixed);
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
    for (const auto& keys : config.fixed_credentials) {
        log.info("mock-imds: serving key {}{}", redact_key_id(keys.access_key_id),
                 keys.has_session_token() ? " with a session token" : " without a session token");
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
