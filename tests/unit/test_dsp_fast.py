"""The fast loudness meter, true-peak estimate and limiter agree with the plain computations."""

from __future__ import annotations

import numpy as np
import pyloudnorm
import pytest
from scipy.ndimage import minimum_filter1d, uniform_filter1d
from scipy.signal import resample_poly

from narrator.audio import leveling, loudness, peak
from narrator.audio.leveling import Leveler
from narrator.models import Clip
from tests.audio_measure import integrated_loudness, true_peak_db


def _speechlike(rate: int, seconds: float, seed: int = 3) -> Clip:
    """Noise bursts of varying level with silences between them, like sentences."""
    rng = np.random.default_rng(seed)
    n = int(rate * seconds)
    envelope = np.repeat(rng.uniform(0, 1, n // 2000 + 1) ** 3, 2000)[:n]
    envelope[(np.arange(n) // (rate // 2)) % 4 == 3] = 0.0
    return Clip((rng.standard_normal(n) * envelope * 0.4).astype(np.float32), rate)


@pytest.mark.parametrize("rate", [22050, 44100])
def test_integrated_loudness_matches_pyloudnorm(rate: int) -> None:
    clip = _speechlike(rate, 20)
    reference = pyloudnorm.Meter(rate).integrated_loudness(clip.samples.astype(np.float64))
    assert integrated_loudness(clip) == pytest.approx(reference, abs=1e-6)


@pytest.mark.parametrize("gain", [0.5, 1.0, 3.0])
def test_true_peak_matches_full_oversampling(gain: float) -> None:
    clip = _speechlike(22050, 10)
    loud = Clip((clip.samples * gain).astype(np.float32), clip.sample_rate)
    full = float(np.max(np.abs(resample_poly(loud.samples, 4, 1))))
    assert true_peak_db(loud) == pytest.approx(20 * np.log10(full), abs=1e-5)


def _reference_limit(clip: Clip, ceiling_db: float) -> Clip:
    """The limiter computed over the whole signal."""
    ceiling, rate, n = 10 ** (ceiling_db / 20), clip.sample_rate, len(clip.samples)
    over = np.abs(resample_poly(clip.samples, 4, 1))[: 4 * n].reshape(n, 4).max(axis=1)
    needed = np.minimum(1.0, ceiling / np.maximum(over, 1e-12))
    hold = max(1, round(0.005 * rate))
    gain = minimum_filter1d(needed, size=2 * hold + 1)
    gain = uniform_filter1d(gain, size=max(1, round(0.05 * rate / 4)))
    gain = np.minimum(gain, minimum_filter1d(needed, size=2 * hold + 1))
    return Clip((clip.samples * gain).astype(np.float32), rate)


def test_limiter_matches_the_whole_signal_computation() -> None:
    clip = _speechlike(22050, 10)
    loud = Clip((clip.samples * 3).astype(np.float32), clip.sample_rate)
    fast, reference = peak.limit(loud, -1.3), _reference_limit(loud, -1.3)
    assert np.max(np.abs(fast.samples - reference.samples)) < 1e-6
    assert true_peak_db(fast) <= -1.29


def test_loudness_after_limiting_is_measured_only_where_the_limiter_acted() -> None:
    clip = _speechlike(22050, 20)
    n = len(clip.samples)
    meter = loudness.Weighted(clip.samples, 22050)
    gain_db = 20 * np.log10(3.0)
    gain = 10 ** (gain_db / 20)
    out, spans = peak.limit_piece(clip, gain_db, -1.3, peak.PeakEnvelope(clip.samples))
    assert spans, "the limiter should act on a clip gained this much"
    hops = meter.hops_after(out.samples, gain, spans)
    assert loudness.gated_loudness(hops, 22050, n) == pytest.approx(
        integrated_loudness(out), abs=1e-6
    )
    scaled = Clip((clip.samples * 3.0).astype(np.float32), 22050)
    assert loudness.gated_loudness(meter.hops_after(scaled.samples, 3.0, []), 22050, n) == (
        pytest.approx(integrated_loudness(scaled), abs=1e-5)
    )


@pytest.mark.parametrize("step", [0.0, 0.1])
def test_normalized_clip_meets_target_and_ceiling(step: float) -> None:
    clip = _speechlike(22050, 20)
    out = leveling.normalize_loudness(clip, -16.0, -1.0, step_db=step)
    assert integrated_loudness(out) == pytest.approx(-16.0, abs=max(step / 2, 0.01) + 1e-3)
    assert true_peak_db(out) <= -1.0
    # Quiet stretches are the input times one gain, a whole number of steps.
    quiet = np.abs(clip.samples) > 1e-3
    quiet &= np.abs(out.samples) < 0.1
    ratio = np.median(out.samples[quiet] / clip.samples[quiet])
    if step:
        steps = 20 * np.log10(ratio) / step
        assert steps == pytest.approx(round(steps), abs=1e-3)


def test_an_edit_far_away_leaves_the_quantized_gain_and_the_samples_alone() -> None:
    clip = _speechlike(22050, 60)
    edited = clip.samples.copy()
    edited[-22050:-11025] *= 1.02  # a slightly louder last-but-one second
    a = leveling.normalize_loudness(clip, -19.0, -1.0, step_db=0.1)
    b = leveling.normalize_loudness(Clip(edited, 22050), -19.0, -1.0, step_db=0.1)
    assert np.array_equal(a.samples[: 22050 * 50], b.samples[: 22050 * 50])


def _leveler(clip: Clip, target_lufs: float = -16.0) -> Leveler:
    """An episode of one chunk, ``clip``, leveled with 0.1 dB gain steps."""
    return Leveler([clip.samples], clip.sample_rate, [0], target_lufs, -1.0, None, step_db=0.1)


def _chosen(clip: Clip, target_lufs: float = -16.0) -> tuple[Clip, float]:
    """What a first build (no preferred gain) makes of ``clip``, and its gain."""
    leveler = _leveler(clip, target_lufs)
    gain = leveler.choose_gain()
    return Clip(leveler.limited(0, gain), clip.sample_rate), gain


def _rebuilt(clip: Clip, prefer_gain_db: float, target_lufs: float = -16.0) -> tuple[Clip, float]:
    """What a rebuild that prefers ``prefer_gain_db`` makes of ``clip``, and its gain."""
    leveler = _leveler(clip, target_lufs)
    gain = leveler.choose_gain(prefer_gain_db)
    return Clip(leveler.limited(0, gain), clip.sample_rate), gain


@pytest.mark.parametrize("offset", [0.15, -0.15, 0.19])
def test_a_preferred_gain_within_tolerance_is_kept(offset: float) -> None:
    assert leveling.TOLERANCE_LU == 0.2
    clip = _speechlike(22050, 20)
    _, chosen = _chosen(clip)
    preferred = chosen + offset  # not a multiple of the step: kept as it is, not re-quantized
    out, gain = _rebuilt(clip, preferred)
    assert gain == preferred
    assert integrated_loudness(out) == pytest.approx(-16.0, abs=0.2 + 1e-3)
    assert true_peak_db(out) <= -1.0
    # The preferred gain is the one applied (outside the limited stretches).
    quiet = (np.abs(clip.samples) > 1e-3) & (np.abs(out.samples) < 0.1)
    ratio = np.median(out.samples[quiet] / clip.samples[quiet])
    assert 20 * np.log10(ratio) == pytest.approx(preferred, abs=1e-4)


def _level_at(clip: Clip, gain_db: float, monkeypatch: pytest.MonkeyPatch) -> float:
    """Loudness of ``clip`` leveled with ``gain_db`` forced (then limited)."""
    with monkeypatch.context() as patched:
        patched.setattr(leveling, "TOLERANCE_LU", 100.0)
        out, used = _rebuilt(clip, gain_db)
    assert used == gain_db
    return integrated_loudness(out)


@pytest.mark.parametrize("offset", [0.6, -0.3, 1.0, -2.0])
def test_a_preferred_gain_off_target_is_not_kept(
    offset: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    clip = _speechlike(22050, 20)
    first, chosen = _chosen(clip)
    preferred = chosen + offset
    # The limiter takes back some of a rise.
    assert abs(_level_at(clip, preferred, monkeypatch) + 16.0) > 0.2
    out, gain = _rebuilt(clip, preferred)
    assert gain != preferred
    assert gain == pytest.approx(chosen, abs=1e-9)
    assert np.array_equal(out.samples, first.samples)
    assert integrated_loudness(out) == pytest.approx(-16.0, abs=0.1 / 2 + 0.01)
    assert true_peak_db(out) <= -1.0


@pytest.mark.parametrize("offset", [0.25, -0.15])
def test_tolerance_decides_whether_the_preferred_gain_is_kept(
    offset: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    clip = _speechlike(22050, 20)
    _, chosen = _chosen(clip)
    preferred = chosen + offset
    miss = abs(_level_at(clip, preferred, monkeypatch) + 16.0)
    assert miss > 0.03
    monkeypatch.setattr(leveling, "TOLERANCE_LU", miss + 0.01)
    _, loose = _rebuilt(clip, preferred)
    monkeypatch.setattr(leveling, "TOLERANCE_LU", miss - 0.01)
    _, strict = _rebuilt(clip, preferred)
    assert loose == preferred
    assert strict != preferred
    assert strict == pytest.approx(chosen, abs=1e-9)


def test_keeping_the_gain_a_build_chose_gives_the_same_samples() -> None:
    """What a rebuild relies on: the previous build's gain, kept, gives that build's samples
    to the bit (however many gains the first build tried on the way)."""
    clip = Clip((_speechlike(22050, 30, seed=8).samples * 2.0).astype(np.float32), 22050)
    first, chosen = _chosen(clip, -14.0)
    again, kept = _rebuilt(clip, chosen, -14.0)
    assert kept == chosen
    assert np.array_equal(first.samples, again.samples)


def _starts(bodies: list[np.ndarray], spacing: list[int]) -> list[int]:
    """Where each chunk starts in the episode: the chunks before it and their silences."""
    ends = np.cumsum([len(b) + g for b, g in zip(bodies, spacing, strict=True)])
    return [0] + [int(end) for end in ends[:-1]]


def test_a_piece_comes_out_the_same_wherever_it_lies(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(leveling, "TOLERANCE_LU", 10.0)
    loud = (_speechlike(22050, 6, seed=11).samples * 2.5).astype(np.float32)
    others = [_speechlike(22050, s, seed=12 + i).samples for i, s in enumerate([4.3, 3.1, 7.7])]
    episodes = [
        ([others[0], loud, others[1]], [3001, 2777, 100], 1),
        ([(others[2] * 0.8).astype(np.float32), others[1], loud], [1234, 4321, 50], 2),
    ]
    # At different offsets, also within a true-peak block (512) and an FFT block.
    a, b = (_starts(bodies, spacing)[index] for bodies, spacing, index in episodes)
    assert a % 512 != b % 512 and a != b
    gain = 3.0
    outputs = []
    for bodies, spacing, index in episodes:
        leveler = Leveler(bodies, 22050, spacing, -16.0, -1.0, None, step_db=0.1)
        used = leveler.choose_gain(gain)
        assert used == gain
        outputs.append(leveler.limited(index, used))
    plain = loud * np.float32(10 ** (gain / 20))
    assert not np.array_equal(outputs[0], plain)  # the limiter acted on the piece
    assert true_peak_db(Clip(outputs[0], 22050)) <= -1.0
    assert np.array_equal(outputs[0], outputs[1])


def test_a_limited_piece_does_not_depend_on_the_gains_tried_before() -> None:
    """The true-peak envelope is kept between attempts at different gains (each asks for
    more blocks as the gain rises); the result at a gain must be the same to the bit as
    with an envelope computed afresh at that gain."""
    clip = Clip((_speechlike(22050, 30, seed=8).samples * 2.0).astype(np.float32), 22050)
    shared = peak.PeakEnvelope(clip.samples)
    for gain in (1.0, 1.4, 2.0, 2.9):
        gain_db = 20 * np.log10(gain)
        out, spans = peak.limit_piece(clip, gain_db, -1.3, shared)
        fresh, fresh_spans = peak.limit_piece(clip, gain_db, -1.3, peak.PeakEnvelope(clip.samples))
        assert spans and spans == fresh_spans
        assert np.array_equal(out.samples, fresh.samples), gain


class _Store:
    """Per-chunk measurements kept in memory (what ``cache.ClipCache`` keeps on disk)."""

    def __init__(self) -> None:
        self.hops: dict[str, bytes] = {}

    def get_hops(self, key: str) -> bytes | None:
        return self.hops.get(key)

    def put_hops(self, key: str, data: bytes) -> None:
        self.hops[key] = data


def _episode() -> tuple[list[np.ndarray], list[int]]:
    bodies = [
        (_speechlike(22050, s, seed=20 + i).samples * 2.0).astype(np.float32)
        for i, s in enumerate([5.2, 3.7, 6.1, 4.4])
    ]
    return bodies, [2500, 3100, 1800, 0]


def test_a_rebuild_reuses_the_stored_measurements() -> None:
    bodies, spacing = _episode()
    store = _Store()
    first = Leveler(bodies, 22050, spacing, -16.0, -1.0, store)
    gain = first.choose_gain()
    assert first.computed >= len(bodies)
    stored = dict(store.hops)
    again = Leveler([b.copy() for b in bodies], 22050, spacing, -16.0, -1.0, store)
    assert again.choose_gain(gain) == gain
    assert again.computed == 0
    assert store.hops == stored  # nothing measured anew
    # A chunk made on demand is what the first build made of it.
    assert np.array_equal(again.limited(2, gain), first.limited(2, gain))


def test_a_rebuild_after_an_edit_limits_only_the_changed_chunk() -> None:
    bodies, spacing = _episode()
    store = _Store()
    gain = Leveler(bodies, 22050, spacing, -16.0, -1.0, store).choose_gain()
    stored = set(store.hops)
    edited = [b.copy() for b in bodies]
    edited[1][22050:33075] *= 1.02  # a slightly louder half second in the second chunk
    again = Leveler(edited, 22050, spacing, -16.0, -1.0, store)
    assert again.choose_gain(gain) == gain
    assert again.computed == 1
    assert len(set(store.hops) - stored) == 1  # the edited chunk's hops at that gain


def test_a_damaged_stored_measurement_is_made_again() -> None:
    bodies, spacing = _episode()
    store = _Store()
    first = Leveler(bodies, 22050, spacing, -16.0, -1.0, store)
    gain = first.choose_gain()
    level = first.loudness(gain)
    for key in store.hops:
        store.hops[key] = store.hops[key][:-8]  # one hop short: cut off in some way
    again = Leveler(bodies, 22050, spacing, -16.0, -1.0, store)
    assert again.loudness(gain) == pytest.approx(level, abs=1e-9)
    assert again.computed == len(bodies)


@pytest.mark.parametrize(("rate", "seconds"), [(44100, 2.21), (22050, 3.33)])
def test_a_clip_that_is_not_whole_hops_long_lands_on_the_target(rate: int, seconds: float) -> None:
    clip = _speechlike(rate, seconds)
    out = leveling.normalize_loudness(clip, -16.0, -1.0)
    assert integrated_loudness(out) == pytest.approx(-16.0, abs=0.01 + 1e-3)
