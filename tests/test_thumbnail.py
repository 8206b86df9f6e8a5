"""The small picture of a sent image: scaled to cells of two pixels with its colours, its
aspect kept, transparency over a dark backdrop; a file that does not decode, claims
billions of pixels, or is not a data URL gives none; in the app it is drawn with half
blocks only (nothing of the file's bytes reaches the screen), off the UI thread."""

from __future__ import annotations

import base64
import io
import json
import struct
import zlib

from PIL import Image, PngImagePlugin

from tests.app.conftest import make_app, settle, until
from tests.loopback import Reply, text_stream
from tui.app.widgets.image_preview import ImagePreview
from tui.app.widgets.message import MessageView
from tui.core.export import markdown_transcript
from tui.core.images import from_path
from tui.core.store import load_file, save_file
from tui.core.thumbnail import data_url_bytes, thumbnail


def image_bytes(img: Image.Image, fmt: str = "PNG", **kw) -> bytes:
    out = io.BytesIO()
    img.save(out, fmt, **kw)
    return out.getvalue()


def halves(w: int = 64, h: int = 32) -> Image.Image:
    """Left half red, right half blue."""
    img = Image.new("RGB", (w, h), (255, 0, 0))
    img.paste((0, 0, 255), (w // 2, 0, w, h))
    return img


def test_colours_and_aspect():
    thumb = thumbnail(image_bytes(halves()), cols=32, rows=8)
    assert thumb is not None and (thumb.width, thumb.height) == (64, 32)
    assert thumb.cols == 32 and len(thumb.rows) == 8  # 32 x 16 pixels: 8 rows of two
    assert thumb.rows[0][0] == ((255, 0, 0), (255, 0, 0))
    assert thumb.rows[-1][-1] == ((0, 0, 255), (0, 0, 255))
    tall = thumbnail(image_bytes(halves(10, 100)), cols=32, rows=8)
    assert tall is not None and len(tall.rows) == 8 and tall.cols == 2


def test_jpeg_and_transparency():
    jpeg = thumbnail(image_bytes(halves(400, 200), "JPEG", quality=95), cols=20, rows=5)
    assert jpeg is not None and jpeg.cols == 20
    red = jpeg.rows[2][0][0]
    assert red[0] > 200 and red[2] < 60
    clear = Image.new("RGBA", (4, 4), (0, 0, 0, 0))
    thumb = thumbnail(image_bytes(clear))
    assert thumb is not None and thumb.rows[0][0] == ((32, 32, 32), (32, 32, 32))


def _png_claiming(w: int, h: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    head = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", head)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def test_what_gives_no_picture():
    assert thumbnail(_png_claiming(100_000, 100_000)) is None  # a decompression bomb
    assert thumbnail(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40) is None  # truncated
    assert thumbnail(b"not an image") is None
    assert thumbnail(image_bytes(halves()), cols=0) is None
    assert data_url_bytes("https://example.com/a.png") is None
    assert data_url_bytes("data:image/png;base64,!!!") is None
    assert data_url_bytes("data:text/html;base64,PGI+") is None
    assert data_url_bytes("data:image/png;base64,aGk=") == b"hi"


async def test_the_sent_image_is_drawn_with_half_blocks_only(loopback, tmp_path):
    # a PNG whose text chunk is a terminal escape (OSC 52: write the clipboard)
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "\x1b]52;c;aGk=\x07\x1b[2J")
    (tmp_path / "evil.png").write_bytes(image_bytes(halves(), pnginfo=info))
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 64)
    loopback.route("/chat/completions", Reply.sse(text_stream("seen")))
    app = make_app(loopback.base_url)
    async with app.run_test(size=(120, 40)) as pilot:
        chat = app.chat
        assert chat.attach(str(tmp_path / "evil.png"))
        assert chat.attach(str(tmp_path / "broken.jpg"))
        await chat.send_text("look")
        await settle(app, pilot)
        good, broken = list(chat.query(ImagePreview).results(ImagePreview))
        await until(pilot, lambda: good.thumb is not None and good.size.height > 0)
        assert good.size == (32, 8)  # 64 x 32 pixels: 32 cells by 8
        lines = [good.render_line(y) for y in range(good.size.height)]
        assert {seg.text for strip in lines for seg in strip} == {"▀"}
        first = next(iter(lines[0]))
        assert first.style.color.triplet == (255, 0, 0)
        assert broken.thumb is None and broken.size.height == 0
        # what was sent is the file, exactly
        sent = loopback.requests[-1].json()["messages"][-1]["content"]
        url = sent[1]["image_url"]["url"]
        assert url == from_path(str(tmp_path / "evil.png")).url
        assert base64.b64decode(url.split(",", 1)[1]) == (tmp_path / "evil.png").read_bytes()


async def test_the_image_is_named_by_its_file_and_the_name_is_saved(loopback, tmp_path):
    name = "teal\x1b[31m.png"
    (tmp_path / name).write_bytes(image_bytes(halves()))
    loopback.route("/chat/completions", Reply.sse(text_stream("seen")))
    app = make_app(loopback.base_url)
    async with app.run_test(size=(120, 40)) as pilot:
        chat = app.chat
        assert chat.attach(str(tmp_path / name))
        await chat.send_text("look")
        await settle(app, pilot)
        shown = str(chat.query(MessageView).last().render())
        assert "[image teal␛[31m.png, image/png, " in shown and "\x1b" not in shown
        sent = loopback.requests[-1].json()
        assert "teal" not in json.dumps(sent)  # the name is never sent
        conv = chat.conversation
        path = tmp_path / "c.json"
        save_file(conv, path)
        again = load_file(path)
        assert again.image_names == conv.image_names and list(again.image_names.values()) == [name]
        assert "teal" in markdown_transcript(again)
