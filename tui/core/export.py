"""Exports of a conversation or a request: Markdown transcript, request JSON, a curl
command and a Python httpx snippet. Keys never appear: the snippets read the key from the
environment variable the profile names, and each secret-looking profile header (see
:func:`tui.api.redact.is_secret_header`) from a variable named after the header
(``X-Goog-Api-Key`` -> ``$X_GOOG_API_KEY``)."""

from __future__ import annotations

import json
import re
import shlex
from datetime import datetime
from typing import Any

from ..api.redact import is_secret_header
from ..api.shapes import content_text
from .conversation import Conversation

_TOKEN = re.compile(r"^[A-Za-z0-9_.-]+$")


def header_env_name(name: str) -> str:
    """The environment variable an export reads a secret header's value from."""
    var = re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_").upper() or "HEADER"
    return var if not var[0].isdigit() else f"H_{var}"


def _split_headers(
    headers: dict[str, str] | None, key_env: str | None
) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Plain headers (written as they are) and (name, variable) for the secret ones. The
    Authorization header is left to ``key_env`` when there is one."""
    plain: dict[str, str] = {}
    secret: list[tuple[str, str]] = []
    for k, v in (headers or {}).items():
        if not is_secret_header(k):
            plain[k] = v
        elif not (key_env and k.lower() == "authorization"):
            secret.append((k, header_env_name(k)))
    return plain, secret


def request_json(body: dict[str, Any]) -> str:
    return json.dumps(body, indent=2, ensure_ascii=False) + "\n"


def curl_command(
    body: dict[str, Any], base_url: str, key_env: str | None, headers: dict[str, str] | None = None
) -> str:
    url = f"{base_url.rstrip('/')}/chat/completions"
    lines = [f"curl -sS {shlex.quote(url)}", "-H 'Content-Type: application/json'"]
    if body.get("stream"):
        lines.append("-N")
    if key_env:
        # Double quotes so the shell expands the variable; the key itself is never written.
        lines.append(f'-H "Authorization: Bearer ${key_env}"')
    plain, secret = _split_headers(headers, key_env)
    for k, v in plain.items():
        lines.append(f"-H {shlex.quote(f'{k}: {v}')}")
    for k, var in secret:
        name = f'"{k}: ' if _TOKEN.match(k) else shlex.quote(f"{k}: ") + '"'
        lines.append(f'-H {name}${var}"')
    lines.append(f"-d {shlex.quote(json.dumps(body, ensure_ascii=False))}")
    return " \\\n  ".join(lines) + "\n"


def httpx_snippet(
    body: dict[str, Any], base_url: str, key_env: str | None, headers: dict[str, str] | None = None
) -> str:
    url = f"{base_url.rstrip('/')}/chat/completions"
    extra, secret = _split_headers(headers, key_env)
    out = [
        "import json",
        "import os",
        "",
        "import httpx",
        "",
        f"body = json.loads({json.dumps(json.dumps(body, ensure_ascii=False), ensure_ascii=False)})",
        f"headers = {extra!r}",
    ]
    if key_env:
        out += [
            f"key = os.environ.get({key_env!r})",
            "if key:",
            '    headers["Authorization"] = f"Bearer {key}"',
        ]
    for k, var in secret:
        out += [f"if os.environ.get({var!r}):", f"    headers[{k!r}] = os.environ[{var!r}]"]
    out += [
        "",
        "with httpx.Client(timeout=httpx.Timeout(10.0, read=120.0)) as client:",
    ]
    if body.get("stream"):
        out += [
            f"    with client.stream('POST', {url!r}, json=body, headers=headers) as response:",
            "        response.raise_for_status()",
            "        for line in response.iter_lines():",
            "            if not line.startswith('data:'):",
            "                continue",
            "            data = line[5:].strip()",
            "            if data == '[DONE]':",
            "                break",
            "            chunk = json.loads(data)",
            "            for choice in chunk.get('choices') or []:",
            "                text = (choice.get('delta') or {}).get('content')",
            "                if text:",
            "                    print(text, end='', flush=True)",
            "    print()",
        ]
    else:
        out += [
            f"    response = client.post({url!r}, json=body, headers=headers)",
            "    response.raise_for_status()",
            "    for choice in response.json()['choices']:",
            "        print(choice['message'].get('content'))",
        ]
    return "\n".join(out) + "\n"


def last_variants(conv: Conversation) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """The last turn's variants as (overrides, the exact request each sent), in order;
    [] when it was not sent as variants."""
    if not conv.turns:
        return []
    index = len(conv.turns) - 1
    turn = conv.turns[index]
    out = []
    for number in turn.variant_numbers():
        body = conv.request_of(index, number)
        if body is not None:
            out.append((turn.reply_fields(number).get("overrides") or {}, body))
    return out


def per_variant(
    variants: list[tuple[dict[str, Any], dict[str, Any]]], snippet: Any, comment: str = "#"
) -> str:
    """One snippet per variant, each under a comment naming its overrides."""
    from .variants import describe

    parts = []
    for number, (overrides, body) in enumerate(variants, 1):
        name = " ".join(describe(overrides).split())  # one line: a comment cannot wrap
        parts.append(f"{comment} variant {number}: {name}\n{snippet(body)}")
    return "\n".join(parts)


def markdown_transcript(conv: Conversation) -> str:
    out = [f"# {conv.display_title()}", ""]
    when = datetime.fromtimestamp(conv.created).strftime("%Y-%m-%d %H:%M")
    out.append(
        f"*{when} · model `{conv.model or '?'}`"
        + (f" · profile {conv.profile}" if conv.profile else "")
        + "*"
    )
    out.append("")
    if conv.system.strip():
        out += ["## System", "", conv.system.strip(), ""]
    for turn in conv.turns:
        for m in turn.input:
            role = m.get("role")
            if role == "user":
                text = content_text(m.get("content"), placeholders=True, names=conv.image_names)
                out += ["## You", "", text, ""]
            elif role in ("tool", "function"):
                head = (
                    f"## Tool result `{m.get('tool_call_id')}`"
                    if role == "tool"
                    else f"## Function result `{m.get('name')}`"
                )
                text = content_text(m.get("content"), placeholders=True)
                out += [head, "", "```", text, "```", ""]
        numbers = turn.variant_numbers()
        if numbers:
            from .turn import ChoiceRecord
            from .variants import describe

            for position, number in enumerate(numbers, 1):
                reply = turn.reply_fields(number)
                mark = " (continued)" if number == turn.reply_no else ""
                name = " ".join(describe(reply.get("overrides")).split())
                out += [f"## Assistant — variant {position}: {name}{mark}", ""]
                for c in reply.get("choices") or []:
                    out += _choice_md(ChoiceRecord.from_dict(c), None)
                if reply.get("error"):
                    out += [f"> Error: {reply['error'].get('message')}", ""]
            continue
        many = len(turn.choices) > 1
        for choice in turn.choices:
            head = "## Assistant"
            if many:
                head += f" — choice {choice.index + 1}" + (
                    " (continued)" if choice.index == turn.chosen else ""
                )
            out += [head, ""]
            out += _choice_md(choice, turn.usage if not many else None)
        if turn.error:
            out += [f"> Error: {turn.error.get('message')}", ""]
    return "\n".join(out).rstrip() + "\n"


def _choice_md(choice: Any, usage: dict[str, Any] | None) -> list[str]:
    out: list[str] = []
    if choice.reasoning:
        out += [
            "<details><summary>Reasoning</summary>",
            "",
            choice.reasoning,
            "",
            "</details>",
            "",
        ]
    if choice.content:
        out += [choice.content, ""]
    if choice.refusal:
        out += [f"> Refusal: {choice.refusal}", ""]
    for call in choice.tool_calls or []:
        fn = call.get("function") or {}
        out += [
            f"Tool call `{fn.get('name')}` (`{call.get('id')}`):",
            "",
            "```json",
            fn.get("arguments") or "",
            "```",
            "",
        ]
    if choice.function_call:
        fc = choice.function_call
        out += [
            f"Function call `{fc.get('name')}`:",
            "",
            "```json",
            fc.get("arguments") or "",
            "```",
            "",
        ]
    meta = [f"finish: {choice.finish_reason or '—'}"]
    if usage:
        meta.append(f"tokens: {usage.get('total_tokens', '?')}")
    out += [f"*{' · '.join(meta)}*", ""]
    return out
