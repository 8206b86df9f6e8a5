"""A small picture of an image for the terminal: its pixels scaled down to a grid of cells,
two pixels a cell (the upper half block, foreground over background). Only colours come
out of the image's data; nothing of it is ever written to the terminal as it is.

Decoding is Pillow's (well kept; the formats we send are PNG, JPEG, GIF and WebP, and
writing their decoders is not our job). Pillow is imported at the first picture, off
the UI thread: start-up does not pay for it. Plain Python."""

from __future__ import annotations

import base64
import binascii
import io
import re
import warnings
from dataclasses import dataclass

from .images import MAX_BYTES

RGB = tuple[int, int, int]
# The largest image decoded for a picture (pixels): a "decompression bomb" (a tiny file
# that claims 50,000 x 50,000 pixels) is refused before it is decoded.
MAX_PIXELS = 16_000_000  # about 64 MB while it is converted
# What we send (tui/core/images.py sniffs these): no other decoder of Pillow's is reached
# (EPS would run Ghostscript; TIFF, PSD, FITS & co. are more code for a hostile file).
FORMATS = ("PNG", "JPEG", "GIF", "WEBP")
_DATA_URL = re.compile(r"data:(image/[a-z0-9.+-]+);base64,", re.I)
_BACKDROP: RGB = (32, 32, 32)  # what transparent pixels are shown over


@dataclass(frozen=True)
class Thumbnail:
    """``rows`` of cells, each (upper pixel, lower pixel); the image's own size."""

    rows: list[list[tuple[RGB, RGB]]]
    width: int
    height: int

    @property
    def cols(self) -> int:
        return len(self.rows[0]) if self.rows else 0


def data_url_bytes(url: str) -> bytes | None:
    """The bytes of an image data URL (None: not one, bad base64, or over 20 MB)."""
    m = _DATA_URL.match(url)
    if m is None or (len(url) - m.end()) * 3 // 4 > MAX_BYTES:
        return None
    try:
        return base64.b64decode(url[m.end() :], validate=True)
    except (binascii.Error, ValueError):
        return None


def thumbnail(data: bytes, cols: int = 32, rows: int = 8) -> Thumbnail | None:
    """``data`` (an image file's bytes) as at most ``cols`` x ``rows`` cells, its aspect
    kept (a cell is about twice as tall as wide: two pixels). None when it does not
    decode, or claims more than :data:`MAX_PIXELS`."""
    try:
        from PIL import Image
    except ImportError:  # the picture is a nicety: without Pillow, none
        return None
    if cols < 1 or rows < 1:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=FORMATS) as img:
                width, height = img.size
                if width < 1 or height < 1 or width * height > MAX_PIXELS:
                    return None
                img.draft("RGB", (cols * 2, rows * 4))  # JPEG: decode at a fraction
                img.seek(0)  # an animation: its first frame
                small = img.convert("RGBA")
        small.thumbnail((cols, rows * 2))
        back = Image.new("RGBA", small.size, (*_BACKDROP, 255))
        pixels = Image.alpha_composite(back, small).convert("RGB")
    except Exception:  # anything a hostile file makes Pillow raise: no picture
        return None
    w, h = pixels.size
    data_rgb = pixels.tobytes()

    def at(x: int, y: int) -> RGB:
        if y >= h:
            return _BACKDROP
        i = (y * w + x) * 3
        return (data_rgb[i], data_rgb[i + 1], data_rgb[i + 2])

    grid = [[(at(x, y), at(x, y + 1)) for x in range(w)] for y in range(0, h, 2)]
    return Thumbnail(grid, width, height)
