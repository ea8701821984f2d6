// Environment variables as an injected dependency, so tests can set them without touching
// the process environment.
#pragma once

#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace credkit {

class Environment {
public:
    virtual ~Environment() = default;
    // The variable's value, or nothing when it is unset. An empty value is a value.
    [[nodiscard]] virtual std::optional<std::string> get(std::string_view name) const = 0;

    // The value when it is set and not empty.
    [[nodiscard]] std::optional<std::string> non_empty(std::string_view name) const {
        auto value = get(name);
        if (value && value->empty()) {
            return std::nullopt;
        }
        return value;
    }
};

// The process environment.
class SystemEnvironment final : public Environment {
public:
    [[nodiscard]] std::optional<std::string> get(std::string_view name) const override;
};

// A fixed set of variables, for tests.
class MapEnvironment final : public Environment {
public:
    MapEnvironment() = default;
    MapEnvironment(std::initializer_list<std::pair<const std::string, std::string>> vars)
        : vars_(vars) {}

    [[nodiscard]] std::optional<std::string> get(std::string_view name) const override {
        const auto found = vars_.find(name);
        if (found == vars_.end()) {
            return std::nullopt;
        }
        return found->second;
    }
    void set(std::string name, std::string value) { vars_[std::move(name)] = std::move(value); }

private:
    std::map<std::string, std::string, std::less<>> vars_;
};

}  // namespace credkit
