"""Shared fixtures: the sample article, the corpus, and one real build reused by many tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.paths import CORPUS, SAMPLE, SEEDS


@pytest.fixture(scope="session", autouse=True)
def _private_clip_cache() -> Iterator[None]:
    """Builds in tests (and the narrator processes they start) never touch the user's cache.

    The folder lies outside pytest's temporary tree, which some tests watch for stray writes.
    """
    import os
    import shutil
    import tempfile

    folder = tempfile.mkdtemp(prefix="narrator-test-cache-")
    os.environ["NARRATOR_CACHE_DIR"] = folder
    yield
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def _private_model_dir() -> Iterator[None]:
    """Prepared voice models (``voice.backends.piper_model``) go to a folder of the session.

    So the suite never writes under the user's cache; the voice is converted once per session,
    by whichever test or narrator process loads it first.
    """
    import os
    import shutil
    import tempfile

    folder = tempfile.mkdtemp(prefix="narrator-test-models-")
    os.environ["NARRATOR_MODEL_DIR"] = folder
    yield
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def sample_path() -> Path:
    return SAMPLE


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    return CORPUS


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The sample article built once with the real Piper voice: (out_dir, report)."""
    from narrator.build.pipeline import build
    from narrator.config import load_config

    out = tmp_path_factory.mktemp("sample_build")
    config = load_config(None)
    report = build([SEEDS], out, config)
    return out, report, config
