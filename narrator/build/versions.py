"""Installed versions of the packages whose output narrator's cache keys depend on."""

from __future__ import annotations

import importlib.util
import re
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path


@cache
def package_version(name: str, module: str = "") -> str:
    """The installed version of distribution ``name`` ("unknown" if it is not installed).

    Read from its ``.dist-info`` folder beside ``module`` when that is quick to find
    (importlib.metadata scans every installed package: 30 ms of every build), else
    from importlib.metadata.
    """
    spec = importlib.util.find_spec(module) if module else None
    if spec is not None and spec.origin:
        origin = Path(spec.origin)
        site = origin.parent.parent if spec.submodule_search_locations else origin.parent
        stem = re.sub(r"[-_.]+", "_", name).lower()
        found = [
            match.group(1)
            for path in site.glob("*.dist-info")
            if (match := re.fullmatch(rf"{re.escape(stem)}-(.+)\.dist-info", path.name, re.I))
        ]
        if len(found) == 1:
            return found[0]
    try:
        return version(name)
    except PackageNotFoundError:
        return "unknown"


READING_PACKAGES = (
    ("trafilatura", "trafilatura"),
    ("lxml", "lxml"),
    ("markdown-it-py", "markdown_it"),
    ("PyYAML", "yaml"),
    ("anyascii", "anyascii"),
    ("num2words", "num2words"),
)
"""The libraries that read articles and spell their words out (``narrator.text``)."""


@cache
def reading_fingerprint() -> str:
    """A hash of what turns an article file into sentences, beside the file and the settings:
    narrator's text stage (its source files) and the versions of the libraries it reads with.

    A build may skip reading an article whose file and settings are unchanged while this
    is too. It fails only where a library's behaviour changes without its version.
    """
    import hashlib

    digest = hashlib.sha256()
    root = Path(__file__).resolve().parents[1]
    for path in [*sorted((root / "text").rglob("*.py")), root / "web" / "snapshot.py"]:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    for name, module in READING_PACKAGES:
        digest.update(f"{name}={package_version(name, module)}\0".encode())
    return digest.hexdigest()
