// python_configparser: each rule of configparser's reading, with the answer Python 3.11's own
// configparser gives for the same text.
#include "credkit/python_configparser.hpp"

#include <string>
#include <vector>

#include <doctest/doctest.h>

namespace credkit {
namespace {

using Kind = ConfigParserError::Kind;
using Found = ConfigParserValue::Found;

// The file, which the test expects configparser to accept.
ConfigParserFile read_ok(std::string_view text) {
    auto file = read_configparser(text);
    REQUIRE(file);
    return std::move(*file);
}

// The options of section `name`, which the test expects to be there.
ConfigParserOptions options_of(const ConfigParserFile& file, std::string_view name) {
    const ConfigParserSection* section = file.section(name);
    REQUIRE(section != nullptr);
    return section->options;
}

std::vector<std::string> section_names(const ConfigParserFile& file) {
    std::vector<std::string> names;
    for (const ConfigParserSection& section : file.sections) {
        names.push_back(section.name);
    }
    return names;
}

// --- Python's text rules ---------------------------------------------------------------

TEST_CASE("configparser: CR LF, CR and LF all end a line, as universal newlines do") {
    const auto lines = universal_lines("a\r\nb\rc\n\nd");

    CHECK(lines == std::vector<std::string_view>{"a", "b", "c", "", "d"});
    CHECK(universal_lines("last\n") == std::vector<std::string_view>{"last"});
    CHECK(universal_lines("").empty());
}

TEST_CASE("configparser: Python's whitespace includes VT, FF and the separators 0x1c to 0x1f") {
    CHECK(python_strip(" \t\v\f\x1c\x1d value \x1e\x1f\r\n") == "value");
    CHECK(python_strip(" \t ").empty());
}

TEST_CASE("configparser: UTF-8 is valid only with whole, well-formed sequences") {
    CHECK(valid_utf8("plain ascii"));
    CHECK(valid_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x94\x91"));

    CHECK_FALSE(valid_utf8("latin-1 caf\xE9"));
    CHECK_FALSE(valid_utf8("\x80 lone continuation byte"));
    CHECK_FALSE(valid_utf8("cut short \xE2\x82"));
    CHECK_FALSE(valid_utf8("\xFF"));
}

// --- sections ----------------------------------------------------------------------------

TEST_CASE("configparser: sections keep file order, with [DEFAULT] apart from them") {
    const auto file = read_ok("[zeta]\na = 1\n[DEFAULT]\nb = 2\n[alpha]\n");

    CHECK(section_names(file) == std::vector<std::string>{"zeta", "alpha"});
    CHECK(file.defaults == ConfigParserOptions{{"b", "2"}});
    CHECK(file.section("DEFAULT") == nullptr);
}

TEST_CASE("configparser: a header's name is kept as written, up to the last closing bracket") {
    const auto file = read_ok("[ default ]\n[a] x]\n[b] trailing words\n[Prod]\n");

    CHECK(section_names(file) == std::vector<std::string>{" default ", "a] x", "b", "Prod"});
    CHECK(file.section("default") == nullptr);
    CHECK(file.section("prod") == nullptr);
}

TEST_CASE("configparser: empty brackets are no header but a line that cannot be read") {
    const auto file = read_configparser("[s]\n[]\n");

    REQUIRE_FALSE(file);
    CHECK(file.error().kind == Kind::bad_line);
    CHECK(file.error().line == 2);
}

TEST_CASE("configparser: a line before any header is an error at once") {
    const auto option_first = read_configparser("a = 1\n[s]\nbad line\n");
    const auto byte_order_mark = read_configparser("\xEF\xBB\xBF[default]\na = 1\n");

    REQUIRE_FALSE(option_first);
    CHECK(option_first.error().kind == Kind::missing_header);
    CHECK(option_first.error().line == 1);
    REQUIRE_FALSE(byte_order_mark);
    CHECK(byte_order_mark.error().kind == Kind::missing_header);
    CHECK(byte_order_mark.error().line == 1);
}

TEST_CASE("configparser: a section that appears twice is an error at its second header") {
    const auto file = read_configparser("[a]\nx = 1\n[b]\n[a]\ny = 2\n");

    REQUIRE_FALSE(file);
    CHECK(file.error().kind == Kind::duplicate_section);
    CHECK(file.error().line == 4);
    CHECK(file.error().section == "a");
}

TEST_CASE("configparser: [DEFAULT] may appear twice, its options adding up") {
    const auto file = read_ok("[DEFAULT]\nx = 1\n[a]\n[DEFAULT]\ny = 2\n");

    CHECK(file.defaults == ConfigParserOptions{{"x", "1"}, {"y", "2"}});
}

// --- options -----------------------------------------------------------------------------

TEST_CASE(
    "configparser: '=' or ':' ends the name, which is lowercased, and both sides are stripped") {
    const auto file = read_ok(
        "[s]\n"
        "  AWS_Access_Key_ID :  AKIACOLON001  \n"
        "url = http://host:1/\n"
        "k: a=b\n");

    CHECK(options_of(file, "s") == ConfigParserOptions{{"aws_access_key_id", "AKIACOLON001"},
                                                       {"url", "http://host:1/"},
                                                       {"k", "a=b"}});
}

TEST_CASE("configparser: comments are whole lines, so a '#' after a value is kept") {
    const auto file = read_ok(
        "# leading comment\n"
        "[s]\n"
        "; another comment\n"
        "key = AKIACOLON002 # mine\n"
        "other = a ; b\n");

    CHECK(options_of(file, "s") ==
          ConfigParserOptions{{"key", "AKIACOLON002 # mine"}, {"other", "a ; b"}});
}

TEST_CASE("configparser: an option that appears twice is an error, whatever its case") {
    const auto file = read_configparser("[a]\nKey = 1\nkey = 2\n");

    REQUIRE_FALSE(file);
    CHECK(file.error().kind == Kind::duplicate_option);
    CHECK(file.error().line == 3);
    CHECK(file.error().section == "a");
    CHECK(file.error().option == "key");
}

TEST_CASE("configparser: the same option in [DEFAULT] and a section is no duplicate") {
    const auto file = read_ok("[DEFAULT]\nregion = a\n[s]\nregion = b\n");

    CHECK(file.defaults.at("region") == "a");
    CHECK(options_of(file, "s").at("region") == "b");
}

TEST_CASE("configparser: a line that is neither option nor header fails after the last line") {
    const auto two_bad = read_configparser("[a]\nbad\n= no name\nworse\n");
    const auto then_duplicate = read_configparser("[a]\nbad\n[a]\n");

    REQUIRE_FALSE(two_bad);
    CHECK(two_bad.error().kind == Kind::bad_line);
    CHECK(two_bad.error().line == 2);
    REQUIRE_FALSE(then_duplicate);
    CHECK(then_duplicate.error().kind == Kind::duplicate_section);
    CHECK(then_duplicate.error().line == 3);
}

// --- values over several lines ----------------------------------------------------------

TEST_CASE("configparser: a line indented deeper than its option continues the value") {
    const auto file = read_ok("[s]\nkey = a\n  b\n\n  c\n\n\nnext = d\n");

    CHECK(options_of(file, "s") == ConfigParserOptions{{"key", "a\nb\n\nc"}, {"next", "d"}});
}

TEST_CASE("configparser: an indented line after a key swallows what looks like another key") {
    const auto file =
        read_ok("[default]\nAWS_ACCESS_KEY_ID: AKIA # mine\n  aws_secret_access_key=x\n");

    CHECK(options_of(file, "default") ==
          ConfigParserOptions{{"aws_access_key_id", "AKIA # mine\naws_secret_access_key=x"}});
}

TEST_CASE("configparser: a comment inside a continued value is dropped, not kept as a blank") {
    const auto file = read_ok("[s]\nkey = a\n  # note\n  b\n");

    CHECK(options_of(file, "s").at("key") == "a\nb");
}

TEST_CASE("configparser: a value that starts on the next line keeps its leading newline") {
    const auto file = read_ok("[s]\nkey =\n  v\n");

    CHECK(options_of(file, "s").at("key") == "\nv");
}

TEST_CASE("configparser: Python's wider whitespace strips values and indents lines") {
    const auto file = read_ok(
        "[s]\nk = \x1cv\x1c\n\x1f"
        "continued\n");

    CHECK(options_of(file, "s").at("k") == "v\ncontinued");
}

TEST_CASE("configparser: a lone CR ends a line too") {
    const auto file = read_ok("[s]\r\na = 1\rb = 2\n");

    CHECK(options_of(file, "s") == ConfigParserOptions{{"a", "1"}, {"b", "2"}});
}

// --- reading values back -----------------------------------------------------------------

TEST_CASE("configparser: items() gives a section's options over [DEFAULT]'s") {
    const auto file = read_ok("[DEFAULT]\nregion = a\nkey = k\n[s]\nregion = b\n");

    CHECK(file.items(*file.section("s")) == ConfigParserOptions{{"key", "k"}, {"region", "b"}});
}

TEST_CASE("configparser: get() without interpolation gives the value as written") {
    const auto file = read_ok("[DEFAULT]\nd = 1\n[s]\npct = 100%%\n");

    const auto raw = file.get("s", "PCT", Interpolation::none);
    const auto inherited = file.get("s", "d", Interpolation::none);
    const auto no_option = file.get("s", "nope", Interpolation::none);
    const auto no_section = file.get("nope", "d", Interpolation::none);
    const auto from_default = file.get("DEFAULT", "d", Interpolation::none);

    CHECK(raw.found == Found::value);
    CHECK(raw.value == "100%%");
    CHECK(inherited.value == "1");
    CHECK(no_option.found == Found::no_option);
    CHECK(no_section.found == Found::no_section);
    CHECK(from_default.value == "1");
}

TEST_CASE("configparser: BasicInterpolation expands %% and %(name)s, [DEFAULT]'s included") {
    const auto file = read_ok(
        "[DEFAULT]\nhost = h\npct = 5%%\n"
        "[a]\nurl = %(HOST)s/%(path)s\npath = p\nown = 100%%\n");

    CHECK(file.get("a", "url", Interpolation::basic).value == "h/p");
    CHECK(file.get("a", "own", Interpolation::basic).value == "100%");
    CHECK(file.get("a", "pct", Interpolation::basic).value == "5%");
    CHECK(file.get("DEFAULT", "pct", Interpolation::basic).value == "5%");
}

TEST_CASE("configparser: BasicInterpolation refuses a value it cannot expand, quoting none") {
    const auto file =
        read_ok("[a]\nbare = sec%ret\nloop = %(loop)s\nmissing = %(nope)s\nopen = %(unclosed\n");

    const auto bare = file.get("a", "bare", Interpolation::basic);
    const auto loop = file.get("a", "loop", Interpolation::basic);
    const auto missing = file.get("a", "missing", Interpolation::basic);
    const auto open = file.get("a", "open", Interpolation::basic);

    CHECK(bare.found == Found::bad_value);
    CHECK(bare.value == "it has a '%' that is neither \"%%\" nor \"%(name)s\"");
    CHECK(loop.found == Found::bad_value);
    CHECK(loop.value == "its %(name)s references go too deep");
    CHECK(missing.found == Found::bad_value);
    CHECK(missing.value == "its %(name)s names an option that is not there");
    CHECK(open.found == Found::bad_value);
}

}  // namespace
}  // namespace credkit
