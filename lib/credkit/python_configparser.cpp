#include "credkit/python_configparser.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <set>
#include <utility>

namespace credkit {
namespace {

// The ASCII characters Python's str.strip() and re's \s treat as whitespace.
constexpr std::string_view kPythonSpace = " \t\n\r\v\f\x1c\x1d\x1e\x1f";
// configparser gives up expanding "%(name)s" past this depth (MAX_INTERPOLATION_DEPTH).
constexpr int kMaxInterpolationDepth = 10;

std::string_view python_rstrip(std::string_view text) {
    const std::size_t end = text.find_last_not_of(kPythonSpace);
    return end == std::string_view::npos ? std::string_view{} : text.substr(0, end + 1);
}

// optionxform is str.lower, which lowers non-ASCII letters too; credkit lowers ASCII only,
// which is all that the option names the tools read are made of.
std::string ascii_lower(std::string_view text) {
    std::string lower(text);
    std::ranges::transform(lower, lower.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return lower;
}

// An option's lines joined as configparser's _join_multiline_values does: a value that starts
// on the line after its key keeps its leading "\n".
std::string join_lines(const std::vector<std::string>& lines) {
    std::string value;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        value += (i == 0 ? "" : "\n") + lines[i];
    }
    return std::string(python_rstrip(value));
}

// One pass of configparser's _read over a file, line by line.
class Reading {
public:
    // A fatal error (configparser raises at once), or nothing.
    std::optional<ConfigParserError> feed(std::string_view line, int number) {
        const std::string_view value = python_strip(line);
        const bool comment = value.starts_with('#') || value.starts_with(';');
        if (value.empty() || comment) {
            // A blank line may belong to a value that continues after it.
            if (!comment && current_ != nullptr && option_) {
                (*current_)[*option_].emplace_back();
            }
            return std::nullopt;
        }
        const std::size_t indent = line.find_first_not_of(kPythonSpace);
        if (current_ != nullptr && option_ && indent > indent_) {
            (*current_)[*option_].emplace_back(value);
            return std::nullopt;
        }
        indent_ = indent;
        const std::size_t close = value.rfind(']');
        if (value.front() == '[' && close != std::string_view::npos && close >= 2) {
            return open_section(std::string(value.substr(1, close - 1)), number);
        }
        if (current_ == nullptr) {
            return ConfigParserError{ConfigParserError::Kind::missing_header, number, {}, {}};
        }
        return read_option(value, number);
    }

    std::expected<ConfigParserFile, ConfigParserError> finish() const {
        if (bad_line_) {
            return std::unexpected(*bad_line_);
        }
        ConfigParserFile file;
        file.defaults = joined(defaults_);
        for (const std::string& name : order_) {
            file.sections.push_back({name, joined(sections_.at(name))});
        }
        return file;
    }

private:
    using RawOptions = std::map<std::string, std::vector<std::string>>;

    static ConfigParserOptions joined(const RawOptions& raw) {
        ConfigParserOptions options;
        for (const auto& [name, lines] : raw) {
            options[name] = join_lines(lines);
        }
        return options;
    }

    // A repeated [DEFAULT] is no error: configparser only counts the other sections.
    std::optional<ConfigParserError> open_section(std::string name, int number) {
        if (sections_.contains(name)) {
            return ConfigParserError{ConfigParserError::Kind::duplicate_section, number, name, {}};
        }
        current_name_ = name;
        if (name == "DEFAULT") {
            current_ = &defaults_;
        } else {
            order_.push_back(name);
            current_ = &sections_[name];
        }
        option_.reset();
        return std::nullopt;
    }

    std::optional<ConfigParserError> read_option(std::string_view value, int number) {
        const std::size_t separator = value.find_first_of("=:");
        if (separator == std::string_view::npos || separator == 0) {
            // configparser reads on and raises a ParsingError after the last line.
            if (!bad_line_) {
                bad_line_ = ConfigParserError{ConfigParserError::Kind::bad_line, number, {}, {}};
            }
            return std::nullopt;
        }
        std::string name = ascii_lower(python_rstrip(value.substr(0, separator)));
        if (!seen_.insert({current_name_, name}).second) {
            return ConfigParserError{ConfigParserError::Kind::duplicate_option, number,
                                     current_name_, name};
        }
        (*current_)[name] = {std::string(python_strip(value.substr(separator + 1)))};
        option_ = std::move(name);
        return std::nullopt;
    }

    std::vector<std::string> order_;
    std::map<std::string, RawOptions> sections_;
    RawOptions defaults_;
    RawOptions* current_ = nullptr;  // nothing before the first header
    std::string current_name_;
    std::optional<std::string> option_;  // the option a continuation line would extend
    std::size_t indent_ = 0;
    std::set<std::pair<std::string, std::string>> seen_;  // (section, option)
    std::optional<ConfigParserError> bad_line_;           // the first one, raised at the end
};

// The option from the section's own options (none for [DEFAULT]) or else from [DEFAULT].
const std::string* find_option(const ConfigParserFile& file, const ConfigParserOptions* own,
                               std::string_view option) {
    if (own != nullptr) {
        if (const auto found = own->find(option); found != own->end()) {
            return &found->second;
        }
    }
    const auto found = file.defaults.find(option);
    return found == file.defaults.end() ? nullptr : &found->second;
}

// BasicInterpolation._interpolate_some: "%%" is '%', "%(name)s" is another option of the same
// section, itself interpolated.
std::expected<std::string, std::string> interpolate(const ConfigParserFile& file,
                                                    const ConfigParserOptions* own,
                                                    std::string_view raw, int depth) {
    if (depth > kMaxInterpolationDepth) {
        return std::unexpected("its %(name)s references go too deep");
    }
    std::string out;
    while (!raw.empty()) {
        const auto percent = raw.find('%');
        out += raw.substr(0, percent);
        if (percent == std::string_view::npos) {
            break;
        }
        raw.remove_prefix(percent);
        if (raw.starts_with("%%")) {
            out += '%';
            raw.remove_prefix(2);
            continue;
        }
        const auto close = raw.find(")s");
        if (!raw.starts_with("%(") || close == std::string_view::npos || close < 3) {
            return std::unexpected("it has a '%' that is neither \"%%\" nor \"%(name)s\"");
        }
        const auto* target = find_option(file, own, ascii_lower(raw.substr(2, close - 2)));
        if (target == nullptr) {
            return std::unexpected("its %(name)s names an option that is not there");
        }
        auto expanded = interpolate(file, own, *target, depth + 1);
        if (!expanded) {
            return expanded;
        }
        out += *expanded;
        raw.remove_prefix(close + 2);
    }
    return out;
}

}  // namespace

std::vector<std::string_view> universal_lines(std::string_view text) {
    std::vector<std::string_view> lines;
    std::size_t start = 0;
    while (start < text.size()) {
        const std::size_t end = text.find_first_of("\r\n", start);
        if (end == std::string_view::npos) {
            lines.push_back(text.substr(start));
            break;
        }
        lines.push_back(text.substr(start, end - start));
        start = end + (text.compare(end, 2, "\r\n") == 0 ? 2 : 1);
    }
    return lines;
}

std::string_view python_strip(std::string_view text) {
    const std::size_t start = text.find_first_not_of(kPythonSpace);
    return start == std::string_view::npos ? std::string_view{} : python_rstrip(text.substr(start));
}

bool valid_utf8(std::string_view text) {
    std::size_t i = 0;
    while (i < text.size()) {
        const auto lead = static_cast<unsigned char>(text[i]);
        const std::size_t length = lead < 0x80           ? 1
                                   : (lead >> 5) == 0x6  ? 2
                                   : (lead >> 4) == 0xE  ? 3
                                   : (lead >> 3) == 0x1E ? 4
                                                         : 0;
        if (length == 0 || i + length > text.size()) {
            return false;
        }
        for (std::size_t k = 1; k < length; ++k) {
            if ((static_cast<unsigned char>(text[i + k]) >> 6) != 0x2) {
                return false;
            }
        }
        i += length;
    }
    return true;
}

const ConfigParserSection* ConfigParserFile::section(std::string_view name) const {
    const auto found = std::ranges::find_if(
        sections, [&](const ConfigParserSection& section) { return section.name == name; });
    return found == sections.end() ? nullptr : &*found;
}

ConfigParserOptions ConfigParserFile::items(const ConfigParserSection& of) const {
    ConfigParserOptions options = of.options;
    options.insert(defaults.begin(), defaults.end());  // the section's own options win
    return options;
}

ConfigParserValue ConfigParserFile::get(std::string_view section_name, std::string_view option,
                                        Interpolation interpolation) const {
    const ConfigParserOptions* own = nullptr;
    if (section_name != "DEFAULT") {
        const ConfigParserSection* found = section(section_name);
        if (found == nullptr) {
            return {ConfigParserValue::Found::no_section, {}};
        }
        own = &found->options;
    }
    const std::string* raw = find_option(*this, own, ascii_lower(option));
    if (raw == nullptr) {
        return {ConfigParserValue::Found::no_option, {}};
    }
    if (interpolation == Interpolation::none) {
        return {ConfigParserValue::Found::value, *raw};
    }
    auto value = interpolate(*this, own, *raw, 1);
    if (!value) {
        return {ConfigParserValue::Found::bad_value, std::move(value.error())};
    }
    return {ConfigParserValue::Found::value, std::move(*value)};
}

std::expected<ConfigParserFile, ConfigParserError> read_configparser(std::string_view text) {
    Reading reading;
    int number = 0;
    for (const std::string_view line : universal_lines(text)) {
        if (auto error = reading.feed(line, ++number)) {
            return std::unexpected(std::move(*error));
        }
    }
    return reading.finish();
}

}  // namespace credkit
