// credkit fetch-creds: the instance role's credentials from IMDS, in the format asked for,
// on stdout or written atomically to a file.
#include <cstdio>
#include <memory>

#include "cli.hpp"
#include <nlohmann/json.hpp>

#include "credkit/atomic_file.hpp"
#include "credkit/clock.hpp"
#include "credkit/credential_format.hpp"
#include "credkit/duration.hpp"
#include "credkit/imds_client.hpp"

namespace credkit::cli {
namespace {

struct FetchOptions {
    ImdsOverrides imds;
    std::string format = "json";
    std::string profile = "default";
    std::string output;
    std::string mode = "0600";
    bool metadata = false;
};

void report_freshness(const Credentials& credentials, TimePoint now, const Logger& log) {
    for (const auto& finding : check_freshness(credentials, now)) {
        log.warning("{}", finding.message);
        if (finding.kind == ExpiryFinding::Kind::issued_in_future) {
            log.log(Level::note, "compare the clock with a time server (chronyc tracking)");
        }
    }
}

nlohmann::ordered_json metadata_json(const InstanceMetadata& metadata) {
    const auto value = [](const std::optional<std::string>& item) {
        return item ? nlohmann::ordered_json(*item) : nlohmann::ordered_json(nullptr);
    };
    return {{"Region", value(metadata.region)},
            {"AvailabilityZone", value(metadata.availability_zone)},
            {"InstanceId", value(metadata.instance_id)},
            {"AccountId", value(metadata.account_id)}};
}

// Adds the instance's metadata to the rendered credentials: JSON keys for json, exports of
// the region and comment lines for the shells.
std::string with_metadata(std::string text, CredentialFormat format,
                          const InstanceMetadata& metadata) {
    if (format == CredentialFormat::json) {
        auto doc = nlohmann::ordered_json::parse(text);
        const auto extra = metadata_json(metadata);
        for (const auto& [key, value] : extra.items()) {
            doc[key] = value;
        }
        return doc.dump(2) + "\n";
    }
    const auto line = [&](std::string_view name, const std::optional<std::string>& item) {
        if (!item) {
            return std::string();
        }
        if (format == CredentialFormat::fish) {
            return fmt::format("set -gx {} {}\n", name, fish_quote(*item));
        }
        return fmt::format("export {}={}\n", name, shell_quote(*item));
    };
    text += line("AWS_REGION", metadata.region);
    text += line("AWS_DEFAULT_REGION", metadata.region);
    const auto comment = [](std::string_view label, const std::optional<std::string>& item) {
        return item ? fmt::format("# {}: {}\n", label, *item) : std::string();
    };
    text += comment("availability zone", metadata.availability_zone);
    text += comment("instance id", metadata.instance_id);
    text += comment("account id", metadata.account_id);
    return text;
}

Result<void> write_stdout(std::string_view text) {
    if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() ||
        std::fflush(stdout) != 0) {
        return fail(ErrorKind::write_failed, "cannot write to standard output",
                    "the output was closed or is full");
    }
    return {};
}

Result<void> check_options(const FetchOptions& options, CredentialFormat format) {
    const bool metadata_fits = format == CredentialFormat::json ||
                               format == CredentialFormat::env || format == CredentialFormat::fish;
    if (options.metadata && !metadata_fits) {
        return fail(ErrorKind::usage, "--metadata does not fit --format " + options.format,
                    "that format has no place for instance metadata",
                    "use --metadata with --format json, env or fish");
    }
    return {};
}

int run(const FetchOptions& options, const GlobalOptions& global) {
    const Logger log = global.logger();
    auto format = parse_credential_format(options.format);
    if (!format) {
        return report(format.error(), log);
    }
    if (auto checked = check_options(options, *format); !checked) {
        return report(checked.error(), log);
    }
    auto mode = parse_file_mode(options.mode);
    if (!mode) {
        return report(mode.error(), log);
    }
    auto settings = resolve_imds(options.imds, global);
    if (!settings) {
        return report(settings.error(), log);
    }

    CurlHttpClient http;
    SystemClock clock;
    ImdsClient imds(*settings, http, clock, log);
    auto credentials = imds.fetch_credentials();
    if (!credentials) {
        return report(credentials.error(), log);
    }
    const TimePoint now = clock.now_seconds();
    log.info("fetched credentials for role '{}' (key {}), expiring {}", credentials->origin.section,
             redact_key_id(credentials->access_key_id),
             credentials->expiration ? format_rfc3339(*credentials->expiration) : "never");
    report_freshness(*credentials, now, log);

    RenderOptions render;
    render.section = options.profile;
    std::string text = render_credentials(*credentials, *format, render);
    if (options.metadata) {
        const InstanceMetadata metadata = imds.instance_metadata();
        for (const auto& missing : metadata.missing) {
            log.warning("metadata item unavailable: {}", missing);
        }
        text = with_metadata(std::move(text), *format, metadata);
    }

    AtomicWriteOptions file_options;
    file_options.mode = *mode;
    Result<void> written = options.output.empty()
                               ? write_stdout(text)
                               : write_file_atomically(options.output, text, file_options);
    wipe_string(text);
    if (!written) {
        return report(written.error(), log);
    }
    if (!options.output.empty()) {
        log.info("wrote {} credentials to {}", options.format, options.output);
    }
    return 0;
}

}  // namespace

Command register_fetch_creds(CLI::App& parent, const GlobalOptions& global) {
    auto options = std::make_shared<FetchOptions>();
    auto* app = parent.add_subcommand(
        "fetch-creds", "Fetch the instance role's credentials from IMDS (IMDSv2) and print them");
    app->add_option("-f,--format", options->format,
                    "json (default), credential-process, env, fish, ini or s3cfg")
        ->option_text("FORMAT")
        ->check(CLI::IsMember({"json", "credential-process", "env", "fish", "ini", "s3cfg"}));
    app->add_option("-o,--output", options->output,
                    "Write to FILE atomically instead of standard output (mode 0600 unless --mode)")
        ->option_text("FILE");
    app->add_option("--mode", options->mode, "Permission mode of the file -o writes (default 0600)")
        ->option_text("MODE");
    app->add_option("--profile", options->profile,
                    "Section name for --format ini and s3cfg (default: default)")
        ->option_text("NAME");
    app->add_flag("--metadata", options->metadata,
                  "Also print region, availability zone, instance id and account id "
                  "(json, env and fish formats)");
    add_imds_options(*app, options->imds);
    return Command{app, [options, &global] { return run(*options, global); }};
}

}  // namespace credkit::cli
