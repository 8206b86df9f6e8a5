"""The footer shows the keys of what has focus, and is rebuilt only when those keys
change: stepping between messages (same keys) leaves it as it is."""

from __future__ import annotations

from textual.widgets._footer import FooterKey

from tests.app.conftest import make_app
from tests.app.test_long_conversation import long_conversation
from tui.app.widgets.footer import KeyFooter
from tui.app.widgets.turn import MessageView


def footer_keys(app) -> list[FooterKey]:
    return list(app.chat.query_one(KeyFooter).query(FooterKey).results(FooterKey))


def labels(app) -> list[str]:
    return [key.description for key in footer_keys(app)]


async def test_footer_follows_focus_and_is_not_rebuilt_between_messages(loopback):
    app = make_app(loopback.base_url, conversation=long_conversation(6, lines=0))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert "Regenerate" in labels(app)
        assert "Edit & resend" not in labels(app)  # the composer has focus
        await pilot.press("ctrl+up")
        await pilot.pause()
        assert isinstance(app.focused, MessageView)
        assert "Edit & resend" in labels(app)  # the message's own keys are shown
        keys = footer_keys(app)
        first = app.focused
        await pilot.press("up")
        await pilot.pause()
        await pilot.press("up")
        await pilot.pause()
        assert isinstance(app.focused, MessageView) and app.focused is not first
        assert footer_keys(app) == keys  # the same keys: nothing was rebuilt
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert app.focused.id == "composer"
        assert "Edit & resend" not in labels(app)  # other keys: rebuilt
        assert "Regenerate" in labels(app)
