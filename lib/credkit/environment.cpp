#include "credkit/environment.hpp"

#include <cstdlib>

namespace credkit {

std::optional<std::string> SystemEnvironment::get(std::string_view name) const {
    const std::string key(name);
    const char* value = std::getenv(key.c_str());  // NOLINT(concurrency-mt-unsafe)
    if (value == nullptr) {
        return std::nullopt;
    }
    return std::string(value);
}

}  // namespace credkit
