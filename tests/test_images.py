"""Images: read from files by their bytes (PNG, JPEG, GIF, WebP; up to 20 MB), sent as
image_url parts with data URLs; a loopback server decodes what it gets and answers with
its type and size, for ask --image and the app (palette, a dropped file's pasted path,
refusals, a model that lists no image input)."""

from __future__ import annotations

import base64
import struct
import zlib

import pytest
from textual.widgets import Input, Static

from tests.app.conftest import make_app, settle, until
from tests.loopback import Reply, text_stream
from tests.refdata import request_validator
from tui import cli
from tui.app.screens.confirm import ConfirmScreen
from tui.app.screens.path import PathScreen
from tui.app.widgets.message import MessageView
from tui.core.images import MAX_BYTES, ImageError, from_path, from_text, user_content


def png(w: int = 3, h: int = 2) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    raw = b"".join(b"\x00" + b"\x10\x80\xc0" * w for _ in range(h))
    head = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", head) + chunk(b"IDAT", zlib.compress(raw))


@pytest.fixture
def files(tmp_path):
    (tmp_path / "teal.png").write_bytes(png())
    (tmp_path / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 64)
    (tmp_path / "notes.png").write_text("not really an image")
    with open(tmp_path / "huge.png", "wb") as f:
        f.truncate(MAX_BYTES + 1)
    return tmp_path


def describe_images(request) -> Reply:
    """Decodes every data URL it was sent; says each one's type and size."""
    body = request.json()
    said = []
    for message in body["messages"]:
        for part in message["content"] if isinstance(message["content"], list) else []:
            if part["type"] == "image_url":
                url = part["image_url"]["url"]
                head, _, data = url.partition(",")
                said.append(f"{head[5:].split(';')[0]} {len(base64.b64decode(data))} bytes")
    return Reply.sse(text_stream("; ".join(said) or "no image"))


def test_reading_images(files):
    a = from_path(str(files / "teal.png"))
    assert (a.name, a.mime, a.size) == ("teal.png", "image/png", len(png()))
    assert a.url.startswith("data:image/png;base64,")
    assert from_path(str(files / "photo.jpg")).mime == "image/jpeg"
    assert from_text(f"file://{files / 'teal.png'}").mime == "image/png"
    assert from_text("https://example.com/cat.png").url == "https://example.com/cat.png"
    for name, says in (("none.png", "no such file"), ("notes.png", "is not a PNG"),
                       ("huge.png", "up to 20 MB")):  # fmt: skip
        with pytest.raises(ImageError, match=says):
            from_path(str(files / name))
    with pytest.raises(ImageError, match="http"):
        from_text("https://has spaces/y.png")
    content = user_content("what is this?", [a])
    request_validator()({"model": "m", "messages": [{"role": "user", "content": content}]})


def test_ask_image(capsys, loopback, files):
    loopback.route("/chat/completions", describe_images)
    code = cli.main(
        ["ask", "--base-url", loopback.base_url, "-m", "m", "--image", str(files / "teal.png"),
         "--image", str(files / "photo.jpg"), "what are these?"]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0 and out.strip() == f"image/png {len(png())} bytes; image/jpeg 68 bytes"
    request_validator()(loopback.requests[0].json())
    code = cli.main(
        ["ask", "--base-url", loopback.base_url, "--image", str(files / "huge.png"), "x"]
    )
    assert code == 2 and "20 MB" in capsys.readouterr().err


async def test_attach_send_paste_and_refusals_in_the_app(loopback, files):
    loopback.route("/chat/completions", describe_images)
    app = make_app(loopback.base_url)
    async with app.run_test(size=(120, 40)) as pilot:
        chat = app.chat
        strip = chat.query_one("#attachments", Static)
        chat.action_attach_image()  # the palette's command
        await until(pilot, lambda: isinstance(app.screen, PathScreen))
        app.screen.query_one(Input).value = str(files / "teal.png")
        await pilot.press("enter")
        await until(pilot, lambda: strip.display)
        assert "teal.png (image/png" in str(strip.render())
        # refusals say why and attach nothing
        for name, says in (
            ("huge.png", "20 MB"),
            ("notes.png", "not a PNG"),
            ("no.png", "no such"),
        ):
            assert not chat.attach(str(files / name))
            await pilot.pause()
            assert says in str(list(app._notifications)[-1].message)
        # a file dropped on the terminal pastes its path: attached, not typed
        await pilot.click("#composer")
        chat.query_one("#composer").post_message(
            __import__("textual.events", fromlist=["Paste"]).Paste(f"'{files / 'photo.jpg'}'")
        )
        await pilot.pause()
        assert len(chat.attachments) == 2 and chat.query_one("#composer").text == ""
        await pilot.press(*"what are these?", "enter")
        await settle(app, pilot)
        assert chat.last_reply_text() == f"image/png {len(png())} bytes; image/jpeg 68 bytes"
        assert not strip.display and chat.attachments == []
        shown = str(chat.query(MessageView).last().render())
        assert "[image teal.png, image/png, 0.1 KB, sha256 " in shown and "base64" not in shown
        request_validator()(loopback.requests[-1].json())


async def test_a_model_that_takes_no_images_asks_first(loopback, files):
    models = {"data": [{"id": "text-only", "architecture": {"input_modalities": ["text"]}}]}
    loopback.route("/models", Reply.json(models))
    loopback.route("/chat/completions", describe_images)
    app = make_app(loopback.base_url, model="text-only")
    async with app.run_test(size=(120, 40)) as pilot:
        await app.chat.session.models()
        assert app.chat.attach(str(files / "teal.png"))
        await pilot.press(*"hi", "enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert "lists no image input" in str(app.screen.query_one(Static).render())
        await pilot.press("escape")  # go back: nothing sent, the image still attached
        await pilot.pause()
        assert not any(r.path.endswith("/chat/completions") for r in loopback.requests)
        assert len(app.chat.attachments) == 1


async def test_the_path_is_completed_as_it_is_typed(loopback, files):
    (files / "\x1b[2Jevil.png").write_bytes(png())
    app = make_app(loopback.base_url)
    async with app.run_test(size=(120, 40)) as pilot:
        app.chat.action_attach_image()
        await until(pilot, lambda: isinstance(app.screen, PathScreen))
        await pilot.press(*f"{files}/te")
        field = app.screen.query_one(Input)
        await until(pilot, lambda: field._suggestion == f"{files}/teal.png")
        await pilot.press("right", "enter")  # → takes the completion
        await until(pilot, lambda: len(app.chat.attachments) == 1)
        assert app.chat.attachments[0].name == "teal.png"
        from tui.app.screens.path import PathSuggester

        # a name that would steer the terminal is never offered
        assert await PathSuggester().get_suggestion(f"{files}/\x1b") is None
