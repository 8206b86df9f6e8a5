"""F6: a reply's tokens coloured by probability (a legend says the scale), and for the
token under the cursor its probability, logprob, bytes and the alternatives the server
listed (``top_logprobs``). Works on any choice that carries logprobs, streamed or not."""

from __future__ import annotations

import math
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static, Tab, Tabs

from ...core.logprobs import TokenProb, band_of, parts, percent, summary, tokens
from ...core.sanitize import neutralize
from ..safe import safe
from ..widgets.token_map import BAND_COLOURS, TokenMap, legend

BAR = 20  # cells of the widest probability bar


def _quoted(token: str) -> str:
    """A token as a readable literal: quotes, escapes for whitespace and controls."""
    return neutralize(repr(token))


def _alternatives(tok: TokenProb) -> list[Content]:
    rows: list[Content] = []
    chosen_listed = False
    for rank, alt in enumerate(tok.top, 1):
        p = alt.prob
        chosen = alt.token == tok.token
        chosen_listed |= chosen
        filled = 0 if p is None else max(0, min(BAR, round(p * BAR)))
        rows.append(
            Content.assemble(
                f"{rank:>2}. ",
                ("█" * filled, BAND_COLOURS[band_of(p)].split(" on ")[1]),
                " " * (BAR - filled),
                f" {percent(p):>8}  ",
                (_quoted(alt.token), "bold" if chosen else ""),
                ("  ← sampled" if chosen else "", "bold"),
            )
        )
    if tok.top and not chosen_listed:
        rows.append(Content.assemble("    (the sampled token is not among them)"))
    return rows


class LogprobsScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    LogprobsScreen { align: center middle; }
    LogprobsScreen > Vertical {
        width: 96%; max-width: 140; height: 96%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    LogprobsScreen #lp-title { text-style: bold; }
    LogprobsScreen #lp-legend { height: 1; margin-bottom: 1; }
    LogprobsScreen #lp-map { min-height: 4; }
    LogprobsScreen #lp-detail {
        height: auto; max-height: 45%; border-top: solid $primary 50%; overflow-y: auto;
    }
    LogprobsScreen #lp-help { color: $text-muted; height: 1; }
    LogprobsScreen Tabs { height: 2; }
    """
    BINDINGS = [
        Binding("escape", "dismiss", "Close"),
        Binding("f6", "dismiss", "Close", show=False),
    ]

    def __init__(self, logprobs: Any, title: str) -> None:
        super().__init__()
        self._logprobs = logprobs
        self._title = title
        self._parts = parts(logprobs) or ["content"]
        self._tokens = tokens(logprobs, self._parts[0])

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Content(neutralize(self._title)), id="lp-title")
            if len(self._parts) > 1:
                yield Tabs(*(Tab(safe(p), id=f"lp-{p}") for p in self._parts))
            yield Static(self.safe_summary(), id="lp-summary")
            yield Static(
                Content.assemble("probability: ", *legend(), "  (as reported)"),
                id="lp-legend",
            )
            yield TokenMap(self._tokens, id="lp-map")
            yield Static("", id="lp-detail")
            yield Static(
                "←→↑↓ home end: move · [ ]: unlikely tokens · click a token · esc: close",
                id="lp-help",
                markup=False,
            )

    def on_mount(self) -> None:
        self.query_one(TokenMap).focus()
        self._show(0)

    def safe_summary(self) -> Content:
        s = summary(self._tokens)
        if not s.count:
            return Content("This reply carries no token probabilities.")
        text = f"{s.count:,} tokens"
        if s.mean_prob is not None:
            text += f" · mean probability {percent(s.mean_prob)} · {s.low:,} under 20 %"
        if s.known < s.count:
            text += f" · {s.count - s.known:,} unknown"
        return Content(text)

    @on(TokenMap.Moved)
    def _moved(self, event: TokenMap.Moved) -> None:
        self._show(event.index)

    def _show(self, index: int) -> None:
        detail = self.query_one("#lp-detail", Static)
        if not self._tokens:
            detail.update("")
            return
        tok = self._tokens[index]
        head = Content.assemble(
            f"token {index + 1:,} of {len(self._tokens):,}: ",
            (_quoted(tok.token), "bold"),
            f"   probability {percent(tok.prob)}",
            f"   logprob {tok.logprob:.4f}" if tok.logprob is not None else "   logprob ?",
        )
        lines = [head]
        if tok.raw_bytes is not None:
            lines.append(Content(f"bytes {list(tok.raw_bytes)}"))
        if tok.top:
            lines.append(Content(f"top {len(tok.top)} alternatives:"))
            lines.extend(_alternatives(tok))
        elif tok.logprob is not None and math.isfinite(tok.logprob):
            lines.append(Content("no alternatives listed (ask with top_logprobs > 0)"))
        detail.update(Content("\n").join(lines))

    @on(Tabs.TabActivated)
    def _part(self, event: Tabs.TabActivated) -> None:
        event.stop()
        if event.tab is None or event.tab.id is None:
            return
        self._tokens = tokens(self._logprobs, event.tab.id.removeprefix("lp-"))
        self.query_one(TokenMap).set_tokens(self._tokens)
        self.query_one("#lp-summary", Static).update(self.safe_summary())
        self._show(0)
