// credkit diagnose: which credentials boto3, the AWS CLI, htslib and s3cmd will each use on
// this machine, and what will go wrong. Exit codes follow the monitoring scale: 0 nothing
// found, 1 warnings, 2 a tool has no usable credentials or will fail.
#include <cstdio>
#include <memory>

#include "cli.hpp"
#include <pwd.h>
#include <unistd.h>

#include "credkit/clock.hpp"
#include "credkit/command_runner.hpp"
#include "credkit/config_file.hpp"
#include "credkit/diagnose_report.hpp"
#include "credkit/hazards.hpp"
#include "credkit/imds_probe.hpp"
#include "credkit/refresher_targets.hpp"

namespace credkit::cli {
namespace {

// The whole probe ends within this, so that diagnose answers in a few seconds even when the
// metadata service never does.
constexpr std::chrono::milliseconds kProbeBudget{2500};
constexpr std::chrono::milliseconds kCommandTimeout{5000};

constexpr std::string_view kFooter =
    "Examples:\n"
    "  credkit diagnose\n"
    "  credkit diagnose --tool boto3 --profile reports --format json\n"
    "  credkit diagnose --tool htslib --url s3://prof@my-bucket/calls.vcf.gz\n"
    "  credkit diagnose --no-probe          # environment and files only\n"
    "  credkit diagnose --list-hazards\n"
    "Exit status: 0 nothing found, 1 warnings, 2 a tool has no usable credentials or will fail\n"
    "(usage errors too). Every hazard code is explained in credkit-diagnose(1).";

struct DiagnoseOptions {
    std::vector<std::string> tools;
    std::optional<std::string> url;
    std::optional<std::string> profile;
    std::optional<bool> probe;  // unset: probe when IMDS looks reachable
    std::string format = "text";
    bool list_hazards = false;
    ImdsOverrides imds;
};

Error usage(std::string what, std::string why) {
    return make_error(ErrorKind::usage, std::move(what), std::move(why),
                      "see 'credkit diagnose --help'");
}

Result<std::vector<Tool>> chosen_tools(const std::vector<std::string>& names) {
    if (names.empty()) {
        return std::vector<Tool>{Tool::boto3, Tool::awscli, Tool::htslib, Tool::s3cmd};
    }
    std::vector<Tool> tools;
    for (const auto& name : names) {
        const auto tool = parse_tool(name);
        if (!tool) {
            return fail(usage(fmt::format("unknown tool '{}'", name),
                              "the tools are boto3, awscli, htslib and s3cmd"));
        }
        if (std::ranges::find(tools, *tool) == tools.end()) {
            tools.push_back(*tool);
        }
    }
    return tools;
}

std::filesystem::path home_directory(const Environment& env) {
    if (auto home = env.non_empty("HOME")) {
        return *home;
    }
    const passwd* entry = ::getpwuid(::getuid());
    return entry != nullptr && entry->pw_dir != nullptr ? entry->pw_dir : "/";
}

// Why the probe should not run, or nothing when it should. Probing is the default where IMDS
// is plausibly there: an endpoint was named, or this machine looks like an EC2 instance.
std::optional<std::string> reason_not_to_probe(const DiagnoseOptions& options,
                                               const ImdsSettings& settings, bool endpoint_named,
                                               const FileView& files) {
    if (options.probe == false) {
        return "--no-probe";
    }
    if (settings.disabled) {
        return "AWS_EC2_METADATA_DISABLED is true";
    }
    if (options.probe == true || endpoint_named || looks_like_ec2(files)) {
        return std::nullopt;
    }
    return "this machine does not look like an EC2 instance and no IMDS endpoint was named "
           "(use --probe to ask anyway)";
}

std::optional<std::string> run_credential_process(const std::string& command) {
    auto output = run_command(command, kCommandTimeout);
    if (!output || output->exit_status != 0) {
        return std::nullopt;
    }
    return std::move(output->out);
}

int list_hazards() {
    for (const auto& kind : hazard_catalogue()) {
        std::printf("%-28s %-8s %s\n", std::string(kind.code).c_str(),
                    std::string(severity_name(kind.severity)).c_str(),
                    std::string(kind.meaning).c_str());
    }
    return 0;
}

int run(const DiagnoseOptions& options, const GlobalOptions& global) {
    const Logger log = global.logger();
    if (options.list_hazards) {
        return list_hazards();
    }
    auto tools = chosen_tools(options.tools);
    if (!tools) {
        return report(tools.error(), log);
    }
    if (options.url && !options.url->starts_with("s3://") && !options.url->starts_with("s3+")) {
        return report(usage("--url must be an s3:// URL",
                            "htslib reads s3://, s3+http:// and "
                            "s3+https:// URLs"),
                      log);
    }
    const SystemEnvironment env;
    auto config = load_config(global.config_path, env);
    if (!config) {
        return report(config.error(), log);
    }
    const ImdsOverrides from_file = *config ? (*config)->imds : ImdsOverrides{};
    auto settings = resolve_imds_settings(options.imds, from_file, env);
    if (!settings) {
        return report(settings.error(), log);
    }
    const bool endpoint_named = options.imds.endpoint || options.imds.mode || from_file.endpoint ||
                                from_file.mode ||
                                env.non_empty("AWS_EC2_METADATA_SERVICE_ENDPOINT") ||
                                env.non_empty("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");

    const SystemFileView disk;
    const CachingFileView files(disk);
    SystemClock clock;
    MachineView view{env, files, home_directory(env), clock.now_seconds()};
    view.profile = options.profile;
    view.url = options.url;
    view.refreshed_files = running_refresher_targets();
    if (*config) {
        view.refreshed_files.merge(config_targets(**config));
    }
    if (auto reason = reason_not_to_probe(options, *settings, endpoint_named, files)) {
        view.imds_not_probed_reason = *reason;
    } else {
        CurlHttpClient http;
        view.imds = probe_imds(*settings, http, clock, kProbeBudget);
    }
    if (options.probe != false) {
        view.run_command = run_credential_process;  // as botocore would run it
    }
    for (const auto& [path, why] : view.refreshed_files) {
        log.debug("rewritten by a refresher: {} ({})", path.string(), why);
    }

    const Diagnosis diagnosis = diagnose(view, *tools);
    const std::string out =
        options.format == "json" ? render_json(diagnosis, view) : render_text(diagnosis, view);
    std::fputs(out.c_str(), stdout);
    return diagnosis.exit_code();
}

}  // namespace

Command register_diagnose(CLI::App& parent, const GlobalOptions& global) {
    auto options = std::make_shared<DiagnoseOptions>();
    auto* app = parent.add_subcommand(
        "diagnose",
        "Which credentials boto3, the AWS CLI, htslib and s3cmd will each use here, "
        "and what will go wrong");
    app->add_option("--tool", options->tools,
                    "Tools to look at: boto3, awscli, htslib, s3cmd (repeatable or "
                    "comma-separated; default all)")
        ->option_text("TOOL")
        ->delimiter(',')
        ->check(CLI::IsMember({"boto3", "awscli", "htslib", "s3cmd"}));
    app->add_option_function<std::string>(
           "--url", [options](const std::string& v) { options->url = v; },
           "The s3:// URL htslib will open (s3://profile@bucket/key reads another profile)")
        ->option_text("URL");
    app->add_option_function<std::string>(
           "--profile", [options](const std::string& v) { options->profile = v; },
           "Diagnose as if the program names this profile (Session(profile_name=...), aws "
           "--profile), which takes environment keys out of botocore's chain")
        ->option_text("NAME");
    app->add_flag_callback(
        "--probe", [options] { options->probe = true; },
        "Ask the metadata service (default: when an endpoint is named or this is EC2)");
    app->add_flag_callback(
        "--no-probe", [options] { options->probe = false; },
        "Do not contact the metadata service or run credential_process");
    app->add_option("-f,--format", options->format, "text (default) or json")
        ->option_text("FORMAT")
        ->check(CLI::IsMember({"text", "json"}));
    app->add_flag("--list-hazards", options->list_hazards,
                  "Print every hazard code with its severity and meaning, then exit");
    add_imds_location_options(*app, options->imds);
    app->footer(std::string(kFooter));
    return Command{app, [options, &global] { return run(*options, global); }};
}

}  // namespace credkit::cli
