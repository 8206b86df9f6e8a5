"""``redpill-tui ask`` and ``redpill-tui models``: the core's first users, for scripts."""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from .api.accumulate import StreamAccumulator
from .api.errors import APIError
from .api.schema import InvalidParameter
from .config import Config, Endpoint, make_client
from .core.params import build_request, load_tools
from .core.sanitize import neutralize

EXIT_OK, EXIT_API, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    pass


@dataclass
class AskOptions:
    prompt: str
    system: str | None = None
    model: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    tools_file: str | None = None
    stream: bool = True
    json_out: bool = False
    timeout: float | None = None
    verify: bool = False


class _Printer:
    """Writes streamed content of choice 0 as it arrives (n = 1, not --json)."""

    def __init__(self, out: TextIO, safe: bool):
        self.out = out
        self.safe = safe
        self.written = 0

    def __call__(self, acc: StreamAccumulator) -> None:
        choice = acc.choices.get(0)
        if choice is None or choice.content_length == self.written:
            return
        text = choice.content[self.written :]
        self.written = choice.content_length
        self.out.write(neutralize(text) if self.safe else text)
        self.out.flush()


async def resolve_model(client: Any, endpoint: Endpoint, model: str | None) -> str:
    if model:
        return model
    if endpoint.model:
        return endpoint.model
    try:
        models = await client.list_models()
    except APIError as exc:
        raise UsageError(
            f"no model given (-m MODEL) and the model list could not be read: {exc}"
        ) from None
    if not models:
        raise UsageError("no model given (-m MODEL) and the endpoint lists no models")
    return models[0].id


async def ask(
    opts: AskOptions,
    endpoint: Endpoint,
    cfg: Config,
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
    client_options: dict[str, Any] | None = None,
) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    safe = out.isatty() if hasattr(out, "isatty") else False
    try:
        tools = None
        if opts.tools_file:
            try:
                text = Path(opts.tools_file).read_text(encoding="utf-8")
            except OSError as exc:
                raise InvalidParameter(
                    "tools", f"cannot read {opts.tools_file}: {exc.strerror}"
                ) from None
            tools = load_tools(text, opts.tools_file)
        messages: list[dict[str, Any]] = []
        if opts.system:
            messages.append({"role": "system", "content": opts.system})
        messages.append({"role": "user", "content": opts.prompt})
        params = {**endpoint.params, **opts.params}
        if "stream" not in opts.params:
            params["stream"] = opts.stream
        if not params.get("stream"):
            params.pop("stream_options", None)
        # Validate what we can before touching the network.
        build_request(
            model=opts.model or endpoint.model or "placeholder",
            messages=messages,
            params=params,
            tools=tools,
        )
    except InvalidParameter as exc:
        err.write(f"redpill-tui: invalid parameter {exc.param}: {exc.message}\n")
        return EXIT_USAGE

    client = make_client(endpoint, cfg, read_timeout=opts.timeout, **(client_options or {}))
    async with client:
        try:
            model = await resolve_model(client, endpoint, opts.model)
        except UsageError as exc:
            err.write(f"redpill-tui: {exc}\n")
            return EXIT_USAGE
        request = build_request(model=model, messages=messages, params=params, tools=tools)
        n = request.n or 1
        printer = _Printer(out, safe) if (not opts.json_out and n == 1) else None
        acc, exchange = await client.chat(request, on_update=printer)
        verification = None
        if opts.verify:
            from .core.verify import verify_reply

            verification = (
                await verify_reply(
                    client,
                    completion_id=acc.id,
                    model=acc.model or model,
                    request_sha256=exchange.request_sha256,
                    response_sha256=exchange.response_sha256,
                    complete=exchange.complete and exchange.status == 200 and acc.error is None,
                )
            ).to_dict()

    if opts.json_out:
        result = acc.result()
        if opts.verify:
            result["verification"] = verification
        out.write(json.dumps(result, ensure_ascii=False) + "\n")
    else:
        _print_text(acc, out, safe, streamed=printer.written if printer else 0)
    out.flush()
    if verification is not None and not opts.json_out:
        err.write(
            neutralize(f"signature: {verification['verdict']}: {verification['detail']}") + "\n"
        )
    if acc.error is not None:
        err.write(f"redpill-tui: {neutralize(str(acc.error))}\n")
        if acc.error.request_id:
            err.write(f"  request id: {neutralize(acc.error.request_id)}\n")
        return EXIT_API
    return EXIT_OK


def _print_text(acc: StreamAccumulator, out: TextIO, safe: bool, streamed: int) -> None:
    clean = neutralize if safe else (lambda s: s)
    choices = acc.ordered()
    many = len(choices) > 1
    for i, choice in enumerate(choices):
        if many:
            out.write(
                ("\n" if i else "")
                + f"=== choice {choice.index} ({choice.finish_reason or 'unfinished'}) ===\n"
            )
        body = choice.content
        if not many and streamed:
            body = body[streamed:]
        if body:
            out.write(clean(body))
        if choice.refusal:
            out.write(clean(f"[refusal] {choice.refusal}"))
        for call in choice.ordered_tool_calls():
            out.write(clean(f"\n[tool call {call.id or '?'}] {call.name}({call.arguments})"))
        if choice.function_call is not None:
            fc = choice.function_call
            out.write(clean(f"\n[function call] {fc.name}({fc.arguments})"))
        if many or choice.content or streamed or choice.tool_calls or choice.refusal or streamed:
            out.write("\n")


async def models(
    endpoint: Endpoint,
    cfg: Config,
    *,
    json_out: bool = False,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    client = make_client(endpoint, cfg)
    async with client:
        try:
            items = await client.list_models()
        except APIError as exc:
            err.write(f"redpill-tui: {neutralize(str(exc))}\n")
            return EXIT_API
    if json_out:
        out.write(
            json.dumps([m.model_dump(exclude_none=True) for m in items], ensure_ascii=False) + "\n"
        )
        return EXIT_OK
    rows = [("MODEL", "CONTEXT", "PRICE IN/OUT per token", "TEE")]
    for m in items:
        price = ""
        if m.pricing:
            price = f"{m.pricing.get('prompt', '?')} / {m.pricing.get('completion', '?')}"
        rows.append((m.id, str(m.context_length or ""), price, "yes" if m.is_tee else ""))
    widths = [max(len(neutralize(r[i])) for r in rows) for i in range(4)]
    for r in rows:
        out.write(
            "  ".join(neutralize(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
            + "\n"
        )
    return EXIT_OK


def run(coro: Any) -> int:
    try:
        return asyncio.run(coro)
    except KeyboardInterrupt:
        return 130
