"""Tests of the HTTP layer (``tui.api``), which knows nothing of Textual.

Helpers shared by the test modules live here."""

from __future__ import annotations

from typing import Any

SSE = [("Content-Type", "text/event-stream")]


class FakeSleep:
    """Records the delays the client would sleep between retries, without sleeping."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


class FakeClock:
    """A monotonic clock that moves one step each time it is read."""

    def __init__(self, step: float = 0.5) -> None:
        self.now = 100.0
        self.step = step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def chunk(
    index: int | None = 0,
    *,
    finish: str | None = None,
    usage: dict[str, Any] | None = None,
    choices: list[dict[str, Any]] | None = None,
    **delta: Any,
) -> dict[str, Any]:
    """One ``chat.completion.chunk`` with a single choice (or ``choices`` as given)."""
    obj: dict[str, Any] = {
        "id": "chatcmpl-test",
        "object": "chat.completion.chunk",
        "created": 1727346170,
        "model": "test-model",
    }
    if choices is not None:
        obj["choices"] = choices
    else:
        obj["choices"] = [
            {"index": index, "delta": delta, "logprobs": None, "finish_reason": finish}
        ]
    if usage is not None:
        obj["usage"] = usage
    return obj


def text_stream(text: str, *, finish: str = "stop", done: bool = True) -> list[Any]:
    """Events of a one-choice answer, one word per chunk."""
    events: list[Any] = [chunk(role="assistant", content="")]
    words = text.split(" ")
    for i, word in enumerate(words):
        events.append(chunk(content=word if i == 0 else " " + word))
    events.append(chunk(finish=finish))
    if done:
        events.append("[DONE]")
    return events


def request(stream: bool = True, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": "test-model",
        "messages": [{"role": "user", "content": "Hello"}],
        **extra,
    }
    if stream:
        body["stream"] = True
    return body
