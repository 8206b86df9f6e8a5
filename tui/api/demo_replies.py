"""What the offline demo says: the planned deltas of each choice (text from a word list,
JSON for ``response_format``, tool calls whose arguments fit the tool's schema, refusals
and reasoning on demand), cut by ``stop`` and ``max_tokens``. The transport that sends
them is :mod:`.demo`."""

from __future__ import annotations

import json
import math
import random
import re
from typing import Any

from .shapes import content_text

_WORDS = (
    "the simulator streams these words one token at a time so you can watch deltas "
    "arrive try changing the temperature or the seed and send again every parameter in "
    "the sidebar goes into the request body the preview shows exactly what is posted "
    "choices stream side by side when n is more than one stop sequences cut the reply "
    "max tokens ends it with length and json mode returns an object"
).split()

_CITIES = ["Paris", "Oslo", "Lisbon", "Kyoto", "Nairobi", "Lima"]
TRIGGER = re.compile(r"demo:(error|drop|refusal|reasoning)(?:\s+(\d{3}|stream))?", re.I)


def _tokens_of(text: str) -> list[str]:
    """Split text into token-sized pieces that join back to it exactly."""
    return re.findall(r"\s*\S{1,6}|\s+", text) or [text]


def prompt_tokens(messages: list[dict[str, Any]]) -> int:
    count = 0
    for m in messages:
        count += 4 + len(content_text(m.get("content")).split())
    return count


class Choice:
    """What one choice will say, as a list of deltas, plus its finish reason."""

    def __init__(self, index: int) -> None:
        self.index = index
        self.deltas: list[dict[str, Any]] = []
        self.finish = "stop"
        self.tokens = 0


def example_for(
    schema: Any, rng: random.Random, name: str = "", prompt: str = "", root: Any = None
) -> Any:
    """A value that satisfies a (simple) JSON Schema: what a well-behaved model would send.

    Local ``$ref`` (``#/$defs/...``, ``#/definitions/...``) is followed, as pydantic and
    zod emit them."""
    if not isinstance(schema, dict):
        return {}
    root = schema if root is None else root
    ref = schema.get("$ref")
    if isinstance(ref, str):
        target = _resolve_ref(root, ref)
        if target is not None:
            rest = {k: v for k, v in schema.items() if k != "$ref"}
            return example_for({**target, **rest}, rng, name, prompt, root)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return rng.choice(schema["enum"])
    for key in ("anyOf", "oneOf"):
        if schema.get(key):
            return example_for(schema[key][0], rng, name, prompt, root)
    if schema.get("allOf"):
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            if isinstance(part, dict):
                if isinstance(part.get("$ref"), str):
                    part = _resolve_ref(root, part["$ref"]) or {}
                merged.update(part)
        return example_for(merged, rng, name, prompt, root)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None:
        kind = "object" if "properties" in schema else "string"
    if kind == "object":
        props = schema.get("properties") or {}
        out = {}
        for key, sub in props.items():
            out[key] = example_for(sub, rng, key, prompt, root)
        return out
    if kind == "array":
        count = max(int(schema.get("minItems", 1)), 1)
        count = min(count, int(schema.get("maxItems", count)))
        return [
            example_for(schema.get("items") or {}, rng, name, prompt, root) for _ in range(count)
        ]
    if kind in ("integer", "number"):
        return _number(schema, rng, kind == "integer")
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "null":
        return None
    lname = name.lower()
    if lname in ("city", "location", "place", "town"):
        named = [c for c in _CITIES if c.lower() in prompt.lower()]
        return named[0] if named else rng.choice(_CITIES)
    if schema.get("format") == "date-time":
        return "2026-01-01T12:00:00Z"
    if schema.get("format") == "date":
        return "2026-01-01"
    text = rng.choice(_WORDS)
    min_len = int(schema.get("minLength", 0))
    while len(text) < min_len:
        text += " " + rng.choice(_WORDS)
    if "maxLength" in schema:
        text = text[: int(schema["maxLength"])]
    return text


def _resolve_ref(root: Any, ref: str) -> dict[str, Any] | None:
    if not ref.startswith("#"):
        return None
    node = root
    for part in ref.lstrip("#").strip("/").split("/") if ref != "#" else ():
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node if isinstance(node, dict) else None


def _number(schema: dict[str, Any], rng: random.Random, integer: bool) -> int | float:
    """A number within minimum/maximum and their exclusive forms."""
    lo, hi = schema.get("minimum"), schema.get("maximum")
    xlo, xhi = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    step = 1 if integer else 0.1
    if isinstance(xlo, (int, float)) and not isinstance(xlo, bool):
        lo = xlo + step if lo is None else max(lo, xlo + step)
    if isinstance(xhi, (int, float)) and not isinstance(xhi, bool):
        hi = xhi - step if hi is None else min(hi, xhi - step)
    if lo is None and hi is None:
        lo, hi = 0, 10 if integer else 30
    elif lo is None:
        lo = hi - (10 if integer else 30)
    elif hi is None:
        hi = lo + (10 if integer else 30)
    if integer:
        low, high = math.ceil(lo), math.floor(hi)
        return rng.randint(low, max(low, high))
    value = round(rng.uniform(lo, max(lo, hi)), 1)
    return value if lo <= value <= hi else rng.uniform(lo, max(lo, hi))


def plan(body: dict[str, Any], rng: random.Random, trigger: Any) -> list[Choice]:
    """What each choice of the reply to ``body`` says (``trigger``: a ``demo:`` command
    found in the prompt, or None)."""
    n = body.get("n") or 1
    max_tokens = body.get("max_tokens")
    stop = body.get("stop")
    stops = [stop] if isinstance(stop, str) else list(stop or [])
    messages = body["messages"]
    prompt = content_text(messages[-1].get("content")) if messages else ""
    fmt = (body.get("response_format") or {}).get("type")
    out = []
    for i in range(n):
        crng = random.Random(rng.random())
        c = Choice(i)
        calls = _tool_calls(body, crng, prompt, i)
        kind = trigger.group(1).lower() if trigger else ""
        if kind == "reasoning":
            thought = (
                "Let me think about this. "
                + " ".join(crng.choice(_WORDS) for _ in range(12))
                + ". "
            )
            c.deltas += [{"reasoning_content": t} for t in _tokens_of(thought)]
        if kind == "refusal":
            c.deltas += [
                {"refusal": t}
                for t in _tokens_of("I'm sorry, the demo refuses this one, as asked.")
            ]
            c.finish = "stop"
        elif calls is not None:
            legacy, items = calls
            c.deltas += items
            c.finish = "function_call" if legacy else "tool_calls"
        else:
            text = _text(fmt, body, crng, messages, prompt)
            c.deltas += [{"content": t} for t in _tokens_of(text)]
            c.finish = "stop"
        _limit(c, max_tokens, stops)
        out.append(c)
    return out


def _limit(c: Choice, max_tokens: int | None, stops: list[str]) -> None:
    """Apply stop sequences (to content) and max_tokens to a planned choice."""
    if stops:
        text = "".join(d.get("content") or "" for d in c.deltas)
        cut = min((p for s in stops if (p := text.find(s)) >= 0), default=-1)
        if cut >= 0:
            kept: list[dict[str, Any]] = []
            seen = 0
            for d in c.deltas:
                piece = d.get("content")
                if piece is None:
                    kept.append(d)
                    continue
                if seen + len(piece) > cut:
                    if cut > seen:
                        kept.append({"content": piece[: cut - seen]})
                    break
                kept.append(d)
                seen += len(piece)
            c.deltas = kept
            c.finish = "stop"
    if max_tokens is not None and len(c.deltas) > max_tokens:
        c.deltas = c.deltas[:max_tokens]
        c.finish = "length"
    c.tokens = len(c.deltas)


def _text(
    fmt: str | None,
    body: dict[str, Any],
    rng: random.Random,
    messages: list[dict[str, Any]],
    prompt: str,
) -> str:
    if fmt == "json_schema":
        spec = (body.get("response_format") or {}).get("json_schema") or {}
        return json.dumps(example_for(spec.get("schema") or {}, rng, prompt=prompt))
    if fmt == "json_object":
        words = [rng.choice(_WORDS) for _ in range(6)]
        return json.dumps(
            {"answer": " ".join(words), "words": words, "confidence": round(rng.random(), 2)},
            indent=2,
        )
    if messages and messages[-1].get("role") in ("tool", "function"):
        results = []
        for m in reversed(messages):
            if m.get("role") not in ("tool", "function"):
                break
            results.append(content_text(m.get("content")))
        joined = "; ".join(reversed(results))
        return f"The tool said: {joined}. That is what the demo knows about it."
    sentences = []
    for _ in range(rng.randint(2, 4)):
        words = [rng.choice(_WORDS) for _ in range(rng.randint(8, 16))]
        sentences.append(" ".join(words).capitalize() + ".")
    text = "**Demo reply** (offline simulator). " + " ".join(sentences)
    if rng.random() < 0.5:
        text += "\n\n- first point\n- second point\n\n```python\nprint('hello from the demo')\n```"
    if prompt.strip():
        text += f"\n\nYou wrote {len(prompt.split())} word(s)."
    return text


def _tool_calls(
    body: dict[str, Any], rng: random.Random, prompt: str, choice: int
) -> tuple[bool, list[dict[str, Any]]] | None:
    messages = body["messages"]
    if messages[-1].get("role") in ("tool", "function"):
        return None  # answer the results with text
    legacy = not body.get("tools") and bool(body.get("functions"))
    if legacy:
        defs = body["functions"]
        choice_param = body.get("function_call", "auto")
    else:
        defs = [t["function"] for t in body.get("tools") or ()]
        choice_param = body.get("tool_choice", "auto")
    if not defs or choice_param == "none":
        return None
    names = [d["name"] for d in defs]
    if isinstance(choice_param, dict):
        named = (choice_param.get("function") or choice_param).get("name")
        chosen = [d for d in defs if d["name"] == named]
    else:
        low = prompt.lower()
        chosen = [
            d
            for d in defs
            if d["name"].lower() in low or d["name"].lower().replace("_", " ") in low
        ]
        if not chosen and choice_param == "required":
            chosen = [defs[0]]
        if not chosen and choice_param == "auto" and names:
            # a real model would decide; the demo calls the first tool for a question
            chosen = [defs[0]] if "?" in prompt else []
    if not chosen:
        return None
    if legacy or body.get("parallel_tool_calls") is False:
        chosen = chosen[:1]  # legacy mode has one function call per reply
    deltas: list[dict[str, Any]] = []
    for k, d in enumerate(chosen):
        args = json.dumps(example_for(d.get("parameters") or {}, rng, prompt=prompt))
        pieces = [args[i : i + 8] for i in range(0, len(args), 8)] or [""]
        if legacy:
            deltas.append({"function_call": {"name": d["name"], "arguments": ""}})
            deltas += [{"function_call": {"arguments": p}} for p in pieces]
        else:
            call_id = f"call_demo{choice}{k}{rng.randrange(16**8):08x}"
            deltas.append(
                {
                    "tool_calls": [
                        {
                            "index": k,
                            "id": call_id,
                            "type": "function",
                            "function": {"name": d["name"], "arguments": ""},
                        }
                    ]
                }
            )
            deltas += [{"tool_calls": [{"index": k, "function": {"arguments": p}}]} for p in pieces]
    return legacy, deltas


def token_logprobs(token: str, rng: random.Random, top: int) -> dict[str, Any]:
    """A made-up logprobs entry for one streamed piece (logprobs=true): mostly likely,
    now and then not, with ``top`` alternatives (the sampled one among them, usually)."""
    p = rng.uniform(0.01, 0.3) if rng.random() < 0.12 else rng.betavariate(4, 1.2)
    p = min(0.999, max(0.005, p))
    entry: dict[str, Any] = {
        "token": token,
        "logprob": round(math.log(p), 6),
        "bytes": list(token.encode()),
        "top_logprobs": [],
    }
    if top > 0:
        rest = 1.0 - p
        alts = [(token, p)] if rng.random() < 0.9 else []
        while len(alts) < top:
            share = rest * rng.uniform(0.2, 0.7)
            rest -= share
            word = " " + rng.choice(_WORDS)
            if all(word != a for a, _ in alts):
                alts.append((word, max(share, 1e-6)))
        alts.sort(key=lambda a: -a[1])
        entry["top_logprobs"] = [
            {"token": t, "logprob": round(math.log(q), 6), "bytes": list(t.encode())}
            for t, q in alts
        ]
    return entry
