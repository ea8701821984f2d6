// credkit write-s3cfg: render credentials into the files htslib and s3cmd read (and others),
// update them in place and atomically, once or (--watch) for as long as it runs.
#include <cstdio>
#include <memory>

#include "cli.hpp"
#include <nlohmann/json.hpp>

#include "credkit/clock.hpp"
#include "credkit/config_file.hpp"
#include "credkit/credential_file.hpp"
#include "credkit/credential_source.hpp"
#include "credkit/refresher.hpp"
#include "credkit/signal_waiter.hpp"
#include "credkit/systemd_notifier.hpp"

namespace credkit::cli {
namespace {

struct WriteOptions {
    ImdsOverrides imds;
    std::string output;
    std::string source;  // empty: the config's, else imds
    std::optional<std::string> profile;
    std::string section;
    std::optional<std::string> host_base;
    std::optional<std::string> host_bucket;
    std::optional<std::string> bucket_location;
    std::string mode;  // empty: 0600
    std::string owner;
    std::string credentials_file;
    std::string credentials_profile;
    bool json = false;
    bool check = false;
    bool watch = false;
    std::string refresh_margin;
    std::string max_interval;
};

// Everything a run needs, built from options, environment and config file; rebuilt on reload.
struct Plan {
    SourceSpec source;
    ImdsSettings imds;
    std::vector<OutputSpec> outputs;
    RefreshPolicy policy;
};

Error usage(std::string what, std::string why, std::string hint = {}) {
    return make_error(ErrorKind::usage, std::move(what), std::move(why), std::move(hint));
}

// --section, else AWS_DEFAULT_PROFILE / AWS_PROFILE, else "default": the section htslib reads.
std::string default_section(const std::string& given, const Environment& env) {
    return given.empty() ? effective_profile(std::nullopt, env) : given;
}

Result<OutputSpec> output_from_options(const WriteOptions& options, const std::string& path,
                                       const Environment& env) {
    OutputSpec spec;
    spec.path = path;
    spec.format = OutputFormat::s3cfg;
    spec.section = default_section(options.section, env);
    spec.s3cfg = {options.host_base, options.host_bucket, options.bucket_location};
    auto mode = parse_file_mode(options.mode.empty() ? "0600" : options.mode);
    if (!mode) {
        return fail(std::move(mode.error()).within("--mode"));
    }
    spec.mode = *mode;
    if (!options.owner.empty()) {
        auto owner = parse_file_owner(options.owner);
        if (!owner) {
            return fail(std::move(owner.error()).within("--owner"));
        }
        spec.owner = *owner;
    }
    return spec;
}

Result<OutputSpec> output_from_config(const OutputConfig& entry, const ConfigFile& config,
                                      const Environment& env) {
    const auto where = [&](Error error) {
        return fail(std::move(error).within(
            fmt::format("invalid output at {}:{}", config.path.string(), entry.line)));
    };
    OutputSpec spec;
    spec.path = entry.path;
    if (auto format = parse_output_format(entry.format.value_or("s3cfg")); format) {
        spec.format = *format;
    } else {
        return where(format.error());
    }
    spec.section = default_section(entry.section.value_or(""), env);
    spec.s3cfg = {entry.host_base, entry.host_bucket, entry.bucket_location};
    if (auto mode = parse_file_mode(entry.mode.value_or("0600")); mode) {
        spec.mode = *mode;
    } else {
        return where(mode.error());
    }
    if (entry.owner) {
        auto owner = parse_file_owner(*entry.owner);
        if (!owner) {
            return where(owner.error());
        }
        spec.owner = *owner;
    }
    return spec;
}

// The options that shape a command-line output; the config's outputs carry their own.
std::optional<std::string_view> per_output_option(const WriteOptions& options) {
    const std::pair<bool, std::string_view> given[] = {
        {!options.section.empty(), "--section"},
        {!options.mode.empty(), "--mode"},
        {!options.owner.empty(), "--owner"},
        {options.host_base.has_value(), "--host-base"},
        {options.host_bucket.has_value(), "--host-bucket"},
        {options.bucket_location.has_value(), "--bucket-location"},
    };
    for (const auto& [is_given, name] : given) {
        if (is_given) {
            return name;
        }
    }
    return std::nullopt;
}

// Command-line outputs replace the config file's list; with neither, HTS_S3_S3CFG.
Result<std::vector<OutputSpec>> plan_outputs(const WriteOptions& options,
                                             const std::optional<ConfigFile>& config,
                                             const Environment& env) {
    std::vector<OutputSpec> outputs;
    std::string primary = options.output;
    const bool from_command_line = !primary.empty() || !options.credentials_file.empty();
    if (!from_command_line && config && !config->outputs.empty()) {
        if (auto option = per_output_option(options)) {
            return fail(usage(fmt::format("{} has nothing to apply to", *option),
                              fmt::format("the files come from the outputs in {}, which set it "
                                          "for themselves",
                                          config->path.string()),
                              "set it in the config's outputs, or name the file with -o"));
        }
        for (const auto& entry : config->outputs) {
            auto spec = output_from_config(entry, *config, env);
            if (!spec) {
                return fail(std::move(spec.error()));
            }
            outputs.push_back(std::move(*spec));
        }
        return outputs;
    }
    if (primary.empty()) {
        primary = env.non_empty("HTS_S3_S3CFG").value_or("");
    }
    if (primary.empty()) {
        return fail(usage("no file to write", "neither -o nor HTS_S3_S3CFG names one",
                          "pass -o PATH, set HTS_S3_S3CFG, or list outputs in the config file"));
    }
    auto spec = output_from_options(options, primary, env);
    if (!spec) {
        return fail(std::move(spec.error()));
    }
    outputs.push_back(*spec);
    if (!options.credentials_file.empty()) {
        OutputSpec credentials = *spec;
        credentials.path = options.credentials_file;
        credentials.format = OutputFormat::aws_credentials;
        credentials.section =
            options.credentials_profile.empty() ? spec->section : options.credentials_profile;
        outputs.push_back(std::move(credentials));
    }
    return outputs;
}

Result<Seconds> duration_setting(const std::string& cli, const std::optional<std::string>& config,
                                 std::string_view name, Seconds fallback) {
    const std::string text = !cli.empty() ? cli : config.value_or("");
    if (text.empty()) {
        return fallback;
    }
    auto parsed = parse_duration(text);
    if (!parsed || parsed->count() < 1000) {
        return fail(usage(fmt::format("invalid {} '{}'", name, text),
                          parsed ? "it must be at least 1s" : parsed.error().why));
    }
    return std::chrono::duration_cast<Seconds>(*parsed);
}

Result<Plan> make_plan(const WriteOptions& options, const GlobalOptions& global) {
    const SystemEnvironment env;
    auto config = load_config(global.config_path, env);
    if (!config) {
        return fail(std::move(config.error()));
    }
    Plan plan;
    const std::string source_text =
        !options.source.empty() ? options.source
                                : (*config ? (*config)->source : std::nullopt).value_or("imds");
    auto source = parse_source(source_text);
    if (!source) {
        return fail(std::move(source.error()));
    }
    plan.source = *source;

    auto imds =
        resolve_imds_settings(options.imds, *config ? (*config)->imds : ImdsOverrides{}, env);
    if (!imds) {
        return fail(std::move(imds.error()));
    }
    plan.imds = *imds;

    auto outputs = plan_outputs(options, *config, env);
    if (!outputs) {
        return fail(std::move(outputs.error()));
    }
    plan.outputs = std::move(*outputs);

    const WatchConfig watch = *config ? (*config)->watch : WatchConfig{};
    auto margin = duration_setting(options.refresh_margin, watch.refresh_margin, "--refresh-margin",
                                   plan.policy.refresh_margin);
    auto interval = duration_setting(options.max_interval, watch.max_interval, "--max-interval",
                                     plan.policy.max_interval);
    if (!margin || !interval) {
        return fail(std::move(!margin ? margin.error() : interval.error()));
    }
    plan.policy.refresh_margin = *margin;
    plan.policy.max_interval = *interval;
    return plan;
}

// Credentials that must not be written: incomplete, or expired by the local clock.
Result<void> check_writable(const Credentials& credentials, TimePoint now) {
    if (credentials.access_key_id.empty() || credentials.secret_access_key.empty()) {
        return fail(ErrorKind::no_credentials, "refusing to write credentials",
                    "the source gave an incomplete key pair");
    }
    if (credentials.expiration && *credentials.expiration <= now) {
        return fail(ErrorKind::no_credentials, "refusing to write credentials",
                    fmt::format("key {} expired at {}", redact_key_id(credentials.access_key_id),
                                format_rfc3339(*credentials.expiration)),
                    "the files keep their old content; check the source and the clock");
    }
    return {};
}

class Writer {
public:
    Writer(const GlobalOptions& global, const WriteOptions& options, Plan plan)
        : global_(global), options_(options), plan_(std::move(plan)), log_(global.logger()) {}

    Result<Credentials> fetch() {
        SourceContext context{env_, http_, clock_, log_, plan_.imds, options_.profile};
        return resolve_credentials(plan_.source, context);
    }

    Result<std::vector<OutputChange>> write(const Credentials& credentials, bool dry_run) {
        std::vector<OutputChange> changes;
        for (const auto& output : plan_.outputs) {
            auto change = update_output(output, credentials, dry_run);
            if (!change) {
                return fail(std::move(change.error()));
            }
            if (change->changed && !dry_run) {
                log_.info("updated {} ({})", output.path.string(),
                          output_format_name(output.format));
            }
            changes.push_back(*change);
        }
        return changes;
    }

    // Re-reads the config; the refresher adopts the new watch timings it returns.
    Result<std::optional<RefreshPolicy>> reload() {
        auto plan = make_plan(options_, global_);
        if (!plan) {
            return fail(std::move(plan.error()));
        }
        plan_ = std::move(*plan);
        return plan_.policy;
    }

    [[nodiscard]] const Plan& plan() const { return plan_; }
    [[nodiscard]] const Logger& log() const { return log_; }
    Clock& clock() { return clock_; }

private:
    const GlobalOptions& global_;
    const WriteOptions& options_;
    Plan plan_;
    Logger log_;
    SystemEnvironment env_;
    CurlHttpClient http_;
    SystemClock clock_;
};

void print_json(const std::vector<OutputChange>& changes, const Credentials& credentials) {
    nlohmann::ordered_json doc;
    bool any = false;
    nlohmann::ordered_json files = nlohmann::json::array();
    for (const auto& change : changes) {
        any = any || change.changed;
        files.push_back({{"path", change.path.string()}, {"changed", change.changed}});
    }
    doc["changed"] = any;
    doc["path"] = changes.empty() ? "" : changes.front().path.string();
    doc["expires"] = credentials.expiration
                         ? nlohmann::ordered_json(format_rfc3339(*credentials.expiration))
                         : nlohmann::ordered_json(nullptr);
    doc["outputs"] = files;
    std::fputs((doc.dump() + "\n").c_str(), stdout);
}

int run_once(Writer& writer, const WriteOptions& options) {
    const Logger& log = writer.log();
    auto credentials = writer.fetch();
    if (!credentials) {
        return report(credentials.error(), log);
    }
    const TimePoint now = writer.clock().now_seconds();
    if (auto ok = check_writable(*credentials, now); !ok) {
        return report(ok.error(), log);
    }
    for (const auto& finding : check_freshness(*credentials, now)) {
        log.warning("{}", finding.message);
    }
    auto changes = writer.write(*credentials, options.check);
    if (!changes) {
        return report(changes.error(), log);
    }
    if (options.json) {
        print_json(*changes, *credentials);
    }
    const bool changed = std::ranges::any_of(*changes, [](const auto& c) { return c.changed; });
    if (options.check && changed) {
        log.info("a change is due: the files do not hold the current credentials");
        return 1;
    }
    return 0;
}

int run_watch(Writer& writer) {
    SignalWaiter waiter;  // first: signals must be blocked before any thread starts
    SystemdNotifier notifier;
    RefreshJob job;
    job.fetch = [&writer] { return writer.fetch(); };
    job.write = [&writer](const Credentials& credentials) -> Result<int> {
        auto changes = writer.write(credentials, false);
        if (!changes) {
            return fail(std::move(changes.error()));
        }
        return static_cast<int>(
            std::ranges::count_if(*changes, [](const auto& c) { return c.changed; }));
    };
    job.reload = [&writer] { return writer.reload(); };
    Refresher refresher(writer.plan().policy, std::move(job), writer.clock(), waiter, notifier,
                        writer.log());
    return refresher.run();
}

// Options that only mean something beside another one.
Result<void> check_combination(const WriteOptions& options) {
    if (!options.watch && (!options.refresh_margin.empty() || !options.max_interval.empty())) {
        return fail(usage(
            fmt::format("{} needs --watch",
                        options.refresh_margin.empty() ? "--max-interval" : "--refresh-margin"),
            "a single run refreshes once, now"));
    }
    if (!options.credentials_profile.empty() && options.credentials_file.empty()) {
        return fail(usage("--credentials-profile needs --also-credentials-file",
                          "there is no credentials file to name a profile in"));
    }
    return {};
}

int run(const WriteOptions& options, const GlobalOptions& global) {
    const Logger log = global.logger();
    if (options.watch && options.check) {
        return report(usage("--watch and --check contradict each other",
                            "one keeps the files fresh, the other changes nothing"),
                      log);
    }
    if (auto combination = check_combination(options); !combination) {
        return report(combination.error(), log);
    }
    auto plan = make_plan(options, global);
    if (!plan) {
        return report(plan.error(), log);
    }
    Writer writer(global, options, std::move(*plan));
    return options.watch ? run_watch(writer) : run_once(writer, options);
}

void add_output_options(CLI::App& app, WriteOptions& options) {
    app.add_option("-o,--output", options.output,
                   "The s3cfg to keep fresh (default: the config's outputs, else $HTS_S3_S3CFG)")
        ->option_text("PATH");
    app.add_option("--section", options.section,
                   "Section to write (default: $AWS_DEFAULT_PROFILE, $AWS_PROFILE, else default)")
        ->option_text("NAME");
    app.add_option("--host-base", options.host_base, "Also write host_base (S3 endpoint)")
        ->option_text("HOST[:PORT]");
    app.add_option("--host-bucket", options.host_bucket,
                   "Also write host_bucket; without %(bucket)s htslib uses path style")
        ->option_text("TEMPLATE");
    app.add_option("--bucket-location", options.bucket_location, "Also write bucket_location")
        ->option_text("REGION");
    app.add_option("--mode", options.mode, "Permission mode of the files written (default 0600)")
        ->option_text("MODE");
    app.add_option("--owner", options.owner, "Owner of the files written (needs root)")
        ->option_text("USER[:GROUP]");
    app.add_option("--also-credentials-file", options.credentials_file,
                   "Also keep an AWS credentials file section with expiry_time, which htslib "
                   "re-reads during long reads")
        ->option_text("PATH");
    app.add_option("--credentials-profile", options.credentials_profile,
                   "Profile section for --also-credentials-file (default: as --section)")
        ->option_text("NAME");
}

void add_run_options(CLI::App& app, WriteOptions& options) {
    add_source_options(app, options.source, options.profile, "imds, or the config's source");
    app.add_flag("--json", options.json,
                 "Print {\"changed\", \"path\", \"expires\", \"outputs\"} for Ansible");
    app.add_flag("--check", options.check,
                 "Change nothing; exit 0 when the files are current, 1 when they would change");
    app.add_flag("--watch", options.watch,
                 "Keep running and keep the files fresh (SIGHUP reloads, SIGTERM stops)");
    app.add_option("--refresh-margin", options.refresh_margin,
                   "With --watch: refresh this long before expiry (default 15m)")
        ->option_text("DURATION");
    app.add_option("--max-interval", options.max_interval,
                   "With --watch: refresh at least this often (default 1h)")
        ->option_text("DURATION");
}

}  // namespace

Command register_write_s3cfg(CLI::App& parent, const GlobalOptions& global) {
    auto options = std::make_shared<WriteOptions>();
    auto* app = parent.add_subcommand(
        "write-s3cfg",
        "Write credentials into an s3cfg for htslib and s3cmd, atomically, and keep it fresh");
    add_output_options(*app, *options);
    add_run_options(*app, *options);
    add_imds_options(*app, options->imds);
    return Command{app, [options, &global] { return run(*options, global); }};
}

}  // namespace credkit::cli
