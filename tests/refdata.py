"""Reference data copied into ``tests/data`` (sources and licences in its README)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"
STREAMS = DATA / "streams"


@cache
def openapi() -> dict[str, Any]:
    import yaml

    return yaml.safe_load((DATA / "openai-chat-schema.yaml").read_text(encoding="utf-8"))


def schema_validator(component: str) -> Any:
    """A JSON Schema validator for one component of the OpenAPI extract."""
    from jsonschema import Draft202012Validator

    doc = openapi()
    schema = {"$ref": f"#/components/schemas/{component}", "components": doc["components"]}
    return Draft202012Validator(schema)


@cache
def _request_validator() -> Any:
    return schema_validator("CreateChatCompletionRequest")


def request_validator() -> Callable[[dict[str, Any]], None]:
    """Raises ``AssertionError`` naming every place a body breaks
    ``CreateChatCompletionRequest``."""
    validator = _request_validator()

    def check(body: dict[str, Any]) -> None:
        errors = sorted(validator.iter_errors(body), key=lambda e: list(e.path))
        if errors:
            lines = [f"{'/'.join(map(str, e.path)) or '(top)'}: {e.message}" for e in errors[:5]]
            raise AssertionError("body breaks CreateChatCompletionRequest:\n" + "\n".join(lines))

    return check


def stream_files() -> list[Path]:
    """Every recorded event-stream body."""
    return sorted(p for p in STREAMS.rglob("*") if p.suffix in (".bin", ".sse") and p.is_file())


def http_file(name: str) -> tuple[int, list[tuple[str, str]], bytes]:
    """A recorded HTTP response: status, headers, body."""
    raw = (STREAMS / name).read_bytes()
    head, _, body = raw.partition(b"\r\n\r\n")
    if not body and b"\n\n" in raw:
        head, _, body = raw.partition(b"\n\n")
    lines = head.decode("latin-1").splitlines()
    status = int(lines[0].split()[1])
    headers = []
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers.append((k.strip(), v.strip()))
    return status, headers, body
