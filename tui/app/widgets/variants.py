"""A turn sent as variants: its input once, then one column per variant, side by side.

Each column is a :class:`TurnView` of its own (``inner``: no input) whose header says
what that variant overrode and whose meta line is its footer (finish reason, TTFT,
tokens/s, tokens, cost); a variant with n > 1 shows its choices as tabs inside its
column. One column is *picked*: the keys that act on a reply (F6, ctrl+f, ctrl+n, F9,
ctrl+o) act on it; alt+←/→ or a click picks another. The one that continues the
conversation is marked ✓; ctrl+o makes the picked one continue it.

While the variants stream, the columns show the live turns (the conversation's turn
and its ``others``); once they end, the columns are made again from the saved replies."""

from __future__ import annotations

from textual import events, on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Static

from ...core.sanitize import neutralize
from ...core.turn import Turn
from ...core.variants import describe
from .message import message_widgets
from .turn import TurnView


class VariantColumn(TurnView):
    DEFAULT_CSS = """
    VariantColumn { width: 1fr; height: auto; margin: 0 1 0 0; }
    VariantColumn > .reply { margin: 0; border-left: thick $foreground 25%; }
    VariantColumn.picked > .reply { border-left: thick $accent; }
    VariantColumn .reply-head { color: $text-muted; }
    VariantColumn.picked .reply-head { color: $text-accent; }
    """

    def __init__(self, turn: Turn, number: int, label: str, *, json_mode: bool) -> None:
        header = Content.assemble((neutralize(label), "bold"))
        super().__init__(turn, json_mode=json_mode, header=header, inner=True)
        self.number = number  # which of the turn's replies it shows


def header(position: int, overrides: dict | None, continues: bool) -> str:
    mark = "  ✓ continues" if continues else ""
    return f"{position + 1}. {describe(overrides)}{mark}"


class VariantsView(TurnView):
    DEFAULT_CSS = """
    VariantsView > .variants-head { color: $text-muted; margin: 1 0 0 0; }
    VariantsView > .variants { height: auto; }
    """

    def __init__(self, turn: Turn, *, json_mode: bool = False, columns: bool = False) -> None:
        super().__init__(turn, json_mode=json_mode, columns=columns)
        numbers = turn.variant_numbers() or list(range(len(turn.others) + 1))
        self.picked = numbers.index(turn.reply_no) if turn.reply_no in numbers else 0

    # -- the columns ------------------------------------------------------------------

    def _replies(self) -> list[tuple[int, Turn]]:
        """(reply number, turn) for each variant, in order."""
        t = self.turn
        if t.others:  # streaming: the live turns
            return list(enumerate([t, *t.others]))
        out = []
        for number in t.variant_numbers():
            if number == t.reply_no:
                out.append((number, t))
            else:
                fields = {**t.reply_fields(number), "input": t.input, "id": f"{t.id}v{number}"}
                out.append((number, Turn.from_dict(fields)))
        return out

    def compose(self) -> ComposeResult:
        for message in self.turn.input:
            yield from message_widgets(self.turn.id, message, self.image_names)
        replies = self._replies()
        yield Static(
            Content(
                f"{len(replies)} variants at once · alt+←/→ or a click: pick · "
                "ctrl+o: continue with it"
            ),
            classes="variants-head",
        )
        with Horizontal(classes="variants"):
            for position, (number, turn) in enumerate(replies):
                label = header(position, turn.overrides, number == self.turn.reply_no)
                column = VariantColumn(turn, number, label, json_mode=self.json_mode)
                column.model_info = self.model_info
                column.set_class(position == self.picked, "picked")
                yield column

    def variant_columns(self) -> list[VariantColumn]:
        return list(self.query(VariantColumn).results(VariantColumn))

    def target(self) -> TurnView:
        columns = self.variant_columns()
        return columns[min(self.picked, len(columns) - 1)] if columns else self

    def pick(self, position: int) -> VariantColumn | None:
        columns = self.variant_columns()
        if not columns:
            return None
        self.picked = max(0, min(position, len(columns) - 1))
        for i, column in enumerate(columns):
            column.set_class(i == self.picked, "picked")
        return columns[self.picked]

    def move(self, step: int) -> VariantColumn | None:
        return self.pick(self.picked + step)

    @on(events.Click)
    def _clicked(self, event: events.Click) -> None:
        widget = event.widget
        while widget is not None and not isinstance(widget, VariantColumn):
            widget = widget.parent  # type: ignore[assignment]
        if isinstance(widget, VariantColumn):
            self.pick(self.variant_columns().index(widget))

    # -- what a turn view does, for every column -----------------------------------------

    async def first_draw(self) -> None:
        pass  # each column draws itself

    async def draw_live(self) -> None:
        for column in self.variant_columns():
            await column.draw_live()

    async def refresh_live(self, dirty: set[int]) -> None:
        await self.draw_live()

    async def show_final(self) -> None:
        """The variants ended: each column renders its final state in place (the
        columns keep their turns, which hold what was saved)."""
        # One layout for all of them: laid out after each Markdown block mounted, four
        # columns cost sixteen times one (every mount lays out every column).
        with self.app.batch_update():
            for column in self.variant_columns():
                await column.show_final()

    async def rebuild(self) -> None:
        await self.recompose()

    def _update_meta(self, text: str | None = None) -> None:
        """A reply's cost or verification came later: the columns show the saved ones."""
        t = self.turn
        for column in self.variant_columns():
            if column.turn is not t and not t.others and column.number < t.replies:
                fields = t.reply_fields(column.number)
                column.turn.cost = fields.get("cost")
                column.turn.verification = fields.get("verification")
            column._update_meta()

    async def set_columns(self, columns: bool) -> None:
        self.columns = columns  # variants are always side by side; choices in tabs

    @property
    def choice_count(self) -> int:
        return self.target().choice_count

    def shown_choice(self):  # type: ignore[override]
        return self.target().shown_choice()

    def cycle(self, step: int = 1) -> None:
        self.target().cycle(step)

    def content_of(self, index: int | None = None) -> str:
        return self.target().content_of(index)
