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
global page names as the exception to its table. The diagnose page documents every hazard code
the binary knows with its severity and no other, the providers of each tool in the order the
binary tries them, the fields of its JSON output (with and without a probe) and an example of
that JSON with the shape the binary prints, and its exit status on the monitoring scale (0
nothing found, 1 warnings, 2 errors and usage errors). The README lists every command. The
pages must render without warnings and the completion scripts must load, when the tools to
check them are installed.
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

# Commands that exit on the monitoring scale of Nagios plugins instead of the shared table,
# and the code each gives a usage error on that scale.
MONITORING_SCALE = {"check-expiry": {0: "OK", 1: "WARNING", 2: "CRITICAL", 3: "UNKNOWN"},
                    "diagnose": {0: "OK", 1: "WARNING", 2: "CRITICAL"}}
MONITORING_USAGE_EXIT = {"check-expiry": 3, "diagnose": 2}

# Commands that take only the IMDS options that say where the service is.
LOCATION_ONLY_IMDS = {"diagnose": {"--imds-endpoint", "--imds-mode", "--imds-timeout"}}

# Options of other programs that the man pages quote in hints (`aws ec2 ...`).
FOREIGN_OPTIONS = {"--iam-instance-profile", "--http-put-response-hop-limit", "--http-endpoint",
                   "--http-tokens"}

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


def subsections(body):
    """{title: body} of the .SS subsections of a section body."""
    found = {}
    for chunk in re.split(r"^\.SS\s+", body, flags=re.M)[1:]:
        title, _, rest = chunk.partition("\n")
        found[unescape(title.strip().strip('"')).replace("\\(dq", '"')] = rest
    return found


def tag_words(tag):
    """The words of a .TP tag line, without its macro and punctuation: `.BR a ", " b` -> a, b."""
    words = shlex.split(unescape(tag).split(None, 1)[1])
    return [w.strip(" ,()") for w in words if w.strip(" ,()")]


def field_tree(roff):
    """[(names, children)] for the .TP items of a field list, nested by .RS/.RE, up to the
    first literal block. A tag may name several fields that share one description."""
    root = []
    stack = [root]
    lines = roff.splitlines()
    for i, line in enumerate(lines):
        if line.startswith(".nf"):
            break
        if line.strip() == ".TP" and i + 1 < len(lines):
            stack[-1].append((tag_words(lines[i + 1]), []))
        elif line.startswith(".RS"):
            stack.append(stack[-1][-1][1])
        elif line.startswith(".RE"):
            stack.pop()
    return root


def field_names(tree):
    return [name for names, _ in tree for name in names]


def fields_under(tree, name):
    return next(children for names, children in tree if name in names)


def hazard_catalogue():
    """{code: severity} from `credkit diagnose --list-hazards`, in its order."""
    code, out, err = run_credkit("diagnose", "--list-hazards")
    if code != 0:
        raise AssertionError(f"credkit diagnose --list-hazards exited {code}: {err}")
    return dict(line.split()[:2] for line in out.splitlines() if line.strip())


def documented_hazards():
    """[(code, severity)] from the tags of credkit-diagnose(1)'s HAZARDS section."""
    found = []
    for tag in tagged_lines(section_body("diagnose", "HAZARDS")):
        words = tag_words(tag)
        found.append((words[0], words[1] if len(words) > 1 else None))
    return found


def json_shape(value):
    """The keys of a JSON value at every level: objects by key, arrays by their first item."""
    if isinstance(value, dict):
        return {key: json_shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [json_shape(value[0])] if value else []
    return None


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
    # `_sequence FUNCTION` completes a comma-separated list of what FUNCTION offers.
    added = re.search(r"compadd (?:\"\$@\" )?-- (.*)", functions.get(action.split()[-1], ""))
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
        self.assertIn("diagnose", subcommands())
        self.assertLessEqual({"--tool", "--url", "--profile", "--format"},
                             help_value_options("diagnose"))
        self.assertFalse({"--probe", "--no-probe", "--list-hazards"} &
                         help_value_options("diagnose"))
        self.assertIn("IMDS options", help_groups("diagnose"))


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
                offered = help_groups(command)["IMDS options"]
                if command in LOCATION_ONLY_IMDS:
                    # It asks IMDS as other tools do: only where the service is is its to set.
                    self.assertEqual(offered, LOCATION_ONLY_IMDS[command])
                    self.assertLessEqual(offered, documented)
                else:
                    self.assertEqual(documented, offered)

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


# A shared credentials file as a refresher writes it for htslib: temporary keys and an expiry.
REFRESHED_CREDENTIALS = """[default]
aws_access_key_id = ASIAEXAMPLEDIAGNOSE1
aws_secret_access_key = diagnose-docs-secret
aws_session_token = diagnose-docs-token
expiry_time = 2099-01-01T00:00:00Z
"""


class DiagnosePageAgreesWithTheBinary(CredkitTestCase):
    """What credkit-diagnose(1) says about hazards, providers and JSON, against the binary."""

    def refreshed_credentials_env(self):
        """The central trap: boto3 finds the file a refresher rewrites for htslib."""
        path = self.path("credentials")
        with open(path, "w", encoding="utf-8") as f:
            f.write(REFRESHED_CREDENTIALS)
        os.chmod(path, 0o600)
        return dict(self.env, AWS_SHARED_CREDENTIALS_FILE=path)

    def diagnose_json(self, *args, env=None):
        result = self.credkit("diagnose", "--format", "json", *args, env=env)
        self.assertIn(result.returncode, (0, 1, 2), result.stderr)
        return json.loads(result.stdout)

    def json_fields(self):
        body = subsections(section_body("diagnose", "OUTPUT")).get("JSON")
        self.assertIsNotNone(body, "OUTPUT has no JSON subsection")
        return field_tree(body)

    def test_page_documents_every_hazard_code_with_its_severity(self):
        catalogue = hazard_catalogue()
        self.assertIn("boto3-reads-refreshed-file", catalogue)

        documented = documented_hazards()

        self.assertEqual(dict(documented), catalogue)
        self.assertEqual(len(documented), len(catalogue), "a code is documented twice")

    def test_page_puts_the_central_hazard_first(self):
        self.assertEqual(documented_hazards()[0][0], "boto3-reads-refreshed-file")

    def test_page_shows_no_hazard_code_the_binary_lacks(self):
        known = set(hazard_catalogue())
        shown = set()
        for block in literal_blocks(page_text("diagnose")):
            shown.update(re.findall(r"^\s*(?:error|warning|info)\s+([a-z0-9-]+) \(", block, re.M))
            shown.update(re.findall(r'"code": "([^"]+)"', block))
            shown.update(re.findall(r"^(?:error|warning|info) ([a-z0-9-]+)$", block, re.M))
        self.assertTrue(shown, "the page shows no hazard in its examples")

        self.assertLessEqual(shown, known)

    def test_page_lists_each_tools_providers_in_the_order_the_binary_tries_them(self):
        report = self.diagnose_json("--no-probe")
        tried = {tool["tool"]: [s["method"] for s in tool["skipped"]] +
                 ([tool["source"]["method"]] if tool["source"] else [])
                 for tool in report["tools"]}
        described = subsections(section_body("diagnose", "DESCRIPTION"))

        for title, tool in (("boto3 and the AWS CLI", "boto3"), ("boto3 and the AWS CLI", "awscli"),
                            ("htslib", "htslib"), ("s3cmd", "s3cmd")):
            with self.subTest(tool=tool):
                listed = [tag_words(tag)[0] for tag in tagged_lines(described[title])]

                self.assertEqual(listed, tried[tool])
        self.assertEqual(len(tried["boto3"]), 12, "botocore has twelve providers")

    def test_page_documents_every_tool_and_format_the_binary_accepts(self):
        documented = words_in(section_body("diagnose", "OPTIONS"))

        self.assertLessEqual(accepted_values("diagnose", "--tool"), documented)
        self.assertLessEqual(accepted_values("diagnose", "--format"), documented)

    def test_page_documents_the_json_fields_printed_without_a_probe(self):
        fields = self.json_fields()

        printed = self.diagnose_json("--tool", "boto3", "--no-probe",
                                     env=self.refreshed_credentials_env())

        self.assertEqual(field_names(fields), list(printed))
        tool = printed["tools"][0]
        self.assertIsNotNone(tool["source"])
        self.assertTrue(tool["skipped"] and printed["hazards"], "the case shows too little")
        tools = fields_under(fields, "tools")
        self.assertEqual(field_names(tools), list(tool))
        self.assertEqual(field_names(fields_under(tools, "source")), list(tool["source"]))
        self.assertEqual(field_names(fields_under(tools, "skipped")), list(tool["skipped"][0]))
        self.assertEqual(field_names(fields_under(fields, "hazards")), list(printed["hazards"][0]))
        probe = field_names(fields_under(fields, "probe"))
        self.assertEqual(printed["probe"]["ran"], False)
        self.assertEqual([f for f in probe if f in printed["probe"]], list(printed["probe"]))

    def test_page_documents_the_probe_fields_printed_when_it_ran(self):
        fields = fields_under(self.json_fields(), "probe")

        with MockImds() as imds:
            ran = self.diagnose_json("--tool", "boto3", "--imds-endpoint", imds.endpoint)["probe"]
        skipped = self.diagnose_json("--tool", "boto3", "--no-probe")["probe"]

        self.assertEqual(ran["ran"], True)
        self.assertEqual(field_names(fields), list(dict.fromkeys([*skipped, *ran])))
        for exchange in ("token", "v1"):
            with self.subTest(field=exchange):
                self.assertIsInstance(ran[exchange], dict)
                self.assertEqual(field_names(fields_under(fields, exchange)), list(ran[exchange]))

    def test_json_example_in_the_page_has_the_shape_diagnose_prints(self):
        shown = next((b for b in literal_blocks(page_text("diagnose"))
                      if b.startswith("$ credkit diagnose") and "--format json\n{" in b), None)
        self.assertIsNotNone(shown, "the page shows no JSON that diagnose prints")
        text = shown.split("\n", 1)[1]
        # The page folds long strings at a space: joining the lines with one space undoes it.
        example = json.loads(" ".join(line.strip() for line in text.splitlines()))

        with MockImds() as imds:
            printed = self.diagnose_json("--tool", "boto3", "--imds-endpoint", imds.endpoint,
                                         env=self.refreshed_credentials_env())

        self.assertEqual(json_shape(example), json_shape(printed))
        self.assertEqual(example["exit"], 2)
        self.assertEqual([h["code"] for h in example["hazards"]],
                         [h["code"] for h in printed["hazards"]])


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
        self.assertLessEqual(set(MONITORING_SCALE), set(subcommands()))
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

    def test_monitoring_commands_exit_on_their_scale_on_a_usage_error(self):
        for command, expected in MONITORING_USAGE_EXIT.items():
            for args in (["--no-such-option"], ["--format", "not-a-format"]):
                with self.subTest(command=command, args=args):
                    code, _, err = run_credkit(command, *args)

                    self.assertEqual(code, expected, err)
                    self.assertIn("credkit: error: ", err)

    def test_check_expiry_gives_a_usage_error_unknown_not_the_table_code(self):
        code, _, err = run_credkit("check-expiry", "--no-such-option")

        self.assertNotEqual(code, self.error_kind_values()["usage"], err)

    def test_monitoring_pages_say_which_code_a_usage_error_gets(self):
        for command, expected in MONITORING_USAGE_EXIT.items():
            with self.subTest(command=command):
                body = unescape(section_body(command, "EXIT STATUS"))

                item = re.search(rf"^\.B {expected}\n(.*?)(?=^\.(?:TP|PP)|\Z)", body,
                                 re.M | re.S)
                self.assertIsNotNone(item, f"no item for exit {expected}")
                self.assertRegex(item.group(1), r"usage|command line")


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

    def test_offers_the_values_diagnose_accepts(self):
        for option in ("--tool", "--format"):
            with self.subTest(option=option):
                offered = bash_complete("credkit", "diagnose", option, "")

                self.assertEqual(set(offered), accepted_values("diagnose", option))
        self.assertEqual(bash_complete("credkit", "diagnose", "--tool", "h"), ["htslib"])

    def test_completes_the_next_tool_of_a_comma_separated_list(self):
        offered = bash_complete("credkit", "diagnose", "--tool", "boto3,aw")

        self.assertEqual(offered, ["boto3,awscli"])
        self.assertEqual(bash_complete("credkit", "diagnose", "--tool=htslib,s"),
                         ["--tool=htslib,s3cmd"])

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
        for option in ("--url", "--profile"):
            with self.subTest(option=option):
                self.assertEqual(bash_complete("credkit", "diagnose", option, ""), [])


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
        for option in ("--tool", "--format"):
            self.assertEqual(zsh_action_values("diagnose", option),
                             accepted_values("diagnose", option))
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

    def test_zsh_itself_offers_the_other_tools_after_a_comma(self):
        if not shutil.which("zsh"):
            self.skipTest("zsh is not installed")

        shown = zsh_complete("credkit diagnose --tool boto3,", "awscli", "htslib", "s3cmd")

        listing = "\n".join(line for line in shown.splitlines() if "credkit" not in line)
        for tool in ("awscli", "htslib", "s3cmd"):
            self.assertRegex(listing, rf"(?<![\w-]){tool}(?![\w-])")
        self.assertNotRegex(listing, r"(?<![\w-])boto3(?![\w-])")


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
        for option in ("--tool", "--format"):
            self.assertEqual(fish_values("diagnose", option), accepted_values("diagnose", option))
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
