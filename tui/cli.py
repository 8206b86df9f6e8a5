"""Command line: ``redpill-tui [FILE]`` opens the app; ``ask`` and ``models`` are headless."""

from __future__ import annotations

import argparse
import math
import os
import sys
from typing import Any

from .api.errors import InvalidParameter

ENV_HELP = """\
environment:
  REDPILL_API_KEY      API key of the default profile (each profile names its own variable)
  REDPILL_TUI_CONFIG   path of the config file (default: XDG config dir/redpill-tui/config.toml)
  REDPILL_TUI_DATA     where conversations are saved (default: XDG data dir/redpill-tui)
  NO_COLOR             any value: no colours
  TEXTUAL_FPS          frames per second (lower it on a slow SSH link)

Keys are never taken on the command line: put them in the environment variable a profile
names, or in the config file (which is then kept mode 0600).
"""


def _endpoint_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--base-url", metavar="URL", help="endpoint base URL (default: the profile's)")
    p.add_argument("--profile", metavar="NAME", help="profile from the config file")
    p.add_argument("--demo", action="store_true", help="use the built-in offline demo endpoint")


def _param_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "-p",
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="request parameter; VALUE is JSON when it parses, else a string (repeatable)",
    )


def _parser(prog: str, description: str) -> argparse.ArgumentParser:
    """A command's parser, with the environment help and the endpoint options."""
    p = argparse.ArgumentParser(
        prog=prog,
        description=description,
        epilog=ENV_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _endpoint_args(p)
    return p


def app_parser() -> argparse.ArgumentParser:
    p = _parser(
        "redpill-tui",
        "Full-screen chat for OpenAI-compatible chat-completions APIs.\n\n"
        "subcommands:\n  ask      ask one question, stream the answer to stdout (ask --help)\n"
        "  models   list the endpoint's models (models --help)\n"
        "  attest   fetch and verify the endpoint's attestation report (attest --help)",
    )
    p.add_argument("-m", "--model", help="model id")
    _param_arg(p)
    p.add_argument("--theme", help="theme name")
    p.add_argument(
        "--low-bandwidth",
        action="store_true",
        help="for slow links (SSH): draw a streaming reply 5 times a second, the screen"
        " at most 10 (fewer bytes to the terminal)",
    )
    p.add_argument("file", nargs="?", help="a saved conversation (JSON) to open")
    p.add_argument("--version", action="version", version="%(prog)s " + _version())
    return p


def ask_parser() -> argparse.ArgumentParser:
    p = _parser(
        "redpill-tui ask",
        "Send one prompt (argument or stdin) and stream the answer to stdout.\n"
        "Exit status: 0 success, 1 API or network error, 2 bad usage or invalid parameter,\n"
        "3 the answer was printed but --verify could not verify it.",
    )
    p.add_argument("prompt", nargs="?", help="the prompt (default: read stdin)")
    p.add_argument("-m", "--model", help="model id (default: the profile's, else the first listed)")
    p.add_argument("-s", "--system", help="system prompt")
    _param_arg(p)
    p.add_argument("--tools", metavar="FILE", help="JSON file with an array of tool definitions")
    p.add_argument("--no-stream", action="store_true", help="ask for one complete response")
    p.add_argument(
        "--json", action="store_true", help="print one JSON object with the whole result"
    )
    p.add_argument("--timeout", type=float, metavar="SECONDS", help="read timeout")
    p.add_argument(
        "--image",
        action="append",
        default=[],
        metavar="PATH|URL",
        help="send an image with the prompt (PNG, JPEG, GIF or WebP, up to 20 MB; repeat it)",
    )
    p.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="KEY=VALUE[,KEY=VALUE…]",
        help="send the question as several requests at once, each the base request with "
        "these overrides (repeat it; system=TEXT sets a variant's system prompt)",
    )
    p.add_argument(
        "--verify",
        action="store_true",
        help="check the reply's RedPill receipt (or, on older gateways, its enclave "
        "signature); adds 'verification' to --json",
    )
    p.add_argument(
        "--e2ee",
        action="store_true",
        help="encrypt the prompt to the attested enclave and decrypt the answer here "
        "(RedPill E2EE v2; only to a key of an attestation verified here; never in clear)",
    )
    return p


def attest_parser() -> argparse.ArgumentParser:
    p = _parser(
        "redpill-tui attest",
        "Fetch the endpoint's attestation report with a fresh nonce and verify it: the\n"
        "keyset digest, report_data, its lifetime, and the Intel TDX quote (dcap-qvl, with\n"
        "collateral from the PCCS, cached). Exit status: 0 verified, 1 not fetched,\n"
        "2 bad usage, 3 fetched but not verified.",
    )
    p.add_argument("-m", "--model", help="model id (older gateways attest per model)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    return p


def models_parser() -> argparse.ArgumentParser:
    p = _parser("redpill-tui models", "List the endpoint's models.")
    p.add_argument("--json", action="store_true", help="print JSON")
    return p


def _version() -> str:
    from . import __version__

    return __version__


def _params(items: list[str]) -> dict[str, Any]:
    from .core.params import parse_param

    out: dict[str, Any] = {}
    for item in items:
        k, v = parse_param(item)
        out[k] = v
    return out


class _BadBaseURL(ValueError):
    pass


def _check_base_url(url: str | None) -> None:
    if url is None:
        return
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname)
        parts.port  # noqa: B018 (raises ValueError for a bad port)
    except ValueError:
        ok = False
    if not ok:
        raise _BadBaseURL(
            f"--base-url must be an http:// or https:// URL with a host (got {url!r})"
        )


def _setup(args: argparse.Namespace) -> tuple[Any, Any]:
    from .config import load_config, resolve_endpoint

    _check_base_url(args.base_url)
    cfg = load_config()
    for issue in cfg.issues:
        sys.stderr.write(f"redpill-tui: config: {issue}\n")
    endpoint = resolve_endpoint(cfg, profile=args.profile, base_url=args.base_url, demo=args.demo)
    return cfg, endpoint


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    from .config import UnknownProfile

    try:
        if argv and argv[0] == "ask":
            return _ask(argv[1:])
        if argv and argv[0] == "models":
            return _models(argv[1:])
        if argv and argv[0] == "attest":
            return _attest(argv[1:])
        return _app(argv)
    except (UnknownProfile, _BadBaseURL) as exc:
        sys.stderr.write(f"redpill-tui: {exc}\n")
        return 2
    except InvalidParameter as exc:
        sys.stderr.write(f"redpill-tui: invalid parameter {exc.param}: {exc.message}\n")
        return 2


def _read_stdin() -> str:
    """All of stdin, decoded strictly (the default error handler may be surrogateescape,
    and a lone surrogate cannot be sent)."""
    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is None:
        return sys.stdin.read()
    return buffer.read().decode(sys.stdin.encoding or "utf-8")


def _ask(argv: list[str]) -> int:
    from .core.variants import parse_variant
    from .headless import AskOptions, ask, run

    args = ask_parser().parse_args(argv)
    prompt = args.prompt
    if prompt is None:
        if sys.stdin is None or sys.stdin.isatty():
            sys.stderr.write("redpill-tui: no prompt: pass it as an argument or on stdin\n")
            return 2
        try:
            prompt = _read_stdin()
        except UnicodeDecodeError:
            sys.stderr.write("redpill-tui: the prompt on stdin is not valid UTF-8 text\n")
            return 2
    if not prompt.strip():
        sys.stderr.write("redpill-tui: the prompt is empty\n")
        return 2
    if args.timeout is not None and not (math.isfinite(args.timeout) and args.timeout > 0):
        sys.stderr.write(
            f"redpill-tui: --timeout must be a finite number of seconds more than 0 "
            f"(got {args.timeout})\n"
        )
        return 2
    from .core.images import ImageError, from_text
    from .core.sanitize import neutralize

    try:
        images = [from_text(i) for i in args.image]
    except ImageError as exc:
        sys.stderr.write(f"redpill-tui: --image: {neutralize(str(exc))}\n")
        return 2
    cfg, endpoint = _setup(args)
    opts = AskOptions(
        prompt=prompt,
        system=args.system,
        model=args.model,
        params=_params(args.param),
        tools_file=args.tools,
        stream=not args.no_stream,
        json_out=args.json,
        timeout=args.timeout,
        verify=args.verify,
        e2ee=args.e2ee,
        variants=[parse_variant(v) for v in args.variant],
        images=images,
    )
    return run(ask(opts, endpoint, cfg))


def _models(argv: list[str]) -> int:
    from .headless import models, run

    args = models_parser().parse_args(argv)
    cfg, endpoint = _setup(args)
    return run(models(endpoint, cfg, json_out=args.json))


def _attest(argv: list[str]) -> int:
    from .headless import run
    from .headless_attest import attest

    args = attest_parser().parse_args(argv)
    cfg, endpoint = _setup(args)
    return run(attest(endpoint, cfg, model=args.model, json_out=args.json))


def _app(argv: list[str]) -> int:
    args = app_parser().parse_args(argv)
    from .config import load_config, resolve_endpoint

    _check_base_url(args.base_url)
    cfg = load_config(create=True)
    endpoint = resolve_endpoint(cfg, profile=args.profile, base_url=args.base_url, demo=args.demo)
    params = _params(args.param)
    if args.low_bandwidth:
        # Read by Textual when it is imported (just below): its frames per second.
        os.environ.setdefault("TEXTUAL_FPS", "10")
    from .app.app import RedPillApp

    app = RedPillApp(
        config=cfg,
        endpoint=endpoint,
        model=args.model,
        params=params,
        theme_name=args.theme,
        open_file=args.file,
        low_bandwidth=args.low_bandwidth,
    )
    from .heap import settle

    settle()
    app.run()
    return app.return_code or 0
