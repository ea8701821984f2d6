#include "cli.hpp"

#include <algorithm>

#include "credkit/config_file.hpp"
#include "credkit/environment.hpp"

namespace credkit::cli {

Logger GlobalOptions::logger() const {
    if (quiet) {
        return Logger(Verbosity::quiet);
    }
    return Logger(static_cast<Verbosity>(std::min(verbose, 2)));
}

void add_imds_location_options(CLI::App& command, ImdsOverrides& overrides) {
    const std::string group = "IMDS options";
    command
        .add_option_function<std::string>(
            "--imds-endpoint", [&overrides](const std::string& v) { overrides.endpoint = v; },
            "Metadata service URL (env AWS_EC2_METADATA_SERVICE_ENDPOINT; default "
            "http://169.254.169.254, or http://[fd00:ec2::254] with --imds-mode ipv6)")
        ->option_text("URL")
        ->group(group);
    command
        .add_option_function<std::string>(
            "--imds-mode", [&overrides](const std::string& v) { overrides.mode = v; },
            "ipv4 or ipv6 (env AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE; default ipv4)")
        ->option_text("MODE")
        ->check(CLI::IsMember({"ipv4", "ipv6"}, CLI::ignore_case))
        ->group(group);
    command
        .add_option_function<std::string>(
            "--imds-timeout", [&overrides](const std::string& v) { overrides.timeout = v; },
            "Time allowed per attempt (env AWS_METADATA_SERVICE_TIMEOUT in seconds; default 1s)")
        ->option_text("DURATION")
        ->group(group);
}

void add_imds_options(CLI::App& command, ImdsOverrides& overrides) {
    add_imds_location_options(command, overrides);
    const std::string group = "IMDS options";
    command
        .add_option_function<int>(
            "--imds-attempts", [&overrides](int v) { overrides.attempts = v; },
            "Tries per request, 1..10, with exponential backoff and jitter (env "
            "AWS_METADATA_SERVICE_NUM_ATTEMPTS; default 3)")
        ->option_text("N")
        ->group(group);
    command
        .add_option_function<std::string>(
            "--imds-token-ttl", [&overrides](const std::string& v) { overrides.token_ttl = v; },
            "Lifetime of the IMDSv2 session token, 1s..6h (default 6h)")
        ->option_text("DURATION")
        ->group(group);
    command
        .add_flag_callback(
            "--allow-imdsv1", [&overrides] { overrides.allow_v1 = true; },
            "Fall back to IMDSv1 (no token) when the token request fails (default: IMDSv2 only)")
        ->group(group);
    command
        .add_option_function<std::string>(
            "--role", [&overrides](const std::string& v) { overrides.role = v; },
            "Instance role to use (default: the first role IMDS lists)")
        ->option_text("NAME")
        ->group(group);
}

void add_source_options(CLI::App& command, std::string& source, std::optional<std::string>& profile,
                        std::string_view shown_default) {
    command
        .add_option("--source", source,
                    "Where credentials come from: auto, env, profile[:NAME], s3cfg[:PATH] or "
                    "imds (default " +
                        std::string(shown_default) + ")")
        ->option_text("SOURCE");
    command
        .add_option_function<std::string>(
            "--profile", [&profile](const std::string& v) { profile = v; },
            "Profile for the auto, profile and s3cfg sources (default: $AWS_DEFAULT_PROFILE, "
            "$AWS_PROFILE, else default)")
        ->option_text("NAME");
}

Result<ImdsSettings> resolve_imds(const ImdsOverrides& command_line, const GlobalOptions& global) {
    const SystemEnvironment env;
    auto config = load_config(global.config_path, env);
    if (!config) {
        return fail(config.error());
    }
    const ImdsOverrides from_file = *config ? (*config)->imds : ImdsOverrides{};
    return resolve_imds_settings(command_line, from_file, env);
}

int report(const Error& error, const Logger& logger) {
    logger.report(error);
    return exit_code(error.kind);
}

}  // namespace credkit::cli
