"""``redpill-tui ask`` and ``redpill-tui models``: the core's first users, for scripts."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from .api.accumulate import StreamAccumulator
from .api.errors import APIError
from .api.redact import Redactor
from .api.schema import InvalidParameter
from .api.shapes import prune_stream_options
from .api.textfix import fix_surrogates
from .config import Config, Endpoint, make_client
from .core.conversation import Conversation
from .core.events import ChoicesChanged
from .core.images import user_content
from .core.params import load_tools
from .core.sanitize import json_safe, neutralize
from .core.sendcheck import DOUBT_KINDS
from .core.session import Blocked, ChatSession

EXIT_OK, EXIT_API, EXIT_USAGE, EXIT_UNVERIFIED = 0, 1, 2, 3


class UsageError(Exception):
    pass


# What an HTTP header can carry: a key with whitespace, control or non-ASCII characters
# would make httpx fail with an error message that quotes the header, key included.
_KEY_RE = re.compile(r"[\x21-\x7e]+")


def check_key(endpoint: Endpoint) -> str | None:
    """Why the endpoint's API key cannot be sent, or None. Never quotes the key."""
    key = endpoint.api_key
    if key is None or _KEY_RE.fullmatch(key):
        return None
    where = f"${endpoint.key_env}" if endpoint.key_env else "the config file"
    return (
        f"the API key in {where} has characters an HTTP header cannot carry "
        "(whitespace, control or non-ASCII characters); check how it was set"
    )


def key_refused(endpoint: Endpoint, err: TextIO) -> bool:
    """Whether the endpoint's key cannot be sent (:func:`check_key`); says why on ``err``."""
    problem = check_key(endpoint)
    if problem:
        err.write(f"redpill-tui: {problem}\n")
    return problem is not None


def redactor(endpoint: Endpoint) -> Callable[[str], str]:
    """Removes the API key and secret header values from text shown to the user (a server
    may echo them back): the client's own :class:`~tui.api.redact.Redactor`."""
    return Redactor.for_endpoint(endpoint.api_key, endpoint.headers)


def _json_line(result: Any) -> str:
    """One JSON object for stdout: never raises on a lone surrogate (U+FFFD instead)."""
    return json_safe(fix_surrogates(json.dumps(result, ensure_ascii=False))) + "\n"


def _redacted(error: dict[str, Any], redact: Callable[[str], str]) -> dict[str, Any]:
    return {k: redact(v) if isinstance(v, str) else v for k, v in error.items()}


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
    variants: list[dict[str, Any]] = field(default_factory=list)  # overrides of each
    images: list[Any] = field(default_factory=list)  # attachments (tui/core/images.py)
    e2ee: bool = False  # encrypt the content to the attested enclave (E2EE v2)
    # What checks TDX quotes for --verify and --e2ee (tui/core/receipts.py); None: dcap-qvl.
    quote_checker: Any = None


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


async def resolve_model(session: ChatSession, endpoint: Endpoint, model: str | None) -> str:
    """The model to ask: -m, else the profile's, else the first the endpoint lists.
    Raises :class:`APIError` when the list cannot be read, :class:`UsageError` when empty."""
    if model:
        return model
    if endpoint.model:
        return endpoint.model
    try:
        models = await session.models()
    except APIError as exc:
        exc.message = (
            f"no model given (-m MODEL) and the model list could not be read: {exc.message}"
        )
        raise
    if not models:
        raise UsageError("no model given (-m MODEL) and the endpoint lists no models")
    return models[0].id


def _session(opts: AskOptions, endpoint: Endpoint) -> tuple[ChatSession, list[dict[str, Any]]]:
    """A session for one question, and the messages that ask it. Raises
    :class:`InvalidParameter` for a tools file that cannot be used."""
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
    messages.append({"role": "user", "content": user_content(opts.prompt, opts.images)})
    params = {**endpoint.params, **opts.params}
    if "stream" not in opts.params:
        params["stream"] = opts.stream
    prune_stream_options(params)
    if tools:
        params["tools"] = tools
    conv = Conversation(profile=endpoint.profile, params=params, e2ee=opts.e2ee)
    return ChatSession(conv, None), messages


def _usage(err: TextIO, blocked: Blocked) -> int:
    if blocked.param is not None:
        reason = blocked.reason or blocked.message
        err.write(f"redpill-tui: invalid parameter {blocked.param}: {neutralize(reason)}\n")
    else:
        err.write(f"redpill-tui: {neutralize(blocked.message)}\n")
    return EXIT_USAGE


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
        session, messages = _session(opts, endpoint)
    except InvalidParameter as exc:
        err.write(f"redpill-tui: invalid parameter {exc.param}: {neutralize(exc.message)}\n")
        return EXIT_USAGE
    # Validate what we can before touching the network (ask confirms every doubt).
    session.conversation.model = opts.model or endpoint.model or "placeholder"
    variants = tuple(opts.variants)
    plan = session.prepare(messages, confirmed=DOUBT_KINDS, overrides=variants)
    if plan.blocked:
        return _usage(err, plan.blocked)
    if key_refused(endpoint, err):
        return EXIT_USAGE
    redact = redactor(endpoint)
    warning = endpoint.plain_http_warning()
    if warning:
        err.write(f"redpill-tui: warning: {neutralize(warning)}\n")

    client = make_client(endpoint, cfg, read_timeout=opts.timeout, **(client_options or {}))
    session.client = client
    async with client:
        wanted = opts.model or session.conversation.params.get("model")
        try:
            model = await resolve_model(session, endpoint, wanted)
        except UsageError as exc:
            err.write(f"redpill-tui: {redact(neutralize(str(exc)))}\n")
            return EXIT_USAGE
        except APIError as exc:
            if opts.json_out:  # scripts get their one JSON object, error included
                failed = StreamAccumulator()
                failed.fail(exc)
                result = {**failed.result(), "error": _redacted(exc.to_dict(), redact)}
                out.write(_json_line(result))
                out.flush()
            err.write(f"redpill-tui: {redact(neutralize(str(exc)))}\n")
            return EXIT_API
        session.conversation.model = model
        if opts.quote_checker is not None:
            from .core.receipts import Attestor

            session.attestor = Attestor(session.client, opts.quote_checker)
        plan = session.prepare(messages, confirmed=DOUBT_KINDS, overrides=variants)
        if plan.request is None or plan.blocked:
            return _usage(err, plan.blocked or Blocked("", "the request could not be built"))
        if variants:
            from .headless_variants import run_variants

            return await run_variants(
                session, plan, json_out=opts.json_out, verify=opts.verify,
                out=out, err=err, redact=redact, safe=safe,
            )  # fmt: skip
        turn = session.start(plan)
        acc = turn.live
        assert acc is not None
        n = plan.request.n or 1
        printer = _Printer(out, safe) if (not opts.json_out and n == 1) else None
        if printer is not None:
            session.subscribe(lambda e: printer(acc) if isinstance(e, ChoicesChanged) else None)
        try:
            await session.launch(turn)
        finally:
            session.finish(turn)
        if opts.json_out:
            await session.price(turn)  # the model list read once, when not yet read
        verification = None
        if opts.verify:
            complete = turn.response_complete and acc.error is None
            verification = (await session.verify(turn, model, complete=complete)).to_dict()

    if opts.json_out:
        result = acc.result()
        if result["error"] is not None:
            result["error"] = _redacted(result["error"], redact)
        result["cost"] = turn.cost
        if opts.verify:
            result["verification"] = verification
        out.write(_json_line(result))
    else:
        _print_text(acc, out, safe, streamed=printer.written if printer else 0)
    out.flush()
    if verification is not None and not opts.json_out:
        from .core.receipts import trust_lines

        for line in trust_lines(verification):
            err.write(redact(neutralize(line)) + "\n")
    if acc.error is not None:
        err.write(f"redpill-tui: {redact(neutralize(str(acc.error)))}\n")
        if acc.error.request_id:
            err.write(f"  request id: {redact(neutralize(acc.error.request_id))}\n")
        return EXIT_API
    if verification is not None:
        from .core.receipts import trusted

        if not trusted(verification):
            return EXIT_UNVERIFIED
    return EXIT_OK


def _print_text(acc: StreamAccumulator, out: TextIO, safe: bool, streamed: int) -> None:
    """What was not streamed yet: every choice (under a header when there are several),
    then refusals and tool calls, ending with a newline when anything was printed."""
    clean = neutralize if safe else (lambda s: s)
    choices = acc.ordered()
    many = len(choices) > 1
    for i, choice in enumerate(choices):
        if many:
            finish = clean(choice.finish_reason or "unfinished")
            out.write(("\n" if i else "") + f"=== choice {choice.index} ({finish}) ===\n")
        body = choice.content
        if not many and streamed:
            body = body[streamed:]
        printed = bool(streamed and not many) or bool(body)
        if body:
            out.write(clean(body))
        extras = []
        if choice.refusal:
            extras.append(f"[refusal] {choice.refusal}")
        for call in choice.ordered_tool_calls():
            extras.append(f"[tool call {call.id or '?'}] {call.name}({call.arguments})")
        if choice.function_call is not None:
            fc = choice.function_call
            extras.append(f"[function call] {fc.name}({fc.arguments})")
        for extra in extras:
            out.write(("\n" if printed else "") + clean(extra))
            printed = True
        if printed or many:
            out.write("\n")


async def models(
    endpoint: Endpoint,
    cfg: Config,
    *,
    json_out: bool = False,
    out: TextIO | None = None,
    err: TextIO | None = None,
    client_options: dict[str, Any] | None = None,
) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    if key_refused(endpoint, err):
        return EXIT_USAGE
    client = make_client(endpoint, cfg, **(client_options or {}))
    async with client:
        try:
            items = await client.list_models()
        except APIError as exc:
            err.write(f"redpill-tui: {redactor(endpoint)(neutralize(str(exc)))}\n")
            return EXIT_API
    if json_out:
        dump = [m.model_dump(exclude_none=True) for m in items]
        out.write(_json_line(dump))
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
    except BrokenPipeError:
        # The reader went away (``| head``): stop quietly, and keep Python from
        # complaining when it flushes stdout at exit.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return EXIT_API
