// An INI file (AWS credentials file, s3cmd config) held as its lines, so that changing a few
// keys writes every other line back byte for byte: other sections, keys, comments, blank
// lines and the user's spacing all survive.
//
// What counts as a line:
//   [section]             a section header (surrounding spaces allowed)
//   key = value           an entry; "key: value" too (htslib and configparser accept both);
//                         the key is what precedes the first '=' or ':', trimmed
//   # ... or ; ...        a comment
//   (blank)               a blank line
// Lines before the first header belong to the unnamed section "". Anything else is an error
// that names the file and line.
#pragma once

#include <cstddef>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "credkit/error.hpp"

namespace credkit {

class IniDocument {
public:
    IniDocument() = default;

    // `source` names the file in error messages ("~/.s3cfg"). Errors are ErrorKind::usage,
    // what = "cannot read SOURCE:LINE", and never quote a value (it may be a secret).
    static Result<IniDocument> parse(std::string_view text, std::string source = "input");

    // The text as it would be written: unchanged lines exactly as read, then the edits.
    [[nodiscard]] std::string str() const;

    [[nodiscard]] bool has_section(std::string_view section) const;
    [[nodiscard]] std::vector<std::string> sections() const;  // in file order, "" excluded
    // The value of the last entry of `key` in `section` (later entries win, as in s3cmd).
    [[nodiscard]] std::optional<std::string> get(std::string_view section,
                                                 std::string_view key) const;
    // All entries of a section in file order.
    [[nodiscard]] std::vector<std::pair<std::string, std::string>> entries(
        std::string_view section) const;
    // 1-based line number of the entry `get` would return, for messages.
    [[nodiscard]] std::optional<int> line_of(std::string_view section, std::string_view key) const;

    // Sets a key: the existing entry keeps its place and its "key = " spelling (extra
    // entries of the same key are removed); a new key goes after the section's last entry;
    // a missing section is appended at the end of the file, after a blank line. Section ""
    // writes above the first header. `key` must be a valid key (non-empty, trimmed, no '=',
    // ':' or line break, not starting with '[', '#' or ';'). The value is stored trimmed, as
    // it would read back, with any line break turned into a space so that a value can never
    // add lines of its own.
    void set(std::string_view section, std::string_view key, std::string_view value);
    // Removes every entry of the key; true when there was one.
    bool remove(std::string_view section, std::string_view key);
    // Removes every entry of the section whose key is not in `keep`.
    void keep_only(std::string_view section, const std::vector<std::string_view>& keep);
    // Puts a comment line that starts with `prefix` into the section: replaces the first such
    // comment there, or adds `prefix + text` after the section's last entry. `prefix` must
    // start with '#' or ';'; line breaks in `text` become spaces.
    void set_comment(std::string_view section, std::string_view prefix, std::string_view text);
    // The text after `prefix` of the first comment line in the section that starts with it
    // (indentation before the prefix is ignored).
    [[nodiscard]] std::optional<std::string> comment(std::string_view section,
                                                     std::string_view prefix) const;

private:
    struct Line {
        enum class Kind { blank, comment, section, entry };
        Kind kind;
        std::string text;     // the line as written, without its newline
        std::string section;  // the section the line belongs to (for a header: its own name)
        std::string key;      // entries only, trimmed
        std::string value;    // entries only, trimmed
        int number = 0;       // 1-based line in the parsed text; 0 for a line added since
        bool crlf = false;    // ends in "\r\n" rather than "\n"
    };

    // Classifies one line (without its newline); the error says why it is not INI.
    static std::expected<Line, std::string> read_line(std::string_view text);
    [[nodiscard]] std::vector<std::size_t> find_entries(std::string_view section,
                                                        std::string_view key) const;
    [[nodiscard]] std::optional<std::size_t> find_comment(std::string_view section,
                                                          std::string_view prefix) const;
    // Where a new line of the section goes; appends the section first when it is missing.
    std::size_t insertion_point(std::string_view section);
    std::size_t append_section(std::string_view section);
    void insert_line(std::size_t at, Line line);
    void erase_lines(const std::vector<std::size_t>& ascending);

    std::vector<Line> lines_;
    std::string bom_;  // a UTF-8 byte order mark that opened the text, written back as read
    bool trailing_newline_ = true;
    bool crlf_ = false;  // added lines end in "\r\n" when the text's first line did
};

}  // namespace credkit
