#include "credkit/secret.hpp"

#include <utility>

#include <openssl/crypto.h>

namespace credkit {

void wipe_string(std::string& value) {
    // Grow to the capacity first so that bytes past the current size (left by an earlier,
    // longer value, or in the small-string buffer of a moved-from string) are wiped too.
    value.resize(value.capacity());
    OPENSSL_cleanse(value.data(), value.size());
    value.clear();
}

Secret::Secret(Secret&& other) noexcept : value_(std::move(other.value_)) {
    other.wipe();
}

Secret& Secret::operator=(const Secret& other) {
    if (this != &other) {
        wipe();
        value_ = other.value_;
    }
    return *this;
}

Secret& Secret::operator=(Secret&& other) noexcept {
    if (this != &other) {
        wipe();
        value_ = std::move(other.value_);
        other.wipe();
    }
    return *this;
}

Secret::~Secret() {
    wipe();
}

void Secret::wipe() {
    wipe_string(value_);
}

bool operator==(const Secret& a, const Secret& b) {
    return a.value_.size() == b.value_.size() &&
           CRYPTO_memcmp(a.value_.data(), b.value_.data(), a.value_.size()) == 0;
}

std::string redact_key_id(std::string_view key_id) {
    constexpr std::size_t kShown = 4;
    if (key_id.size() <= kShown * 2) {
        return std::string(key_id.size(), '*');
    }
    return "****" + std::string(key_id.substr(key_id.size() - kShown));
}

}  // namespace credkit
