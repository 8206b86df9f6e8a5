"""A server-sent-events decoder (the WHATWG rules) that also keeps what llama.cpp sends
for an error in a stream: a line ``error: {...}`` (a field the standard ignores), then
``data: [DONE]``. Read with the standard rules alone, that turn looks like a success with
an empty reply; here it becomes an event named ``error``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass


@dataclass
class Event:
    event: str = "message"
    data: str = ""


class SSEDecoder:
    def __init__(self) -> None:
        self._event = ""
        self._data: list[str] = []

    def line(self, line: str) -> Event | None:
        """Feed one line (without its end); an event is returned when a blank line ends
        it, or at once for an ``error:`` field."""
        line = line.rstrip("\r\n")
        if not line:
            if not self._data:
                # No data: nothing to dispatch, except that an error must not be lost.
                named, self._event = self._event, ""
                return Event("error", "") if named == "error" else None
            event = Event(self._event or "message", "\n".join(self._data))
            self._event, self._data = "", []
            return event
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "error":
            return Event("error", value)
        return None

    def lines(self, lines: Iterable[str]) -> Iterator[Event]:
        for line in lines:
            event = self.line(line)
            if event is not None:
                yield event


def split_lines(text: str) -> list[str]:
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


async def aiter_events(lines: AsyncIterator[str]) -> AsyncIterator[Event]:
    """Events from ``httpx.Response.aiter_lines()`` (a half event at the end is dropped)."""
    decoder = SSEDecoder()
    async for line in lines:
        event = decoder.line(line)
        if event is not None:
            yield event


def looks_like_sse(text: str) -> bool:
    return text.lstrip().startswith(("data:", "event:", "error:", ":"))
