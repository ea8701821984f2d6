// credkit presign: SigV4 presigned S3 URLs, one or millions, byte for byte what botocore
// makes for the same inputs. Credentials are resolved once per run.
#include <array>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>

#include "cli.hpp"
#include <nlohmann/json.hpp>

#include "credkit/clock.hpp"
#include "credkit/config_file.hpp"
#include "credkit/credential_source.hpp"
#include "credkit/imds_client.hpp"
#include "credkit/presigner.hpp"
#include "credkit/s3_endpoint.hpp"
#include "credkit/sigv4.hpp"

namespace credkit::cli {
namespace {

constexpr Seconds kMaxExpires{604800};  // S3 refuses anything longer

// The response-* overrides and the version id, by their query names.
struct ResponseOptions {
    std::optional<std::string> content_type;
    std::optional<std::string> content_disposition;
    std::optional<std::string> cache_control;
    std::optional<std::string> content_encoding;
    std::optional<std::string> content_language;
    std::optional<std::string> expires;
    std::optional<std::string> version_id;
};

struct PresignOptions {
    std::vector<std::string> urls;
    std::string input;
    std::string bucket;
    std::string format = "url";
    std::optional<std::string> expires;  // unset: the config's, else 1h
    std::string method = "GET";
    std::optional<std::string> content_type;
    ResponseOptions response;
    std::optional<std::string> region;
    std::optional<std::string> endpoint_url;
    std::optional<std::string> addressing_style;  // unset: the config's, else auto
    bool botocore_compat = false;
    std::string at;
    bool strict_expiry = false;
    std::string source;  // empty: the config's, else auto
    std::optional<std::string> profile;
    ImdsOverrides imds;
    PresignConfig config;  // the config file's presign section, under the options
};

// Everything fixed for the run, worked out once.
struct Batch {
    Credentials credentials;
    EndpointOptions endpoint;
    sigv4::PresignRequest base;   // method, params, content type, region, time, expiry
    TimePoint url_expires;        // what X-Amz-Expires says
    TimePoint effective_expires;  // earlier when the credentials end first
    std::string format;
    std::string bucket;  // for bare keys
};

Error usage(std::string what, std::string why, std::string hint = {}) {
    return make_error(ErrorKind::usage, std::move(what), std::move(why), std::move(hint));
}

Result<Seconds> parse_expires(const std::string& text) {
    auto parsed = parse_duration(text);
    if (!parsed) {
        return fail(std::move(parsed.error()).within("--expires"));
    }
    const auto seconds = std::chrono::duration_cast<Seconds>(*parsed);
    if (seconds < Seconds(1) || seconds > kMaxExpires || Millis(seconds) != *parsed) {
        return fail(usage(fmt::format("invalid --expires '{}'", text),
                          "S3 accepts whole seconds from 1s to 7d", "for example 15m, 12h or 7d"));
    }
    return seconds;
}

// S3 wants response-expires as an HTTP date; an RFC 3339 time is turned into one, as botocore
// does with a timestamp. Anything else goes as written.
std::string http_date_if_timestamp(const std::string& value) {
    auto when = parse_rfc3339(value);
    if (!when) {
        return value;
    }
    const auto day = std::chrono::floor<std::chrono::days>(*when);
    const std::chrono::weekday weekday(day);
    const std::chrono::year_month_day date(day);
    const std::chrono::hh_mm_ss time(*when - day);
    static constexpr std::array<std::string_view, 7> kDays{"Sun", "Mon", "Tue", "Wed",
                                                           "Thu", "Fri", "Sat"};
    static constexpr std::array<std::string_view, 12> kMonths{
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    return fmt::format("{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT", kDays[weekday.c_encoding()],
                       static_cast<unsigned>(date.day()),
                       kMonths[static_cast<unsigned>(date.month()) - 1],
                       static_cast<int>(date.year()), time.hours().count(), time.minutes().count(),
                       time.seconds().count());
}

// In the order botocore serialises them for GetObject, which is also their sorted order.
sigv4::QueryParams response_params(const ResponseOptions& response) {
    const std::pair<const char*, const std::optional<std::string>*> names[] = {
        {"response-cache-control", &response.cache_control},
        {"response-content-disposition", &response.content_disposition},
        {"response-content-encoding", &response.content_encoding},
        {"response-content-language", &response.content_language},
        {"response-content-type", &response.content_type},
        {"response-expires", &response.expires},
        {"versionId", &response.version_id},
    };
    sigv4::QueryParams params;
    for (const auto& [name, value] : names) {
        if (*value) {
            params.emplace_back(name, std::string_view(name) == "response-expires"
                                          ? http_date_if_timestamp(**value)
                                          : **value);
        }
    }
    return params;
}

// The region in AWS_CONFIG_FILE (or ~/.aws/config) for the profile in effect.
std::optional<std::string> config_file_region(const Environment& env,
                                              const std::optional<std::string>& profile) {
    const std::filesystem::path path =
        env.non_empty("AWS_CONFIG_FILE")
            .value_or(env.non_empty("HOME").value_or("") + "/.aws/config");
    auto text = read_text_file(path);
    if (!text) {
        return std::nullopt;
    }
    auto document = IniDocument::parse(*text, path.string());
    if (!document) {
        return std::nullopt;
    }
    const std::string name = effective_profile(profile, env);
    return document->get(name == "default" ? name : "profile " + name, "region");
}

// --region, AWS_REGION, AWS_DEFAULT_REGION, the profile's region, IMDS (when the credentials
// came from there), then us-east-1.
std::string resolve_region(const PresignOptions& options, const Environment& env,
                           const Credentials& credentials, SourceContext& context) {
    if (options.region) {
        return *options.region;
    }
    for (const char* name : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
        if (auto region = env.non_empty(name)) {
            return *region;
        }
    }
    if (options.config.region) {
        return *options.config.region;
    }
    if (auto region = config_file_region(env, options.profile)) {
        return *region;
    }
    if (credentials.origin.kind == SourceKind::imds) {
        ImdsClient imds(context.imds, context.http, context.clock, context.log);
        if (auto region = imds.get("/latest/meta-data/placement/region")) {
            return *region;
        }
    }
    return "us-east-1";
}

Result<void> check_options(const PresignOptions& options) {
    if (options.content_type && options.method != "PUT") {
        return fail(usage("--content-type needs --method PUT",
                          "only an upload sends a content type to sign"));
    }
    if (options.urls.empty() && options.input.empty()) {
        return fail(usage("nothing to presign", "give s3://BUCKET/KEY arguments or -i FILE",
                          "for example: credkit presign s3://my-bucket/report.csv"));
    }
    if (!options.urls.empty() && !options.input.empty()) {
        return fail(usage("both arguments and -i given", "presign one or the other"));
    }
    return {};
}

// Says when the credentials end before the URL would; an error with --strict-expiry.
Result<void> check_credential_expiry(const Batch& batch, bool strict, const Logger& log) {
    if (batch.effective_expires >= batch.url_expires) {
        return {};
    }
    const std::string why =
        fmt::format("the credentials expire at {}, before the {} the URL asks for",
                    format_rfc3339(batch.effective_expires), format_rfc3339(batch.url_expires));
    if (strict) {
        return fail(ErrorKind::failure, "refusing to presign", why,
                    "shorten --expires, or presign with longer-lived credentials");
    }
    log.warning("URLs stop working at {}: {}", format_rfc3339(batch.effective_expires), why);
    return {};
}

Result<Batch> prepare(const PresignOptions& options, const Logger& log, SourceContext& context) {
    if (auto checked = check_options(options); !checked) {
        return fail(std::move(checked.error()));
    }
    const PresignConfig& config = options.config;
    auto expires = parse_expires(options.expires.value_or(config.expires.value_or("1h")));
    auto style = parse_addressing_style(
        options.addressing_style.value_or(config.addressing_style.value_or("auto")));
    auto source =
        parse_source(!options.source.empty() ? options.source : config.source.value_or("auto"));
    if (!expires || !style || !source) {
        return fail(!expires ? expires.error() : !style ? style.error() : source.error());
    }
    TimePoint when = context.clock.now_seconds();
    if (!options.at.empty()) {
        auto at = parse_rfc3339(options.at);
        if (!at) {
            return fail(std::move(at.error()).within("--at"));
        }
        when = *at;
    }

    auto credentials = resolve_credentials(*source, context);
    if (!credentials) {
        return fail(std::move(credentials.error()));
    }
    log.info("signing with key {} from {}", redact_key_id(credentials->access_key_id),
             source_name(credentials->origin.kind));

    Batch batch;
    batch.endpoint = {resolve_region(options, context.env, *credentials, context),
                      options.endpoint_url ? options.endpoint_url : config.endpoint_url, *style,
                      options.botocore_compat || config.botocore_compat.value_or(false)};
    batch.base.method = options.method;
    batch.base.params = response_params(options.response);
    batch.base.content_type = options.content_type;
    batch.base.region = batch.endpoint.region;
    batch.base.when = when;
    batch.base.expires = *expires;
    batch.url_expires = when + *expires;
    batch.effective_expires =
        std::min(batch.url_expires, credentials->expiration.value_or(batch.url_expires));
    // A malformed --endpoint-url is one usage error now, not one error per input.
    if (auto checked = resolve_s3_endpoint("bucket", batch.endpoint); !checked) {
        return fail(std::move(checked.error()));
    }
    batch.credentials = std::move(*credentials);
    batch.format = options.format;
    batch.bucket = options.bucket;
    if (auto ok = check_credential_expiry(batch, options.strict_expiry, log); !ok) {
        return fail(std::move(ok.error()));
    }
    return batch;
}

struct Target {
    std::string_view bucket;
    std::string_view key;
};

// "s3://BUCKET/KEY", or a bare key with --bucket. The key is taken as written: not decoded.
Result<Target> parse_target(std::string_view text, const std::string& bucket) {
    if (text.starts_with("s3://")) {
        const std::string_view rest = text.substr(5);
        const auto slash = rest.find('/');
        if (slash == 0 || slash == std::string_view::npos || slash + 1 == rest.size()) {
            return fail(usage("invalid S3 URL", "expected s3://BUCKET/KEY"));
        }
        return Target{rest.substr(0, slash), rest.substr(slash + 1)};
    }
    if (bucket.empty()) {
        return fail(
            usage("not an s3:// URL", "expected s3://BUCKET/KEY, or a bare key with --bucket"));
    }
    if (text.empty()) {
        return fail(usage("empty key", "an object key cannot be empty"));
    }
    return Target{bucket, text};
}

class Output {
public:
    Output() { buffer_.reserve(kFlushAt + 4096); }
    ~Output() { flush(); }
    Output(const Output&) = delete;
    Output& operator=(const Output&) = delete;

    std::string& buffer() { return buffer_; }
    void maybe_flush() {
        if (buffer_.size() >= kFlushAt) {
            flush();
        }
    }
    bool flush() {
        ok_ = ok_ && std::fwrite(buffer_.data(), 1, buffer_.size(), stdout) == buffer_.size();
        buffer_.clear();
        ok_ = ok_ && std::fflush(stdout) == 0;
        return ok_;
    }

private:
    static constexpr std::size_t kFlushAt = 1 << 16;
    std::string buffer_;
    bool ok_ = true;
};

void emit(const Batch& batch, std::string_view input, const std::string& url, Output& out) {
    std::string& text = out.buffer();
    if (batch.format == "tsv") {
        text += input;
        text += '\t';
        text += url;
        text += '\t';
        text += format_rfc3339(batch.effective_expires);
    } else if (batch.format == "json") {
        nlohmann::ordered_json doc{{"input", input},
                                   {"url", url},
                                   {"expires", format_rfc3339(batch.url_expires)},
                                   {"effective_expires", format_rfc3339(batch.effective_expires)}};
        text += doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    } else {
        text += url;
    }
    text += '\n';
    out.maybe_flush();
}

// Signs every input of a run with one Presigner; the endpoint of the last bucket is kept, as
// a batch mostly names one.
class Signer {
public:
    Signer(const Batch& batch, bool from_file, Output& out, const Logger& log)
        : batch_(batch),
          presigner_(batch.base, batch.credentials),
          from_file_(from_file),
          out_(out),
          log_(log) {}

    // Signs one input, the `number`th argument or line; false when it could not be.
    bool sign(std::string_view input, std::size_t number) {
        auto target = parse_target(input, batch_.bucket);
        if (!target) {
            return report_bad(number, target.error());
        }
        if (!endpoint_ || target->bucket != bucket_) {
            auto endpoint = resolve_s3_endpoint(target->bucket, batch_.endpoint);
            if (!endpoint) {
                return report_bad(number, endpoint.error());
            }
            endpoint_ = std::move(*endpoint);
            bucket_ = target->bucket;
        }
        path_.assign(endpoint_->path_prefix);
        path_ += '/';
        path_ += target->key;
        url_.clear();
        presigner_.append_url(endpoint_->scheme, endpoint_->host, endpoint_->signed_host, path_,
                              url_);
        emit(batch_, input, url_, out_);
        return true;
    }

private:
    bool report_bad(std::size_t number, const Error& error) {
        log_.error("{} {}: {}: {}", from_file_ ? "line" : "argument", number, error.what,
                   error.why);
        return false;
    }

    const Batch& batch_;
    sigv4::Presigner presigner_;
    bool from_file_;
    Output& out_;
    const Logger& log_;
    std::optional<S3Endpoint> endpoint_;
    std::string bucket_;
    std::string path_;
    std::string url_;
};

int sign_all(const Batch& batch, const PresignOptions& options, const Logger& log) {
    Output out;
    Signer signer(batch, options.urls.empty(), out, log);
    int failed = 0;
    if (!options.urls.empty()) {
        for (std::size_t i = 0; i < options.urls.size(); ++i) {
            failed += signer.sign(options.urls[i], i + 1) ? 0 : 1;
        }
    } else {
        std::ifstream file;
        if (options.input != "-") {
            file.open(options.input, std::ios::binary);
            if (!file) {
                return report(usage(fmt::format("cannot read {}", options.input),
                                    "the file does not exist or is not readable"),
                              log);
            }
        }
        std::istream& in = options.input == "-" ? std::cin : file;
        std::string line;
        for (std::size_t number = 1; std::getline(in, line); ++number) {
            failed += signer.sign(line, number) ? 0 : 1;
        }
    }
    if (!out.flush()) {
        return report(make_error(ErrorKind::write_failed, "cannot write to standard output",
                                 "the output was closed or is full"),
                      log);
    }
    return failed == 0 ? 0 : exit_code(ErrorKind::partial_failure);
}

int run(PresignOptions options, const GlobalOptions& global) {
    const Logger log = global.logger();
    const SystemEnvironment env;
    auto config = load_config(global.config_path, env);
    if (!config) {
        return report(config.error(), log);
    }
    if (*config) {
        options.config = (*config)->presign;
    }
    auto imds =
        resolve_imds_settings(options.imds, *config ? (*config)->imds : ImdsOverrides{}, env);
    if (!imds) {
        return report(imds.error(), log);
    }
    CurlHttpClient http;
    SystemClock clock;
    SourceContext context{env, http, clock, log, *imds, options.profile};
    auto batch = prepare(options, log, context);
    if (!batch) {
        return report(batch.error(), log);
    }
    return sign_all(*batch, options, log);
}

void add_response_options(CLI::App& app, ResponseOptions& response) {
    const std::string group = "Response overrides (signed into the URL)";
    const std::pair<const char*, std::optional<std::string>*> options[] = {
        {"--response-content-type", &response.content_type},
        {"--response-content-disposition", &response.content_disposition},
        {"--response-cache-control", &response.cache_control},
        {"--response-content-encoding", &response.content_encoding},
        {"--response-content-language", &response.content_language},
        {"--response-expires", &response.expires},
    };
    for (const auto& [name, field] : options) {
        app.add_option_function<std::string>(
               name, [field](const std::string& v) { *field = v; },
               fmt::format("The {} header S3 sends back", std::string(name).substr(11)))
            ->option_text("VALUE")
            ->group(group);
    }
    app.add_option_function<std::string>(
           "--version-id", [&response](const std::string& v) { response.version_id = v; },
           "Sign a link to this version of the object")
        ->option_text("ID")
        ->group(group);
}

void add_endpoint_options(CLI::App& app, PresignOptions& options) {
    app.add_option_function<std::string>(
           "--region", [&options](const std::string& v) { options.region = v; },
           "Region (default: AWS_REGION, AWS_DEFAULT_REGION, the profile's region, IMDS, "
           "us-east-1)")
        ->option_text("REGION");
    app.add_option_function<std::string>(
           "--endpoint-url", [&options](const std::string& v) { options.endpoint_url = v; },
           "S3-compatible endpoint, path style by default (e.g. http://127.0.0.1:9000)")
        ->option_text("URL");
    app.add_option_function<std::string>(
           "--addressing-style", [&options](const std::string& v) { options.addressing_style = v; },
           "auto (default: virtual-hosted regional when the bucket allows), virtual or "
           "path")
        ->check(CLI::IsMember({"auto", "virtual", "path"}))
        ->option_text("STYLE");
    app.add_flag("--botocore-compat", options.botocore_compat,
                 "Choose the host exactly as botocore's generate_presigned_url does");
}

void add_request_options(CLI::App& app, PresignOptions& options) {
    app.add_option("urls", options.urls, "Objects to presign, as s3://BUCKET/KEY")
        ->option_text("S3URL...");
    app.add_option("-i,--input", options.input,
                   "Read one s3://BUCKET/KEY (or bare key with --bucket) per line; - for stdin")
        ->option_text("FILE");
    app.add_option("--bucket", options.bucket, "Bucket for bare keys (arguments or -i lines)")
        ->option_text("BUCKET");
    app.add_option("-f,--format", options.format,
                   "url (default), tsv (input, URL, expiry) or json (one object a line)")
        ->check(CLI::IsMember({"url", "tsv", "json"}))
        ->option_text("FORMAT");
    app.add_option_function<std::string>(
           "--expires", [&options](const std::string& v) { options.expires = v; },
           "How long the URL is valid, 1s..7d (default 1h)")
        ->option_text("DURATION");
    app.add_option("--method", options.method, "GET (default), PUT, HEAD or DELETE")
        ->check(CLI::IsMember({"GET", "PUT", "HEAD", "DELETE"}))
        ->option_text("METHOD");
    app.add_option_function<std::string>(
           "--content-type", [&options](const std::string& v) { options.content_type = v; },
           "With --method PUT: the Content-Type the upload must send (signed)")
        ->option_text("TYPE");
    app.add_option("--at", options.at, "Sign as of this time (RFC 3339), for reproducible URLs")
        ->option_text("TIMESTAMP");
    app.add_flag("--strict-expiry", options.strict_expiry,
                 "Fail, rather than warn, when the credentials expire before the URL");
    add_source_options(app, options.source, options.profile, "auto");
}

}  // namespace

Command register_presign(CLI::App& parent, const GlobalOptions& global) {
    auto options = std::make_shared<PresignOptions>();
    auto* app = parent.add_subcommand(
        "presign",
        "Make SigV4 presigned S3 URLs, one or millions, byte for byte as botocore signs them");
    add_request_options(*app, *options);
    add_endpoint_options(*app, *options);
    add_response_options(*app, options->response);
    add_imds_options(*app, options->imds);
    return Command{app, [options, &global] { return run(*options, global); }};
}

}  // namespace credkit::cli
