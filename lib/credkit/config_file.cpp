#include "credkit/config_file.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

namespace credkit {
namespace {

constexpr std::string_view kImdsKeys =
    "endpoint, mode, timeout, attempts, token_ttl, allow_imdsv1, role";

Error config_error(const std::filesystem::path& path, const YAML::Mark& mark, std::string why,
                   std::string hint = {}) {
    const std::string where =
        mark.is_null() ? path.string() : fmt::format("{}:{}", path.string(), mark.line + 1);
    return make_error(ErrorKind::usage, "invalid config " + where, std::move(why), std::move(hint));
}

Result<std::string> scalar(const YAML::Node& node, const std::filesystem::path& path,
                           std::string_view key) {
    if (!node.IsScalar()) {
        return fail(config_error(path, node.Mark(), fmt::format("{} must be a single value", key)));
    }
    return node.Scalar();
}

Result<void> read_imds_key(const std::string& key, const YAML::Node& value, ImdsOverrides& imds,
                           const std::filesystem::path& path) {
    auto text = scalar(value, path, "imds." + key);
    if (!text) {
        return fail(text.error());
    }
    if (key == "endpoint") {
        imds.endpoint = *text;
    } else if (key == "mode") {
        imds.mode = *text;
    } else if (key == "timeout") {
        imds.timeout = *text;
    } else if (key == "token_ttl") {
        imds.token_ttl = *text;
    } else if (key == "role") {
        imds.role = *text;
    } else if (key == "attempts") {
        int attempts = 0;
        if (!YAML::convert<int>::decode(value, attempts)) {
            return fail(config_error(path, value.Mark(), "imds.attempts must be a whole number"));
        }
        imds.attempts = attempts;
    } else if (key == "allow_imdsv1") {
        bool allow = false;
        if (!YAML::convert<bool>::decode(value, allow)) {
            return fail(
                config_error(path, value.Mark(), "imds.allow_imdsv1 must be true or false"));
        }
        imds.allow_v1 = allow;
    } else {
        return fail(config_error(path, value.Mark(), fmt::format("unknown key 'imds.{}'", key),
                                 fmt::format("keys under imds: {}", kImdsKeys)));
    }
    return {};
}

Result<void> read_imds(const YAML::Node& node, ImdsOverrides& imds,
                       const std::filesystem::path& path) {
    if (node.IsNull()) {
        return {};
    }
    if (!node.IsMap()) {
        return fail(config_error(path, node.Mark(), "imds must be a mapping of settings"));
    }
    for (const auto& entry : node) {
        if (auto read = read_imds_key(entry.first.Scalar(), entry.second, imds, path); !read) {
            // Point at the key rather than the value when the key is what is wrong.
            if (read.error().why.starts_with("unknown key")) {
                return fail(
                    config_error(path, entry.first.Mark(), read.error().why, read.error().hint));
            }
            return fail(read.error());
        }
    }
    return {};
}

constexpr std::string_view kOutputKeys =
    "path, format, section (or profile), mode, owner, host_base, host_bucket, bucket_location";

Result<void> read_output_key(const std::string& key, const YAML::Node& value, OutputConfig& output,
                             const std::filesystem::path& path) {
    auto text = scalar(value, path, "outputs." + key);
    if (!text) {
        return fail(text.error());
    }
    const std::pair<std::string_view, std::optional<std::string>*> optional_keys[] = {
        {"format", &output.format},
        {"section", &output.section},
        {"profile", &output.section},
        {"mode", &output.mode},
        {"owner", &output.owner},
        {"host_base", &output.host_base},
        {"host_bucket", &output.host_bucket},
        {"bucket_location", &output.bucket_location},
    };
    if (key == "path") {
        output.path = *text;
        return {};
    }
    for (const auto& [name, field] : optional_keys) {
        if (key == name) {
            *field = *text;
            return {};
        }
    }
    return fail(config_error(path, value.Mark(), fmt::format("unknown key 'outputs.{}'", key),
                             fmt::format("keys of an output: {}", kOutputKeys)));
}

Result<void> read_outputs(const YAML::Node& node, std::vector<OutputConfig>& outputs,
                          const std::filesystem::path& path) {
    if (!node.IsSequence()) {
        return fail(config_error(path, node.Mark(), "outputs must be a list of files",
                                 "write each output as '- path: FILE'"));
    }
    for (const auto& item : node) {
        if (!item.IsMap()) {
            return fail(config_error(path, item.Mark(), "each output must be a mapping"));
        }
        OutputConfig output;
        output.line = item.Mark().line + 1;
        for (const auto& entry : item) {
            auto read = read_output_key(entry.first.Scalar(), entry.second, output, path);
            if (!read) {
                return fail(read.error());
            }
        }
        if (output.path.empty()) {
            return fail(config_error(path, item.Mark(), "an output has no path"));
        }
        outputs.push_back(std::move(output));
    }
    return {};
}

Result<void> read_watch(const YAML::Node& node, WatchConfig& watch,
                        const std::filesystem::path& path) {
    if (!node.IsMap()) {
        return fail(config_error(path, node.Mark(), "watch must be a mapping of settings"));
    }
    for (const auto& entry : node) {
        const std::string key = entry.first.Scalar();
        auto text = scalar(entry.second, path, "watch." + key);
        if (!text) {
            return fail(text.error());
        }
        if (key == "refresh_margin") {
            watch.refresh_margin = *text;
        } else if (key == "max_interval") {
            watch.max_interval = *text;
        } else {
            return fail(config_error(path, entry.first.Mark(),
                                     fmt::format("unknown key 'watch.{}'", key),
                                     "keys under watch: refresh_margin, max_interval"));
        }
    }
    return {};
}

Result<void> read_presign(const YAML::Node& node, PresignConfig& presign,
                          const std::filesystem::path& path) {
    if (!node.IsMap()) {
        return fail(config_error(path, node.Mark(), "presign must be a mapping of settings"));
    }
    const std::pair<std::string_view, std::optional<std::string>*> texts[] = {
        {"region", &presign.region},
        {"expires", &presign.expires},
        {"addressing_style", &presign.addressing_style},
        {"endpoint_url", &presign.endpoint_url},
        {"source", &presign.source},
    };
    for (const auto& entry : node) {
        const std::string key = entry.first.Scalar();
        auto text = scalar(entry.second, path, "presign." + key);
        if (!text) {
            return fail(text.error());
        }
        if (key == "botocore_compat") {
            bool compat = false;
            if (!YAML::convert<bool>::decode(entry.second, compat)) {
                return fail(config_error(path, entry.second.Mark(),
                                         "presign.botocore_compat must be true or false"));
            }
            presign.botocore_compat = compat;
            continue;
        }
        const auto* known = std::ranges::find(texts, key, [](const auto& t) { return t.first; });
        if (known == std::end(texts)) {
            return fail(config_error(path, entry.first.Mark(),
                                     fmt::format("unknown key 'presign.{}'", key),
                                     "keys under presign: region, expires, addressing_style, "
                                     "endpoint_url, botocore_compat, source"));
        }
        *known->second = *text;
    }
    return {};
}

Result<void> read_section(const std::string& key, const YAML::Node& value, ConfigFile& config) {
    if (key == "imds") {
        return read_imds(value, config.imds, config.path);
    }
    if (key == "outputs") {
        return read_outputs(value, config.outputs, config.path);
    }
    if (key == "watch") {
        return read_watch(value, config.watch, config.path);
    }
    if (key == "presign") {
        return read_presign(value, config.presign, config.path);
    }
    auto text = scalar(value, config.path, key);
    if (!text) {
        return fail(text.error());
    }
    config.source = *text;
    return {};
}

Result<YAML::Node> load_yaml(std::string_view text, const std::filesystem::path& path) {
    try {
        return YAML::Load(std::string(text));
    } catch (const YAML::Exception& error) {
        return fail(config_error(path, error.mark, error.msg));
    }
}

}  // namespace

Result<ConfigFile> parse_config(std::string_view text, const std::filesystem::path& path) {
    auto root = load_yaml(text, path);
    if (!root) {
        return fail(root.error());
    }
    ConfigFile config{path, {}};
    if (root->IsNull()) {
        return config;
    }
    if (!root->IsMap()) {
        return fail(config_error(path, root->Mark(), "the file must be a mapping of sections"));
    }
    for (const auto& entry : *root) {
        const std::string key = entry.first.Scalar();
        if (key != "imds" && key != "outputs" && key != "watch" && key != "source" &&
            key != "presign") {
            return fail(config_error(path, entry.first.Mark(), fmt::format("unknown key '{}'", key),
                                     "known keys: imds, source, watch, outputs, presign"));
        }
        if (auto read = read_section(key, entry.second, config); !read) {
            return fail(read.error());
        }
    }
    return config;
}

Result<std::optional<ConfigFile>> load_config(const std::string& explicit_path,
                                              const Environment& env,
                                              const std::filesystem::path& system_path) {
    std::filesystem::path path;
    if (!explicit_path.empty()) {
        path = explicit_path;
    } else if (auto from_env = env.non_empty("CREDKIT_CONFIG")) {
        path = *from_env;
    } else {
        std::error_code ignored;
        if (!std::filesystem::exists(system_path, ignored)) {
            return std::optional<ConfigFile>{};
        }
        path = system_path;
    }

    std::ifstream in(path);
    if (!in) {
        return fail(ErrorKind::usage, fmt::format("cannot read config {}", path.string()),
                    "the file does not exist or is not readable");
    }
    std::ostringstream text;
    text << in.rdbuf();
    auto config = parse_config(text.str(), path);
    if (!config) {
        return fail(config.error());
    }
    return std::optional<ConfigFile>(std::move(*config));
}

}  // namespace credkit
