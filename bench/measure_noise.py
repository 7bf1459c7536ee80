"""Choose Piper's noise settings by measurement: intelligibility and pitch movement.

```
pip install --target /tmp/bench-deps pocketsphinx     # not a narrator dependency
PYTHONPATH=.:/tmp/bench-deps python bench/measure_noise.py [--renders 4] [--grid 0.667:0.8,0.2:0.3]
```

For each ``noise_scale:noise_w`` pair of the grid it voices every sentence of the
sample article ``--renders`` times, each render with other seeded noise (the
steady synthesizer with the render number in the seed), and reports:

- **WER**: word error rate of an offline recognizer, pocketsphinx's en-US model
  (shipped in its wheel; no network), on the clip resampled to 16 kHz, against
  the sentence as narrator speaks it (the normalized text). Summed errors over
  summed reference words, over all renders.
- **F0 sd**: pitch movement: a robust standard deviation (interquartile range
  / 1.349), in semitones, of the fundamental frequency over a sentence's voiced
  frames (YIN, 60 to 400 Hz, 46 ms windows, 11.6 ms hop), averaged over
  sentences and renders; and its spread (the standard deviation of the
  per-render means), to see whether two settings differ by more than chance.

Where it fails: pocketsphinx is a small, old recognizer whose own errors (about
a third of words on clean speech) dwarf the voice's; it ranks settings, it does
not measure how people hear them. The YIN here picks octave errors on creaky
ends of sentences now and then; the interquartile range keeps most of them out.
"""

from __future__ import annotations

import argparse
import math
import re
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "seeds" / "000_accfa6063b6ad7f7.txt"
DEFAULT_GRID = "0.667:0.8,0.2:0.3,0.1:0.15,0:0"


def sentences() -> list[tuple[str, Any]]:
    """Every sentence of the sample article with the voice narrator gives it."""
    from narrator.build.pipeline import collect_articles, plan, requests_for
    from narrator.config import load_config
    from narrator.text.ingest import read_article

    config = load_config(None)
    requests: list[tuple[str, Any]] = []
    for path in collect_articles([SAMPLE]):
        article = read_article(path, language=config.show.language)
        requests.extend(requests_for(plan(article, config), config))
    return requests


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower().replace("-", " "))


def edit_distance(ref: list[str], hyp: list[str]) -> int:
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1]


def recognize(decoder: Any, samples: np.ndarray, rate: int) -> str:
    from scipy.signal import resample_poly

    g = math.gcd(16000, rate)
    audio = resample_poly(samples.astype(np.float64), 16000 // g, rate // g)
    pcm = (np.clip(audio, -1, 1) * 32767).astype(np.int16).tobytes()
    decoder.start_utt()
    decoder.process_raw(pcm, full_utt=True)
    decoder.end_utt()
    hyp = decoder.hyp()
    return hyp.hypstr if hyp is not None else ""


def yin_f0(
    samples: np.ndarray, rate: int, fmin: float = 60, fmax: float = 400, threshold: float = 0.15
) -> np.ndarray:
    """F0 in Hz of each voiced frame (YIN with parabolic refinement); unvoiced frames dropped."""
    window, hop = 1024, 256
    tau_min, tau_max = int(rate / fmax), int(rate / fmin)
    span = window + tau_max
    if len(samples) < span:
        return np.zeros(0)
    starts = np.arange(0, len(samples) - span, hop)
    frames = np.stack([samples[s : s + span] for s in starts]).astype(np.float64)
    loud = np.sqrt((frames[:, :window] ** 2).mean(axis=1))
    n = 1 << (2 * span - 1).bit_length()
    spec_a = np.fft.rfft(frames[:, :window], n)
    spec_b = np.fft.rfft(frames, n)
    acf = np.fft.irfft(np.conj(spec_a) * spec_b, n)[:, : tau_max + 1]
    energy = np.concatenate([np.zeros((len(frames), 1)), np.cumsum(frames**2, axis=1)], axis=1)
    e_tau = energy[:, window : window + tau_max + 1] - energy[:, : tau_max + 1]
    diff = energy[:, window : window + 1] + e_tau - 2 * acf
    diff[:, 0] = 0
    cumulative = np.cumsum(diff[:, 1:], axis=1)
    cmnd = np.ones_like(diff)
    cmnd[:, 1:] = diff[:, 1:] * np.arange(1, tau_max + 1) / np.maximum(cumulative, 1e-12)
    f0 = []
    for i, row in enumerate(cmnd):
        if loud[i] < 0.03 * loud.max():
            continue
        below = np.nonzero(row[tau_min:tau_max] < threshold)[0]
        if not len(below):
            continue
        tau = tau_min + int(below[0])
        while tau + 1 < tau_max and row[tau + 1] < row[tau]:
            tau += 1
        a, b, c = row[tau - 1], row[tau], row[tau + 1]
        shift = 0.5 * (a - c) / (a - 2 * b + c) if (a - 2 * b + c) != 0 else 0.0
        f0.append(rate / (tau + shift))
    return np.asarray(f0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--renders", type=int, default=4)
    parser.add_argument("--grid", default=DEFAULT_GRID)
    parser.add_argument("--limit", type=int, default=0, help="first N sentences only")
    args = parser.parse_args(argv)

    from pocketsphinx import Decoder

    from narrator.voice.backends import get_backend
    from narrator.voice.backends.piper import PiperBackend
    from narrator.voice.backends.piper_noise import steady_synthesizer

    requests = sentences()
    if args.limit:
        requests = requests[: args.limit]
    backend = get_backend("piper")
    assert isinstance(backend, PiperBackend)
    piper_voice = backend._voice(requests[0][1])
    synth = steady_synthesizer(piper_voice)
    assert synth.steady, "needs the prepared (steady) model"
    rate = piper_voice.config.sample_rate
    decoder = Decoder(samprate=16000, loglevel="FATAL")
    grid = [tuple(float(v) for v in pair.split(":")) for pair in args.grid.split(",")]
    print(f"{len(requests)} sentences x {args.renders} renders; pocketsphinx en-US; YIN F0")
    print(f"{'noise_scale':>11} {'noise_w':>7} {'WER %':>6} {'±':>4} {'F0 sd st':>8} {'±':>5}")
    for noise_scale, noise_w in grid:
        started = time.perf_counter()
        wers, sds = [], []
        for render in range(args.renders):
            errors = total = 0
            render_sds = []
            for text, voice in requests:
                voice = replace(voice, noise_scale=noise_scale, noise_w=noise_w)
                samples = synth.synthesize(
                    text,
                    length_scale=piper_voice.config.length_scale * voice.length_scale,
                    noise_scale=noise_scale,
                    noise_w=noise_w,
                    identity=f"bench-render-{render}",
                )
                ref = words(text)
                errors += edit_distance(ref, words(recognize(decoder, samples, rate)))
                total += len(ref)
                f0 = yin_f0(samples, rate)
                if len(f0) >= 5:
                    q1, q3 = np.percentile(12 * np.log2(f0), [25, 75])
                    render_sds.append(float(q3 - q1) / 1.349)
            wers.append(100 * errors / max(total, 1))
            sds.append(statistics.fmean(render_sds))
        spread = statistics.stdev(wers) if len(wers) > 1 else 0.0
        sd_spread = statistics.stdev(sds) if len(sds) > 1 else 0.0
        print(
            f"{noise_scale:11.3f} {noise_w:7.2f} {statistics.fmean(wers):6.1f} {spread:4.1f}"
            f" {statistics.fmean(sds):8.2f} {sd_spread:5.2f}"
            f"   ({time.perf_counter() - started:.0f} s; WER per render"
            f" {', '.join(f'{w:.1f}' for w in wers)})",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
