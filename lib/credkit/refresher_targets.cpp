#include "credkit/refresher_targets.hpp"

#include <fstream>
#include <system_error>

#include <fmt/format.h>

#include "credkit/credential_source.hpp"

namespace credkit {
namespace {

namespace fs = std::filesystem;

// NUL-separated fields, as /proc/PID/cmdline and /proc/PID/environ hold them.
std::vector<std::string> read_fields(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::vector<std::string> fields;
    std::string field;
    while (std::getline(in, field, '\0')) {
        fields.push_back(field);
    }
    return fields;
}

// The value of an option spelled "--name VALUE", "--name=VALUE" or, for a short name, "-oVALUE".
std::optional<std::string> option_value(const std::vector<std::string>& argv,
                                        std::string_view long_name, std::string_view short_name) {
    for (std::size_t i = 1; i < argv.size(); ++i) {
        const std::string_view arg = argv[i];
        if ((arg == long_name || (!short_name.empty() && arg == short_name)) &&
            i + 1 < argv.size()) {
            return argv[i + 1];
        }
        if (arg.starts_with(long_name) && arg.size() > long_name.size() &&
            arg[long_name.size()] == '=') {
            return std::string(arg.substr(long_name.size() + 1));
        }
        if (!short_name.empty() && arg.starts_with(short_name) && arg.size() > short_name.size()) {
            return std::string(arg.substr(short_name.size()));
        }
    }
    return std::nullopt;
}

bool is_watcher(const std::vector<std::string>& argv) {
    if (argv.empty() ||
        fs::path(argv[0]).filename().string().find("credkit") == std::string::npos) {
        return false;
    }
    bool write = false;
    bool watch = false;
    for (const auto& arg : argv) {
        write = write || arg == "write-s3cfg";
        watch = watch || arg == "--watch";
    }
    return write && watch;
}

std::optional<ConfigFile> read_config(const fs::path& path) {
    const auto text = read_text_file(path);
    auto config = text ? parse_config(*text, path) : fail(text.error());
    return config ? std::optional(std::move(*config)) : std::nullopt;
}

std::optional<std::string> lookup(const std::map<std::string, std::string>& environment,
                                  const std::string& name) {
    const auto found = environment.find(name);
    if (found == environment.end() || found->second.empty()) {
        return std::nullopt;
    }
    return found->second;
}

}  // namespace

RefreshedFiles config_targets(const ConfigFile& config) {
    RefreshedFiles targets;
    for (const auto& output : config.outputs) {
        targets[output.path] = fmt::format("credkit config {}:{} lists it as an output",
                                           config.path.string(), output.line);
    }
    return targets;
}

RefreshedFiles watcher_targets(const std::vector<std::string>& argv,
                               const std::map<std::string, std::string>& environment,
                               const fs::path& working_directory, int pid) {
    RefreshedFiles targets;
    if (!is_watcher(argv)) {
        return targets;
    }
    const std::string why =
        fmt::format("a running credkit write-s3cfg --watch (pid {}) writes it", pid);
    const auto add = [&](const std::string& path) {
        targets[(working_directory / path).lexically_normal()] = why;
    };
    if (auto output = option_value(argv, "--output", "-o")) {
        add(*output);
    } else {
        auto config_path = option_value(argv, "--config", "");
        if (!config_path) {
            config_path = lookup(environment, "CREDKIT_CONFIG");
        }
        if (!config_path && fs::exists(kSystemConfigPath)) {
            config_path = std::string(kSystemConfigPath);
        }
        const auto config =
            config_path ? read_config(working_directory / *config_path) : std::nullopt;
        if (config && !config->outputs.empty()) {
            for (const auto& listed : config->outputs) {
                add(listed.path);
            }
        } else if (auto s3cfg = lookup(environment, "HTS_S3_S3CFG")) {
            add(*s3cfg);
        }
    }
    if (auto credentials = option_value(argv, "--also-credentials-file", "")) {
        add(*credentials);
    }
    return targets;
}

RefreshedFiles running_refresher_targets(const fs::path& proc) {
    RefreshedFiles targets;
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(proc, error)) {
        const std::string name = entry.path().filename().string();
        if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) {
            continue;
        }
        const auto argv = read_fields(entry.path() / "cmdline");
        if (!is_watcher(argv)) {
            continue;
        }
        std::map<std::string, std::string> environment;
        for (const auto& field : read_fields(entry.path() / "environ")) {
            const auto equals = field.find('=');
            if (equals != std::string::npos) {
                environment[field.substr(0, equals)] = field.substr(equals + 1);
            }
        }
        std::error_code cwd_error;
        const fs::path cwd = fs::read_symlink(entry.path() / "cwd", cwd_error);
        targets.merge(
            watcher_targets(argv, environment, cwd_error ? fs::path("/") : cwd, std::stoi(name)));
    }
    return targets;
}

}  // namespace credkit
