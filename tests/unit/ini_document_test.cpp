#include "credkit/ini_document.hpp"

#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <doctest/doctest.h>

namespace credkit {
namespace {

// What `s3cmd --configure` writes (s3cmd 2.3), with a few hand edits and comments on top.
constexpr std::string_view kS3cfg =
    R"(# s3cmd configuration, written by s3cmd --configure
# and then edited by hand.
[default]
access_key = AKIAIOSFODNN7EXAMPLE
access_token =
add_encoding_exts =
add_headers =
bucket_location = US
ca_certs_file =
cache_file =
check_ssl_certificate = True
check_ssl_hostname = True
cloudfront_host = cloudfront.amazonaws.com
connection_max_age = 5
connection_pooling = True
content_disposition =
content_type =
default_mime_type = binary/octet-stream
delay_updates = False
delete_after = False
delete_after_fetch = False
delete_removed = False
dry_run = False
enable_multipart = True
encoding = UTF-8
encrypt = False
expiry_date =
expiry_days =
expiry_prefix =
follow_symlinks = False
force = False
get_continue = False
gpg_command = /usr/bin/gpg
)"
    // The two gpg lines are longer than this file's lines may be.
    "gpg_decrypt = %(gpg_command)s -d --verbose --no-use-agent --batch --yes --passphrase-fd "
    "%(passphrase_fd)s -o %(output_file)s %(input_file)s\n"
    "gpg_encrypt = %(gpg_command)s -c --verbose --no-use-agent --batch --yes --passphrase-fd "
    "%(passphrase_fd)s -o %(output_file)s %(input_file)s\n"
    R"(gpg_passphrase =
guess_mime_type = True
host_base = s3.amazonaws.com
host_bucket = %(bucket)s.s3.amazonaws.com
human_readable_sizes = False
invalidate_default_index_on_cf = False
invalidate_default_index_root_on_cf = True
invalidate_on_cf = False
kms_key =
limit = -1
limitrate = 0
list_md5 = False
log_target_prefix =
long_listing = False
max_delete = -1
mime_type =
multipart_chunk_size_mb = 15
multipart_copy_chunk_size_mb = 1024
multipart_max_chunks = 10000
preserve_attrs = True
progress_meter = True
proxy_host =
proxy_port = 0
public_url_use_https = False
put_continue = False
recursive = False
recv_chunk = 65536
reduced_redundancy = False
requester_pays = False
restore_days = 1
restore_priority = Standard
secret_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
send_chunk = 65536
server_side_encryption = False
signature_v2 = False
signurl_use_https = False
simpledb_host = sdb.amazonaws.com
skip_existing = False
socket_timeout = 300
ssl_client_cert_file =
ssl_client_key_file =
stats = False
stop_on_error = False
storage_class =
throttle_max = 100
upload_id =
urlencoding_mode = normal
use_http_expect = False
use_https = True
use_mime_magic = True
verbosity = WARNING
website_endpoint = http://%(bucket)s.s3-website-%(location)s.amazonaws.com/
website_error =
website_index = index.html

; a second bucket host, kept for reference
[backup]
host_base = minio.internal:9000
host_bucket = minio.internal:9000
)";

constexpr std::string_view kCredentials = R"([default]
aws_access_key_id = AKIAIOSFODNN7EXAMPLE
aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY

[ec2-role]
# credkit: refreshed from the instance role
aws_access_key_id = ASIAIOSFODNN7EXAMPLE
aws_secret_access_key = je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY
aws_session_token = IQoJb3JpZ2luX2VjEHAaCXVzLWVhc3QtMSJHMEUCIQD+token/with+slashes==
expiry_time = 2024-05-01T12:00:00Z

[profile-with-region]
aws_access_key_id = AKIAI44QH8DHBEXAMPLE
aws_secret_access_key = je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY
region = eu-west-1
)";

// Everything odd that a hand-edited file holds at once.
constexpr std::string_view kOddities =
    "top_level = before any section\n"
    "\t# an indented comment\n"
    "[first]\n"
    "key=value\n"
    "spaced   :  value\n"
    "\ttabbed\t=\tvalue\t\n"
    "url = https://example.com/?a=b&c=d#fragment\n"
    "colon: a:b:c = d\n"
    "empty =\n"
    "empty_colon:\n"
    "dup = one\n"
    "dup = two\n"
    "région = 東京\n"
    "  ; an indented semicolon comment\n"
    "\n"
    "   [second]   \n"
    "x = 1\n"
    "[first]\n"
    "dup = three\n";

std::vector<std::string_view> corpus() {
    return {kS3cfg, kCredentials, kOddities};
}

std::string replace_all(std::string_view text, std::string_view from, std::string_view to) {
    std::string result;
    std::size_t start = 0;
    for (std::size_t at = text.find(from); at != std::string_view::npos;
         at = text.find(from, start)) {
        result.append(text.substr(start, at - start)).append(to);
        start = at + from.size();
    }
    return result.append(text.substr(start));
}

std::string with_crlf(std::string_view text) {
    return replace_all(text, "\n", "\r\n");
}

IniDocument parsed(std::string_view text) {
    auto document = IniDocument::parse(text, "test.ini");
    REQUIRE(document.has_value());
    return std::move(*document);
}

std::string edited(std::string_view text, const auto& edit) {
    IniDocument document = parsed(text);
    edit(document);
    return document.str();
}

}  // namespace

TEST_CASE("ini document writes every file of the corpus back byte for byte") {
    for (std::string_view text : corpus()) {
        const std::string crlf = with_crlf(text);
        const std::string no_final_newline(text.substr(0, text.size() - 1));

        for (const std::string& variant : {std::string(text), crlf, no_final_newline}) {
            CAPTURE(variant);
            CHECK(parsed(variant).str() == variant);
        }
    }
}

TEST_CASE("ini document writes back odd bytes it does not interpret") {
    const std::vector<std::string> texts = {
        "",
        "\n",
        "\n\n\n",
        "k=v",
        "k=v\r",
        "k=v\r\r\n",
        "\xEF\xBB\xBF[default]\nk = v\n",
        "[s]\nk = v\r\nmixed = endings\n",
        "[s]\nbinary = \x01\x7f\xff\xfe\n",
    };

    for (const std::string& text : texts) {
        CAPTURE(text);
        CHECK(parsed(text).str() == text);
    }
}

TEST_CASE("ini document reads the settings of an s3cfg") {
    const IniDocument document = parsed(kS3cfg);

    CHECK(document.sections() == std::vector<std::string>{"default", "backup"});
    CHECK(document.get("default", "access_key") == "AKIAIOSFODNN7EXAMPLE");
    CHECK(document.get("default", "secret_key") == "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    CHECK(document.get("default", "access_token") == "");
    CHECK(document.get("default", "host_bucket") == "%(bucket)s.s3.amazonaws.com");
    CHECK(document.get("default", "website_endpoint") ==
          "http://%(bucket)s.s3-website-%(location)s.amazonaws.com/");
    CHECK(document.get("backup", "host_base") == "minio.internal:9000");
    CHECK(document.get("backup", "access_key") == std::nullopt);
}

TEST_CASE("ini document reads each profile of a credentials file") {
    const IniDocument document = parsed(with_crlf(kCredentials));

    CHECK(document.sections() ==
          std::vector<std::string>{"default", "ec2-role", "profile-with-region"});
    CHECK(document.get("ec2-role", "aws_session_token") ==
          "IQoJb3JpZ2luX2VjEHAaCXVzLWVhc3QtMSJHMEUCIQD+token/with+slashes==");
    CHECK(document.get("profile-with-region", "region") == "eu-west-1");
    CHECK(document.entries("default") ==
          std::vector<std::pair<std::string, std::string>>{
              {"aws_access_key_id", "AKIAIOSFODNN7EXAMPLE"},
              {"aws_secret_access_key", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}});
}

TEST_CASE("ini document splits at the first separator and trims keys and values") {
    const IniDocument document = parsed(kOddities);

    CHECK(document.get("first", "key") == "value");
    CHECK(document.get("first", "spaced") == "value");
    CHECK(document.get("first", "tabbed") == "value");
    CHECK(document.get("first", "url") == "https://example.com/?a=b&c=d#fragment");
    CHECK(document.get("first", "colon") == "a:b:c = d");
    CHECK(document.get("first", "empty") == "");
    CHECK(document.get("first", "empty_colon") == "");
    CHECK(document.get("first", "région") == "東京");
}

TEST_CASE("ini document lets a repeated key or section continue, later entries winning") {
    const IniDocument document = parsed(kOddities);

    CHECK(document.get("first", "dup") == "three");
    CHECK(document.line_of("first", "dup") == 19);
    CHECK(document.sections() == std::vector<std::string>{"first", "second"});
    CHECK(document.entries("first").back() == std::pair<std::string, std::string>{"dup", "three"});
    CHECK(document.get("second", "x") == "1");
}

TEST_CASE("ini document puts keys before any header in the unnamed section") {
    const IniDocument document = parsed(kOddities);

    CHECK(document.get("", "top_level") == "before any section");
    CHECK(document.has_section(""));
    CHECK(document.has_section("second"));
    CHECK_FALSE(document.has_section("third"));
    CHECK_FALSE(parsed("[s]\nk = v\n").has_section(""));
}

TEST_CASE("ini document compares keys and section names exactly") {
    const IniDocument document = parsed("[Default]\nKey = upper\n[default]\nkey = lower\n");

    CHECK(document.get("Default", "Key") == "upper");
    CHECK(document.get("Default", "key") == std::nullopt);
    CHECK(document.get("default", "key") == "lower");
    CHECK(document.get(" default", "key") == std::nullopt);
}

TEST_CASE("ini document set rewrites only the line of the key, keeping its separator") {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"key=old", "key=new"},
        {"key = old", "key = new"},
        {"key: old", "key: new"},
        {"key   :  old", "key   :  new"},
        {"\tkey\t=\told\t", "\tkey\t=\tnew"},
        {"key = old value with spaces", "key = new"},
        {"key =", "key = new"},
        {"key=", "key=new"},
        {"key:", "key: new"},
    };

    for (const auto& [before, after] : cases) {
        CAPTURE(before);
        const std::string text = "# head\n[s]\n" + before + "\nother = x\n";

        const std::string result = edited(text, [](IniDocument& d) { d.set("s", "key", "new"); });

        CHECK(result == "# head\n[s]\n" + after + "\nother = x\n");
    }
}

TEST_CASE("ini document set to an empty value leaves no trailing space") {
    const std::string result =
        edited("[s]\nkey = old\n", [](IniDocument& d) { d.set("s", "key", ""); });

    CHECK(result == "[s]\nkey =\n");
    CHECK(parsed(result).get("s", "key") == "");
}

TEST_CASE("ini document set keeps the first entry of a repeated key and drops the rest") {
    const std::string text = "[s]\ndup=1\nx = 1\ndup = 2\n[t]\ndup = t\n[s]\ndup: 3\n";

    IniDocument document = parsed(text);
    document.set("s", "dup", "new");

    CHECK(document.str() == "[s]\ndup=new\nx = 1\n[t]\ndup = t\n[s]\n");
    CHECK(document.get("s", "dup") == "new");
    CHECK(document.line_of("s", "dup") == 2);
}

TEST_CASE("ini document set puts a new key after the section's last entry") {
    const std::string text = "[a]\nk = 1\n\n# about b\n[b]\nk = 2\n";

    const std::string result = edited(text, [](IniDocument& d) { d.set("a", "new", "v"); });

    CHECK(result == "[a]\nk = 1\nnew = v\n\n# about b\n[b]\nk = 2\n");
}

TEST_CASE("ini document set puts a new key right under the header of an empty section") {
    const std::string text = "[a]\n# nothing yet\n\n[b]\n";

    const std::string result = edited(text, [](IniDocument& d) { d.set("a", "new", "v"); });

    CHECK(result == "[a]\nnew = v\n# nothing yet\n\n[b]\n");
}

TEST_CASE("ini document set puts a new key of a repeated section after its last entry") {
    const std::string text = "[a]\nk = 1\n[b]\n[a]\nj = 2\n\n[c]\n";

    const std::string result = edited(text, [](IniDocument& d) { d.set("a", "new", "v"); });

    CHECK(result == "[a]\nk = 1\n[b]\n[a]\nj = 2\nnew = v\n\n[c]\n");
}

TEST_CASE("ini document set appends a missing section after one blank line") {
    const auto add = [](IniDocument& d) { d.set("new", "k", "v"); };

    CHECK(edited("[a]\nk = 1\n", add) == "[a]\nk = 1\n\n[new]\nk = v\n");
    CHECK(edited("[a]\nk = 1\n\n", add) == "[a]\nk = 1\n\n[new]\nk = v\n");
    CHECK(edited("[a]\nk = 1\n# trailing\n", add) == "[a]\nk = 1\n# trailing\n\n[new]\nk = v\n");
    CHECK(edited("", add) == "[new]\nk = v\n");
}

TEST_CASE("ini document set writes the unnamed section above the first header") {
    const auto add = [](IniDocument& d) { d.set("", "region", "us-east-1"); };

    CHECK(edited("[a]\nk = 1\n", add) == "region = us-east-1\n[a]\nk = 1\n");
    CHECK(edited("top = 1\n\n[a]\n", add) == "top = 1\nregion = us-east-1\n\n[a]\n");
    CHECK(edited("", add) == "region = us-east-1\n");
}

TEST_CASE("ini document set keeps crlf line endings for changed and added lines") {
    const std::string text = with_crlf(kCredentials);

    IniDocument document = parsed(text);
    document.set("default", "aws_access_key_id", "AKIANEWEXAMPLE");
    document.set("default", "region", "us-west-2");
    document.set("added", "k", "v");

    const std::string expected = with_crlf(
        replace_all(replace_all(kCredentials, "= AKIAIOSFODNN7EXAMPLE\n", "= AKIANEWEXAMPLE\n"),
                    "EXAMPLEKEY\n\n[ec2-role]", "EXAMPLEKEY\nregion = us-west-2\n\n[ec2-role]"));
    CHECK(document.str() == expected + "\r\n[added]\r\nk = v\r\n");
}

TEST_CASE("ini document keeps a missing final newline missing after edits") {
    CHECK(edited("[s]\nk = 1", [](IniDocument& d) { d.set("s", "k", "2"); }) == "[s]\nk = 2");
    CHECK(edited("[s]\nk = 1", [](IniDocument& d) { d.set("s", "j", "2"); }) ==
          "[s]\nk = 1\nj = 2");
    CHECK(edited("[s]\r\nk = 1", [](IniDocument& d) { d.set("t", "j", "2"); }) ==
          "[s]\r\nk = 1\r\n\r\n[t]\r\nj = 2");
    CHECK(edited("[s]\nk = 1\nj = 2", [](IniDocument& d) { d.remove("s", "j"); }) == "[s]\nk = 1");
}

TEST_CASE("ini document set cannot add lines through a value") {
    IniDocument document = parsed("[default]\nregion = us-east-1\n");

    document.set("default", "region", " eu-west-1\n[evil]\r\naws_secret_access_key = x ");

    const IniDocument reread = parsed(document.str());
    CHECK(reread.sections() == std::vector<std::string>{"default"});
    CHECK(reread.get("default", "region") == "eu-west-1 [evil]  aws_secret_access_key = x");
    CHECK(document.get("default", "region") == reread.get("default", "region"));
}

TEST_CASE("ini document remove drops every entry of the key and nothing else") {
    const std::string text = "[s]\nk = 1\n# keep me\nk = 2\nj = 3\n[t]\nk = t\n";

    IniDocument document = parsed(text);
    const bool removed = document.remove("s", "k");
    const bool removed_again = document.remove("s", "k");

    CHECK(removed);
    CHECK_FALSE(removed_again);
    CHECK(document.str() == "[s]\n# keep me\nj = 3\n[t]\nk = t\n");
    CHECK(document.get("s", "k") == std::nullopt);
    CHECK(document.get("t", "k") == "t");
}

TEST_CASE("ini document keep_only removes the other keys of one section") {
    IniDocument document = parsed(kCredentials);

    document.keep_only("ec2-role", {"aws_access_key_id", "aws_secret_access_key"});

    CHECK(document.str() == replace_all(kCredentials,
                                        "aws_session_token = IQoJb3JpZ2luX2VjEHAaCXVzLWVhc3QtMSJHM"
                                        "EUCIQD+token/with+slashes==\nexpiry_time = "
                                        "2024-05-01T12:00:00Z\n",
                                        ""));
    CHECK(document.entries("ec2-role").size() == 2);
    CHECK(document.entries("profile-with-region").size() == 3);
}

TEST_CASE("ini document set_comment replaces a comment with the same prefix in place") {
    const std::string text = "[s]\nk = 1\n  # credkit: old note\n# other\n";

    IniDocument document = parsed(text);
    document.set_comment("s", "# credkit: ", "new note");

    CHECK(document.str() == "[s]\nk = 1\n  # credkit: new note\n# other\n");
    CHECK(document.comment("s", "# credkit: ") == "new note");
}

TEST_CASE("ini document set_comment adds a comment after the section's last entry") {
    const std::string text = "[s]\nk = 1\n\n[t]\nj = 2\n";

    IniDocument document = parsed(text);
    document.set_comment("s", "# credkit: ", "note");
    document.set_comment("new", "; credkit: ", "fresh");

    CHECK(document.str() ==
          "[s]\nk = 1\n# credkit: note\n\n[t]\nj = 2\n\n[new]\n; credkit: fresh\n");
    CHECK(document.comment("new", "; credkit: ") == "fresh");
    CHECK(document.comment("t", "# credkit: ") == std::nullopt);
}

TEST_CASE("ini document comment looks only at comments of the given section") {
    const IniDocument document = parsed("# credkit: top\n[s]\nk = # credkit: not a comment\n");

    CHECK(document.comment("", "# credkit: ") == "top");
    CHECK(document.comment("s", "# credkit: ") == std::nullopt);
}

TEST_CASE("ini document line_of gives input line numbers through edits") {
    IniDocument document = parsed("[s]\na = 1\nb = 2\n[t]\nc = 3\n");

    document.remove("s", "a");
    document.set("s", "new", "x");
    document.set("t", "c", "4");

    CHECK(document.line_of("s", "b") == 3);
    CHECK(document.line_of("t", "c") == 5);
    CHECK(document.line_of("s", "new") == std::nullopt);
    CHECK(document.line_of("s", "a") == std::nullopt);
}

TEST_CASE("ini document rejects a line that is not ini, naming file and line") {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"garbage", "expected 'key = value', a [section] header or a comment"},
        {"[unclosed", "a [section] header is missing its closing ']'"},
        {"[]", "a [section] header has no name"},
        {"= value", "an entry has no key before its '=' or ':'"},
        {"  : value", "an entry has no key before its '=' or ':'"},
    };

    for (const auto& [line, why] : cases) {
        CAPTURE(line);
        const std::string text = "# comment\r\n[s]\r\nk = v\r\n" + line + "\r\nj = w\r\n";

        auto document = IniDocument::parse(text, "~/.aws/credentials");

        REQUIRE_FALSE(document.has_value());
        CHECK(document.error().kind == ErrorKind::usage);
        CHECK(document.error().what == "cannot read ~/.aws/credentials:4");
        CHECK(document.error().why == why);
    }
}

TEST_CASE("ini document errors never quote the bad line") {
    const std::string secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    const std::vector<std::string> bad_lines = {secret, "[" + secret, "=" + secret};

    for (const std::string& line : bad_lines) {
        auto document = IniDocument::parse("[default]\n" + line + "\n");

        REQUIRE_FALSE(document.has_value());
        CHECK(document.error().what == "cannot read input:2");
        const Error& error = document.error();
        for (const std::string& field : {error.what, error.why, error.hint}) {
            CHECK(field.find(secret) == std::string::npos);
            CHECK(field.find("EXAMPLEKEY") == std::string::npos);
        }
    }
}

namespace {

// The section and key of an entry line, as the document under test should read it; the
// property test uses it to tell which lines an edit was allowed to touch.
std::optional<std::pair<std::string, std::string>> entry_of(std::string_view line,
                                                            std::string& section) {
    const std::size_t start = line.find_first_not_of(" \t");
    if (start == std::string_view::npos || line[start] == '#' || line[start] == ';') {
        return std::nullopt;
    }
    const std::size_t end = line.find_last_not_of(" \t");
    if (line[start] == '[') {
        section = std::string(line.substr(start + 1, end - start - 1));
        return std::nullopt;
    }
    const std::size_t separator = line.find_first_of("=:");
    std::string_view key = line.substr(start, separator - start);
    key = key.substr(0, key.find_last_not_of(" \t") + 1);
    return std::pair{section, std::string(key)};
}

std::vector<std::string> lines_of(std::string_view text) {
    std::vector<std::string> lines;
    for (std::size_t start = 0; start < text.size();) {
        const std::size_t end = std::min(text.find('\n', start), text.size());
        lines.emplace_back(text.substr(start, end - start));
        start = end + 1;
    }
    return lines;
}

bool is_subsequence(const std::vector<std::string>& part, const std::vector<std::string>& whole) {
    std::size_t at = 0;
    for (const std::string& line : whole) {
        if (at < part.size() && part[at] == line) {
            ++at;
        }
    }
    return at == part.size();
}

}  // namespace

TEST_CASE("ini document random edits keep untouched lines and read back what was set") {
    std::mt19937 random(20240501);
    const std::vector<std::string> sections = {"",      "default", "ec2-role",
                                               "first", "second",  "brand-new"};
    const std::vector<std::string> keys = {
        "access_key", "aws_session_token", "dup", "key",        "région",
        "region",     "top_level",         "x",   "expiry_time"};
    const auto pick = [&](const auto& from) { return from[random() % from.size()]; };

    for (int round = 0; round < 200; ++round) {
        const std::string original(corpus()[random() % corpus().size()]);
        IniDocument document = parsed(original);
        std::map<std::pair<std::string, std::string>, std::optional<std::string>> expected;

        for (int step = 0; step < 8; ++step) {
            const std::pair<std::string, std::string> target{pick(sections), pick(keys)};
            if (random() % 3 == 0) {
                document.remove(target.first, target.second);
                expected[target] = std::nullopt;
            } else {
                const std::string value = "v" + std::to_string(random() % 1000) + " = #:x";
                document.set(target.first, target.second, value);
                expected[target] = value;
            }
        }

        const std::string result = document.str();
        const IniDocument reread = parsed(result);
        for (const auto& [target, value] : expected) {
            CAPTURE(target.first);
            CAPTURE(target.second);
            CHECK(document.get(target.first, target.second) == value);
            CHECK(reread.get(target.first, target.second) == value);
        }
        std::vector<std::string> untouched;
        std::string section;
        for (const std::string& line : lines_of(original)) {
            const auto entry = entry_of(line, section);
            if (!entry || !expected.contains(*entry)) {
                untouched.push_back(line);
            }
        }
        CHECK(is_subsequence(untouched, lines_of(result)));
        CHECK(reread.str() == result);
    }
}

}  // namespace credkit
