// INI files read the way Python 3.11's configparser reads them, for the models of the tools
// that read their files with it: botocore (RawConfigParser: values as written) and s3cmd
// (ConfigParser: values through BasicInterpolation). Which keys a tool ends up with depends on
// exactly these rules, so they follow configparser's _read line for line:
//
//   [name]          a header; "[name] trailing" too, the name running to the last ']'
//   key = value     or "key: value"; the name lowercased, both sides stripped
//   # ... or ; ...  a comment, as a whole line only ("key = a # b" keeps "a # b")
//   (indented)      a line indented deeper than its option continues that option's value;
//                   a blank line inside such a value is kept, trailing ones are not
//   [DEFAULT]       lends its options to every other section
//
// Strict mode, configparser's default: a section or an option that appears twice is an error.
//
// Python also counts non-ASCII characters as whitespace (U+0085, U+00A0, U+2000 to U+200A and
// others) when it strips a line or measures its indent. This reader counts the ASCII ones
// only, so a line that starts or ends with such a character reads differently here.
#pragma once

#include <expected>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace credkit {

// ---- Python's text rules, which the tools' other readers share -----------------------------

// Lines as Python's universal newlines split them: "\r\n", "\r" and "\n" all end a line.
std::vector<std::string_view> universal_lines(std::string_view text);

// str.strip(): every ASCII character Python counts as whitespace, \x1c to \x1f included.
std::string_view python_strip(std::string_view text);

// Whether Python can decode the bytes as UTF-8, as it must before configparser sees them.
bool valid_utf8(std::string_view text);

// ---- configparser ---------------------------------------------------------------------------

// Option name (lowercased) to value, continuation lines joined with "\n".
using ConfigParserOptions = std::map<std::string, std::string, std::less<>>;

struct ConfigParserSection {
    std::string name;
    ConfigParserOptions options;  // its own options, without [DEFAULT]'s
};

// Why configparser refuses a file. Each model words it as its own tool reports it; the
// fields name a line, a section and an option, never a value (it may be a secret).
struct ConfigParserError {
    enum class Kind {
        missing_header,     // MissingSectionHeaderError: a line before any [section]
        bad_line,           // ParsingError: a line that is neither a header nor an option
        duplicate_section,  // DuplicateSectionError
        duplicate_option,   // DuplicateOptionError
    };
    Kind kind = Kind::bad_line;
    int line = 0;         // 1-based
    std::string section;  // duplicate_section and duplicate_option
    std::string option;   // duplicate_option, lowercased
};

enum class Interpolation {
    none,   // RawConfigParser: a value is what the file says
    basic,  // ConfigParser's BasicInterpolation: "%%" is '%', "%(name)s" another option
};

// What ConfigParser.get gives for one option of one section.
struct ConfigParserValue {
    enum class Found { value, no_option, no_section, bad_value };
    Found found = Found::no_option;
    std::string value;  // bad_value: why it cannot be interpolated, never quoting it
};

struct ConfigParserFile {
    std::vector<ConfigParserSection> sections;  // in file order, [DEFAULT] not among them
    ConfigParserOptions defaults;               // [DEFAULT]'s options

    // The section named exactly `name` (names are case-sensitive), or nothing.
    [[nodiscard]] const ConfigParserSection* section(std::string_view name) const;

    // RawConfigParser.items(section): the section's options over [DEFAULT]'s.
    [[nodiscard]] ConfigParserOptions items(const ConfigParserSection& section) const;

    // ConfigParser.get: the option (lowercased, as configparser does) from the section or
    // else from [DEFAULT]. Section "DEFAULT" means [DEFAULT] alone.
    [[nodiscard]] ConfigParserValue get(std::string_view section, std::string_view option,
                                        Interpolation interpolation) const;
};

// configparser's read_string. A repeated section or option, or a line before any header,
// stops the reading at once; a line that is neither header nor option is reported only once
// the whole file is read (the first such line), as configparser raises ParsingError.
std::expected<ConfigParserFile, ConfigParserError> read_configparser(std::string_view text);

}  // namespace credkit
