"""Images sent with a message: read from a file (sniffed by their first bytes, not their
name; at most 20 MB) or given by URL, and sent as ``image_url`` content parts.

Stored as data URLs, in the message itself: the conversation file then holds exactly
what was sent, so every saved request rebuilds byte for byte (its sha256 still checks,
and a verification still holds) and nothing breaks when the file is moved or deleted.
The cost is size: a 2 MB photo grows the conversation by about 2.7 MB. Plain Python."""

from __future__ import annotations

import base64
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MAX_BYTES = 20 * 1024 * 1024  # what OpenAI accepts per image
DETAILS = ("auto", "low", "high")

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


class ImageError(ValueError):
    """Why an image cannot be attached, in words."""


def sniff(head: bytes) -> str | None:
    """The image type of a file from its first bytes (None: not an image we send)."""
    for magic, mime in _MAGIC:
        if head.startswith(magic):
            return mime
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def human_size(n: int) -> str:
    for unit in ("B", "KB", "MB"):
        if n < 1024 or unit == "MB":
            return f"{n:,} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return f"{n} B"


@dataclass(frozen=True)
class Attachment:
    name: str  # the file's name, or the URL
    url: str  # a data URL, or the http(s) URL given
    mime: str | None = None
    size: int | None = None  # bytes of the image (None for a URL)
    detail: str = "auto"

    def part(self) -> dict[str, Any]:
        return {"type": "image_url", "image_url": {"url": self.url, "detail": self.detail}}

    def label(self) -> str:
        if self.size is None:
            return f"{self.name} (URL)"
        return f"{self.name} ({self.mime}, {human_size(self.size)})"


def from_path(path: str, detail: str = "auto") -> Attachment:
    """An image file as an attachment. Raises :class:`ImageError` saying why not."""
    p = Path(_local(path)).expanduser()
    try:
        data = read_regular(str(p), MAX_BYTES + 1)
    except FileNotFoundError:
        raise ImageError(f"{p}: no such file") from None
    except OSError as exc:
        raise ImageError(f"{p}: {exc.strerror or exc}") from None
    if data is None:
        raise ImageError(f"{p}: not a file")
    if len(data) > MAX_BYTES:
        raise ImageError(f"{p.name} is over 20 MB: images are sent up to 20 MB; make it smaller")
    mime = sniff(data[:16])
    if mime is None:
        raise ImageError(f"{p.name} is not a PNG, JPEG, GIF or WebP image")
    url = f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
    return Attachment(p.name, url, mime, len(data), detail)


def read_regular(path: str, limit: int) -> bytes | None:
    """Up to ``limit`` bytes of a regular file, or None when it is not one (a FIFO, a
    device, a folder). Opened without blocking and checked on the open descriptor, so a
    path swapped for a FIFO between a check and the read cannot hang the app."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        chunks, left = [], limit
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def from_url(url: str, detail: str = "auto") -> Attachment:
    url = url.strip()
    if not re.match(r"^https?://\S+$", url):
        raise ImageError("an image URL starts with http:// or https:// and has no spaces")
    return Attachment(url, url, detail=detail)


def _local(text: str) -> str:
    """A pasted path as a path: ``file://`` and surrounding quotes taken off."""
    text = text.strip()
    if text.startswith("file://"):
        text = text[len("file://") :]
    return text.strip("'\"")


def from_text(text: str, detail: str = "auto") -> Attachment:
    """A path or a URL, as typed or pasted (a dropped file pastes its path)."""
    text = text.strip()
    if text.startswith(("http://", "https://")):
        return from_url(text, detail)
    return from_path(_local(text), detail)


def pasted_image_path(text: str) -> str | None:
    """The path in pasted text, when it is one line naming an image file (a file dropped
    on the terminal); None otherwise. Never blocks (see :func:`read_regular`)."""
    if "\n" in text.strip() or len(text) > 4096:
        return None
    path = _local(text)
    if not path or not (path.startswith(("/", "~")) or path[1:3] == ":\\"):
        return None
    try:
        head = read_regular(os.path.expanduser(path), 16)
    except OSError:
        return None
    return path if head is not None and sniff(head) else None


def user_content(text: str, attachments: list[Attachment]) -> Any:
    """A user message's content: the text alone, or text and image parts."""
    if not attachments:
        return text
    return [{"type": "text", "text": text}, *(a.part() for a in attachments)]
