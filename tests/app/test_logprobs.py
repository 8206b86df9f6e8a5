"""F6: token probabilities. Recorded OpenAI streams with logprobs, a non-streamed reply
with hostile tokens and top alternatives, keys and the mouse, n choices, a reply without
logprobs, and snapshots at 120x40 and 80x24."""

from __future__ import annotations

import math
from typing import Any

import pytest
from textual.widgets import Static, Tabs

from tests.app.conftest import make_app, settle, until
from tests.app.test_snapshots import SIZES, _settle, build
from tests.loopback import Reply
from tests.refdata import STREAMS
from tui.app.screens.logprobs import LogprobsScreen
from tui.app.widgets.token_map import TokenMap
from tui.core.conversation import ChoiceRecord, Conversation, Turn


def recorded(name: str) -> Reply:
    (path,) = (STREAMS / "openai-python").glob(f"{name}__*.bin")
    return Reply(headers=[("Content-Type", "text/event-stream")], body=path.read_bytes())


def lp(token: str, p: float, *top: tuple[str, float]) -> dict[str, Any]:
    return {
        "token": token,
        "logprob": math.log(p),
        "bytes": list(token.encode()),
        "top_logprobs": [{"token": t, "logprob": math.log(q), "bytes": None} for t, q in top],
    }


HOSTILE = "\x1b]52;c;aGk=\x07[b]"
CONTENT = [
    lp("The", 0.95, ("The", 0.95), ("A", 0.04)),
    lp(" sky", 0.6, (" sky", 0.6), (" sea", 0.3)),
    lp(" is", 0.99),
    lp(HOSTILE, 0.03, (" blue", 0.8), (" grey", 0.1)),
    lp("\n", 0.5),
    lp(" today", 0.3),
    {"token": "?", "logprob": "junk"},
    "not an entry",
]


def completion(*choices: list[dict[str, Any]]) -> Reply:
    return Reply.json(
        {
            "id": "chatcmpl-lp",
            "object": "chat.completion",
            "created": 1,
            "model": "test-model",
            "choices": [
                {
                    "index": i,
                    "message": {"role": "assistant", "content": "".join(
                        e["token"] for e in c if isinstance(e, dict)
                    )},
                    "logprobs": {"content": c, "refusal": None},
                    "finish_reason": "stop",
                }
                for i, c in enumerate(choices)
            ],
        }
    )  # fmt: skip


def detail(app) -> str:
    return str(app.screen.query_one("#lp-detail", Static).render())


def map_rows(app) -> list[str]:
    tm = app.screen.query_one(TokenMap)
    return [strip.text for strip in (tm.render_line(y) for y in range(3))]


async def open_f6(app, pilot) -> LogprobsScreen:
    await pilot.press("f6")
    await until(pilot, lambda: isinstance(app.screen, LogprobsScreen))
    return app.screen


async def test_a_recorded_stream_with_logprobs(loopback):
    loopback.route("/chat/completions", recorded("content_logprobs"))
    app = make_app(loopback.base_url, params={"logprobs": True})
    async with app.run_test(size=(120, 40)) as pilot:
        await app.chat.send_text("hi")
        await settle(app, pilot)
        await open_f6(app, pilot)
        assert map_rows(app)[0].startswith("Foo!")
        assert "2 tokens" in str(app.screen.query_one("#lp-summary", Static).render())
        assert "token 1 of 2: 'Foo'   probability 99.7 %" in detail(app)
        assert "bytes [70, 111, 111]" in detail(app)
        await pilot.press("right")
        assert "token 2 of 2: '!'   probability 76.6 %   logprob -0.2664" in detail(app)
        await pilot.press("escape")
        assert not isinstance(app.screen, LogprobsScreen)


async def test_a_refusal_with_logprobs_shows_its_tokens(loopback):
    loopback.route("/chat/completions", recorded("refusal_logprobs"))
    app = make_app(loopback.base_url, params={"logprobs": True})
    async with app.run_test(size=(120, 40)) as pilot:
        await app.chat.send_text("hi")
        await settle(app, pilot)
        await open_f6(app, pilot)
        assert map_rows(app)[0].startswith("I'm very sorry")
        assert 'token 1 of 11: "I\'m"   probability 99.9 %' in detail(app)


async def test_non_streamed_hostile_tokens_alternatives_keys_and_mouse(loopback):
    loopback.route("/chat/completions", completion(CONTENT))
    app = make_app(loopback.base_url, params={"logprobs": True, "top_logprobs": 2, "stream": False})
    async with app.run_test(size=(120, 40)) as pilot:
        await app.chat.send_text("hi")
        await settle(app, pilot)
        await open_f6(app, pilot)
        rows = map_rows(app)
        # the escape sequence is shown, inert; the newline token ends its row
        assert rows[0].startswith("The sky is␛]52;c;aGk=␇[b]↵")
        assert rows[1].startswith(" today?")
        text = detail(app)
        assert "token 1 of 7: 'The'   probability 95.0 %" in text
        assert "top 2 alternatives:" in text and "'The'  ← sampled" in text
        assert "'A'" in text and "4.0 %" in text
        await pilot.press("]")  # the next token under 20 %: the hostile one
        text = detail(app)
        assert "token 4 of 7:" in text and "probability 3.0 %" in text
        assert "(the sampled token is not among them)" in text and "' blue'" in text
        assert "\x1b" not in text and "\x07" not in text
        await pilot.press("[")  # none before it
        assert "token 4 of 7:" in detail(app)
        await pilot.press("down")  # past the end of the shorter row below: its last token
        assert "token 7 of 7:" in detail(app)
        await pilot.press("up")  # the column it came from
        assert "token 2 of 7: ' sky'" in detail(app)
        await pilot.press("home", "down")
        assert "token 6 of 7: ' today'" in detail(app)
        await pilot.press("end")
        assert "token 7 of 7: '?'   probability ?   logprob ?" in detail(app)
        await pilot.press("home")
        assert "token 1 of 7" in detail(app)
        await pilot.click(TokenMap, offset=(5, 0))  # "The sky": column 5 is in " sky"
        assert "token 2 of 7: ' sky'   probability 60.0 %" in detail(app)


async def test_f6_shows_the_choice_on_screen(loopback):
    second = [lp("Two", 0.4)]
    loopback.route("/chat/completions", completion(CONTENT[:2], second))
    params = {"logprobs": True, "n": 2, "stream": False}
    app = make_app(loopback.base_url, params=params)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.chat.send_text("hi")
        await settle(app, pilot)
        await pilot.press("ctrl+n")  # the second choice
        await pilot.pause()
        screen = await open_f6(app, pilot)
        assert "choice 2" in str(screen.query_one("#lp-title", Static).render())
        assert map_rows(app)[0].startswith("Two")


async def test_a_reply_without_logprobs_says_how_to_get_them(loopback):
    loopback.route("/chat/completions", completion([]))
    app = make_app(loopback.base_url, params={"stream": False})
    async with app.run_test(size=(120, 40)) as pilot:
        await app.chat.send_text("hi")
        await settle(app, pilot)
        await pilot.press("f6")
        await pilot.pause()
        assert not isinstance(app.screen, LogprobsScreen)
        assert any("turn on logprobs" in str(n.message) for n in app._notifications)


def test_both_parts_get_tabs():
    screen = LogprobsScreen({"content": CONTENT[:2], "refusal": CONTENT[2:3]}, "t")
    assert screen._parts == ["content", "refusal"]


def logprobs_conversation() -> Conversation:
    conv = Conversation(id="lp", title="Sky", model="test-model", created=0, updated=0)
    turn = Turn(input=[{"role": "user", "content": "What colour is the sky?"}], id="t1")
    turn.started_at = 0
    turn.params = {"model": "test-model", "logprobs": True, "top_logprobs": 2}
    entries = [e for e in CONTENT if isinstance(e, dict)] * 12
    text = "".join(e["token"] for e in entries)
    turn.choices = [
        ChoiceRecord(index=0, content=text, finish_reason="stop", logprobs={"content": entries})
    ]
    turn.model = "test-model"
    conv.turns = [turn]
    return conv


@SIZES
def test_logprobs_view_f6(snap_compare, size):
    async def run(pilot):
        await _settle(pilot)
        await pilot.press("f6")
        await _settle(pilot)
        await pilot.press("]")  # the hostile token, with its alternatives
        await _settle(pilot)

    assert snap_compare(build(logprobs_conversation()), terminal_size=size, run_before=run)


@pytest.mark.parametrize("part", ["content", "refusal"])
async def test_switching_parts(part):
    app = build(logprobs_conversation())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        both = {"content": CONTENT[:2], "refusal": [lp("No", 0.5)]}
        app.push_screen(LogprobsScreen(both, "both"))
        await pilot.pause()
        tabs = app.screen.query_one(Tabs)
        tabs.active = f"lp-{part}"
        await pilot.pause()
        assert map_rows(app)[0].startswith("The sky" if part == "content" else "No")


def test_layout_wraps_between_tokens_and_cuts_only_what_cannot_fit():
    from tui.app.widgets.token_map import layout
    from tui.core.logprobs import TokenProb

    toks = [TokenProb(t, -0.1) for t in ("Hello", " world", "\n", "x" * 12, "日本")]
    rows, where = layout(toks, 8)
    text = ["".join(p.text for p in row) for row in rows]
    # " world" does not fit after "Hello" but fits a row: it moves, whole
    # the newline ends its row; 12 x's are cut at 8; the wide characters fit after them
    assert text == ["Hello", " world↵", "xxxxxxxx", "xxxx日本"]
    assert where[0] == (0, 0) and where[1] == (1, 0)


def test_a_zero_width_token_gets_a_cell_to_click():
    from tui.app.widgets.token_map import layout
    from tui.core.logprobs import TokenProb

    rows, _ = layout([TokenProb("a", -0.1), TokenProb("\u200b", -0.1), TokenProb("b", -0.1)], 20)
    assert "".join(p.text for p in rows[0]) == "a∅b"
