"""--low-bandwidth: a streaming reply is drawn 5 times a second instead of 30 (each frame
repaints the growing lines, so fewer frames write fewer bytes over SSH), and all of it
still arrives."""

from __future__ import annotations

from tests.app.conftest import make_app, settle
from tests.app.test_turn_end import paced
from tui.app.chat.runner import FRAME, SLOW_LINK_FRAME
from tui.app.widgets.choice import ChoiceView
from tui.app.widgets.turn import TurnView
from tui.cli import app_parser


async def frames_of_a_paced_reply(loopback, monkeypatch, **kw) -> tuple[int, str]:
    parts = [f"word{i} " for i in range(40)]
    loopback.enqueue(paced(parts, 0.05))  # 2 s of deltas, 20 a second
    app = make_app(loopback.base_url, **kw)
    frames = 0
    update_from = ChoiceView.update_from

    async def counted(self: ChoiceView, state) -> None:
        nonlocal frames
        frames += 1
        await update_from(self, state)

    monkeypatch.setattr(ChoiceView, "update_from", counted)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press(*"go", "enter")
        await settle(app, pilot)
        shown = app.chat.query_one(TurnView).content_of()
    return frames, shown


async def test_a_slow_link_draws_a_streaming_reply_a_few_times_a_second(loopback, monkeypatch):
    assert SLOW_LINK_FRAME >= 4 * FRAME
    slow, slow_text = await frames_of_a_paced_reply(loopback, monkeypatch, low_bandwidth=True)
    fast, fast_text = await frames_of_a_paced_reply(loopback, monkeypatch)
    whole = "".join(f"word{i} " for i in range(40)).strip()
    assert slow_text.strip() == whole and fast_text.strip() == whole
    # 2 s of stream: about 10 frames at 5 a second (a slow machine draws fewer, never more)
    assert slow <= 14, slow
    assert fast > slow, (fast, slow)


def test_the_flag_is_on_the_command_line() -> None:
    assert app_parser().parse_args(["--low-bandwidth"]).low_bandwidth is True
    assert app_parser().parse_args([]).low_bandwidth is False
