#include "credkit/imds_settings.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include <fmt/format.h>

namespace credkit {
namespace {

// One layer's values with the name each came from, so that errors can point at it.
struct Named {
    std::string value;
    std::string source;  // "--imds-timeout", "AWS_METADATA_SERVICE_TIMEOUT", "config imds.timeout"
};

std::string lowercase(std::string text) {
    std::ranges::transform(text, text.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

std::optional<Named> first_of(const std::optional<std::string>& cli, std::string cli_name,
                              const Environment& env, std::string_view env_name,
                              const std::optional<std::string>& config, std::string config_key) {
    if (cli) {
        return Named{*cli, std::move(cli_name)};
    }
    if (!env_name.empty()) {
        if (auto value = env.non_empty(env_name)) {
            return Named{*value, std::string(env_name)};
        }
    }
    if (config) {
        return Named{*config, "config key imds." + config_key};
    }
    return std::nullopt;
}

Error bad_setting(const Named& setting, std::string why, std::string hint = {}) {
    return make_error(ErrorKind::usage,
                      fmt::format("invalid {} '{}'", setting.source, setting.value), std::move(why),
                      std::move(hint));
}

Result<std::string> normalise_endpoint(const Named& setting) {
    std::string endpoint = setting.value;
    while (endpoint.ends_with('/')) {
        endpoint.pop_back();
    }
    if (!endpoint.starts_with("http://") && !endpoint.starts_with("https://")) {
        return fail(bad_setting(setting, "the endpoint must start with http:// or https://",
                                "for example http://169.254.169.254 or http://127.0.0.1:8111"));
    }
    if (endpoint.find('/', endpoint.find("//") + 2) != std::string::npos) {
        return fail(bad_setting(setting, "the endpoint must not have a path",
                                "give scheme, host and port only"));
    }
    return endpoint;
}

// AWS_METADATA_SERVICE_TIMEOUT is a number of seconds (botocore reads it as a float).
Result<Millis> parse_timeout(const Named& setting, bool from_env) {
    if (from_env) {
        double seconds = 0;
        const auto& text = setting.value;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
        if (ec != std::errc{} || end != text.data() + text.size() || seconds <= 0) {
            return fail(bad_setting(setting, "expected a positive number of seconds"));
        }
        return Millis(static_cast<std::int64_t>(seconds * 1000));
    }
    auto parsed = parse_duration(setting.value);
    if (!parsed) {
        return fail(bad_setting(setting, parsed.error().why, parsed.error().hint));
    }
    if (parsed->count() <= 0) {
        return fail(bad_setting(setting, "the timeout must be longer than zero"));
    }
    return *parsed;
}

Result<int> parse_attempts(const Named& setting) {
    int attempts = 0;
    const auto& text = setting.value;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), attempts);
    if (ec != std::errc{} || end != text.data() + text.size() || attempts < 1 || attempts > 10) {
        return fail(bad_setting(setting, "expected a whole number from 1 to 10"));
    }
    return attempts;
}

Result<Seconds> parse_token_ttl(const Named& setting) {
    auto parsed = parse_duration(setting.value);
    if (!parsed) {
        return fail(bad_setting(setting, parsed.error().why, parsed.error().hint));
    }
    const auto ttl = std::chrono::duration_cast<Seconds>(*parsed);
    if (ttl < Seconds(1) || ttl > kMaxTokenTtl || Millis(ttl) != *parsed) {
        return fail(bad_setting(setting, "imds accepts token lifetimes from 1s to 6h",
                                "use whole seconds between 1s and 6h"));
    }
    return ttl;
}

Result<void> apply_mode(ImdsSettings& settings, const std::optional<Named>& mode,
                        bool endpoint_given) {
    if (!mode) {
        return {};
    }
    const std::string value = lowercase(mode->value);
    if (value == "ipv6") {
        settings.mode = ImdsMode::ipv6;
    } else if (value != "ipv4") {
        return fail(bad_setting(*mode, "expected ipv4 or ipv6"));
    }
    if (!endpoint_given) {
        settings.endpoint = settings.mode == ImdsMode::ipv6 ? kImdsIpv6Endpoint : kImdsIpv4Endpoint;
    }
    return {};
}

Result<void> apply_numbers(ImdsSettings& settings, const ImdsOverrides& cli,
                           const ImdsOverrides& config, const Environment& env) {
    if (auto timeout = first_of(cli.timeout, "--imds-timeout", env, "AWS_METADATA_SERVICE_TIMEOUT",
                                config.timeout, "timeout")) {
        const bool from_env = timeout->source == "AWS_METADATA_SERVICE_TIMEOUT";
        auto parsed = parse_timeout(*timeout, from_env);
        if (!parsed) {
            return fail(parsed.error());
        }
        settings.timeout = *parsed;
    }

    const auto as_text = [](const std::optional<int>& n) {
        return n ? std::optional<std::string>(std::to_string(*n)) : std::nullopt;
    };
    if (auto attempts =
            first_of(as_text(cli.attempts), "--imds-attempts", env,
                     "AWS_METADATA_SERVICE_NUM_ATTEMPTS", as_text(config.attempts), "attempts")) {
        auto parsed = parse_attempts(*attempts);
        if (!parsed) {
            return fail(parsed.error());
        }
        settings.attempts = *parsed;
    }

    if (auto ttl =
            first_of(cli.token_ttl, "--imds-token-ttl", env, {}, config.token_ttl, "token_ttl")) {
        auto parsed = parse_token_ttl(*ttl);
        if (!parsed) {
            return fail(parsed.error());
        }
        settings.token_ttl = *parsed;
    }
    return {};
}

}  // namespace

Result<ImdsSettings> resolve_imds_settings(const ImdsOverrides& cli, const ImdsOverrides& config,
                                           const Environment& env) {
    ImdsSettings settings;
    settings.disabled = lowercase(env.get("AWS_EC2_METADATA_DISABLED").value_or("")) == "true";

    const auto endpoint =
        first_of(cli.endpoint, "--imds-endpoint", env, "AWS_EC2_METADATA_SERVICE_ENDPOINT",
                 config.endpoint, "endpoint");
    if (endpoint) {
        auto normalised = normalise_endpoint(*endpoint);
        if (!normalised) {
            return fail(normalised.error());
        }
        settings.endpoint = *normalised;
    }
    const auto mode = first_of(cli.mode, "--imds-mode", env,
                               "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", config.mode, "mode");
    if (auto applied = apply_mode(settings, mode, endpoint.has_value()); !applied) {
        return fail(applied.error());
    }
    if (auto applied = apply_numbers(settings, cli, config, env); !applied) {
        return fail(applied.error());
    }

    settings.allow_v1 = cli.allow_v1.value_or(config.allow_v1.value_or(false));
    settings.role = cli.role ? cli.role : config.role;
    if (settings.role && settings.role->empty()) {
        settings.role.reset();
    }
    return settings;
}

}  // namespace credkit
