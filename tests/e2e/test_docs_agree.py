"""`--help`, the man pages and the shell completions describe the same options.

`credkit [COMMAND] --help` is the reference: every option it lists must be in that command's
man page and in the bash, zsh and fish completions, and every option those name must be in
`--help`, so that a renamed or removed option fails here instead of living on in the docs.
The completions agree with `--help` on which options take a value, and offer the values the
binary accepts. The exit status table in credkit(1) must match ErrorKind in
lib/credkit/error.hpp. The config file keys, credential sources and output formats the binary
knows are the ones the pages document, the pages' config examples are accepted by the binary,
and the JSON that credkit-write-s3cfg(1) shows is the shape `write-s3cfg --json` prints. The
presign page documents every value `presign` accepts for its formats, methods and addressing
styles, the fields of its JSON output, its region order and its --expires limits, and its
examples that show their output print exactly that output. The check-expiry page documents
every format it accepts, the fields of its JSON and the metrics of its Prometheus output, and
its exit status on the monitoring scale (0 OK .. 3 UNKNOWN, usage errors included), which the
global page names as the exception to its table. The README lists every command. The pages
must render without warnings and the completion scripts must load, when the tools to check
them are installed.
"""

import functools
import json
import os
import re
import shlex
import shutil
import subprocess
import tempfile
import unittest

from credkit_test import BIN, SOURCE_DIR, CredkitTestCase, MockImds, clean_env

MAN_DIR = os.path.join(SOURCE_DIR, "man")
BASH_COMPLETION = os.path.join(SOURCE_DIR, "completions", "credkit.bash")
ZSH_COMPLETION = os.path.join(SOURCE_DIR, "completions", "_credkit")
FISH_COMPLETION = os.path.join(SOURCE_DIR, "completions", "credkit.fish")
ERROR_HPP = os.path.join(SOURCE_DIR, "lib", "credkit", "error.hpp")
README = os.path.join(SOURCE_DIR, "README.md")

# Commands that exit on the monitoring scale of Nagios plugins instead of the shared table.
MONITORING_SCALE = {"check-expiry": {0: "OK", 1: "WARNING", 2: "CRITICAL", 3: "UNKNOWN"}}

# Options of other programs that the man pages quote in hints (`aws ec2 ...`).
FOREIGN_OPTIONS = {"--iam-instance-profile", "--http-put-response-hop-limit", "--http-endpoint"}

OPTION = re.compile(r"(?<![\w-])(--[A-Za-z0-9][A-Za-z0-9-]*|-[A-Za-z0-9])(?![\w-])")
LONG_OPTION = re.compile(r"(?<![\w-])(--[A-Za-z0-9][A-Za-z0-9-]*)")


# ---- credkit --help ----------------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def run_credkit(*args):
    result = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=30)
    return result.returncode, result.stdout, result.stderr


def help_text(command=None):
    code, out, err = run_credkit(*([command] if command else []), "--help")
    if code != 0:
        raise AssertionError(f"credkit {command or ''} --help exited {code}: {err}")
    return out


def help_groups(command=None):
    """{group heading: set of option names} from `credkit [COMMAND] --help`."""
    groups, group = {}, None
    for line in help_text(command).splitlines():
        heading = re.fullmatch(r"(\S[^:]*):\s*", line)
        if heading:
            group = heading.group(1)
            groups.setdefault(group, set())
            continue
        names = re.match(r"\s+(-[^\s]+)", line)
        if group is not None and names:
            groups[group].update(n for n in names.group(1).split(",") if OPTION.fullmatch(n))
    return groups


def help_options(command=None):
    return set().union(*help_groups(command).values())


# "  -o,--output PATH    The s3cfg..." or "  --also-credentials-file PATH" (description below):
# one space, then an upper-case placeholder, then two spaces or the end of the line.
VALUE_PLACEHOLDER = re.compile(r"^\s+(-\S+) ([A-Z][A-Z0-9_:\[\]]*)(?:\s{2,}|$)", re.M)


def help_value_options(command=None):
    """The options `credkit [COMMAND] --help` shows with a value placeholder."""
    found = set()
    for names, _ in VALUE_PLACEHOLDER.findall(help_text(command)):
        found.update(n for n in names.split(",") if OPTION.fullmatch(n))
    return found


def subcommands():
    text = help_text()
    section = text.split("Subcommands:", 1)[1]
    return re.findall(r"^\s+([a-z][a-z0-9-]*)\s{2,}\S", section, re.M)


def imds_commands():
    return [c for c in subcommands() if help_groups(c).get("IMDS options")]


def accepted_values(command, option):
    """The values the binary accepts for an option, from the error it gives for a bad one."""
    _, _, err = run_credkit(command, option, "not-a-value")
    listed = re.search(r"\{([^}]*)\}", err)
    if not listed:
        raise AssertionError(f"credkit {command} {option} gave no list of values: {err}")
    return set(listed.group(1).split(","))


def source_kinds():
    """The credential sources the binary accepts, from its hint for a bad --source."""
    _, _, err = run_credkit("write-s3cfg", "--check", "--source", "not-a-source",
                            "-o", os.devnull)
    listed = re.search(r"hint: use (.*)", err)
    if not listed:
        raise AssertionError(f"credkit write-s3cfg --source gave no list of sources: {err}")
    return {re.sub(r"\[.*", "", kind) for kind in re.split(r", | or ", listed.group(1).strip())}


def config_error(text):
    """What `credkit --config FILE write-s3cfg` says about a config file holding `text`."""
    with tempfile.TemporaryDirectory(prefix="credkit-docs-") as home:
        path = os.path.join(home, "config.yaml")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        result = subprocess.run([BIN, "--config", path, "write-s3cfg", "--check"],
                                env=clean_env(home), capture_output=True, text=True, timeout=30)
    if result.returncode != 2:
        raise AssertionError(f"a config holding {text!r} exited {result.returncode}, not 2: "
                             f"{result.stderr}")
    return result.stderr


def config_keys():
    """{level: set of keys} the config parser knows, from the hints for an unknown key."""
    probes = {
        "": "not_a_key: 1\n",
        "imds": "imds:\n  not_a_key: 1\n",
        "watch": "watch:\n  not_a_key: 1\n",
        "presign": "presign:\n  not_a_key: 1\n",
        "outputs": "outputs:\n  - path: /nowhere\n    not_a_key: 1\n",
    }
    keys = {}
    for level, text in probes.items():
        hint = re.search(r"hint: [^:]*: (.*)", config_error(text))
        if not hint:
            raise AssertionError(f"no list of keys for an unknown key under {level or 'the top'}")
        keys[level] = set(re.findall(r"[a-z_][a-z0-9_]*", hint.group(1))) - {"or"}
    return keys


def output_formats():
    """The output formats the config file accepts, from the error for an unknown one."""
    err = config_error("outputs:\n  - path: /nowhere\n    format: not-a-format\n")
    listed = re.search(r"expected (.*)", err)
    if not listed:
        raise AssertionError(f"no list of output formats: {err}")
    return set(re.split(r", | or ", listed.group(1).strip()))


def fault_kinds():
    """The fault kinds `credkit mock-imds --help` lists after 'KIND:'."""
    listed = re.search(r"KIND: (.*?)\.", help_text("mock-imds"))
    return {kind.strip().split(":")[0] for kind in listed.group(1).split(",")}


# Placeholder keys for examples that print their output: the ones in the S3 documentation.
EXAMPLE_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
EXAMPLE_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def presign_url(env, *args):
    """The one URL `credkit presign` prints for `args`, signed with the example keys."""
    env = dict(env, AWS_ACCESS_KEY_ID=EXAMPLE_KEY_ID, AWS_SECRET_ACCESS_KEY=EXAMPLE_SECRET)
    result = subprocess.run([BIN, "presign", "--source", "env", "--at", "2026-12-03T15:16:57Z",
                             *args], env=env, capture_output=True, text=True, timeout=30)
    if result.returncode != 0:
        raise AssertionError(f"credkit presign {' '.join(args)} exited {result.returncode}: "
                             f"{result.stderr}")
    return result.stdout.strip()


# ---- man pages ---------------------------------------------------------------------------------

def man_page_path(command=None):
    return os.path.join(MAN_DIR, f"credkit-{command}.1" if command else "credkit.1")


@functools.lru_cache(maxsize=None)
def man_sections(path):
    """[(title, body)] of a roff page, split at .SH."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    sections = []
    for chunk in re.split(r"^\.SH\s+", text, flags=re.M)[1:]:
        title, _, body = chunk.partition("\n")
        sections.append((title.strip().strip('"'), body))
    return sections


def unescape(roff):
    return roff.replace("\\-", "-").replace("\\fB", "").replace("\\fI", "").replace(
        "\\fP", "").replace("\\fR", "")


def page_text(command=None):
    """A page's roff source with the escapes the checks below meet turned into plain text."""
    with open(man_page_path(command), encoding="utf-8") as f:
        text = unescape(f.read())
    return text.replace("\\(dq", '"').replace("\\(aq", "'").replace("\\e", "\\")


def literal_blocks(text):
    """The .nf ... .fi blocks of a page, as plain text."""
    return re.findall(r"^\.nf\n(.*?)^\.fi", text, re.M | re.S)


def shown_examples(text):
    """(command, output) for every literal block that shows a `$ ` command and what it prints.

    The command is the `$ ` line and the lines it continues with a backslash; the output is
    every line after it. Output lines folded for the page are joined back by the caller.
    """
    examples = []
    for block in literal_blocks(text):
        lines = block.splitlines()
        if not lines or not lines[0].startswith("$ "):
            continue
        command = [lines[0][2:]]
        i = 1
        while command[-1].endswith("\\") and i < len(lines):
            command.append(lines[i])
            i += 1
        examples.append(("\n".join(command), "\n".join(lines[i:])))
    return examples


def words_in(roff):
    """The words of a roff fragment, without its markup."""
    plain = re.sub(r"^\.\S+", "", unescape(roff), flags=re.M)
    return set(re.findall(r"[A-Za-z0-9_][A-Za-z0-9_.-]*", plain))


def tagged_lines(body):
    """The tag line of every .TP item in a section body."""
    lines = body.splitlines()
    return [lines[i + 1] for i, line in enumerate(lines[:-1]) if line.strip() == ".TP"]


def documented_options(command=None, section=None):
    """Options the tags of a page's OPTIONS sections name (or of one section only)."""
    found = set()
    for title, body in man_sections(man_page_path(command)):
        if "OPTIONS" in title and (section is None or title == section):
            for tag in tagged_lines(body):
                found.update(OPTION.findall(unescape(tag)))
    return found


def command_page_options(command=None):
    """The options a page documents for its own command: credkit(1)'s are the global ones."""
    if command is None:
        return documented_options(None, "GLOBAL OPTIONS")
    return documented_options(command)


def section_body(command, title):
    for found, body in man_sections(man_page_path(command)):
        if found == title:
            return body
    raise AssertionError(f"{man_page_path(command)} has no {title} section")


# ---- completions -------------------------------------------------------------------------------

BASH_COMPLETE = r"""
source "$1" || exit 3
spec=$(complete -p credkit) || exit 4
function=${spec#*-F }
function=${function%% *}
COMP_WORDS=("${@:2}")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMP_LINE="${COMP_WORDS[*]}"
COMP_POINT=${#COMP_LINE}
COMPREPLY=()
"$function" credkit "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
printf '%s\n' "${COMPREPLY[@]}"
"""


def bash_complete(*words):
    """What the bash completion offers for a command line whose last word is being typed."""
    result = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", BASH_COMPLETE, "bash", BASH_COMPLETION, *words],
        capture_output=True, text=True, timeout=30)
    if result.returncode != 0:
        raise AssertionError(f"bash completion failed ({result.returncode}): {result.stderr}")
    return [line for line in result.stdout.splitlines() if line]


def zsh_functions():
    with open(ZSH_COMPLETION, encoding="utf-8") as f:
        text = f.read()
    return dict(re.findall(r"^([\w-]+)\(\) \{\n(.*?)^\}", text, re.M | re.S))


def zsh_spec_options(body):
    """Options named by the _arguments specs (the quoted lines) of a zsh function."""
    found = set()
    for line in body.splitlines():
        if line.strip().startswith("'"):
            found.update(OPTION.findall(re.sub(r"\[[^\]]*\]", "", line)))
    return found


def zsh_spec_value_options(body):
    """Options that the _arguments specs of a zsh function give a value (`--opt=`, `-o+`)."""
    found = set()
    for line in body.splitlines():
        if line.strip().startswith("'"):
            spec = re.sub(r"\[[^\]]*\]", "", line)
            spec = re.sub(r"\([^)]*\)", "", spec)  # exclusion lists and lists of values
            found.update(re.findall(r"(?<![\w-])(--?[A-Za-z0-9][\w-]*)[=+]", spec))
    return found


def zsh_value_options(command=None):
    functions = zsh_functions()
    if command is None:
        return zsh_spec_value_options(functions["_credkit"])
    body = functions["_credkit_" + command.replace("-", "_")]
    found = zsh_spec_value_options(body)
    if "_credkit_common_options" in body:
        found |= zsh_spec_value_options(functions["_credkit_common_options"])
    return found


def zsh_options(command=None):
    functions = zsh_functions()
    if command is None:
        return zsh_spec_options(functions["_credkit"])
    body = functions["_credkit_" + command.replace("-", "_")]
    found = zsh_spec_options(body)
    if "_credkit_common_options" in body:
        found |= zsh_spec_options(functions["_credkit_common_options"])
    return found


def zsh_action_values(command, option):
    """The values a zsh spec offers for an option: its (list), or what its function adds."""
    functions = zsh_functions()
    body = functions["_credkit_" + command.replace("-", "_")]
    spec = re.search(re.escape(option) + r"=?\}?'?\[[^\]]*\]:[^:]*:([^']*)'", body)
    if not spec:
        return set()
    action = spec.group(1)
    if action.startswith("("):
        return set(action.strip("()").split())
    added = re.search(r"compadd -- (.*)", functions.get(action, ""))
    return set(shlex.split(added.group(1))) if added else set()


ZSH_COMPLETE = r"""
zmodload zsh/zpty || exit 77
dir=$1 line=$2; shift 2
zpty z zsh -f -i
zpty -w z "PS1='> '; fpath=($dir \$fpath); autoload -Uz compinit; compinit -u -D; print READY"
out=""; integer deadline=$(( SECONDS + 20 ))
while (( SECONDS < deadline )) && [[ $out != *READY*'> '* ]]; do
  zpty -r -t z chunk && out+=$chunk || sleep 0.05
done
zpty -w -n z "$line"$'\t'
out=""
while (( SECONDS < deadline )); do
  zpty -r -t z chunk && out+=$chunk || sleep 0.05
  all=1; for word in "$@"; do [[ $out == *$word* ]] || all=0; done
  (( all )) && break
done
zpty -d z
print -r -- "$out"
"""


def zsh_complete(line, *expected):
    """What an interactive zsh shows after `line` and TAB (waiting until `expected` appear)."""
    result = subprocess.run(
        ["zsh", "-f", "-c", ZSH_COMPLETE, "zsh", os.path.dirname(ZSH_COMPLETION), line,
         *expected], capture_output=True, text=True, timeout=60)
    if result.returncode == 77:
        raise unittest.SkipTest("zsh has no zpty module")
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", result.stdout)


def fish_lines():
    """The words of every `complete -c credkit` command, continuation lines joined."""
    with open(FISH_COMPLETION, encoding="utf-8") as f:
        text = f.read().replace("\\\n", " ")
    return [shlex.split(line) for line in text.splitlines()
            if line.startswith("complete -c credkit")]


def fish_flag(words, flag):
    return words[words.index(flag) + 1] if flag in words else None


def fish_applies(words, command):
    """Whether a `complete` line is in effect after `credkit COMMAND` (None: no command yet)."""
    condition = fish_flag(words, "-n")
    if condition is None:
        return True
    if condition.startswith("not __fish_seen_subcommand_from"):
        return command is None
    match = re.fullmatch(r"__fish_seen_subcommand_from (.*)", condition)
    return bool(match) and command in match.group(1).split()


def fish_options(command=None):
    found = set()
    for words in fish_lines():
        if fish_applies(words, command):
            for i, word in enumerate(words[:-1]):
                if word == "-s":
                    found.add("-" + words[i + 1])
                elif word in ("-l", "-o"):
                    found.add(("--" if word == "-l" else "-") + words[i + 1])
    return found


def fish_value_options(command=None):
    """Options whose `complete` line says they take a value (-r or -x)."""
    found = set()
    for words in fish_lines():
        if fish_applies(words, command) and ("-r" in words or "-x" in words):
            for i, word in enumerate(words[:-1]):
                if word == "-s":
                    found.add("-" + words[i + 1])
                elif word in ("-l", "-o"):
                    found.add(("--" if word == "-l" else "-") + words[i + 1])
    return found


def fish_values(command, long_option):
    for words in fish_lines():
        if fish_flag(words, "-l") == long_option.lstrip("-") and fish_applies(words, command):
            return set(fish_flag(words, "-a").split())
    return set()


def fish_complete(line):
    result = subprocess.run(
        ["fish", "--no-config", "-c",
         f"source {shlex.quote(FISH_COMPLETION)}; complete -C{shlex.quote(line)}"],
        capture_output=True, text=True, timeout=30)
    return [entry.split("\t")[0] for entry in result.stdout.splitlines()]


# ---- the tests ---------------------------------------------------------------------------------

class HelpIsReadable(unittest.TestCase):
    def test_help_lists_options_and_commands_for_the_checks_below(self):
        self.assertIn("--help", help_options())
        self.assertIn("fetch-creds", subcommands())
        self.assertIn("--format", help_options("fetch-creds"))
        self.assertIn("write-s3cfg", subcommands())
        self.assertLessEqual({"-o", "--watch", "--json"}, help_options("write-s3cfg"))
        self.assertLessEqual({"-o", "--output", "--source", "--config"},
                             help_value_options("write-s3cfg") | help_value_options())
        self.assertFalse({"--watch", "--json", "--check"} & help_value_options("write-s3cfg"))
        self.assertLessEqual({"imds", "env", "profile", "s3cfg", "auto"}, source_kinds())
        self.assertIn("presign", subcommands())
        self.assertLessEqual({"-i", "--input", "--bucket", "--expires", "--method", "--at"},
                             help_value_options("presign"))
        self.assertFalse({"--strict-expiry", "--botocore-compat"} & help_value_options("presign"))
        self.assertIn("check-expiry", subcommands())
        self.assertLessEqual({"--url", "--file", "--section", "--warn", "--crit", "--format",
                              "--at", "--source", "--profile"}, help_value_options("check-expiry"))
        self.assertFalse({"--env", "--imds"} & help_value_options("check-expiry"))


class ManPagesAgreeWithHelp(unittest.TestCase):
    def test_every_command_has_a_man_page(self):
        for command in [None, *subcommands()]:
            with self.subTest(command=command):
                self.assertTrue(os.path.isfile(man_page_path(command)),
                                f"{man_page_path(command)} is missing")

    def test_every_option_in_help_is_documented_in_the_man_page(self):
        for command in [None, *subcommands()]:
            with self.subTest(command=command):
                missing = help_options(command) - command_page_options(command)

                self.assertFalse(missing, f"options in `credkit {command or ''} --help` are "
                                          f"missing from {man_page_path(command)}")

    def test_man_pages_document_no_option_missing_from_help(self):
        for command in [None, *subcommands()]:
            with self.subTest(command=command):
                stale = command_page_options(command) - help_options(command)

                self.assertFalse(stale, f"{man_page_path(command)} documents options that "
                                        f"`credkit {command or ''} --help` lacks")

    def test_global_page_lists_exactly_the_imds_options_of_every_imds_command(self):
        documented = documented_options(None, "IMDS OPTIONS")
        self.assertTrue(imds_commands(), "no command shows an 'IMDS options' group in --help")

        for command in imds_commands():
            with self.subTest(command=command):
                self.assertEqual(documented, help_groups(command)["IMDS options"])

    def test_man_pages_mention_no_long_option_that_credkit_lacks(self):
        known = help_options().union(*(help_options(c) for c in subcommands())) | FOREIGN_OPTIONS
        for command in [None, *subcommands()]:
            with self.subTest(page=man_page_path(command)):
                with open(man_page_path(command), encoding="utf-8") as f:
                    mentioned = set(LONG_OPTION.findall(unescape(f.read())))

                unknown = mentioned - known
                self.assertFalse(unknown, f"{man_page_path(command)} mentions options no "
                                          f"credkit command has: {sorted(unknown)}")

    def test_global_page_lists_every_command_and_refers_to_its_page(self):
        body = section_body(None, "COMMANDS")
        listed = [unescape(tag).split()[-1] for tag in tagged_lines(body)]
        self.assertEqual(sorted(listed), sorted(subcommands()))

        see_also = unescape(section_body(None, "SEE ALSO"))
        for command in subcommands():
            self.assertIn(f"credkit-{command} (1)", see_also)


class ManPagesAgreeWithTheBinary(CredkitTestCase):
    """What the pages say about write-s3cfg and the config file, checked against the binary."""

    def test_write_s3cfg_page_documents_every_source_the_binary_accepts(self):
        body = section_body("write-s3cfg", "OPTIONS")
        documented = {unescape(tag).split()[1] for tag in tagged_lines(body)
                      if not tag.lstrip(".BIR ").startswith("\\-")}

        self.assertLessEqual(source_kinds(), documented)

    def test_pages_document_every_output_format_the_config_accepts(self):
        for command in [None, "write-s3cfg"]:
            with self.subTest(page=man_page_path(command)):
                section = "FILES" if command is None else "CONFIG FILE"
                documented = words_in(section_body(command, section))

                self.assertLessEqual(output_formats(), documented)

    def test_global_page_documents_every_config_key_the_binary_knows(self):
        documented = words_in(section_body(None, "FILES"))

        for level, keys in config_keys().items():
            with self.subTest(level=level or "top"):
                self.assertLessEqual(keys, documented)

    def test_write_s3cfg_page_documents_every_output_and_watch_key(self):
        documented = words_in(section_body("write-s3cfg", "CONFIG FILE"))
        keys = config_keys()

        self.assertLessEqual(keys["outputs"] | keys["watch"] | (keys[""] - {"imds", "presign"}),
                             documented)

    def test_presign_page_documents_every_presign_key(self):
        documented = words_in(page_text("presign"))

        self.assertLessEqual(config_keys()["presign"], documented)

    def test_config_examples_in_the_pages_are_accepted_with_their_outputs(self):
        examples = [(command, block) for command in [None, "write-s3cfg"]
                    for block in literal_blocks(page_text(command)) if "outputs:" in block]
        self.assertEqual(len(examples), 2, "expected one config example in each page")
        out = self.path("out")
        os.mkdir(out)

        with MockImds("--role", "my-instance-role") as imds:
            for command, block in examples:
                with self.subTest(page=man_page_path(command)):
                    config = self.path("config.yaml")
                    with open(config, "w", encoding="utf-8") as f:
                        f.write(block.replace("/run/credkit/", out + "/"))

                    result = self.credkit("--config", config, "write-s3cfg", "--check", "--json",
                                          "--imds-endpoint", imds.endpoint)

                    # Exit 1: the files would be written. The paths prove the outputs were read.
                    self.assertExit(result, 1)
                    paths = [o["path"] for o in json.loads(result.stdout)["outputs"]]
                    expected = re.findall(r"^\s*- path: (\S+)", block, re.M)
                    self.assertEqual(paths, [p.replace("/run/credkit/", out + "/")
                                             for p in expected])
        self.assertEqual(os.listdir(out), [], "--check wrote files")

    def test_write_s3cfg_page_shows_the_json_that_json_prints(self):
        shown = next((b for b in literal_blocks(section_body("write-s3cfg", "JSON OUTPUT"))),
                     None)
        self.assertIsNotNone(shown, "JSON OUTPUT has no example")
        shown = json.loads(" ".join(line.strip() for line in unescape(shown).splitlines()))

        with MockImds() as imds:
            result = self.credkit("write-s3cfg", "--json", "--imds-endpoint", imds.endpoint,
                                  "-o", self.path("hts.s3cfg"),
                                  "--also-credentials-file", self.path("credentials"))
        self.assertExit(result, 0)
        printed = json.loads(result.stdout)

        self.assertEqual(list(shown), list(printed))
        self.assertEqual([list(o) for o in shown["outputs"]],
                         [list(o) for o in printed["outputs"]])
        self.assertEqual({k: type(v) for k, v in shown.items()},
                         {k: type(v) for k, v in printed.items()})
        described = [unescape(tag).split()[-1]
                     for tag in tagged_lines(section_body("write-s3cfg", "JSON OUTPUT"))]
        self.assertEqual(described, list(printed))


    def test_presign_page_documents_every_value_the_binary_accepts(self):
        documented = words_in(section_body("presign", "OPTIONS"))
        for option in ("--format", "--method", "--addressing-style"):
            with self.subTest(option=option):
                self.assertLessEqual(accepted_values("presign", option), documented)

    def test_presign_page_documents_the_fields_that_json_prints(self):
        body = section_body("presign", "OUTPUT")
        fields = re.search(r"^\.B json\n.*?^\.RS\n(.*?)^\.RE", body, re.M | re.S)
        self.assertIsNotNone(fields, "OUTPUT does not list the fields of json")
        described = [unescape(tag).split()[-1] for tag in tagged_lines(fields.group(1))]

        printed = json.loads(presign_url(self.env, "-f", "json", "s3://my-bucket/k"))

        self.assertEqual(described, list(printed))

    def test_presign_page_examples_print_what_they_show(self):
        examples = [e for e in shown_examples(page_text("presign")) if "credkit presign" in e[0]]
        self.assertGreaterEqual(len(examples), 2, "expected examples that show their output")
        bindir = self.path("bin")
        os.mkdir(bindir)
        os.symlink(os.path.abspath(shutil.which(BIN) or BIN), os.path.join(bindir, "credkit"))
        env = dict(self.env, PATH=bindir + os.pathsep + self.env.get("PATH", ""),
                   AWS_EC2_METADATA_DISABLED="true")

        for command, shown in examples:
            with self.subTest(command=command):
                result = subprocess.run(["bash", "-c", command + " 2>&1"], env=env,
                                        capture_output=True, text=True, timeout=30)

                self.assertEqual(result.returncode, 0, result.stdout)
                # The page folds long lines: compare without the whitespace folding adds.
                self.assertEqual(re.sub(r"\s+", "", result.stdout), re.sub(r"\s+", "", shown))

    def test_presign_page_gives_the_regions_in_the_order_the_binary_takes_them(self):
        body = unescape(section_body("presign", "REGION"))
        order = ["--region", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_CONFIG_FILE", "us-east-1"]
        for name in order:
            self.assertIn(name, body)
        self.assertEqual(sorted(order, key=body.index), order)
        config = self.path("aws-config")
        with open(config, "w", encoding="utf-8") as f:
            f.write("[default]\nregion = eu-north-1\n[profile other]\nregion = sa-east-1\n")

        # Each case sets its source of the region and every source below it in the order.
        both = {"AWS_REGION": "eu-west-2", "AWS_DEFAULT_REGION": "eu-west-3"}
        cases = [(both, ["--region", "ap-south-1"], "ap-south-1"),
                 (both, [], "eu-west-2"),
                 ({"AWS_DEFAULT_REGION": "eu-west-3"}, [], "eu-west-3"),
                 ({}, [], "eu-north-1"),
                 ({}, ["--profile", "other"], "sa-east-1")]
        for variables, args, region in cases:
            env = dict(self.env, AWS_CONFIG_FILE=config, **variables)
            with self.subTest(region=region):
                url = presign_url(env, *args, "s3://my-bucket/k")

                self.assertIn(f"%2F{region}%2Fs3%2F", url)
        url = presign_url(self.env, "s3://my-bucket/k")  # nothing set, no config file
        self.assertIn("%2Fus-east-1%2Fs3%2F", url)

    def test_presign_page_states_the_expires_limits_the_binary_enforces(self):
        body = unescape(section_body("presign", "OPTIONS"))
        self.assertRegex(body, r"\n\.B 1s\nto\n\.B 7d\n")
        env = dict(self.env, AWS_ACCESS_KEY_ID=EXAMPLE_KEY_ID,
                   AWS_SECRET_ACCESS_KEY=EXAMPLE_SECRET)
        for expires, code in (("1s", 0), ("7d", 0), ("604800", 0), ("0", 2), ("7d1s", 2)):
            with self.subTest(expires=expires):
                result = self.credkit("presign", "--source", "env", "--expires", expires,
                                      "s3://my-bucket/k", env=env)

                self.assertExit(result, code)

    def test_presign_page_gives_the_exit_status_of_a_batch_with_a_bad_line(self):
        env = dict(self.env, AWS_ACCESS_KEY_ID=EXAMPLE_KEY_ID,
                   AWS_SECRET_ACCESS_KEY=EXAMPLE_SECRET)
        result = self.credkit("presign", "--source", "env", "-i", "-", env=env,
                              input="s3://my-bucket/a\nnot-a-url\ns3://my-bucket/b\n")

        self.assertEqual(len(result.stdout.splitlines()), 2)
        self.assertIn("line 2:", result.stderr)
        codes = ExitStatusTable.documented_codes("presign")
        self.assertIn(result.returncode, codes)
        self.assertEqual(result.returncode, ExitStatusTable.error_kind_values()["partial_failure"])


class CheckExpiryPageAgreesWithTheBinary(CredkitTestCase):
    """What credkit-check-expiry(1) says about formats, fields and metrics, against the binary."""

    def check_expiry(self, *args):
        env = dict(self.env, AWS_CREDENTIAL_EXPIRATION="2026-12-03T16:16:57Z")
        return self.credkit("check-expiry", "--env", "--at", "2026-12-03T15:16:57Z", *args,
                            env=env)

    def test_page_documents_every_format_and_source_the_binary_accepts(self):
        documented = words_in(section_body("check-expiry", "OPTIONS"))

        self.assertLessEqual(accepted_values("check-expiry", "--format"), documented)
        self.assertLessEqual(source_kinds(), documented)

    def test_page_documents_the_fields_that_json_prints(self):
        body = section_body("check-expiry", "OUTPUT")
        fields = re.search(r"^\.B json\n.*?^\.RS\n(.*?)^\.RE", body, re.M | re.S)
        self.assertIsNotNone(fields, "OUTPUT does not list the fields of json")
        described = [unescape(tag).split()[-1] for tag in tagged_lines(fields.group(1))]

        result = self.check_expiry("--format", "json")

        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(described, list(json.loads(result.stdout)))

    def test_page_documents_exactly_the_metrics_that_prometheus_prints(self):
        body = section_body("check-expiry", "OUTPUT")
        metrics = re.search(r"^\.B prometheus\n.*?^\.RS\n(.*?)^\.RE", body, re.M | re.S)
        self.assertIsNotNone(metrics, "OUTPUT does not list the metrics of prometheus")
        described = [unescape(tag).split()[-1] for tag in tagged_lines(metrics.group(1))]

        result = self.check_expiry("--format", "prometheus")

        self.assertEqual(result.returncode, 0, result.stderr)
        printed = re.findall(r"^# TYPE (\S+) gauge$", result.stdout, re.M)
        self.assertEqual(described, printed)

    def test_page_names_every_kind_of_input_the_json_shows(self):
        documented = words_in(section_body("check-expiry", "OUTPUT"))

        result = self.check_expiry("--format", "json")

        self.assertIn(json.loads(result.stdout)["kind"], documented)
        self.assertLessEqual({"url", "file", "env", "imds", "credentials"}, documented)


class ReadmeAgreesWithHelp(unittest.TestCase):
    def test_readme_command_table_lists_every_command(self):
        with open(README, encoding="utf-8") as f:
            listed = re.findall(r"^\| `credkit ([a-z][a-z0-9-]*)` \|", f.read(), re.M)

        self.assertEqual(sorted(listed), sorted(subcommands()))


class ExitStatusTable(unittest.TestCase):
    @staticmethod
    def error_kind_values():
        with open(ERROR_HPP, encoding="utf-8") as f:
            enum = re.search(r"enum class ErrorKind\s*\{(.*?)\};", f.read(), re.S).group(1)
        return {name: int(value) for name, value in re.findall(r"(\w+)\s*=\s*(\d+)", enum)}

    @staticmethod
    def documented_codes(command=None):
        body = section_body(command, "EXIT STATUS")
        return [int(m.group(1)) for tag in tagged_lines(body)
                if (m := re.fullmatch(r"\.B\s+(\d+)\s*", tag))]

    def test_global_page_lists_success_and_every_error_kind_once(self):
        kinds = self.error_kind_values()
        self.assertTrue(kinds, "no ErrorKind values found in error.hpp")

        codes = self.documented_codes()

        self.assertEqual(sorted(codes), sorted({0, *kinds.values()}),
                         f"credkit(1) EXIT STATUS lists {codes}, ErrorKind has {kinds}")

    def test_global_page_promises_the_numbers_never_change(self):
        self.assertIn("never renumbered", section_body(None, "EXIT STATUS"))

    def test_command_pages_use_only_codes_from_the_table(self):
        table = {0, *self.error_kind_values().values()}
        for command in subcommands():
            if command in MONITORING_SCALE:
                continue  # checked below: its codes mean something else
            with self.subTest(command=command):
                codes = set(self.documented_codes(command))
                self.assertTrue(codes, f"{man_page_path(command)} has no exit codes")
                self.assertLessEqual(codes, table)

    def test_monitoring_commands_list_exactly_the_monitoring_scale(self):
        self.assertIn("check-expiry", subcommands())
        for command, scale in MONITORING_SCALE.items():
            with self.subTest(command=command):
                body = unescape(section_body(command, "EXIT STATUS"))

                self.assertEqual(self.documented_codes(command), sorted(scale))
                for code, word in scale.items():
                    self.assertRegex(body, rf"\.B {code}\n{word}\b")
                self.assertIn("monitoring scale", body)

    def test_global_page_names_the_commands_on_the_monitoring_scale(self):
        body = unescape(section_body(None, "EXIT STATUS"))

        for command in MONITORING_SCALE:
            self.assertIn(command, body)
        self.assertIn("monitoring", body)
        self.assertIn("3 UNKNOWN", body)

    def test_monitoring_commands_exit_unknown_on_a_usage_error_not_the_table_code(self):
        usage = self.error_kind_values()["usage"]
        for command in MONITORING_SCALE:
            for args in (["--no-such-option"], ["--format", "not-a-format"]):
                with self.subTest(command=command, args=args):
                    code, _, err = run_credkit(command, *args)

                    self.assertEqual(code, 3, err)
                    self.assertNotEqual(code, usage)
                    self.assertIn("credkit: error: ", err)


class ManPagesRender(unittest.TestCase):
    def pages(self):
        return [man_page_path(c) for c in [None, *subcommands()]]

    def test_pages_render_without_warnings(self):
        if shutil.which("groff"):
            render = ["groff", "-man", "-Tutf8", "-ww", "-z"]
        elif shutil.which("man"):
            render = ["man", "--warnings", "-l"]
        else:
            self.skipTest("neither groff nor man is installed")
        for page in self.pages():
            with self.subTest(page=page):
                result = subprocess.run([*render, page], capture_output=True, text=True,
                                        timeout=60)

                self.assertEqual(result.returncode, 0, result.stderr)
                self.assertEqual(result.stderr, "", f"{page} renders with warnings")

    def test_page_titles_match_file_names(self):
        for page in self.pages():
            with self.subTest(page=page):
                with open(page, encoding="utf-8") as f:
                    title = re.search(r"^\.TH\s+(\S+)\s+(\d)", f.read(), re.M)
                name = os.path.basename(page)
                self.assertEqual(unescape(title.group(1)).lower() + "." + title.group(2), name)


class BashCompletion(CredkitTestCase):
    def test_script_passes_syntax_check(self):
        result = subprocess.run(["bash", "-n", BASH_COMPLETION], capture_output=True, text=True)

        self.assertEqual(result.returncode, 0, result.stderr)

    def test_offers_the_commands_before_one_is_given(self):
        offered = bash_complete("credkit", "")

        self.assertEqual(sorted(offered), sorted(subcommands()))

    def test_offers_exactly_the_top_level_options_in_help(self):
        offered = set(bash_complete("credkit", "-"))

        self.assertEqual(offered, help_options())

    def test_offers_each_commands_options_and_no_unknown_one(self):
        for command in subcommands():
            with self.subTest(command=command):
                offered = set(bash_complete("credkit", command, "-"))

                missing = help_options(command) - offered
                self.assertFalse(missing, f"bash completion lacks {sorted(missing)}")
                unknown = offered - help_options(command) - help_options()
                self.assertFalse(unknown, f"bash completion offers unknown {sorted(unknown)}")

    def test_completes_a_partial_option_name(self):
        offered = bash_complete("credkit", "fetch-creds", "--for")

        self.assertEqual(offered, ["--format"])

    def test_offers_every_format_the_binary_accepts_after_format(self):
        offered = bash_complete("credkit", "fetch-creds", "--format", "")

        self.assertEqual(set(offered), accepted_values("fetch-creds", "--format"))

    def test_narrows_format_values_by_prefix_also_after_an_equals_sign(self):
        self.assertEqual(bash_complete("credkit", "fetch-creds", "-f", "cr"),
                         ["credential-process"])
        self.assertEqual(bash_complete("credkit", "fetch-creds", "--format", "=", "cr"),
                         ["credential-process"])
        self.assertEqual(bash_complete("credkit", "fetch-creds", "--format=cr"),
                         ["--format=credential-process"])

    def test_offers_the_values_presign_accepts(self):
        for option in ("--format", "-f", "--method", "--addressing-style"):
            with self.subTest(option=option):
                offered = bash_complete("credkit", "presign", option, "")

                self.assertEqual(set(offered), accepted_values("presign", option))
        self.assertEqual(set(bash_complete("credkit", "presign", "--source", "")), source_kinds())
        self.assertEqual(bash_complete("credkit", "presign", "-f", "t"), ["tsv"])

    def test_offers_the_values_check_expiry_accepts(self):
        for option in ("--format", "-f"):
            with self.subTest(option=option):
                offered = bash_complete("credkit", "check-expiry", option, "")

                self.assertEqual(set(offered), accepted_values("check-expiry", option))
        self.assertEqual(set(bash_complete("credkit", "check-expiry", "--source", "")),
                         source_kinds())
        self.assertEqual(bash_complete("credkit", "check-expiry", "-f", "na"), ["nagios"])

    def test_offers_the_imds_modes_the_binary_accepts(self):
        for command in imds_commands():
            with self.subTest(command=command):
                offered = bash_complete("credkit", command, "--imds-mode", "")

                self.assertEqual(set(offered), accepted_values(command, "--imds-mode"))

    def test_offers_every_source_the_binary_accepts(self):
        offered = bash_complete("credkit", "write-s3cfg", "--source", "")

        self.assertEqual(set(offered), source_kinds())

    def test_offers_no_option_or_command_where_a_value_is_due(self):
        commands = set(subcommands())
        for command in subcommands():
            for option in sorted(help_value_options(command)):
                with self.subTest(command=command, option=option):
                    offered = bash_complete("credkit", command, option, "")

                    wrong = [w for w in offered if w.startswith("-") or w in commands]
                    self.assertFalse(wrong, f"bash offers {wrong} as the value of {option}")

    def test_offers_every_fault_kind_in_help(self):
        offered = bash_complete("credkit", "mock-imds", "--fault", "")

        self.assertEqual({kind.rstrip(":") for kind in offered}, fault_kinds())

    def test_completes_file_names_after_file_options(self):
        open(self.path("settings.yaml"), "w").close()
        prefix = self.path("sett")
        cases = [("credkit", "fetch-creds", "-o", prefix),
                 ("credkit", "fetch-creds", "--output", prefix),
                 ("credkit", "--config", prefix),
                 ("credkit", "write-s3cfg", "-o", prefix),
                 ("credkit", "write-s3cfg", "--output", prefix),
                 ("credkit", "write-s3cfg", "--also-credentials-file", prefix),
                 ("credkit", "mock-imds", "--port-file", prefix),
                 ("credkit", "presign", "-i", prefix),
                 ("credkit", "presign", "--input", prefix),
                 ("credkit", "check-expiry", "--file", prefix)]
        for words in cases:
            with self.subTest(words=words):
                self.assertEqual(bash_complete(*words), [self.path("settings.yaml")])

    def test_finds_the_command_after_a_global_option_with_a_value(self):
        offered = bash_complete("credkit", "--config", "x.yaml", "fetch-creds", "--imds-m")

        self.assertEqual(offered, ["--imds-mode"])
        offered = bash_complete("credkit", "--config", "x.yaml", "write-s3cfg", "--wa")

        self.assertEqual(offered, ["--watch"])

    def test_offers_nothing_for_values_nobody_can_guess(self):
        self.assertEqual(bash_complete("credkit", "fetch-creds", "--role", ""), [])
        for option in ("--section", "--profile", "--refresh-margin", "--owner"):
            with self.subTest(option=option):
                self.assertEqual(bash_complete("credkit", "write-s3cfg", option, ""), [])
        for option in ("--bucket", "--expires", "--region", "--endpoint-url", "--at",
                       "--content-type", "--response-content-disposition", "--version-id"):
            with self.subTest(option=option):
                self.assertEqual(bash_complete("credkit", "presign", option, ""), [])
        for option in ("--url", "--section", "--profile", "--warn", "--crit", "--at"):
            with self.subTest(option=option):
                self.assertEqual(bash_complete("credkit", "check-expiry", option, ""), [])


class ZshCompletion(unittest.TestCase):
    def test_first_line_registers_the_completion_for_credkit(self):
        with open(ZSH_COMPLETION, encoding="utf-8") as f:
            self.assertEqual(f.readline().strip(), "#compdef credkit")

    def test_names_exactly_the_top_level_options_in_help(self):
        self.assertEqual(zsh_options(), help_options())

    def test_names_each_commands_options_and_no_unknown_one(self):
        for command in subcommands():
            with self.subTest(command=command):
                named = zsh_options(command)

                missing = help_options(command) - named
                self.assertFalse(missing, f"zsh completion lacks {sorted(missing)}")
                unknown = named - help_options(command) - help_options()
                self.assertFalse(unknown, f"zsh completion names unknown {sorted(unknown)}")

    def test_describes_every_command(self):
        body = zsh_functions()["_credkit_commands"]

        described = re.findall(r"^\s+'([a-z][a-z0-9-]*):", body, re.M)

        self.assertEqual(sorted(described), sorted(subcommands()))

    def test_gives_a_value_to_exactly_the_options_that_take_one(self):
        for command in [None, *subcommands()]:
            with self.subTest(command=command):
                takes = zsh_value_options(command) & help_options(command)

                self.assertEqual(takes, help_value_options(command))

    def test_offers_the_values_the_binary_accepts(self):
        self.assertEqual(zsh_action_values("fetch-creds", "--format"),
                         accepted_values("fetch-creds", "--format"))
        for command in imds_commands():
            self.assertEqual(zsh_action_values(command, "--imds-mode"),
                             accepted_values(command, "--imds-mode"))
        self.assertEqual(zsh_action_values("write-s3cfg", "--source"), source_kinds())
        for option in ("--format", "--method", "--addressing-style"):
            self.assertEqual(zsh_action_values("presign", option),
                             accepted_values("presign", option))
        self.assertEqual(zsh_action_values("presign", "--source"), source_kinds())
        self.assertEqual(zsh_action_values("check-expiry", "--format"),
                         accepted_values("check-expiry", "--format"))
        self.assertEqual(zsh_action_values("check-expiry", "--source"), source_kinds())
        kinds = re.findall(r"^\s+'([a-z-]+)\[", zsh_functions()["_credkit_faults"], re.M)
        self.assertEqual(set(kinds), fault_kinds())

    def test_script_passes_syntax_check(self):
        if not shutil.which("zsh"):
            self.skipTest("zsh is not installed")

        result = subprocess.run(["zsh", "-n", ZSH_COMPLETION], capture_output=True, text=True)

        self.assertEqual(result.returncode, 0, result.stderr)

    def test_zsh_itself_lists_every_format_after_format(self):
        if not shutil.which("zsh"):
            self.skipTest("zsh is not installed")
        formats = accepted_values("fetch-creds", "--format")

        shown = zsh_complete("credkit fetch-creds --format ", *formats)

        for value in formats:
            self.assertRegex(shown, rf"(?<![\w-]){re.escape(value)}(?![\w-])")


class FishCompletion(unittest.TestCase):
    def test_names_exactly_the_top_level_options_in_help(self):
        self.assertEqual(fish_options(), help_options())

    def test_names_each_commands_options_and_no_unknown_one(self):
        for command in subcommands():
            with self.subTest(command=command):
                named = fish_options(command)

                missing = help_options(command) - named
                self.assertFalse(missing, f"fish completion lacks {sorted(missing)}")
                unknown = named - help_options(command) - help_options()
                self.assertFalse(unknown, f"fish completion names unknown {sorted(unknown)}")

    def test_offers_every_command_until_one_is_given(self):
        offered = [fish_flag(words, "-a") for words in fish_lines()
                   if fish_flag(words, "-a") and fish_applies(words, None)
                   and fish_flag(words, "-n")]
        condition = {fish_flag(words, "-n") for words in fish_lines()
                     if (fish_flag(words, "-n") or "").startswith("not ")}

        self.assertEqual(sorted(offered), sorted(subcommands()))
        self.assertEqual(condition,
                         {"not __fish_seen_subcommand_from " + " ".join(subcommands())})

    def test_gives_a_value_to_exactly_the_options_that_take_one(self):
        for command in [None, *subcommands()]:
            with self.subTest(command=command):
                takes = fish_value_options(command) & help_options(command)

                self.assertEqual(takes, help_value_options(command))

    def test_offers_the_values_the_binary_accepts(self):
        self.assertEqual(fish_values("fetch-creds", "--format"),
                         accepted_values("fetch-creds", "--format"))
        for command in imds_commands():
            self.assertEqual(fish_values(command, "--imds-mode"),
                             accepted_values(command, "--imds-mode"))
        self.assertEqual(fish_values("write-s3cfg", "--source"), source_kinds())
        for option in ("--format", "--method", "--addressing-style"):
            self.assertEqual(fish_values("presign", option), accepted_values("presign", option))
        self.assertEqual(fish_values("presign", "--source"), source_kinds())
        self.assertEqual(fish_values("check-expiry", "--format"),
                         accepted_values("check-expiry", "--format"))
        self.assertEqual(fish_values("check-expiry", "--source"), source_kinds())
        self.assertEqual({kind.rstrip(":") for kind in fish_values("mock-imds", "--fault")},
                         fault_kinds())

    def test_script_passes_syntax_check(self):
        if not shutil.which("fish"):
            self.skipTest("fish is not installed")

        result = subprocess.run(["fish", "--no-config", "-n", FISH_COMPLETION],
                                capture_output=True, text=True)

        self.assertEqual(result.returncode, 0, result.stderr)

    def test_fish_itself_offers_each_commands_options(self):
        if not shutil.which("fish"):
            self.skipTest("fish is not installed")
        for command in subcommands():
            with self.subTest(command=command):
                offered = set(fish_complete(f"credkit {command} -"))

                self.assertLessEqual(help_options(command), offered)
                self.assertLessEqual(offered, help_options(command) | help_options())


if __name__ == "__main__":
    unittest.main()
