"""Cover art: the configured image, or a square one made with Pillow showing the show title."""

from __future__ import annotations

import hashlib
import io
import logging
import textwrap
from dataclasses import dataclass
from pathlib import Path

from narrator.build.atomic import write_if_changed
from narrator.errors import NarratorError
from narrator.models import Show

log = logging.getLogger(__name__)

SIZE = 1400
MIN_SIZE, MAX_SIZE = 1400, 3000


@dataclass(frozen=True, slots=True)
class Cover:
    """The show's art as written into the output folder."""

    file: str
    """Path relative to the output folder."""
    data: bytes
    mime: str


COVER_REVISION = 1
"""Bump when ``_generated`` draws differently (covers already written are then redrawn)."""


def _generated_key(title: str) -> bytes:
    """What a generated cover shows, written into the JPEG as a comment."""
    digest = hashlib.sha256(f"{COVER_REVISION}|{SIZE}|{title}".encode()).hexdigest()[:24]
    return f"narrator-cover:{digest}".encode()


def _existing(path: Path, key: bytes) -> bytes | None:
    """The cover already at ``path`` if it was generated for ``key`` (no redraw, no
    Pillow import: 60 ms of every build)."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    return data if key in data[:512] else None


def _generated(title: str) -> bytes:
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (SIZE, SIZE), (28, 42, 68))
    draw = ImageDraw.Draw(image)
    draw.rectangle((60, 60, SIZE - 60, SIZE - 60), outline=(240, 180, 70), width=12)
    lines = textwrap.wrap(title, width=14)[:5] or ["narrator"]
    size = 170 if len(lines) <= 3 else 130
    font = ImageFont.load_default(size=size)
    heights = [draw.textbbox((0, 0), line, font=font)[3] for line in lines]
    y = (SIZE - sum(heights) - 30 * (len(lines) - 1)) // 2
    for line, height in zip(lines, heights, strict=True):
        width = draw.textlength(line, font=font)
        draw.text(((SIZE - width) / 2, y), line, font=font, fill=(250, 246, 235))
        y += height + 30
    small = ImageFont.load_default(size=56)
    label = "a narrator podcast"
    draw.text(
        ((SIZE - draw.textlength(label, font=small)) / 2, SIZE - 200),
        label,
        font=small,
        fill=(240, 180, 70),
    )
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=88, comment=_generated_key(title))
    return buffer.getvalue()


def _configured(path: Path) -> tuple[bytes, str]:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            width, height = image.size
            fmt, mode = image.format, image.mode
    except (OSError, UnidentifiedImageError) as exc:
        raise NarratorError(f"cover art is not a readable image: {exc}", path=path) from exc
    if width != height or not MIN_SIZE <= width <= MAX_SIZE:
        raise NarratorError(
            f"cover art is {width}x{height}",
            path=path,
            hint=f"podcast apps need a square image of {MIN_SIZE}-{MAX_SIZE} px",
        )
    if fmt not in ("JPEG", "PNG") or mode not in ("RGB", "L", "P"):
        raise NarratorError(f"cover art is {fmt} {mode}", path=path, hint="use an RGB JPEG or PNG")
    return path.read_bytes(), "image/jpeg" if fmt == "JPEG" else "image/png"


def ensure_cover(out_dir: Path, show: Show) -> Cover:
    """Write the cover into ``out_dir`` (only if it changed) and return it."""
    if show.cover is not None:
        data, mime = _configured(show.cover)
    else:
        mime = "image/jpeg"
        data = _existing(out_dir / "cover.jpg", _generated_key(show.title)) or _generated(
            show.title
        )
    name = "cover.jpg" if mime == "image/jpeg" else "cover.png"
    write_if_changed(out_dir / name, data)
    return Cover(name, data, mime)
