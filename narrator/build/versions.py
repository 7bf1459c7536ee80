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
