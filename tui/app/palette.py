"""The tool editor's palette commands (the chat screen offers its own) and the help
screen's list of keys."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any

from textual.app import SystemCommand
from textual.binding import Binding

APP_COMMANDS = [  # title, help, the app's action
    ("Help: keys", "List every key binding", "help"),
    ("Copy last reply", "To the clipboard (OSC 52)", "copy_reply"),
    ("Conversations", "Open, search, rename, duplicate, delete", "conversations"),
    ("New conversation", "Start afresh (the current one is saved)", "new_conversation"),
    ("Export", "Markdown, request JSON, curl, httpx snippet", "export"),
    ("Save parameters as a preset", "Model, system prompt and parameters", "save_preset"),
]


def tool_commands(screen: Any) -> Iterable[SystemCommand]:
    from ..core.tools import examples

    yield SystemCommand("Tools: add", "A new tool definition", screen.action_add)
    yield SystemCommand("Tools: duplicate", "Copy the selected tool", screen.action_duplicate)
    yield SystemCommand("Tools: delete", "Delete the selected tool", screen.action_delete)
    yield SystemCommand(
        "Tools: enable / disable",
        "Keep the tool but leave it out of the next request",
        screen.action_toggle_enabled,
    )
    yield SystemCommand("Tools: import a file", "A JSON tools array", screen.action_import_file)
    yield SystemCommand(
        "Tools: export to a file", "The API's tools array", screen.action_export_file
    )
    for name in examples():
        yield SystemCommand(
            f"Tools: load the {name} example",
            "Starter tool definitions shipped with the app",
            partial(screen.load_example, name),
        )
    yield SystemCommand("Tools: back to the chat", "Close the editor", screen.action_close)


def help_rows(sources: list[Any]) -> list[tuple[str, str, str]]:
    """The help screen's rows: (key, what it does, binding id) for every binding of
    ``sources`` (the app, then the chat screen), the composer and the messages."""
    from .widgets.composer import Composer
    from .widgets.turn import MessageView

    rows: list[tuple[str, str, str]] = []
    seen: set[str] = set()
    for source in sources:
        for binding in source._bindings.key_to_bindings.values():
            for b in binding:
                key = b.id or b.action
                if key in seen:
                    continue
                seen.add(key)
                if not b.description:
                    continue  # Textual's own (help_quit, palette): ctrl+p is listed below
                rows.append((b.key, b.description, b.id or ""))
    rows.append(("enter", "Send the message", "(composer)"))
    for cls in (Composer, MessageView):
        for b in cls.BINDINGS:
            if isinstance(b, Binding):
                rows.append((b.key, b.description or b.action, b.id or ""))
            else:
                rows.append((b[0], b[2] if len(b) > 2 else b[1], ""))
    rows.append(("ctrl+p", "Command palette (every action)", ""))
    return rows
