"""The checks every send goes through, whatever sends it (a typed message, regenerate,
edit-and-resend, tool results): what blocks a request, and what to ask the user first.

Plain Python: the app asks the questions, ``ask`` and tests call the same functions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..api.shapes import api_tool_calls
from .conversation import Conversation, Turn
from .paramspec import mentions_json


@dataclass(frozen=True)
class Doubt:
    """Something to confirm before sending: ``kind`` names what a yes allows."""

    kind: str  # "json" | "cut" | "empty-results"
    question: str


DOUBT_KINDS = frozenset({"json", "cut", "empty-results"})  # every doubt, confirmed at once


def calls_of(turn: Turn) -> list[dict[str, Any]]:
    """The chosen choice's calls as [{id, name, arguments, legacy}]."""
    choice = turn.chosen_choice()
    if choice is None:
        return []
    out = [
        {
            "id": call["id"],
            "name": call["function"]["name"],
            "arguments": call["function"]["arguments"],
            "legacy": False,
        }
        for call in api_tool_calls(choice.index, choice.tool_calls)
    ]
    if choice.function_call:
        out.append(
            {
                "id": "function_call",
                "name": choice.function_call.get("name") or "",
                "arguments": choice.function_call.get("arguments") or "",
                "legacy": True,
            }
        )
    return out


def result_messages(turn: Turn) -> list[dict[str, Any]]:
    """One ``tool`` message per call (``tool_call_id``), or a ``function`` message."""
    msgs = []
    for call in calls_of(turn):
        text = turn.tool_results.get(call["id"], "")
        if call["legacy"]:
            msgs.append({"role": "function", "name": call["name"], "content": text})
        else:
            msgs.append({"role": "tool", "tool_call_id": call["id"], "content": text})
    return msgs


def blocker(
    conv: Conversation, input_messages: list[dict[str, Any]], upto: int | None
) -> str | None:
    """Why this send cannot go at all, or None."""
    history_end = len(conv.turns) if upto is None else upto
    if history_end == 0:
        return None
    last = conv.turns[history_end - 1]
    answering = bool(input_messages) and input_messages[0].get("role") in ("tool", "function")
    n = len(calls_of(last))
    if n and not answering:
        return (
            f"The last reply made {n} tool call{'s' if n != 1 else ''} that {'have' if n != 1 else 'has'} "
            "no answer, and the API refuses a message after unanswered calls. Fill in the "
            "results and press ctrl+s, or regenerate the reply (ctrl+g)."
        )
    return None


def doubts(
    conv: Conversation,
    input_messages: list[dict[str, Any]],
    upto: int | None,
    body: dict[str, Any],
) -> list[Doubt]:
    """What to ask before this request goes, in order."""
    out: list[Doubt] = []
    rf = body.get("response_format") or {}
    if (
        isinstance(rf, dict)
        and rf.get("type") == "json_object"
        and not mentions_json(body.get("messages") or [])
    ):
        out.append(
            Doubt(
                "json",
                "JSON mode is on, but no message mentions JSON.\n\nThe API reference warns "
                "that the model may then emit whitespace until max_tokens, looking stuck. Ask "
                "for JSON in the system prompt or your message.\n\nSend anyway?",
            )
        )
    cut = conv.interrupted_turns(upto)
    if cut:
        out.append(
            Doubt(
                "cut",
                f"{len(cut)} earlier repl{'y was' if len(cut) == 1 else 'ies were'} cut off "
                "when the app stopped mid-stream (marked \u201cinterrupted\u201d).\n\nThe "
                "request sends what arrived as if it were the whole answer.\n\nSend anyway?",
            )
        )
    results = [m for m in input_messages if m.get("role") in ("tool", "function")]
    empty = [m for m in results if not str(m.get("content") or "").strip()]
    if empty:
        out.append(
            Doubt(
                "empty-results",
                f"{len(empty)} of {len(results)} tool result{'s are' if len(results) != 1 else ' is'} "
                "empty: the model will read an empty answer.\n\nSend anyway?",
            )
        )
    return out
