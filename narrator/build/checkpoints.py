"""Named points in a build where tests can stop the process (crash-safety tests only).

``checkpoint(name)`` does nothing unless the environment variable
``NARRATOR_TEST_PAUSE_AT`` names that point. Then it creates the file named by
``NARRATOR_TEST_PAUSE_FILE`` (if set) and sleeps ``NARRATOR_TEST_PAUSE_S``
seconds (default 60), so that a test can SIGKILL the build at a known moment,
or start a second build while the first is inside. In normal runs it costs one
dictionary lookup.

The points are named where they are announced (``build.pipeline``,
``build.episode``); ``build.atomic.atomic_files`` also announces ``replace:NAME``
just before it renames a finished temporary file to NAME. The crash tests list
them all, and fail if a point they pause at is never reached.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

PAUSE_AT = "NARRATOR_TEST_PAUSE_AT"
PAUSE_FILE = "NARRATOR_TEST_PAUSE_FILE"
PAUSE_SECONDS = "NARRATOR_TEST_PAUSE_S"


def checkpoint(name: str) -> None:
    """Pause here if a crash test asked for ``name``; otherwise return at once."""
    if os.environ.get(PAUSE_AT) != name:
        return
    marker = os.environ.get(PAUSE_FILE)
    if marker:
        Path(marker).write_text(f"{os.getpid()} {name}\n", encoding="utf-8")
    time.sleep(float(os.environ.get(PAUSE_SECONDS, "60")))
