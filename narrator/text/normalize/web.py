"""The web's own writing: URLs, email addresses, hashtags and handles."""

from __future__ import annotations

import re


def _speak_host(host: str) -> str:
    host = re.sub(r"^www\.", "", host.lower())
    return " dot ".join(p for p in host.split(".") if p)


def speak_urls_and_emails(text: str) -> str:
    """Read a URL as its site ("example dot com") and an email as "name at example dot com".

    Why: a full address is noise when listened to, and espeak spells every
    character.  A bare domain keeps a short path of one or two words
    (``ftc.gov/complaints`` → "ftc dot gov slash complaints"), which a listener
    can type.  Fails: a long path that matters is dropped; bare domains without
    ``www.`` or a scheme are only caught for common TLDs.
    """

    def email(m: re.Match[str]) -> str:
        user = re.sub(r"\.+", " dot ", m.group(1)).replace("_", " underscore ")
        return f"{user} at {_speak_host(m.group(2))}"

    text = re.sub(r"\b([\w.+-]+)@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)\b", email, text)

    def url(m: re.Match[str]) -> str:
        return _speak_host(m.group(1))

    text = re.sub(r"\b(?:https?://|www\.)((?:[\w-]+\.)*[\w-]+)(?:[/?#][^\s)\]]*)?", url, text)

    def domain(m: re.Match[str]) -> str:
        path = m.group(2) or ""
        if SHORT_PATH.fullmatch(path):
            return _speak_host(m.group(1)) + "".join(f" slash {p}" for p in path.split("/") if p)
        return _speak_host(m.group(1))

    return re.sub(
        r"\b([A-Za-z0-9-]+\.(?:com|org|net|edu|gov|io|co\.uk|uk|de|fr))(/[^\s)\]]*)?\b",
        domain,
        text,
    )


SHORT_PATH = re.compile(r"(?:/[A-Za-z][A-Za-z0-9-]{0,19}){1,2}/?")
"""A path short enough to say and remember (``ftc.gov/complaints``); longer ones are dropped."""


def _split_camel(word: str) -> str:
    parts = re.findall(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+", word)
    return " ".join(parts) if parts else word


def speak_hashtags_and_handles(text: str) -> str:
    """``#IStandWithAhmed`` → "hashtag I Stand With Ahmed", ``@POTUS`` → "at POTUS".

    Why: espeak says "number sign" or skips the mark.  Fails: all-lowercase
    hashtags (``#istandwithahmed``) cannot be split into words.
    """
    text = re.sub(
        r"(?<![\w&])#([A-Za-z]\w*)", lambda m: "hashtag " + _split_camel(m.group(1)), text
    )
    text = re.sub(r"(?<![\w.])@(\w+)", r"at \1", text)
    return re.sub(r"(?<=\w) @ (?=\w)", " at ", text)  # GUM's spaced "Stardust @ home"


FILE_EXTENSIONS = (
    "c|h|cc|cpp|py|js|ts|mjs|jsx|tsx|rb|go|rs|java|sh|md|txt|json|toml|yaml|yml|xml|html|css"
    "|scss|wasm|csv|pdf|png|jpg|svg|zip|exe|dll|so"
)
FILE_PATH = re.compile(
    rf"(?<![\w@/.])(?P<path>/?(?:[\w-]+/)*[\w-]+\.(?:{FILE_EXTENSIONS}))(?![\w/])"
)
"""A file name or path with a known extension: ``add.c``, ``/assets/main.scss``."""


def speak_file_names(text: str) -> str:
    """``add.js`` → "add dot js", ``/assets/main.scss`` → "slash assets slash main dot scss".

    Why: espeak reads the dot as a sentence end or skips it, and the slash rule would
    say "or" between the folders.  Runs after web addresses (``example.com/a.html`` is an
    address).  Fails: extensions not in :data:`FILE_EXTENSIONS` are left to the other
    rules; "Node.js"-style names with a listed extension are read as files ("node dot js",
    which is how people say them).
    """

    def repl(m: re.Match[str]) -> str:
        path = m.group("path")
        spoken = " slash ".join(path.lstrip("/").split("/")).replace(".", " dot ")
        return ("slash " if path.startswith("/") else "") + spoken

    return FILE_PATH.sub(repl, text)


_OPTION_END = r"(?=[\s`'\",;:)=]|\.(?:\s|$)|$)"
"""What may follow an option or a path: a space, a quote or bracket, clause punctuation."""

_LONG_OPTION = re.compile(
    rf"(?<![^\s`(])--(?P<name>[a-z][a-z0-9]*(?:-[a-z0-9]+)*){_OPTION_END}(?!\S*--)"
)
_SHORT_OPTION = re.compile(
    rf"(?<=[a-z0-9] )-(?P<letters>[A-Za-z]{{1,3}})(?P<digits>\d{{0,2}}){_OPTION_END}"
)
_CODE_PATH = re.compile(
    rf"(?<![\w/.~])(?P<path>[a-z_][\w.-]*(?:/[a-z0-9_][\w.-]*){{2,}})(?P<rest>/\.\.\.|/)?{_OPTION_END}"
)
_ROOT_PATH = re.compile(
    rf"(?<![\w/.~])(?P<home>~)?/(?P<path>[a-z_.][\w.-]*(?:/[\w.-]+)*?)/?{_OPTION_END}"
)


def speak_command_options(text: str) -> str:
    """Command lines in prose: ``git push --force`` → "git push dash dash force", ``ls -la
    /tmp`` → "ls dash L A slash tmp", ``--dry-run`` → "dash dash dry run", ``-O3``,
    ``crypto/internal/fips140/...`` → "crypto slash internal slash fips140 slash".

    Why: a long option's ``--`` would be taken for a dash (a pause: "git push, force"),
    a short one's ``-`` for a minus sign, and a path's slash for "or" ("ls -la or tmp").
    Options are read as people read them aloud; the words of the command are left as
    they are.  A path of three lower-case parts or more is a path, not "or" between words
    (two parts stay with the slash rule: "and/or").  A long option needs a space, bracket
    or backtick before it and no closing ``--`` after it (so "wait --no, that--" stays a
    dash); a short one, a lower-case word or number before it.  Fails: "--" used as a dash
    with a space before and none after ("I was --frankly tired") is read as an option;
    option values and quoting in a full shell line (``ubuntu:22.04``, ``'*.py'``) are read
    by the other rules.
    """

    def long(m: re.Match[str]) -> str:
        return "dash dash " + m.group("name").replace("-", " ")

    def short(m: re.Match[str]) -> str:
        letters = " ".join(m.group("letters").upper())
        return f"dash {letters} {m.group('digits')}".rstrip()

    def path(m: re.Match[str]) -> str:
        parts = (
            p.replace(".", "dot ", 1) if p.startswith(".") else p
            for p in m.group("path").split("/")
        )
        spoken = " slash ".join(p for p in parts if p)
        return ("tilde " if m.group("home") else "") + "slash " + spoken

    def code_path(m: re.Match[str]) -> str:
        spoken = " slash ".join(m.group("path").split("/"))
        return spoken + (" slash" if m.group("rest") else "")

    text = _LONG_OPTION.sub(long, text)
    text = _CODE_PATH.sub(code_path, text)
    text = _SHORT_OPTION.sub(short, text)
    return _ROOT_PATH.sub(path, text)
