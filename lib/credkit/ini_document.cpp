#include "credkit/ini_document.hpp"

#include <algorithm>
#include <ranges>

#include <fmt/format.h>

namespace credkit {
namespace {

// ASCII whitespace only: bytes of UTF-8 text never count as space. '\r' is here for a last line
// that ends in a lone "\r", which is kept in its text.
constexpr std::string_view kSpace = " \t\r\f\v";
constexpr std::string_view kSeparators = "=:";
constexpr std::string_view kBom = "\xEF\xBB\xBF";

std::string_view trim_left(std::string_view text) {
    const std::size_t start = text.find_first_not_of(kSpace);
    return start == std::string_view::npos ? std::string_view{} : text.substr(start);
}

std::string_view trim_right(std::string_view text) {
    const std::size_t end = text.find_last_not_of(kSpace);
    return end == std::string_view::npos ? std::string_view{} : text.substr(0, end + 1);
}

std::string_view trim(std::string_view text) {
    return trim_left(trim_right(text));
}

bool is_space(char c) {
    return kSpace.find(c) != std::string_view::npos;
}

struct RawLine {
    std::string_view text;  // without its newline
    bool terminated;        // followed by '\n'
    bool crlf;              // followed by "\r\n"
};

std::vector<RawLine> split_lines(std::string_view text) {
    std::vector<RawLine> lines;
    while (!text.empty()) {
        const std::size_t end = text.find('\n');
        if (end == std::string_view::npos) {
            lines.push_back({text, false, false});
            break;
        }
        std::string_view line = text.substr(0, end);
        const bool crlf = line.ends_with('\r');
        if (crlf) {
            line.remove_suffix(1);
        }
        lines.push_back({line, true, crlf});
        text.remove_prefix(end + 1);
    }
    return lines;
}

// Values and comments are written on one line: a line break inside them would otherwise start
// a line of its own, which could forge a key or a section.
std::string on_one_line(std::string_view text) {
    std::string flat(text);
    std::ranges::replace(flat, '\n', ' ');
    std::ranges::replace(flat, '\r', ' ');
    return flat;
}

// The entry line `text` with its value replaced, keeping everything up to the value as written
// ("key=", "key = ", "key:\t"). A line whose value was empty gets a space after the separator
// when the line has one before it, or when the separator is ':', as "key: value" reads.
std::string rewrite_value(std::string_view text, std::string_view value) {
    const std::size_t separator = text.find_first_of(kSeparators);
    const std::size_t start = text.find_first_not_of(kSpace, separator + 1);
    std::string line(start == std::string_view::npos ? trim_right(text) : text.substr(0, start));
    if (value.empty()) {
        return std::string(trim_right(line));
    }
    const bool spaced = text[separator] == ':' || (separator > 0 && is_space(text[separator - 1]));
    if (start == std::string_view::npos && spaced) {
        line += ' ';
    }
    return line + std::string(value);
}

}  // namespace

Result<IniDocument> IniDocument::parse(std::string_view text, std::string source) {
    IniDocument document;
    if (text.starts_with(kBom)) {
        document.bom_ = kBom;
        text.remove_prefix(kBom.size());
    }
    const std::vector<RawLine> raw_lines = split_lines(text);
    document.crlf_ = !raw_lines.empty() && raw_lines.front().crlf;
    document.trailing_newline_ = raw_lines.empty() || raw_lines.back().terminated;

    std::string section;
    for (std::size_t i = 0; i < raw_lines.size(); ++i) {
        const int number = static_cast<int>(i) + 1;
        auto line = read_line(raw_lines[i].text);
        if (!line) {
            // Only the position: the line itself may hold a secret.
            return fail(ErrorKind::usage, fmt::format("cannot read {}:{}", source, number),
                        std::move(line.error()));
        }
        if (line->kind == Line::Kind::section) {
            section = line->section;
        } else {
            line->section = section;
        }
        line->number = number;
        // An unterminated last line gets the text's newline if lines are ever added after it.
        line->crlf = raw_lines[i].terminated ? raw_lines[i].crlf : document.crlf_;
        document.lines_.push_back(std::move(*line));
    }
    return document;
}

// The shapes of a line, as htslib and s3cmd's configparser read them. Nothing here quotes the
// line: the caller puts the reason into an error, and the line may hold a secret.
std::expected<IniDocument::Line, std::string> IniDocument::read_line(std::string_view text) {
    const std::string_view body = trim(text);
    if (body.empty()) {
        return Line{.kind = Line::Kind::blank, .text = std::string(text)};
    }
    if (body.front() == '#' || body.front() == ';') {
        return Line{.kind = Line::Kind::comment, .text = std::string(text)};
    }
    if (body.front() == '[') {
        if (body.size() < 2 || body.back() != ']') {
            return std::unexpected("a [section] header is missing its closing ']'");
        }
        if (body.size() == 2) {
            return std::unexpected("a [section] header has no name");
        }
        const std::string_view name = body.substr(1, body.size() - 2);
        return Line{
            .kind = Line::Kind::section, .text = std::string(text), .section = std::string(name)};
    }

    const std::size_t separator = body.find_first_of(kSeparators);
    if (separator == std::string_view::npos) {
        return std::unexpected("expected 'key = value', a [section] header or a comment");
    }
    const std::string_view key = trim(body.substr(0, separator));
    if (key.empty()) {
        return std::unexpected("an entry has no key before its '=' or ':'");
    }
    return Line{.kind = Line::Kind::entry,
                .text = std::string(text),
                .key = std::string(key),
                .value = std::string(trim(body.substr(separator + 1)))};
}

std::string IniDocument::str() const {
    std::string text = bom_;
    for (std::size_t i = 0; i < lines_.size(); ++i) {
        text += lines_[i].text;
        if (i + 1 < lines_.size() || trailing_newline_) {
            text += lines_[i].crlf ? "\r\n" : "\n";
        }
    }
    return text;
}

// The unnamed section exists once it holds an entry; a named one once its header is read.
bool IniDocument::has_section(std::string_view section) const {
    const auto kind = section.empty() ? Line::Kind::entry : Line::Kind::section;
    return std::ranges::any_of(
        lines_, [&](const Line& line) { return line.kind == kind && line.section == section; });
}

std::vector<std::string> IniDocument::sections() const {
    std::vector<std::string> names;
    for (const Line& line : lines_) {
        if (line.kind == Line::Kind::section &&
            std::ranges::find(names, line.section) == names.end()) {
            names.push_back(line.section);
        }
    }
    return names;
}

std::optional<std::string> IniDocument::get(std::string_view section, std::string_view key) const {
    const std::vector<std::size_t> found = find_entries(section, key);
    if (found.empty()) {
        return std::nullopt;
    }
    return lines_[found.back()].value;
}

std::vector<std::pair<std::string, std::string>> IniDocument::entries(
    std::string_view section) const {
    std::vector<std::pair<std::string, std::string>> result;
    for (const Line& line : lines_) {
        if (line.kind == Line::Kind::entry && line.section == section) {
            result.emplace_back(line.key, line.value);
        }
    }
    return result;
}

std::optional<int> IniDocument::line_of(std::string_view section, std::string_view key) const {
    const std::vector<std::size_t> found = find_entries(section, key);
    if (found.empty() || lines_[found.back()].number == 0) {
        return std::nullopt;
    }
    return lines_[found.back()].number;
}

void IniDocument::set(std::string_view section, std::string_view key, std::string_view value) {
    const std::string flat = on_one_line(value);
    const std::string trimmed(trim(flat));
    std::vector<std::size_t> found = find_entries(section, key);
    if (found.empty()) {
        // No trailing space after an empty value: some editors and linters strip it anyway.
        const std::string text =
            trimmed.empty() ? fmt::format("{} =", key) : fmt::format("{} = {}", key, trimmed);
        insert_line(insertion_point(section), Line{.kind = Line::Kind::entry,
                                                   .text = text,
                                                   .section = std::string(section),
                                                   .key = std::string(key),
                                                   .value = trimmed});
        return;
    }

    // The first entry keeps its place; later ones would otherwise still win on reading.
    Line& line = lines_[found.front()];
    line.text = rewrite_value(line.text, trimmed);
    line.value = trimmed;
    found.erase(found.begin());
    erase_lines(found);
}

bool IniDocument::remove(std::string_view section, std::string_view key) {
    const std::vector<std::size_t> found = find_entries(section, key);
    erase_lines(found);
    return !found.empty();
}

void IniDocument::keep_only(std::string_view section, const std::vector<std::string_view>& keep) {
    std::vector<std::size_t> unwanted;
    for (std::size_t i = 0; i < lines_.size(); ++i) {
        const Line& line = lines_[i];
        if (line.kind == Line::Kind::entry && line.section == section &&
            std::ranges::find(keep, std::string_view(line.key)) == keep.end()) {
            unwanted.push_back(i);
        }
    }
    erase_lines(unwanted);
}

void IniDocument::set_comment(std::string_view section, std::string_view prefix,
                              std::string_view text) {
    const std::string body = std::string(prefix) + on_one_line(text);
    if (const auto found = find_comment(section, prefix)) {
        Line& line = lines_[*found];
        const std::size_t indent = line.text.size() - trim_left(line.text).size();
        line.text = line.text.substr(0, indent) + body;
        return;
    }
    insert_line(insertion_point(section),
                Line{.kind = Line::Kind::comment, .text = body, .section = std::string(section)});
}

std::optional<std::string> IniDocument::comment(std::string_view section,
                                                std::string_view prefix) const {
    const auto found = find_comment(section, prefix);
    if (!found) {
        return std::nullopt;
    }
    return std::string(trim_left(lines_[*found].text).substr(prefix.size()));
}

std::vector<std::size_t> IniDocument::find_entries(std::string_view section,
                                                   std::string_view key) const {
    std::vector<std::size_t> found;
    for (std::size_t i = 0; i < lines_.size(); ++i) {
        const Line& line = lines_[i];
        if (line.kind == Line::Kind::entry && line.section == section && line.key == key) {
            found.push_back(i);
        }
    }
    return found;
}

std::optional<std::size_t> IniDocument::find_comment(std::string_view section,
                                                     std::string_view prefix) const {
    for (std::size_t i = 0; i < lines_.size(); ++i) {
        const Line& line = lines_[i];
        if (line.kind == Line::Kind::comment && line.section == section &&
            trim_left(line.text).starts_with(prefix)) {
            return i;
        }
    }
    return std::nullopt;
}

// After the section's last entry, so that blank lines and comments that lead into the next
// section stay with it; in a section without entries, right under its (last) header.
std::size_t IniDocument::insertion_point(std::string_view section) {
    std::optional<std::size_t> after_entry;
    std::optional<std::size_t> after_header;
    for (std::size_t i = 0; i < lines_.size(); ++i) {
        const Line& line = lines_[i];
        if (line.section != section) {
            continue;
        }
        if (line.kind == Line::Kind::entry) {
            after_entry = i + 1;
        } else if (line.kind == Line::Kind::section) {
            after_header = i + 1;
        }
    }
    if (after_entry) {
        return *after_entry;
    }
    if (after_header) {
        return *after_header;
    }
    // The unnamed section has no header to add: its entries open the file.
    return section.empty() ? 0 : append_section(section);
}

std::size_t IniDocument::append_section(std::string_view section) {
    if (!lines_.empty() && lines_.back().kind != Line::Kind::blank) {
        insert_line(lines_.size(),
                    Line{.kind = Line::Kind::blank, .section = lines_.back().section});
    }
    insert_line(lines_.size(), Line{.kind = Line::Kind::section,
                                    .text = fmt::format("[{}]", section),
                                    .section = std::string(section)});
    return lines_.size();
}

void IniDocument::insert_line(std::size_t at, Line line) {
    line.number = 0;
    line.crlf = crlf_;
    lines_.insert(lines_.begin() + static_cast<std::ptrdiff_t>(at), std::move(line));
}

void IniDocument::erase_lines(const std::vector<std::size_t>& ascending) {
    for (const std::size_t index : std::views::reverse(ascending)) {
        lines_.erase(lines_.begin() + static_cast<std::ptrdiff_t>(index));
    }
}

}  // namespace credkit
