"""A content-addressed cache of synthesized clips, encoded MP3 chunks and loudness data,
with a size limit.

The key of a clip is a SHA-256 over the spoken text, the voice's identity (backend
name and version, model file hash, every voice setting; see
``narrator.voice.render.voice_identity``) and ``REVISION``, the version of narrator's
own post-processing of backend audio. Anything that could change the audio changes
the key; nothing else does, so an edited article re-voices only the sentences
whose words changed.

Clips are mono 16-bit FLAC files (22.6 KB per second of audio for the sample, against
88 for the float32 WAV files of ``clips-v1``; ``bench/bench_cache.py`` compares the
candidates). 16 bits lose nothing: every clip a voice makes is already 16-bit
(``narrator.audio.transform.quantize``, at the end of ``narrator.voice.render``), so an
episode assembled from cached clips is bit-identical to one assembled from fresh ones.
FLAC carries its sample rate, any audio tool plays an entry, and its header holds the
number of samples and an MD5 of them, checked on every read: a truncated or damaged
entry is a warning and the sentence is synthesized again, never a crash. Writes are
atomic (temp file + rename), so concurrent builds can share one cache.

Size: ``[cache] max_size`` (``SizeLimit``; default a tenth of the disk that holds the
cache). A build that stored anything ends by evicting the least recently used entries
(clips, chunks and loudness data alike) until the cache fits, sparing every entry the
build itself read or wrote (``ClipCache.fit``, which skips listing the cache while a kept
total shows it under its limit); ``narrator cache prune`` does the same at once. Recency
is the entry's modification time (access times are often not kept: noatime, relatime):
a read touches the entry, but only when its time is more than ``TOUCH_AFTER_S`` old, so
a rebuild that reads a thousand recent clips writes no metadata at all. The price: entries
used within the same hour may be evicted in the order of their first use in it, which
matters only to a cache so small that it turns over within an hour. Eviction is one
``unlink`` per entry: a build reading an entry at that moment still reads it whole (on
Windows the unlink fails and the entry stays), and one that looks for it afterwards has
a cache miss and voices (or encodes, or measures) it again.

Folders of other versions (``clips-v1``) are never read; ``narrator cache prune`` and
``clear`` remove them, and so does a build whose cache is over its limit (they go before
any current entry). A build under the limit leaves them, for a build of another version
that may share the cache.

Location: ``--cache-dir``, else ``$NARRATOR_CACHE_DIR``, else the user cache
directory (``platformdirs.user_cache_dir("narrator")``).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import re
import shutil
import struct
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from narrator.build.atomic import atomic_write
from narrator.errors import NarratorError
from narrator.models import Clip, Voice

log = logging.getLogger(__name__)

CACHE_ENV = "NARRATOR_CACHE_DIR"
REVISION = 2
"""Bump when ``narrator.voice.render`` changes what it does to backend audio
(2: clips are 16-bit)."""
CLIPS_DIR = "clips-v2"
"""Voiced sentences, 16-bit FLAC, by ``clip_key`` (``clips-v1`` held float32 WAV)."""
CHUNKS_DIR = "mp3-v1"
"""Encoded MP3 chunks of episodes (``codec.encode_chunks``), by content."""
HOPS_DIR = "levels-v1"
"""Loudness measurements of episode chunks (``narrator.audio.leveling``), by content."""
CLIP_SUFFIX = ".flac"
CHUNK_SUFFIX = ".mp3"
HOPS_SUFFIX = ".f64"
FOLDERS = {CLIPS_DIR: CLIP_SUFFIX, CHUNKS_DIR: CHUNK_SUFFIX, HOPS_DIR: HOPS_SUFFIX}
"""Every folder of entries this version reads, with the ending of its entries."""
_OLD_FOLDER = re.compile(r"^(clips|mp3|levels)-v\d+$")
"""Folders of entries of any version; those not in ``FOLDERS`` are other versions'."""

TOUCH_AFTER_S = 3600.0
"""A read marks an entry as used (its modification time) only if it is older than this."""
STALE_TEMP_S = 3600.0
"""A temporary file this old in the cache belongs to no running build."""
USAGE_FILE = "usage.json"
"""The cache's total size as last listed, with the bytes builds stored since (see ``fit``)."""
RESCAN_S = 86400.0
"""``fit`` lists the whole cache again when its stored total is older than this."""
DEFAULT_SHARE = 0.10
"""The default size limit, as a share of the disk holding the cache (see ``SizeLimit``)."""


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


# --- the size limit ------------------------------------------------------------------

_UNITS = {
    "": 1,
    "b": 1,
    "k": 10**3,
    "kb": 10**3,
    "m": 10**6,
    "mb": 10**6,
    "g": 10**9,
    "gb": 10**9,
    "t": 10**12,
    "tb": 10**12,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
    "tib": 2**40,
}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-z]*)\s*$", re.IGNORECASE)
_SHARE = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*%\s*$")


@dataclass(frozen=True, slots=True)
class SizeLimit:
    """How much the cache may hold: a number of bytes, a share of its disk, or no limit.

    The default, a tenth of the disk (its whole size, not the free space, so the limit
    does not move from build to build), keeps a cache nobody configured from ever
    filling a disk, while leaving a 256 GB disk room for some 25 GB: at about 110 MB per
    hour of speech (81 MB of clips, 29 MB of MP3 chunks), some 230 hours, or 1,400
    ten-minute articles.
    """

    bytes: int | None = None
    """A fixed size (when set)."""
    share: float | None = DEFAULT_SHARE
    """A share of the size of the disk holding the cache (when ``bytes`` is not set);
    neither set: unlimited."""

    def resolve(self, root: Path) -> int | None:
        """The limit in bytes for a cache at ``root`` (None: unlimited)."""
        if self.bytes is not None:
            return self.bytes
        if self.share is None:
            return None
        folder = root
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
        try:
            return int(shutil.disk_usage(folder).total * self.share)
        except OSError:
            return None

    def __str__(self) -> str:
        if self.bytes is not None:
            return format_size(self.bytes)
        if self.share is None:
            return "unlimited"
        return f"{self.share * 100:g}% of the disk"


DEFAULT_LIMIT = SizeLimit()
"""A tenth of the disk holding the cache."""


def parse_size(value: object) -> SizeLimit:
    """``[cache] max_size`` as written: a number of bytes (``5000000000``), a size with a
    unit (``"5 GB"``, ``"500MB"``, ``"1.5 GiB"``: k, M, G, T are powers of 1000, KiB, MiB,
    GiB, TiB of 1024), a share of the disk (``"10%"``) or ``"unlimited"``.

    ``ValueError`` (saying what is wrong) for anything else, for zero and for negative
    sizes: a limit of nothing would evict every entry after each build.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError('must be a size such as "5 GB", a number of bytes, or "unlimited"')
    if isinstance(value, (int, float)):
        size = float(value)
    elif value.strip().lower() == "unlimited":
        return SizeLimit(None, None)
    elif (share := _SHARE.match(value)) is not None:
        percent = float(share.group(1))
        if not 0 < percent <= 100:
            raise ValueError(f"must be a share between 0% and 100%, not {value!r}")
        return SizeLimit(None, percent / 100)
    elif (match := _SIZE.match(value)) is not None and match.group(2).lower() in _UNITS:
        size = float(match.group(1)) * _UNITS[match.group(2).lower()]
    else:
        raise ValueError(
            f'is not a size: {value!r} (for example "5 GB", "500MB", "10%" or "unlimited")'
        )
    if not size >= 1:
        raise ValueError(f"must be at least 1 byte, not {value!r}")
    return SizeLimit(round(size), None)


def format_size(size: float) -> str:
    """A byte count for people: ``1.2 GB`` (powers of 1000, as ``parse_size`` reads them)."""
    for unit, factor in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if size >= factor:
            return f"{size / factor:.1f} {unit}"
    return f"{int(size)} B"


# --- entries -------------------------------------------------------------------------


class CorruptEntry(ValueError):
    """A cache file that is not a complete, intact clip."""


_FLAC = b"fLaC"
_STREAMINFO = struct.Struct(">HH3s3sQ16s")
"""FLAC's STREAMINFO block: block sizes, frame sizes, then rate (20 bits), channels - 1
(3), bits per sample - 1 (5) and samples (36) in one 64-bit field, then the samples' MD5."""


def encode_entry(clip: Clip) -> bytes:
    """``clip`` as a mono 16-bit FLAC file.

    ``ValueError`` if the clip's samples are not 16-bit (``quantize``): storing them would
    round them, and an episode made from the entry would differ from one made from the clip.
    """
    from narrator.audio.transform import from_int16, to_int16

    samples = np.asarray(clip.samples, dtype=np.float32)
    pcm = to_int16(samples)
    if from_int16(pcm).tobytes() != samples.tobytes():
        raise ValueError(
            "the clip's samples are not 16-bit (see narrator.audio.transform.quantize)"
        )
    if len(pcm) == 0:  # libsndfile writes nothing at all: a FLAC file of no frames, by hand
        fields = (clip.sample_rate << 44) | (0 << 41) | (15 << 36)
        info = _STREAMINFO.pack(4096, 4096, b"\0" * 3, b"\0" * 3, fields, hashlib.md5().digest())
        return _FLAC + bytes([0x80, 0, 0, len(info)]) + info
    import soundfile

    out = io.BytesIO()
    soundfile.write(out, pcm, clip.sample_rate, format="FLAC", subtype="PCM_16")
    return out.getvalue()


def decode_entry(raw: bytes) -> Clip:
    """Read a clip written by ``encode_entry``; ``CorruptEntry`` if anything is off
    (not FLAC, not mono 16-bit, fewer samples than its header says, or samples whose MD5
    is not the one in its header)."""
    from narrator.audio.transform import from_int16

    head = raw[4:8]
    if (
        len(raw) < 8 + _STREAMINFO.size
        or raw[:4] != _FLAC
        or head[1:] != b"\0\0\x22"
        or head[0] & 0x7F
    ):
        raise CorruptEntry("not a FLAC file")
    _, _, _, _, fields, md5 = _STREAMINFO.unpack_from(raw, 8)
    rate, channels, bits = fields >> 44, (fields >> 41 & 7) + 1, (fields >> 36 & 31) + 1
    count = fields & ((1 << 36) - 1)
    if channels != 1 or bits != 16 or rate <= 0:
        raise CorruptEntry("not mono 16-bit")
    if count == 0:
        pcm = np.zeros(0, dtype=np.int16)
    else:
        import soundfile

        try:
            with soundfile.SoundFile(io.BytesIO(raw)) as f:
                pcm = f.read(dtype="int16")
        except Exception as exc:  # libsndfile's errors on damaged input are of many kinds
            raise CorruptEntry(f"unreadable ({exc})") from exc
    if len(pcm) != count or hashlib.md5(pcm.astype("<i2").tobytes()).digest() != md5:
        raise CorruptEntry("checksum mismatch")
    return Clip(from_int16(pcm), rate)


# --- the cache -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CacheInfo:
    """What ``narrator cache info`` reports (and ``clear`` and ``prune`` removed)."""

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
    old_bytes: int = 0
    """Size of the folders of other versions of the cache (never read; see ``prune``)."""

    @property
    def total(self) -> int:
        """Everything the cache holds, in bytes."""
        return self.bytes + self.chunk_bytes + self.old_bytes


@dataclass(frozen=True, slots=True)
class _Entry:
    path: Path
    size: int
    mtime: float


class ClipCache:
    """Clips by key under ``root``; misses are quiet, corrupt entries a warning.

    Also remembers every entry it read or wrote (``used``): ``prune`` never evicts those,
    so the build that owns this cache keeps what it just used.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.clips = root / CLIPS_DIR
        self.chunks = root / CHUNKS_DIR
        self.hops = root / HOPS_DIR
        self.write_warned = False
        """Whether a failed write was reported already (``_write_failed``)."""
        self.used: set[Path] = set()
        """Entries read or written through this object."""
        self.stored = 0
        """Bytes written through this object (a build that wrote none needs no pruning)."""

    def _path(self, key: str) -> Path:
        return self.clips / key[:2] / f"{key[2:]}{CLIP_SUFFIX}"

    def has(self, key: str) -> bool:
        """Whether an entry exists (its integrity is checked when it is read)."""
        return self._path(key).is_file()

    def get(self, key: str) -> Clip | None:
        """The cached clip, or None when absent or damaged (damaged entries are removed)."""
        path = self._path(key)
        try:
            raw = self._load(path)
        except OSError as exc:
            log.warning("clip cache entry %s is unreadable (%s); synthesizing again", path, exc)
            return None
        if raw is None:
            return None
        try:
            return decode_entry(raw)
        except CorruptEntry as exc:
            log.warning("clip cache entry %s is corrupt (%s); synthesizing again", path, exc)
            path.unlink(missing_ok=True)
            return None

    def put(self, key: str, clip: Clip) -> None:
        """Store ``clip`` atomically; a cache that cannot be written, or a clip that is not
        16-bit (it would not come back as it is), is a warning."""
        try:
            data = encode_entry(clip)
        except ValueError as exc:
            log.warning("not caching a clip: %s", exc)
            return
        self._write(self._path(key), data)

    def get_chunk(self, key: str) -> bytes | None:
        """An encoded MP3 chunk (the caller checks its length), or None."""
        return self._read(self.chunks / key[:2] / f"{key[2:]}{CHUNK_SUFFIX}")

    def put_chunk(self, key: str, data: bytes) -> None:
        """Store an encoded chunk atomically; a cache that cannot be written is a warning."""
        self._write(self.chunks / key[:2] / f"{key[2:]}{CHUNK_SUFFIX}", data)

    def get_hops(self, key: str) -> bytes | None:
        """A chunk's stored loudness measurement, or None."""
        return self._read(self.hops / key[:2] / f"{key[2:]}{HOPS_SUFFIX}")

    def put_hops(self, key: str, data: bytes) -> None:
        """Store a chunk's loudness measurement atomically (a failure is a warning)."""
        self._write(self.hops / key[:2] / f"{key[2:]}{HOPS_SUFFIX}", data)

    def _load(self, path: Path) -> bytes | None:
        """The entry's bytes (None if absent), marking it used: by this build, and for
        eviction by its modification time when that is over ``TOUCH_AFTER_S`` old."""
        try:
            with path.open("rb") as fh:
                raw = fh.read()
                mtime = os.fstat(fh.fileno()).st_mtime
        except FileNotFoundError:
            return None
        self.used.add(path)
        if mtime < time.time() - TOUCH_AFTER_S:
            # Evicted meanwhile, or a read-only cache: still a good read.
            with contextlib.suppress(OSError):
                os.utime(path)
        return raw

    def _read(self, path: Path) -> bytes | None:
        try:
            return self._load(path)
        except OSError:
            return None

    def _write(self, path: Path, data: bytes) -> None:
        try:
            atomic_write(path, data)
        except OSError as exc:
            self._write_failed(exc)
            return
        self.used.add(path)
        self.stored += len(data)

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

    def _entries(self, folder: str) -> Iterator[_Entry]:
        """The entries of one folder of this version (temporary files left out)."""
        suffix = FOLDERS[folder]
        try:
            shards = [d for d in os.scandir(self.root / folder) if d.is_dir()]
        except OSError:
            return
        for shard in shards:
            try:
                items = list(os.scandir(shard.path))
            except OSError:
                continue
            for item in items:
                if item.name.startswith(".") or not item.name.endswith(suffix):
                    continue
                try:
                    st = item.stat()
                except OSError:  # evicted by another build meanwhile
                    continue
                yield _Entry(Path(item.path), st.st_size, st.st_mtime)

    def _old_folders(self) -> list[Path]:
        try:
            return sorted(
                Path(d.path)
                for d in os.scandir(self.root)
                if d.is_dir() and _OLD_FOLDER.match(d.name) and d.name not in FOLDERS
            )
        except OSError:
            return []

    @staticmethod
    def _folder_bytes(folder: Path) -> int:
        total = 0
        for dirpath, _, files in os.walk(folder):
            for name in files:
                try:
                    total += os.stat(os.path.join(dirpath, name)).st_size
                except OSError:
                    continue
        return total

    def info(self) -> CacheInfo:
        clips = [e.size for e in self._entries(CLIPS_DIR)]
        chunks = [e.size for e in self._entries(CHUNKS_DIR)]
        levels = [e.size for e in self._entries(HOPS_DIR)]
        old = sum(self._folder_bytes(folder) for folder in self._old_folders())
        return CacheInfo(
            self.root, len(clips), sum(clips), len(chunks), sum(chunks) + sum(levels), old
        )

    def clear(self) -> CacheInfo:
        """Remove every cached clip, encoded chunk and loudness measurement, and the folders
        of other versions; returns what was removed."""
        removed = self.info()
        for folder in (self.clips, self.chunks, self.hops, *self._old_folders()):
            shutil.rmtree(folder, ignore_errors=True)
        (self.root / USAGE_FILE).unlink(missing_ok=True)
        return removed

    def fit(self, limit: int | None) -> CacheInfo | None:
        """What a build does at its end: ``prune(limit)`` (keeping old folders while under
        the limit) if the cache may be over ``limit``; returns what was removed, or None
        when no pruning was needed.

        Listing a large cache takes a while (100,000 entries: about a second), so the total
        that the last pruning found is kept in ``USAGE_FILE`` with the bytes builds stored
        since: while that sum is under the limit, and under ``RESCAN_S`` old, nothing is
        listed. Two builds adding at the same moment may lose one's bytes from the sum; the
        next listing, a day later at most, corrects it.
        """
        if limit is None or not self.stored:
            return None
        known = self._known_usage()
        if known is not None and known + self.stored <= limit:
            self._save_usage(known + self.stored, keep_time=True)
            return None
        return self.prune(limit, old=False)

    def _known_usage(self) -> int | None:
        try:
            doc = json.loads((self.root / USAGE_FILE).read_text(encoding="utf-8"))
            size, when = int(doc["bytes"]), float(doc["time"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return size if 0 <= time.time() - when < RESCAN_S else None

    def _save_usage(self, size: int, keep_time: bool = False) -> None:
        when = time.time()
        if keep_time:  # an estimate grown by a build: the listing it started from is as old
            with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
                doc = json.loads((self.root / USAGE_FILE).read_text(encoding="utf-8"))
                when = float(doc["time"])
        try:
            atomic_write(self.root / USAGE_FILE, json.dumps({"bytes": size, "time": when}).encode())
        except OSError as exc:
            log.warning("cannot write to the cache %s: %s", self.root, exc)

    def prune(self, limit: int | None, *, old: bool = True) -> CacheInfo:
        """Make the cache hold at most ``limit`` bytes (None: no limit); returns what was
        removed. First the folders of other versions go (always with ``old``, else only
        when the cache is over its limit), then the least recently used entries.

        Entries in ``used`` are spared, so the cache may stay over the limit when the
        current build alone needs more. An entry used by another build since it was
        listed (its time changed) is spared too; one evicted while another build wants it
        is a cache miss there.
        """
        self.sweep_stale()
        old_folders = self._old_folders()
        kept_old = sum(self._folder_bytes(folder) for folder in old_folders)
        entries = [e for folder in FOLDERS for e in self._entries(folder)]
        total = sum(e.size for e in entries)
        old_bytes = 0
        if old_folders and (old or (limit is not None and total + kept_old > limit)):
            for folder in old_folders:
                shutil.rmtree(folder, ignore_errors=True)
            log.info("removed %s of old cache folders", format_size(kept_old))
            old_bytes, kept_old = kept_old, 0
        counts = {folder: [0, 0] for folder in FOLDERS}
        if limit is not None and total > limit:
            for entry in sorted(entries, key=lambda e: (e.mtime, str(e.path))):
                if total <= limit:
                    break
                if entry.path in self.used:
                    continue
                try:
                    if os.stat(entry.path).st_mtime != entry.mtime:
                        continue  # read by another build meanwhile: recently used after all
                    entry.path.unlink()
                except OSError:  # gone already, or in use where that forbids removing it
                    continue
                total -= entry.size
                tally = counts[entry.path.parent.parent.name]
                tally[0] += 1
                tally[1] += entry.size
        self._save_usage(total + kept_old)
        removed = CacheInfo(
            self.root,
            counts[CLIPS_DIR][0],
            counts[CLIPS_DIR][1],
            counts[CHUNKS_DIR][0],
            counts[CHUNKS_DIR][1] + counts[HOPS_DIR][1],
            old_bytes,
        )
        if removed.entries or removed.chunk_bytes:
            log.info(
                "evicted %d clips and %d other entries (%s) from the cache %s to fit %s",
                removed.entries,
                counts[CHUNKS_DIR][0] + counts[HOPS_DIR][0],
                format_size(removed.bytes + removed.chunk_bytes),
                self.root,
                format_size(limit or 0),
            )
        return removed
