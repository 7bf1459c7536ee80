"""A content-addressed cache of synthesized clips.

The key is a SHA-256 over the spoken text, the voice's identity (backend name
and version, model file hash, every voice setting; see
``synthesize.voice_identity``) and ``REVISION``, the version of narrator's own
post-processing of backend audio. Anything that could change the audio changes
the key; nothing else does, so an edited article re-voices only the sentences
whose words changed.

Entries are mono 32-bit float WAV files. Float keeps every sample exactly as
the backend and ``render`` produced it, so an episode assembled from cached
clips is bit-identical to one assembled from fresh ones (16-bit PCM or FLAC
would round every sample and change the MP3 bytes); WAV carries its own
sample rate and any audio tool can play an entry. A private ``nrtr`` chunk
holds a CRC-32 of the samples: a truncated or damaged entry is a warning and
the sentence is synthesized again, never a crash. Writes are atomic (temp
file + rename), so concurrent builds can share one cache.

Location: ``--cache-dir``, else ``$NARRATOR_CACHE_DIR``, else the user cache
directory (``platformdirs.user_cache_dir("narrator")``). Nothing is evicted
automatically; ``narrator cache clear`` empties it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import struct
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from narrator.build.atomic import atomic_write
from narrator.errors import NarratorError
from narrator.models import Clip, Voice

log = logging.getLogger(__name__)

CACHE_ENV = "NARRATOR_CACHE_DIR"
REVISION = 1
"""Bump when ``synthesize.render`` changes what it does to backend audio."""
CLIPS_DIR = "clips-v1"
CHUNKS_DIR = "mp3-v1"
"""Encoded MP3 chunks of episodes (``codec.encode_chunks``), by content."""
HOPS_DIR = "levels-v1"
"""Loudness measurements of episode chunks (``narrator.audio.leveling``), by content."""

_FORMAT_FLOAT = 3
_CHECK_CHUNK = b"nrtr"


def default_cache_dir() -> Path:
    """``$NARRATOR_CACHE_DIR`` if set, else the platform's user cache folder."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("narrator"))


def clip_key(text: str, voice: Voice) -> str:
    """The cache key of ``text`` spoken by ``voice``."""
    from narrator.voice.render import voice_identity

    doc = {"revision": REVISION, "text": text, "voice": voice_identity(voice)}
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode("utf-8")).hexdigest()


def encode_wav(clip: Clip) -> bytes:
    """``clip`` as a mono float32 WAV with a CRC-32 of its samples."""
    data = np.ascontiguousarray(clip.samples, dtype="<f4").tobytes()
    fmt = struct.pack("<HHIIHH", _FORMAT_FLOAT, 1, clip.sample_rate, clip.sample_rate * 4, 4, 32)
    chunks = [
        b"fmt " + struct.pack("<I", len(fmt)) + fmt,
        b"fact" + struct.pack("<II", 4, len(clip.samples)),
        _CHECK_CHUNK + struct.pack("<II", 4, zlib.crc32(data)),
        b"data" + struct.pack("<I", len(data)) + data,
    ]
    body = b"WAVE" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


class CorruptEntry(ValueError):
    """A cache file that is not a complete, intact clip."""


def decode_wav(raw: bytes) -> Clip:
    """Read a clip written by ``encode_wav``; ``CorruptEntry`` if anything is off."""
    if len(raw) < 12 or raw[:4] != b"RIFF" or raw[8:12] != b"WAVE":
        raise CorruptEntry("not a WAV file")
    if struct.unpack_from("<I", raw, 4)[0] != len(raw) - 8:
        raise CorruptEntry("truncated")
    chunks: dict[bytes, bytes] = {}
    pos = 12
    while pos + 8 <= len(raw):
        name, size = raw[pos : pos + 4], struct.unpack_from("<I", raw, pos + 4)[0]
        chunks[name] = raw[pos + 8 : pos + 8 + size]
        pos += 8 + size + (size & 1)
    if pos != len(raw) or not {b"fmt ", b"data", _CHECK_CHUNK} <= chunks.keys():
        raise CorruptEntry("chunks missing or cut short")
    form, channels, rate, _, _, bits = struct.unpack_from("<HHIIHH", chunks[b"fmt "])
    if (form, channels, bits) != (_FORMAT_FLOAT, 1, 32) or rate <= 0:
        raise CorruptEntry("not mono 32-bit float")
    data = chunks[b"data"]
    if len(data) % 4 or struct.unpack("<I", chunks[_CHECK_CHUNK])[0] != zlib.crc32(data):
        raise CorruptEntry("checksum mismatch")
    return Clip(np.frombuffer(data, dtype="<f4").astype(np.float32), rate)


@dataclass(frozen=True, slots=True)
class CacheInfo:
    """What ``narrator cache info`` reports."""

    path: Path
    """The cache folder."""
    entries: int
    """Number of cached clips."""
    bytes: int
    """Their total size on disk."""
    chunks: int = 0
    """Number of encoded MP3 chunks of episodes."""
    chunk_bytes: int = 0
    """Their total size on disk, with the chunks' loudness measurements."""


STALE_TEMP_S = 3600.0
"""A temporary file this old in the cache belongs to no running build."""


class ClipCache:
    """Clips by key under ``root``; misses are quiet, corrupt entries a warning."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.clips = root / CLIPS_DIR
        self.chunks = root / CHUNKS_DIR
        self.hops = root / HOPS_DIR
        self.write_warned = False
        """Whether a failed write was reported already (``_write_failed``)."""

    def _path(self, key: str) -> Path:
        return self.clips / key[:2] / f"{key[2:]}.wav"

    def has(self, key: str) -> bool:
        """Whether an entry exists (its integrity is checked when it is read)."""
        return self._path(key).is_file()

    def get(self, key: str) -> Clip | None:
        """The cached clip, or None when absent or damaged (damaged entries are removed)."""
        path = self._path(key)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            log.warning("clip cache entry %s is unreadable (%s); synthesizing again", path, exc)
            return None
        try:
            return decode_wav(raw)
        except CorruptEntry as exc:
            log.warning("clip cache entry %s is corrupt (%s); synthesizing again", path, exc)
            path.unlink(missing_ok=True)
            return None

    def put(self, key: str, clip: Clip) -> None:
        """Store ``clip`` atomically; a cache that cannot be written is a warning."""
        try:
            atomic_write(self._path(key), encode_wav(clip))
        except OSError as exc:
            self._write_failed(exc)

    def get_chunk(self, key: str) -> bytes | None:
        """An encoded MP3 chunk (the caller checks its length), or None."""
        return self._read(self.chunks / key[:2] / f"{key[2:]}.mp3")

    def put_chunk(self, key: str, data: bytes) -> None:
        """Store an encoded chunk atomically; a cache that cannot be written is a warning."""
        self._write(self.chunks / key[:2] / f"{key[2:]}.mp3", data)

    def get_hops(self, key: str) -> bytes | None:
        """A chunk's stored loudness measurement, or None."""
        return self._read(self.hops / key[:2] / f"{key[2:]}.f64")

    def put_hops(self, key: str, data: bytes) -> None:
        """Store a chunk's loudness measurement atomically (a failure is a warning)."""
        self._write(self.hops / key[:2] / f"{key[2:]}.f64", data)

    @staticmethod
    def _read(path: Path) -> bytes | None:
        try:
            return path.read_bytes()
        except OSError:
            return None

    def _write(self, path: Path, data: bytes) -> None:
        try:
            atomic_write(path, data)
        except OSError as exc:
            self._write_failed(exc)

    # --- a cache that cannot be written (faults: disk full, read-only, permissions) ---

    def _write_failed(self, exc: OSError) -> None:
        """Warn once per cache object (one per build) and go on without caching that entry.

        ``atomic_write`` already removed the temporary file; later writes are still
        tried (space may come back), and each failure after the first is logged at
        debug level only.
        """
        what = exc.message if isinstance(exc, NarratorError) else (exc.strerror or str(exc))
        if self.write_warned:
            log.debug("cache: %s: %s", self.root, what)
            return
        self.write_warned = True
        log.warning("cache: %s; continuing without caching (%s)", what, self.root)

    # --- end of the write failure handling ---

    def sweep_stale(self, max_age_s: float = STALE_TEMP_S) -> int:
        """Remove temporary files left by builds killed mid-write; returns how many.

        Only files older than ``max_age_s`` go, so a build writing right now keeps its own.
        """
        cutoff = time.time() - max_age_s
        removed = 0
        folders = (self.clips, self.chunks, self.hops)
        for path in [p for folder in folders for p in folder.glob("*/.*.tmp")]:
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
            except OSError:
                continue
        if removed:
            log.info("removed %d stale temporary files from the clip cache", removed)
        return removed

    def info(self) -> CacheInfo:
        clips = [p.stat().st_size for p in self.clips.glob("*/*.wav")]
        chunks = [p.stat().st_size for p in self.chunks.glob("*/*.mp3")]
        levels = [p.stat().st_size for p in self.hops.glob("*/*.f64")]
        return CacheInfo(self.root, len(clips), sum(clips), len(chunks), sum(chunks) + sum(levels))

    def clear(self) -> CacheInfo:
        """Remove every cached clip and encoded chunk; returns what was removed."""
        removed = self.info()
        shutil.rmtree(self.clips, ignore_errors=True)
        shutil.rmtree(self.chunks, ignore_errors=True)
        shutil.rmtree(self.hops, ignore_errors=True)
        return removed
