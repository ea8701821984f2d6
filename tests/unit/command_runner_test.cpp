#include "credkit/command_runner.hpp"

#include <doctest/doctest.h>

namespace credkit {
namespace {

using namespace std::chrono_literals;
using Words = std::vector<std::string>;

TEST_CASE("a command line splits into words as a POSIX shell would") {
    CHECK(*split_command_line("credkit fetch-creds  --format\tcredential-process") ==
          Words{"credkit", "fetch-creds", "--format", "credential-process"});
    CHECK(*split_command_line(R"(/opt/my\ tool 'a b' "c \"d\" $e" x'y'z)") ==
          Words{"/opt/my tool", "a b", R"(c "d" $e)", "xyz"});
    CHECK(*split_command_line(R"("keep \n backslash")") == Words{R"(keep \n backslash)"});
    CHECK(split_command_line("   ")->empty());
}

TEST_CASE("an unclosed quote is a usage error") {
    const auto words = split_command_line("helper 'unclosed");

    REQUIRE_FALSE(words);
    CHECK(words.error().kind == ErrorKind::usage);
    CHECK(words.error().why == "the single quote is not closed");
}

TEST_CASE("a command's stdout and exit status come back, its stderr does not") {
    const auto output = run_command("sh -c 'echo out; echo err >&2; exit 3'", 5s);

    REQUIRE(output);
    CHECK(output->out == "out\n");
    CHECK(output->exit_status == 3);
}

TEST_CASE("the command runs without a shell") {
    const auto output = run_command("echo $HOME '&&' true", 5s);

    REQUIRE(output);
    CHECK(output->out == "$HOME && true\n");
}

TEST_CASE("a command that outlives its time is killed and reported") {
    const auto started = std::chrono::steady_clock::now();

    const auto output = run_command("sleep 10", 200ms);

    REQUIRE_FALSE(output);
    CHECK(output.error().why == "it did not finish in time");
    CHECK(std::chrono::steady_clock::now() - started < 5s);
}

TEST_CASE("a command that prints too much is stopped") {
    const auto output = run_command("yes", 5s, 1000);

    REQUIRE_FALSE(output);
    CHECK(output.error().why == "it printed more than 1000 bytes");
}

TEST_CASE("a command that does not exist is reported by name") {
    const auto output = run_command("/nonexistent/credential-helper --flag", 5s);

    REQUIRE_FALSE(output);
    CHECK(output.error().why.starts_with("/nonexistent/credential-helper: "));
}

}  // namespace
}  // namespace credkit
