"""Variants in the app (F7): three requests at once against the loopback server, in three
columns; their bodies differ exactly by the overrides; picking one continues the
conversation; reopened, all three are there; an error in one column leaves the others;
esc stops all three; snapshots mid-stream at 120x40 and 80x24."""

from __future__ import annotations

import json
from typing import Any

from textual.widgets import Select, Static, TextArea

from tests.app.conftest import make_app, settle, until
from tests.app.test_snapshots import SIZES, _settle, build
from tests.loopback import Reply, chunk, sse
from tests.refdata import request_validator
from tui.app.screens.export import ExportScreen
from tui.app.screens.variants import VariantsScreen
from tui.app.widgets.variants import VariantColumn
from tui.core.conversation import Conversation

SSE = [("Content-Type", "text/event-stream")]
VARIANTS = 'temperature=0.2\ntemperature=1.3\nmodel="other-model"'
validate = request_validator()


def words(body: dict[str, Any]) -> list[str]:
    return [f"T{body.get('temperature')} ", f"from {body['model']} ", "**done**"]


def answer(stall: float | None = None):
    def handler(request) -> Reply:
        body = request.json()
        if body["model"] == "broken":
            return Reply.json({"error": {"message": "no such model"}}, status=404)
        events = [chunk(0, "", role="assistant"), *[chunk(0, w) for w in words(body)]]
        if stall is not None:
            return Reply(headers=SSE, body=[*sse(events), stall])
        return Reply(headers=SSE, body=[*sse([*events, chunk(0, finish="stop"), "[DONE]"])])

    return handler


def columns(app) -> list[VariantColumn]:
    return list(app.chat.query(VariantColumn).results(VariantColumn))


def heads(app) -> list[str]:
    return [str(c.query_one(".reply-head", Static).render()) for c in columns(app)]


async def send_variants(app, pilot, lines: str = VARIANTS, text: str = "Which colour?") -> None:
    await pilot.press(*text)
    await pilot.press("f7")
    await until(pilot, lambda: isinstance(app.screen, VariantsScreen))
    app.screen.query_one("#lines", TextArea).load_text(lines)
    await pilot.pause()
    await pilot.press("ctrl+s")


async def test_three_variants_stream_into_columns_and_one_is_picked(loopback, tmp_path):
    loopback.route("/chat/completions", answer())
    app = make_app(loopback.base_url, model="base-model", params={"temperature": 0.7})
    async with app.run_test(size=(120, 40)) as pilot:
        await send_variants(app, pilot)
        await settle(app, pilot)
        bodies = [r.json() for r in loopback.requests if r.path.endswith("/chat/completions")]
        assert len(bodies) == 3
        for body in bodies:
            validate(body)
        by_temp = {(b["temperature"], b["model"]): b for b in bodies}
        assert set(by_temp) == {(0.2, "base-model"), (1.3, "base-model"), (0.7, "other-model")}
        base = {**bodies[0], "temperature": 0.7, "model": "base-model"}  # without variants
        overridden = {(0.2, "base-model"): "temperature", (1.3, "base-model"): "temperature"}
        for key, body in by_temp.items():  # each differs from it by its override only
            diff = {k for k in body.keys() | base.keys() if body.get(k) != base.get(k)}
            assert diff == {overridden.get(key, "model")}
        assert heads(app) == [
            "1. temperature 0.2  ✓ continues",
            "2. temperature 1.3",
            "3. model other-model",
        ]
        texts = [c.content_of() for c in columns(app)]
        assert texts == [
            "T0.2 from base-model **done**",
            "T1.3 from base-model **done**",
            "T0.7 from other-model **done**",
        ]
        # each column's footer: its own finish reason and figures
        for column in columns(app):
            meta = str(column.query_one(".meta", Static).render())
            assert "finish: stop" in meta and "TTFT" in meta
        # the second continues the conversation
        await pilot.press("alt+right", "ctrl+o")
        await pilot.pause()
        assert heads(app)[1] == "2. temperature 1.3  ✓ continues"
        history = app.chat.session.conversation.history()
        assert history[-1] == {"role": "assistant", "content": "T1.3 from base-model **done**"}
        assert app.chat.current_request_body()["messages"][-1]["content"].startswith("T1.3")
        saved = app.chat.conversation.to_dict()

    # reopened: all three, the second still continuing
    conv = Conversation.from_dict(json.loads(json.dumps(saved)))
    app = build(conv)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await until(pilot, lambda: len(columns(app)) == 3)
        assert heads(app)[1].endswith("✓ continues")
        assert [c.content_of() for c in columns(app)][2] == "T0.7 from other-model **done**"
        # F10: a curl command per variant, each its exact request
        await pilot.press("f10")
        await until(pilot, lambda: isinstance(app.screen, ExportScreen))
        app.screen.query_one("#format", Select).value = "variants-curl"
        await pilot.pause()
        text = app.screen.query_one("#export-text", TextArea).text
        assert text.count("curl -sS") == 3 and "# variant 3: model other-model" in text


async def test_an_error_in_one_column_leaves_the_others(loopback):
    loopback.route("/chat/completions", answer())
    app = make_app(loopback.base_url, model="base-model")
    async with app.run_test(size=(120, 40)) as pilot:
        await send_variants(app, pilot, 'temperature=0.1\nmodel="broken"\ntemperature=0.3')
        await settle(app, pilot)
        texts = [c.content_of() for c in columns(app)]
        assert texts[0].startswith("T0.1") and texts[2].startswith("T0.3")
        assert "no such model" in str(columns(app)[1].render_lines) or any(
            "no such model" in str(w.render()) for w in columns(app)[1].query(Static)
        )
        titles = [str(n.title) for n in app._notifications]
        assert any("Variant failed: model broken" in t for t in titles)


async def test_esc_stops_all_three_and_keeps_what_arrived(loopback):
    loopback.route("/chat/completions", answer(stall=30.0))
    app = make_app(loopback.base_url, model="base-model")
    async with app.run_test(size=(120, 40)) as pilot:
        await send_variants(app, pilot)
        turn_of = lambda: app.chat.active_turn  # noqa: E731
        await until(
            pilot,
            lambda: (
                turn_of() is not None
                and all(
                    t.live and 0 in t.live.choices and "done" in t.live.choices[0].content
                    for t in (turn_of(), *turn_of().others)
                )
            ),
        )
        await pilot.press("escape")
        await settle(app, pilot)
        turn = app.chat.conversation.turns[-1]
        replies = turn.all_replies()
        assert len(replies) == 3 and all(r["cancelled"] for r in replies)
        assert [c.content_of() for c in columns(app)][1] == "T1.3 from base-model **done**"


async def test_the_variants_screen_checks_lines_and_fills_a_sweep(loopback):
    app = make_app(loopback.base_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f7")
        await pilot.pause()
        assert not isinstance(app.screen, VariantsScreen)  # nothing typed yet
        await pilot.press(*"hi", "f7")
        await until(pilot, lambda: isinstance(app.screen, VariantsScreen))
        screen = app.screen
        await pilot.click("#sweep")
        await pilot.press(*"top_p: 0.1, 0.9", "enter")
        await pilot.pause()
        assert screen.query_one("#lines", TextArea).text == "top_p=0.1\ntop_p=0.9"
        check = screen.query_one("#check", Static)
        assert str(check.render()) == "1. top_p 0.1\n2. top_p 0.9"
        screen.query_one("#lines", TextArea).load_text("temperature\n\x1b[31m=1")
        await pilot.pause()
        assert "✗ line 1" in str(check.render()) and "\x1b" not in str(check.render())
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, VariantsScreen)  # not sent
        await pilot.press("escape")
        assert loopback.requests == []


def midway_app(loopback) -> Any:
    loopback.route("/chat/completions", answer(stall=30.0))
    return build(None, loopback)


@SIZES
def test_variants_streaming_midway(snap_compare, size, loopback, frozen_clock):
    async def streaming(pilot):
        await _settle(pilot)
        app = pilot.app
        await send_variants(app, pilot)

        def drawn() -> bool:
            turn = app.chat.active_turn
            if turn is None or len(columns(app)) != 3:
                return False
            return all(
                t.live and 0 in t.live.choices and "done" in t.live.choices[0].content
                for t in (turn, *turn.others)
            ) and all(c.content_of().endswith("**done**") for c in columns(app))

        await until(pilot, drawn)
        await pilot.pause(0.2)
        app.clear_notifications()

    assert snap_compare(midway_app(loopback), terminal_size=size, run_before=streaming)


async def test_f4_in_the_variants_screen_adds_a_line_per_model_picked(loopback):
    loopback.route("/models", Reply.json({"data": [{"id": "m-one"}, {"id": "evil\x1b]0;x\x07"}]}))
    app = make_app(loopback.base_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press(*"hi", "f7")
        await until(pilot, lambda: isinstance(app.screen, VariantsScreen))
        screen = app.screen
        screen.query_one("#lines", TextArea).load_text("temperature=0")
        for _ in range(2):
            await pilot.press("f4")
            await until(pilot, lambda: app.screen is not screen and app.screen.loaded)
            await pilot.press("down", "enter" if _ == 0 else "down", "enter")
            await until(pilot, lambda: app.screen is screen)
        text = screen.query_one("#lines", TextArea).text
        lines = [line for line in text.splitlines() if line.strip()]  # (blank ones: skipped)
        assert lines == ["temperature=0", 'model="m-one"', 'model="evil\\u001b]0;x\\u0007"']
        assert "\x1b" not in text  # written as a JSON escape: the exact id, inert


def screen_app(loopback) -> Any:
    return build(None, loopback)


@SIZES
def test_variants_screen_f7(snap_compare, size, loopback):
    async def opened(pilot):
        await _settle(pilot)
        await pilot.press(*"Which colour for a kitchen?", "f7")
        await until(pilot, lambda: isinstance(pilot.app.screen, VariantsScreen))
        await pilot.press(*"temperature: 0, 0.7, 1.4", "enter")
        await _settle(pilot)

    assert snap_compare(screen_app(loopback), terminal_size=size, run_before=opened)
