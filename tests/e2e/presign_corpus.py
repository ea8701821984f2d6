"""A deterministic corpus of S3 object keys that stress presigned-URL encoding.

`keys()` returns the same list, in the same order, on every run and every machine (a fixed
seed, no hashing of sets, no locale). Every key is non-empty, valid UTF-8 when encoded, at most
1024 bytes long in UTF-8 (S3's limit), contains no NUL and no '\\n' (so one key is one line of
an `-i` file), and no key is repeated. Keys with '\\n' come from `newline_keys()`: they can only
be given as command arguments.

Run it as a script to print the corpus, one repr() a line, with counts per group:
    python3 presign_corpus.py | less
"""

import random

SEED = 20130524
MAX_KEY_BYTES = 1024

# Every ASCII punctuation character an encoder has to think about, one by one.
SPECIALS = list("+%=&?#;:@$,!'()*~") + [" ", '"', "<", ">", "[", "]", "{", "}", "|", "\\",
                                          "^", "`"]

# Letters from several scripts, with the byte widths they take in UTF-8.
SCRIPTS = {
    "cjk": "漢字仮名交じり文日本語中文简体繁體한국어",  # 3 bytes each
    "cyrillic": "Съешьжеещёэтихмягкихфранцузскихбулок",  # 2 bytes
    "arabic": "مرحبابالعالمالعربية",  # 2 bytes, right to left
    "hebrew": "שלוםעולם",
    "greek": "ΑλφάβητοΩμέγα",
    "devanagari": "नमस्तेदुनिया",  # with combining vowel signs
    "thai": "สวัสดีชาวโลก",
    "emoji": "😀🎉🧬🚀👍🏽👨‍👩‍👧🏳️‍🌈",  # 4 bytes, skin tone modifier, ZWJ sequences
    "latin1": "àéîõüßçñÅØæ",
    "astral": "𝄞𐍈𠜎𝔘𝔫𝔦",  # non-BMP letters that are not emoji
}

# Combining marks: the same visible text in NFC and NFD must give different keys and URLs.
COMBINING = [
    "e\u0301",  # e + combining acute (NFD of é)
    "\u00e9",  # precomposed é (NFC)
    "a\u0308\u0304",  # two marks stacked
    "\u0301leading-mark",  # a key that starts with a combining mark
    "Z\u0351\u0354\u0355\u0356a\u0357\u0358\u0359l\u035a\u035bg\u035c\u035do",  # "zalgo"
    "n\u0303",
    "\u1100\u1161\u11a8",  # Hangul jamo, decomposed
]

# Invisible and odd code points that are still valid UTF-8.
ODD_CODEPOINTS = [
    "\u200b",  # zero-width space
    "\u200d",  # zero-width joiner
    "\ufeff",  # byte order mark
    "\u00a0",  # no-break space
    "\u2028",  # line separator (not a line end for -i)
    "\u2029",  # paragraph separator
    "\u0085",  # NEL, a C1 control (not a line end for -i)
    "\u202e",  # right-to-left override
    "\ufffd",  # replacement character
    "\uffff",  # a noncharacter
    "\U0010ffff",  # the last code point
    "\u3000",  # ideographic space
]

# C0 controls except NUL and '\n', plus DEL: '\r' in particular must not end an -i line.
CONTROLS = [chr(c) for c in range(1, 32) if c != 10] + ["\x7f"]

# Path shapes S3 keeps literally: no dot-segment removal, no slash merging.
PATH_SHAPES = [
    "/", "//", "///", "/leading", "//double-leading", "trailing/", "trailing//",
    "/both/", "a//b", "a///b", ".", "..", "./", "../", "./a", "../a", "a/./b", "a/../b",
    "a/..", "a/.", "...", ".../a", "a/.../b", "./../.././", "/./", "/../", "a/b/c/../../d",
    "dir/", ".hidden", "a.", "a..", "~", "~user", "a~b", "-", "_", "-_.~",
    "foo/bar/baz.txt", "deeply/" * 20 + "nested",
]

# Percent signs that look like encodings, so a double encoding or a decoding shows.
PERCENT_LOOKALIKES = [
    "%", "%%", "%2", "%2F", "%2f", "%20", "%41", "%7E", "%25", "%%41", "%C3%A9", "%ZZ",
    "100%", "a%2Fb", "a%252Fb", "%00", "%0A", "+%2B+", "%u00e9",
]

# Strings that look like other syntax: URL parts, shells, queries, templates.
LOOKALIKES = [
    "s3://bucket/key", "http://example.com/x", "?X-Amz-Signature=0", "a?b=c&d=e",
    "a#fragment", "#", "?", "&", "=", "key=value", "X-Amz-Date", "x-amz-meta-foo",
    "a;b", "a:b", "C:\\Windows\\path", "\\\\server\\share", "user@host", "$HOME", "${VAR}",
    "$(echo hi)", "`uname`", "a,b,c", "wow!", "it's", "(paren)", "*.vcf.gz", "[0-9]",
    "{a,b}", "<script>", "a|b", "a^b", '"quoted"', "tab\tsep", "semi;colon",
    "a b", "  two leading spaces", "two trailing spaces  ", " ", "   ",
    "email+tag@example.com", "1+1=2", "a+b", "+", "++", "a & b", "50%+",
    "index.html", "file.tar.gz", "chr1:100-200.vcf.gz", "sample_001.bam.bai",
    "Capital/MiXeD/CASE", "12345", "0",
]


def _utf8_len(text):
    return len(text.encode("utf-8"))


def _fill(unit, size, tail=""):
    """`unit` repeated, plus ASCII padding, to exactly `size` UTF-8 bytes (with `tail` last)."""
    text = ""
    while _utf8_len(text + unit + tail) <= size:
        text += unit
    text += tail
    text += "x" * (size - _utf8_len(text))
    assert _utf8_len(text) == size, (unit, size)
    return text


def _long_keys():
    """Keys of exactly 1024 UTF-8 bytes (S3's maximum), and a few just under."""
    keys = [
        _fill("a", 1024),
        _fill("/", 1024),
        _fill("a/", 1024),
        _fill("漢", 1024),  # 341 three-byte characters and one ASCII byte
        _fill("😀", 1024),  # 256 four-byte characters
        _fill("é", 1024),
        _fill("e\u0301", 1024),
        _fill(" ", 1024),
        _fill("+", 1024),
        _fill("%", 1024),
        _fill("~", 1024),
        _fill("../", 1024),
        _fill("\x01\r\t", 1024),
        _fill("a b+c%d=e&f?g#h", 1024),
        _fill("Съ漢😀 +%", 1024),
        _fill("x", 1024, tail="/end"),
        _fill("x", 1024, tail=" "),
        _fill("x", 1024, tail="\r"),
        _fill("😀", 1023),
        _fill("漢", 1022),
        _fill("a", 1023),
        _fill("𝄞", 1021),
    ]
    for size in (1024, 1023, 1000, 512, 255, 256):
        keys.append(_fill("ü/", size))
    return keys


def _mixed_keys(rng, count):
    """Random mixes of everything above, always within S3's length limit."""
    pieces = (SPECIALS + list("".join(SCRIPTS.values())) + COMBINING + ODD_CODEPOINTS
              + CONTROLS + ["/", "//", "./", "../", ".", "..", "-", "_", "~"]
              + ["alpha", "beta", "data", "2024", "v1.2.3", "sample"])
    keys = []
    for _ in range(count):
        length = rng.choice((1, 2, 3, 5, 8, 13, 21, 40, 80))
        key = "".join(rng.choice(pieces) for _ in range(length))
        while _utf8_len(key) > MAX_KEY_BYTES:
            key = key[:-1]
        keys.append(key)
    return keys


def _groups():
    rng = random.Random(SEED)
    groups = {}
    groups["special-single"] = list(SPECIALS)
    groups["special-embedded"] = [f"a{c}b" for c in SPECIALS] + [f"{c}start" for c in SPECIALS] \
        + [f"end{c}" for c in SPECIALS] + [f"dir{c}/file{c}.txt" for c in SPECIALS] \
        + [c * 3 for c in SPECIALS]
    groups["scripts"] = []
    for name, letters in SCRIPTS.items():
        groups["scripts"] += [letters, f"{name}/{letters}", f"{letters}/{letters}.txt",
                              f"{letters[:3]} {letters[3:6]}", f"{letters}+{name}=%&?"]
    groups["combining"] = COMBINING + [f"dir/{c}/file" for c in COMBINING] \
        + ["caf\u00e9", "cafe\u0301", "Ange\u0300le", "\u0041\u030a", "\u00c5"]
    groups["odd-codepoints"] = ODD_CODEPOINTS + [f"a{c}b" for c in ODD_CODEPOINTS] \
        + [f"{c}/{c}" for c in ODD_CODEPOINTS]
    groups["controls"] = CONTROLS + [f"a{c}b" for c in CONTROLS] \
        + ["line\r", "\rstart", "crlf\r\rx", "tab\t", "\ttab", "bell\x07", "esc\x1b[31mred",
           "del\x7f", "\x1f/\x01/\x02"]
    groups["path-shapes"] = list(PATH_SHAPES) + [f"{shape}file" for shape in PATH_SHAPES] \
        + [f"prefix/{shape}" for shape in PATH_SHAPES]
    groups["percent"] = list(PERCENT_LOOKALIKES) + [f"dir/{p}/x" for p in PERCENT_LOOKALIKES]
    groups["lookalikes"] = list(LOOKALIKES)
    groups["long"] = _long_keys()
    groups["mixed"] = _mixed_keys(rng, 160)
    return groups


def _valid(key):
    return (key and "\n" not in key and "\x00" not in key
            and _utf8_len(key) <= MAX_KEY_BYTES)


def grouped():
    """[(group, key)] in corpus order, without repeats (a key keeps its first group)."""
    seen = set()
    result = []
    for group, keys in _groups().items():
        for key in keys:
            if _valid(key) and key not in seen:
                seen.add(key)
                result.append((group, key))
    return result


def keys():
    """The corpus: at least 500 keys, always the same ones in the same order."""
    return [key for _, key in grouped()]


def newline_keys():
    """Keys with '\\n' in them: valid S3 keys, but only as command arguments, never in -i."""
    return ["line1\nline2", "\n", "\nleading", "trailing\n", "crlf\r\n", "a\n\nb",
            "漢\n😀", "dir/\n/file", " \n "]


def ascii_safe_keys():
    """A few keys that any HTTP stack carries unharmed; for the live-server tests."""
    return ["plain.txt", "dir/sub/file.vcf.gz", "a b+c=d&e?f#g", "漢字/😀 émoji.txt",
            "%2F not a slash", "semi;colon:at@dollar$comma,bang!quote'paren()star*",
            "tilde~/..dots../x"]


if __name__ == "__main__":
    counts = {}
    for group, key in grouped():
        counts[group] = counts.get(group, 0) + 1
        print(f"{group}\t{key!r}")
    print(f"# {sum(counts.values())} keys: {counts}")
