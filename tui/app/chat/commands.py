"""The chat screen's keys (bindings with ids, remappable from the config) and its
commands in the palette: the screen offers its own, the app does not reach into them."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any

from textual.app import SystemCommand
from textual.binding import Binding, BindingType

CHAT_BINDINGS: list[BindingType] = [
    Binding("escape", "cancel", "Cancel", id="cancel"),
    Binding("ctrl+g", "regenerate", "Regenerate", id="regenerate"),
    Binding("ctrl+b", "toggle_sidebar", "Parameters", id="toggle_sidebar"),
    Binding("f2", "toggle_preview", "Preview", id="toggle_preview"),
    Binding("f3", "toggle_columns", "Columns", id="toggle_columns", show=False),
    Binding("f4", "pick_model", "Model", id="pick_model"),
    Binding("ctrl+n", "next_choice", "Next choice", id="next_choice", show=False),
    Binding("ctrl+o", "use_choice", "Use choice", id="use_choice", show=False),
    Binding("alt+left", "other_reply(-1)", "Earlier reply", id="previous_reply", show=False),
    Binding("alt+right", "other_reply(1)", "Later reply", id="next_reply", show=False),
    Binding("f8", "tools", "Tools", id="tools"),
    # priority: the composer binds f7 to "select all"
    Binding("f7", "variants", "Variants", id="variants", show=False, priority=True),
    # priority: the composer (a TextArea) binds f6 to "select line"
    Binding("f6", "token_probs", "Token probabilities", id="token_probs", show=False, priority=True),
    Binding("ctrl+f", "verify", "Verify", id="verify", show=False),
    Binding("ctrl+s", "send_tool_results", "Send tool results", id="send_tool_results", show=False),
    Binding("ctrl+r", "edit_last", "Edit last", id="edit_last", show=False),
    Binding("ctrl+l", "focus_composer", "Composer", id="focus_composer", show=False),
    Binding("ctrl+up", "focus_messages", "Messages", id="focus_messages", show=False),
]  # fmt: skip

# title, help, the screen's action (with its argument)
_COMMANDS: list[tuple[str, str, str, Any]] = [
    ("Send: regenerate / retry last reply", "Send the last message again", "regenerate", None),
    ("Cancel the running request", "Keep what arrived", "cancel", None),
    ("Toggle parameter sidebar", "Show or hide the parameters", "toggle_sidebar", None),
    ("Toggle request preview", "The next request's JSON and the last raw exchange",
     "toggle_preview", None),
    ("Toggle choices as columns", "Show n choices side by side or as tabs", "toggle_columns",
     None),
    ("Pick model", "From the endpoint's model list", "pick_model", None),
    ("Next choice", "Show the next choice of the last reply", "next_choice", None),
    ("Earlier reply", "Show the previous reply to the last message (regenerate keeps them)",
     "other_reply", -1),
    ("Later reply", "Show the next reply to the last message", "other_reply", 1),
    ("Use this choice", "The visible choice continues the conversation", "use_choice", None),
    ("Edit last message", "Edit your last message and resend from there", "edit_last", None),
    ("Tools", "Edit the tool definitions", "tools", None),
    ("Send as variants", "The composer's message as several requests at once (a sweep, "
     "other models)", "variants", None),
    ("Structured output (JSON Schema)", "The schema the reply must match (response_format "
     "json_schema)", "structured", None),
    ("Attach an image", "A PNG, JPEG, GIF or WebP file, or an https:// URL, sent with the "
     "next message (dropping a file on the terminal attaches it too)", "attach_image", None),
    ("Remove attachments", "The images waiting for the next message", "remove_attachments",
     None),
    ("Token probabilities", "The shown reply's tokens coloured by probability (logprobs)",
     "token_probs", None),
    ("Verify reply (RedPill receipt + attestation)",
     "Check the last reply's receipt (or enclave signature) against the exact bytes "
     "exchanged and the attested gateway", "verify", None),
    ("End-to-end encryption (on/off)", "Encrypt this conversation's messages to the "
     "attested RedPill enclave (E2EE v2), after verifying its attestation", "toggle_e2ee",
     None),
]  # fmt: skip


class ChatCommands:
    """Mixin for the chat screen: its palette commands."""

    def palette_commands(self) -> Iterable[SystemCommand]:
        for title, help_text, action, arg in _COMMANDS:
            method = getattr(self, f"action_{action}")
            yield SystemCommand(title, help_text, method if arg is None else partial(method, arg))
