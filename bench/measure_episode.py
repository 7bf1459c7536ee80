"""Measure built episodes: decoded duration, integrated loudness, true peak, silences.

python bench/measure_episode.py audio/episodes/*.mp3
"""

from __future__ import annotations

import sys
from pathlib import Path

from mutagen.mp3 import MP3

from narrator.audio.codec import decode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.audio_measure import integrated_loudness, silent_runs, true_peak_db


def main(paths: list[str]) -> int:
    if not paths:
        print(__doc__)
        return 2
    for name in paths:
        path = Path(name)
        clip = decode(path.read_bytes())
        runs = silent_runs(clip)
        inner = [length for start, length in runs[1:-1]]
        print(
            f"{path.name}: {clip.duration:.2f} s decoded (tag {MP3(path).info.length:.2f} s), "
            f"{integrated_loudness(clip):.2f} LUFS, true peak {true_peak_db(clip):.2f} dBTP, "
            f"lead-in {runs[0][1]:.2f} s, tail {runs[-1][1]:.2f} s, "
            f"longest inner pause {max(inner, default=0):.2f} s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
