"""Structured outputs: ``response_format: {"type": "json_schema", "json_schema": {name,
schema, strict}}`` made from what the user typed (checked as the tool editor checks a
schema), and a reply checked against it. Plain Python."""

from __future__ import annotations

import json
import re
from typing import Any

from .params import loads_strict
from .tools import schema_problems, strict_problems

NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def schema_format(params: Any) -> dict[str, Any] | None:
    """The ``json_schema`` block of a request's response_format, or None."""
    rf = params.get("response_format") if isinstance(params, dict) else None
    if isinstance(rf, dict) and rf.get("type") == "json_schema":
        block = rf.get("json_schema")
        return block if isinstance(block, dict) else {}
    return None


def make_format(
    name: str, schema_text: str, strict: bool
) -> tuple[dict[str, Any] | None, list[str]]:
    """(response_format, []) when everything is right, else (None, what is wrong)."""
    problems: list[str] = []
    name = name.strip()
    if not NAME.match(name):
        problems.append("name: 1 to 64 letters, digits, _ or - (the API's rule)")
    try:
        schema = loads_strict(schema_text)
    except ValueError as exc:
        return None, [*problems, f"schema: not JSON ({exc})"]
    if not isinstance(schema, dict):
        return None, [*problems, "schema: a JSON Schema is an object"]
    problems += [f"schema: {p}" for p in schema_problems(schema)]
    if strict:
        problems += [f"strict: {p}" for p in strict_problems(schema)]
    if problems:
        return None, problems
    block: dict[str, Any] = {"name": name, "schema": schema}
    if strict:
        block["strict"] = True
    return {"type": "json_schema", "json_schema": block}, []


def check_reply(content: str, block: dict[str, Any]) -> tuple[bool, str]:
    """Whether ``content`` is JSON that matches the block's schema, and what to say."""
    name = block.get("name") if isinstance(block.get("name"), str) else "the schema"
    try:
        value = json.loads(content)
    except RecursionError:
        return False, f"schema {name}: ✗ JSON nested too deeply to check"
    except ValueError as exc:
        return False, f"schema {name}: ✗ not JSON ({exc})"
    schema = block.get("schema")
    if not isinstance(schema, dict):
        return True, f"schema {name}: JSON (no schema to check against)"
    from jsonschema import Draft202012Validator

    try:
        errors = sorted(Draft202012Validator(schema).iter_errors(value), key=lambda e: list(e.path))
    except Exception as exc:  # a schema the validator cannot use
        return False, f"schema {name}: could not check ({exc})"
    if not errors:
        return True, f"schema {name}: ✓ matches"
    err = errors[0]
    where = "/".join(str(p) for p in err.path) or "(top level)"
    more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
    return False, f"schema {name}: ✗ at {where}: {err.message}{more}"
