#include "credkit/secret.hpp"

#include <doctest/doctest.h>

namespace credkit {

TEST_CASE("secret keeps its value and compares by content") {
    const Secret a("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    const Secret b = a;

    CHECK(b.reveal() == "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    CHECK(a == b);
    CHECK_FALSE(a == Secret("other"));
}

TEST_CASE("secret moved from is left empty") {
    Secret a("token-value");

    Secret b = std::move(a);

    CHECK(b.reveal() == "token-value");
    CHECK(a.empty());  // NOLINT(bugprone-use-after-move): the test is about the moved-from state
}

TEST_CASE("wipe_string clears the value") {
    std::string value = "a secret that is longer than the small-string buffer";

    wipe_string(value);

    CHECK(value.empty());
}

TEST_CASE("key ids are redacted to their last four characters") {
    CHECK(redact_key_id("AKIAIOSFODNN7EXAMPLE") == "****MPLE");
    CHECK(redact_key_id("ASIA1234") == "********");
    CHECK(redact_key_id("") == "");
}

}  // namespace credkit
