"""An episode's level, chunk by chunk: one gain, true-peak limiting, reuse across builds.

The episode gets one gain (a multiple of ``GAIN_STEP_DB``) that brings its
integrated loudness (BS.1770-4) to the target once every chunk has been through
the look-ahead true-peak limiter. Each chunk is limited on its own: its result
depends on nothing but its samples and the gain, to the bit, so it is keyed by
content (``Leveler.key``) and what was computed for it (its K-weighted energy per
100 ms, before and after limiting) is kept in the store. A rebuild after an edit
then meters and limits only the chunks that changed, and keeps the previous
gain while the episode still lands within ``TOLERANCE_LU`` of the target
(``prefer_gain_db``): the unchanged chunks, and their MP3 frames, stay as they were.

Loudness is metered on a timeline where each chunk starts on a 100 ms hop (the
silence between chunks is stretched by less than 100 ms for metering only), so
a chunk's hop energies do not depend on where it lies; on a 4-chunk test episode
this read 0.04 LU away from the joined audio. At rates where 100 ms is not a
whole number of samples (11025 Hz), hops are ``rate // 10`` samples, slightly
short. The K-weighting's response to a chunk's last sound has died away (below
1e-6) within the 50 ms of silence that ends every chunk.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from functools import partial
from typing import Protocol

import numpy as np
import numpy.typing as npt

from narrator.audio.filters import Samples
from narrator.audio.loudness import Weighted, gated_loudness, quantize_db
from narrator.audio.peak import PeakEnvelope, check_peaks, limit_piece
from narrator.models import Clip

log = logging.getLogger(__name__)

GAIN_STEP_DB = 0.1
"""The episode gain is a multiple of this."""
TOLERANCE_LU = 0.2
"""A previous build's gain is kept while the episode lands this close to the target."""
MARGIN_DB = 0.3
"""The limiter aims this far under the ceiling (an oversampled peak can still rise a little)."""
REVISION = 1
"""Bump when limiting or metering changes what a chunk becomes (invalidates stored results)."""


class LevelStore(Protocol):
    """Where per-chunk metering results are kept between builds
    (``narrator.build.store.ClipCache``)."""

    def get_hops(self, key: str) -> bytes | None: ...

    def put_hops(self, key: str, data: bytes) -> None: ...


def _digest(*parts: object) -> str:
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()


class Leveler:
    """Finds the episode gain for chunks ``bodies`` (at ``rate``, unit gain) and makes
    each chunk's leveled audio on demand."""

    def __init__(
        self,
        bodies: Sequence[Samples],
        rate: int,
        spacing: Sequence[int],
        target_lufs: float,
        ceiling_db: float,
        store: LevelStore | None = None,
        step_db: float = GAIN_STEP_DB,
    ) -> None:
        """``spacing[k]``: samples of silence after chunk ``k`` in the episode; the gain
        is a multiple of ``step_db`` (0: any gain, within 0.01 LU of the target)."""
        self.bodies = list(bodies)
        self.rate = rate
        self.target = target_lufs
        self.ceiling = ceiling_db
        self.store = store
        self.step = step_db
        self.hop = rate // 10
        self.units = [self._unit_key(body) for body in self.bodies]
        # Each chunk starts on a hop: its first hop index, and the timeline's length.
        self.first_hop: list[int] = []
        at = 0
        for body, silence in zip(self.bodies, spacing, strict=True):
            self.first_hop.append(at)
            at += -(-(len(body) + silence) // self.hop)
        self.span = at * self.hop
        """Samples of the metering timeline (every chunk starting on a hop)."""
        self.length = self.first_hop[-1] * self.hop + len(self.bodies[-1]) + spacing[-1]
        """Samples up to the end of the last chunk's silence: what the gating blocks cover."""
        self._limited: dict[tuple[int, float], tuple[Samples, list[tuple[int, int]]]] = {}
        self._checked: dict[tuple[int, float], Samples] = {}
        self._peaks: dict[int, PeakEnvelope] = {}
        self._weighted: dict[int, Weighted] = {}
        self.computed = 0
        """Chunks limited in this build (the others were reused)."""

    def _unit_key(self, body: Samples) -> str:
        digest = hashlib.sha256(
            f"level|{REVISION}|{self.rate}|{self.ceiling}|{MARGIN_DB}|".encode()
        )
        digest.update(np.ascontiguousarray(body, dtype="<f4").tobytes())
        return digest.hexdigest()

    def key(self, k: int, gain_db: float) -> str:
        """What chunk ``k``'s leveled audio depends on: its samples, the gain, the ceiling."""
        return _digest(self.units[k], f"{gain_db:.4f}")

    def limited(self, k: int, gain_db: float) -> Samples:
        """Chunk ``k`` at ``gain_db``, its true peak limited under the ceiling."""
        checked = self._checked.get((k, gain_db))
        if checked is None:
            out, spans = self._limit(k, gain_db)
            clip = check_peaks(Clip(out, self.rate), spans, self.ceiling - MARGIN_DB, self.ceiling)
            checked = self._checked[(k, gain_db)] = clip.samples
        return checked

    def _limit(self, k: int, gain_db: float) -> tuple[Samples, list[tuple[int, int]]]:
        memo = self._limited.get((k, gain_db))
        if memo is None:
            clip = Clip(self.bodies[k], self.rate)
            peaks = self._peaks.get(k)
            if peaks is None:
                peaks = self._peaks[k] = PeakEnvelope(clip.samples)
            out, spans = limit_piece(clip, gain_db, self.ceiling - MARGIN_DB, peaks)
            memo = (out.samples, spans)
            self._limited[(k, gain_db)] = memo
            self.computed += 1
        return memo

    def _meter(self, k: int) -> Weighted:
        meter = self._weighted.get(k)
        if meter is None:
            meter = self._weighted[k] = Weighted(self.bodies[k], self.rate)
        return meter

    def _hops(
        self, key: str, k: int, make: Callable[[], npt.NDArray[np.float64]]
    ) -> npt.NDArray[np.float64]:
        """Chunk ``k``'s stored hop energies under ``key``, else ``make()`` them and store
        them (a stored entry of the wrong size is made again)."""
        raw = self.store.get_hops(key) if self.store is not None else None
        if raw is not None and len(raw) == 8 * -(-len(self.bodies[k]) // self.hop):
            return np.frombuffer(raw, dtype="<f8")
        hops = make()
        if self.store is not None:
            self.store.put_hops(key, hops.astype("<f8").tobytes())
        return hops

    def _unit_hops(self, k: int) -> npt.NDArray[np.float64]:
        return self._meter(k).hops

    def _limited_hops(self, k: int, gain_db: float) -> npt.NDArray[np.float64]:
        out, spans = self._limit(k, gain_db)
        return self._meter(k).hops_after(out, 10 ** (gain_db / 20), spans)

    def _energy_timeline(
        self, per_chunk: Sequence[npt.NDArray[np.float64]]
    ) -> npt.NDArray[np.float64]:
        hops = np.zeros(self.span // self.hop + 1, dtype=np.float64)
        for first, values in zip(self.first_hop, per_chunk, strict=True):
            hops[first : first + len(values)] = values
        return hops

    def unit_loudness(self) -> float:
        """Loudness of the episode as it is (no gain, no limiting)."""
        per_chunk = [
            self._hops(_digest(unit, "unit"), k, partial(self._unit_hops, k))
            for k, unit in enumerate(self.units)
        ]
        return gated_loudness(self._energy_timeline(per_chunk), self.rate, self.length)

    def loudness(self, gain_db: float) -> float:
        """Loudness of the episode at ``gain_db``, every chunk limited (only the chunks
        limited at this gain are kept in memory: one copy of the episode)."""
        self._limited = {key: v for key, v in self._limited.items() if key[1] == gain_db}
        per_chunk = [
            self._hops(
                _digest(self.key(k, gain_db), "limited"),
                k,
                partial(self._limited_hops, k, gain_db),
            )
            for k in range(len(self.bodies))
        ]
        return gated_loudness(self._energy_timeline(per_chunk), self.rate, self.length)

    def choose_gain(self, prefer_gain_db: float | None = None) -> float:
        """The gain (dB) that brings the limited episode to the target loudness.

        Only what the chosen gain needs stays in memory afterwards (a 20-minute
        episode's every copy is 100 MB)."""
        gain_db = self._choose_gain(prefer_gain_db)
        self._limited = {key: v for key, v in self._limited.items() if key[1] == gain_db}
        self._weighted.clear()
        self._peaks.clear()
        return gain_db

    def _choose_gain(self, prefer_gain_db: float | None) -> float:
        if prefer_gain_db is not None:
            level = self.loudness(prefer_gain_db)
            if abs(self.target - level) <= TOLERANCE_LU:
                log.debug("gain %+.2f dB kept: %.2f LUFS", prefer_gain_db, level)
                return prefer_gain_db
        current = self.unit_loudness()
        if not np.isfinite(current):
            return 0.0
        gain_db = quantize_db(self.target - current, self.step)
        # The limiter takes back part of each gain increase: step by the correction
        # divided by the loudness gained per dB (about 0.8 for speech at -19 LUFS at
        # first, then as measured), so that two or three rounds find the gain.
        slope = 0.8
        previous: tuple[float, float] | None = None
        for _ in range(8):
            level = self.loudness(gain_db)
            correction = self.target - level
            if abs(correction) <= max(self.step / 2, 0.01):
                break
            if previous is not None and previous[0] != gain_db:
                measured = (level - previous[1]) / (gain_db - previous[0])
                slope = min(1.0, max(0.3, measured))
            better = quantize_db(gain_db + correction / slope, self.step)
            if better == gain_db:
                break
            previous = (gain_db, level)
            gain_db = better
        else:  # out of rounds: measure the gain it ends on (and keep its measurements)
            level = self.loudness(gain_db)
        log.debug("loudness %.2f LUFS, gain %+.2f dB -> %.2f LUFS", current, gain_db, level)
        return gain_db


def normalize_loudness(
    clip: Clip, target_lufs: float, ceiling_db: float, step_db: float = 0.0
) -> Clip:
    """One clip leveled as an episode of one chunk: brought to ``target_lufs`` with its
    true peak under ``ceiling_db``."""
    leveler = Leveler([clip.samples], clip.sample_rate, [0], target_lufs, ceiling_db, None, step_db)
    return Clip(leveler.limited(0, leveler.choose_gain()), clip.sample_rate)
