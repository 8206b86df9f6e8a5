"""The one way outside text reaches the screen.

Text from a server, a saved file, a config or a theme is untrusted: Textual passes ESC,
C1 controls and bidi overrides to the terminal, and parses ``[...]`` as markup in
notifications, labels, tabs, buttons, DataTable cells and option prompts. Every such
string goes through one of these before it reaches a widget:

- :func:`safe` for anything displayed (Static, Label, Tab, Option, Button): a ``Content``,
  neutralised and never parsed as markup;
- :func:`safe_cell` for DataTable cells (Rich ``Text``: the table parses plain ``str``);
- :func:`shown` for the value of an editable widget (Input, TextArea). Keep the exact
  value (what is sent) apart from the shown one: :class:`Exact` does that.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.content import Content

from ..core.sanitize import neutralize


def shown(text: object) -> str:
    """``text`` made inert for a terminal: the form to put in an Input or TextArea."""
    return neutralize(text if isinstance(text, str) else str(text))


def safe(text: object, style: str = "") -> Content:
    """``text`` as displayable content: neutralised, markup never parsed."""
    return Content.styled(shown(text), style) if style else Content(shown(text))


def safe_cell(text: object, style: str = "") -> Text:
    """``text`` for a DataTable cell (plain strings there are parsed as markup)."""
    return Text(shown(text), style=style, no_wrap=True, overflow="ellipsis")


@dataclass(frozen=True)
class Exact:
    """An outside value shown in an editable field: ``value`` is what is sent,
    ``display`` is what the field holds. While the field still holds ``display``, the
    exact value stands; once the user types something else, the typed text is the value."""

    value: str

    @property
    def display(self) -> str:
        return shown(self.value)

    def resolve(self, field_text: str) -> str:
        return self.value if field_text == self.display else field_text
