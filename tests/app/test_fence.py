"""Code blocks in replies (tui/app/widgets/fence.py): no guessing, no lexer built in the
frame, and colours once the lexer is ready."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Label

from tui.app.widgets.fence import QuickFence, ReplyMarkdown, lexer_ready


class FenceApp(App):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        yield ReplyMarkdown(self.text)


def code_of(app: App):
    return app.query_one(QuickFence).query_one("#code-content", Label).content


async def test_a_block_with_no_language_is_shown_plain_without_guessing(monkeypatch) -> None:
    guessed: list[str] = []
    monkeypatch.setattr(
        "textual.highlight.guess_language", lambda code, path=None: guessed.append(code) or "text"
    )
    app = FenceApp("Run this:\n\n```\nls -la /tmp\n```\n")
    async with app.run_test() as pilot:
        await pilot.pause()
        content = code_of(app)
        assert "ls -la /tmp" in content.plain
        await app.workers.wait_for_complete()
    assert guessed == []


async def test_a_block_is_shown_at_once_and_coloured_when_its_lexer_is_built(
    monkeypatch,
) -> None:
    # Haskell: a lexer no other test builds. The thread building it waits for the test,
    # so what the frame showed before is seen.
    import threading

    from tui.app.widgets import fence

    assert not lexer_ready("haskell")
    go = threading.Event()
    build = fence.build_lexer

    def held(language: str) -> None:
        go.wait(10)
        build(language)

    monkeypatch.setattr(fence, "build_lexer", held)
    app = FenceApp('```haskell\nmain :: IO ()\nmain = putStrLn "hi"\n```\n')
    async with app.run_test() as pilot:
        await pilot.pause()
        first = code_of(app)
        assert 'putStrLn "hi"' in first.plain
        assert not first.spans or all("$text" in str(s.style) for s in first.spans)
        go.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        coloured = code_of(app)
        assert 'putStrLn "hi"' in coloured.plain
        assert len(coloured.spans) > 2, "the code was never coloured"
    assert lexer_ready("haskell")
