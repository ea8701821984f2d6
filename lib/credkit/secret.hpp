// Secret material (secret access keys, session tokens, signing keys) lives in Secret, which
// wipes its bytes when it is freed and has no stream or format operator, so a secret cannot
// reach a message by accident. Key ids are not secret but are shown by their last four
// characters in messages (redact_key_id).
#pragma once

#include <string>
#include <string_view>

namespace credkit {

class Secret {
public:
    Secret() = default;
    explicit Secret(std::string value) : value_(std::move(value)) {}
    Secret(const Secret& other) = default;
    Secret(Secret&& other) noexcept;
    Secret& operator=(const Secret& other);
    Secret& operator=(Secret&& other) noexcept;
    ~Secret();

    // The only way to the bytes: call sites that need them say so.
    [[nodiscard]] const std::string& reveal() const { return value_; }
    [[nodiscard]] bool empty() const { return value_.empty(); }
    [[nodiscard]] std::size_t size() const { return value_.size(); }

    friend bool operator==(const Secret& a, const Secret& b);

private:
    void wipe();

    std::string value_;
};

// Wipes the bytes of a string that held secret material, then clears it.
void wipe_string(std::string& value);

// "AKIAIOSFODNN7EXAMPLE" -> "****MPLE"; short ids are masked completely.
std::string redact_key_id(std::string_view key_id);

}  // namespace credkit
