// credkit check-expiry: how long credentials or a presigned URL stay valid, for people,
// scripts and monitoring. Exit codes follow the monitoring scale: 0 OK, 1 WARNING,
// 2 CRITICAL, 3 UNKNOWN.
#include <cstdio>
#include <memory>

#include "cli.hpp"
#include <nlohmann/json.hpp>

#include "credkit/clock.hpp"
#include "credkit/config_file.hpp"
#include "credkit/credential_source.hpp"
#include "credkit/expiry.hpp"

namespace credkit::cli {
namespace {

struct CheckOptions {
    std::vector<std::string> urls;         // arguments
    std::vector<std::string> url_options;  // --url, checked after the arguments
    std::vector<std::string> files;
    std::optional<std::string> section;
    bool imds = false;
    bool env = false;
    std::string warn = "30m";
    std::string crit = "5m";
    std::string format = "text";
    std::string at;
    std::string source = "auto";
    std::optional<std::string> profile;
    ImdsOverrides imds_options;
};

// One checked input, judged.
struct Row {
    Expiry expiry;
    Status status = Status::unknown;
    std::string message;  // what a person reads
};

struct Context {
    const CheckOptions& options;
    const Logger& log;
    SystemEnvironment env;
    CurlHttpClient http;
    SystemClock clock;
    ImdsSettings imds;
};

Row unknown_row(std::string kind, std::string target, const Error& error) {
    Row row;
    row.expiry = Expiry{std::move(kind), std::move(target), std::nullopt, false, {}};
    row.message = error.what + ": " + error.why;
    return row;
}

Row from_result(Result<Expiry> result, std::string kind, std::string target) {
    if (!result) {
        return unknown_row(std::move(kind), std::move(target), result.error());
    }
    Row row;
    row.expiry = std::move(*result);
    return row;
}

Row credentials_row(Context& context, const SourceSpec& spec, std::string kind) {
    SourceContext source{context.env, context.http, context.clock,
                         context.log, context.imds, context.options.profile};
    auto credentials = resolve_credentials(spec, source);
    if (!credentials) {
        return unknown_row(std::move(kind), "credentials", credentials.error());
    }
    const std::string target =
        fmt::format("{} {}", source_name(credentials->origin.kind),
                    credentials->origin.section.empty() ? credentials->origin.location
                                                        : credentials->origin.section);
    Row row;
    row.expiry = Expiry{std::move(kind), target, credentials->expiration, false, {}};
    if (!credentials->expiration) {
        row.expiry.note = "these credentials carry no expiry (long-term keys?)";
    }
    return row;
}

std::vector<Row> gather(Context& context) {
    const CheckOptions& options = context.options;
    std::vector<Row> rows;
    for (const auto* urls : {&options.urls, &options.url_options}) {
        for (const auto& url : *urls) {
            rows.push_back(
                from_result(presigned_url_expiry(url), "url", url.substr(0, url.find('?'))));
        }
    }
    // --section, else the profile in effect (--profile, AWS_DEFAULT_PROFILE, AWS_PROFILE).
    const std::string section =
        options.section ? *options.section : effective_profile(options.profile, context.env);
    for (const auto& path : options.files) {
        auto text = read_text_file(path);
        rows.push_back(text ? from_result(file_expiry(*text, path, section), "file", path)
                            : unknown_row("file", path, text.error()));
    }
    if (options.env) {
        rows.push_back(from_result(env_expiry(context.env), "env", "AWS_CREDENTIAL_EXPIRATION"));
    }
    if (options.imds) {
        rows.push_back(credentials_row(context, SourceSpec{SourceSpec::Kind::imds, {}}, "imds"));
    }
    if (rows.empty()) {
        auto spec = parse_source(options.source);
        rows.push_back(spec ? credentials_row(context, *spec, "credentials")
                            : unknown_row("credentials", options.source, spec.error()));
    }
    return rows;
}

std::string describe(const Row& row, TimePoint now) {
    if (!row.expiry.expires) {
        return row.message.empty() ? row.expiry.note : row.message;
    }
    const auto remaining = *row.expiry.expires - now;
    std::string text = remaining > Seconds(0)
                           ? fmt::format("expires {}, in {}", format_rfc3339(*row.expiry.expires),
                                         format_duration(remaining))
                           : fmt::format("expired {}, {} ago", format_rfc3339(*row.expiry.expires),
                                         format_duration(-remaining));
    if (row.expiry.may_end_earlier) {
        text += "; it may end earlier: " + row.expiry.note;
    }
    return text;
}

std::optional<std::int64_t> remaining_seconds(const Row& row, TimePoint now) {
    if (!row.expiry.expires) {
        return std::nullopt;
    }
    return (*row.expiry.expires - now).count();
}

void print_text(const std::vector<Row>& rows, TimePoint now) {
    for (const auto& row : rows) {
        std::printf("%-8s %s %s: %s\n", std::string(status_name(row.status)).c_str(),
                    row.expiry.kind.c_str(), row.expiry.target.c_str(), describe(row, now).c_str());
    }
}

void print_json(const std::vector<Row>& rows, TimePoint now) {
    for (const auto& row : rows) {
        const auto remaining = remaining_seconds(row, now);
        nlohmann::ordered_json doc{
            {"status", status_name(row.status)},
            {"kind", row.expiry.kind},
            {"target", row.expiry.target},
            {"expires", row.expiry.expires
                            ? nlohmann::ordered_json(format_rfc3339(*row.expiry.expires))
                            : nlohmann::ordered_json(nullptr)},
            {"remaining_seconds",
             remaining ? nlohmann::ordered_json(*remaining) : nlohmann::ordered_json(nullptr)},
            {"may_end_earlier", row.expiry.may_end_earlier},
            {"message", describe(row, now)},
        };
        std::puts(doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    }
}

// One perfdata label per input: "remaining" alone, numbered when there are several, so that
// two inputs with the same target still get a series each.
std::string perf_label(std::size_t index, std::size_t count) {
    return count == 1 ? std::string("remaining") : fmt::format("remaining_{}", index + 1);
}

void print_nagios(const std::vector<Row>& rows, Status worst, TimePoint now,
                  const Thresholds& limits) {
    const auto worst_row = std::ranges::find(rows, worst, &Row::status);
    std::string message = fmt::format("{} {}: {}", worst_row->expiry.kind, worst_row->expiry.target,
                                      describe(*worst_row, now));
    if (rows.size() > 1) {
        message = fmt::format("{} checked; worst: {}", rows.size(), message);
    }
    // Thresholds as ranges "N:": alert when the remaining time falls below N.
    std::string perfdata;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        if (const auto remaining = remaining_seconds(rows[i], now)) {
            perfdata += fmt::format("{}'{}'={}s;{}:;{}:", perfdata.empty() ? "" : " ",
                                    perf_label(i, rows.size()), *remaining, limits.warn.count(),
                                    limits.crit.count());
        }
    }
    std::printf("CREDKIT %s - %s%s%s\n", std::string(status_name(worst)).c_str(), message.c_str(),
                perfdata.empty() ? "" : " | ", perfdata.c_str());
}

std::string prometheus_escape(std::string_view text) {
    std::string out;
    for (const char c : text) {
        if (c == '\\' || c == '"') {
            out += '\\';
            out += c;
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

void print_prometheus(const std::vector<Row>& rows, TimePoint now) {
    struct Metric {
        const char* name;
        const char* help;
    };
    const Metric metrics[] = {
        {"credkit_expiry_timestamp_seconds",
         "When the credentials or URL stop working, as a "
         "Unix time."},
        {"credkit_remaining_seconds",
         "Seconds until the credentials or URL stop working "
         "(negative once expired)."},
        {"credkit_status", "Check status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN."},
    };
    for (const auto& metric : metrics) {
        std::printf("# HELP %s %s\n# TYPE %s gauge\n", metric.name, metric.help, metric.name);
        for (std::size_t i = 0; i < rows.size(); ++i) {
            const Row& row = rows[i];
            // The input's position keeps two inputs with the same target apart.
            const std::string labels = fmt::format("{{input=\"{}\",kind=\"{}\",target=\"{}\"}}",
                                                   i + 1, prometheus_escape(row.expiry.kind),
                                                   prometheus_escape(row.expiry.target));
            const std::string_view name = metric.name;
            if (name == "credkit_status") {
                std::printf("%s%s %d\n", metric.name, labels.c_str(), static_cast<int>(row.status));
            } else if (const auto remaining = remaining_seconds(row, now)) {
                const auto value = name == "credkit_remaining_seconds"
                                       ? *remaining
                                       : row.expiry.expires->time_since_epoch().count();
                std::printf("%s%s %lld\n", metric.name, labels.c_str(),
                            static_cast<long long>(value));
            }
        }
    }
}

Result<Thresholds> thresholds(const CheckOptions& options) {
    Thresholds limits;
    for (const auto& [text, field, name] : {std::tuple{&options.warn, &limits.warn, "--warn"},
                                            {&options.crit, &limits.crit, "--crit"}}) {
        auto parsed = parse_duration(*text);
        if (!parsed) {
            return fail(std::move(parsed.error()).within(name));
        }
        *field = std::chrono::duration_cast<Seconds>(*parsed);
    }
    if (limits.crit > limits.warn) {
        return fail(ErrorKind::usage, "--crit is longer than --warn",
                    "the critical threshold must be the nearer one",
                    "for example --warn 30m --crit 5m");
    }
    return limits;
}

int run(const CheckOptions& options, const GlobalOptions& global) {
    const Logger log = global.logger();
    const auto unknown = [&](const Error& error) {
        log.report(error);
        return static_cast<int>(Status::unknown);
    };
    auto limits = thresholds(options);
    if (!limits) {
        return unknown(limits.error());
    }
    if (auto source = parse_source(options.source); !source) {
        return unknown(source.error());
    }
    auto imds = resolve_imds(options.imds_options, global);
    if (!imds) {
        return unknown(imds.error());
    }
    Context context{options, log, {}, {}, {}, *imds};
    TimePoint now = context.clock.now_seconds();
    if (!options.at.empty()) {
        auto at = parse_rfc3339(options.at);
        if (!at) {
            return unknown(std::move(at.error()).within("--at"));
        }
        now = *at;
    }

    std::vector<Row> rows = gather(context);
    Status worst = Status::ok;
    for (auto& row : rows) {
        if (row.message.empty()) {
            row.status = judge(row.expiry.expires, now, *limits);
        }
        worst = std::max(worst, row.status);
    }
    if (options.format == "json") {
        print_json(rows, now);
    } else if (options.format == "nagios") {
        print_nagios(rows, worst, now, *limits);
    } else if (options.format == "prometheus") {
        print_prometheus(rows, now);
    } else {
        print_text(rows, now);
    }
    return static_cast<int>(worst);
}

void add_input_options(CLI::App& app, CheckOptions& options) {
    app.add_option("urls", options.urls, "Presigned URLs to check")->option_text("URL...");
    app.add_option("--url", options.url_options, "A presigned URL to check (repeatable)")
        ->option_text("URL");
    app.add_option("--file", options.files,
                   "A credentials file, s3cfg or credential_process JSON to check (repeatable)")
        ->option_text("PATH");
    app.add_option_function<std::string>(
           "--section", [&options](const std::string& v) { options.section = v; },
           "Section of --file to read (default: the profile in effect, else default)")
        ->option_text("NAME");
    app.add_flag("--env", options.env,
                 "Check AWS_CREDENTIAL_EXPIRATION (or AWS_SESSION_EXPIRATION)");
    app.add_flag("--imds", options.imds, "Check the instance role's credentials from IMDS");
    add_source_options(app, options.source, options.profile, "auto");
}

}  // namespace

Command register_check_expiry(CLI::App& parent, const GlobalOptions& global) {
    auto options = std::make_shared<CheckOptions>();
    auto* app = parent.add_subcommand(
        "check-expiry",
        "Tell how long credentials or a presigned URL stay valid (exit 0 OK, 1 WARNING, "
        "2 CRITICAL, 3 UNKNOWN)");
    add_input_options(*app, *options);
    app->add_option("--warn", options->warn, "WARNING when this close to expiry (default 30m)")
        ->option_text("DURATION");
    app->add_option("--crit", options->crit,
                    "CRITICAL when this close to expiry, or expired (default 5m)")
        ->option_text("DURATION");
    app->add_option("-f,--format", options->format, "text (default), json, nagios or prometheus")
        ->check(CLI::IsMember({"text", "json", "nagios", "prometheus"}))
        ->option_text("FORMAT");
    app->add_option("--at", options->at, "Judge as of this time (RFC 3339) instead of now")
        ->option_text("TIMESTAMP");
    add_imds_options(*app, options->imds_options);
    return Command{app, [options, &global] { return run(*options, global); }};
}

}  // namespace credkit::cli
