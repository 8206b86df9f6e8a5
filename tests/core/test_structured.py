"""Structured outputs (tui/core/structured.py): a response_format made from what is typed,
checked as the tool editor checks a schema; replies checked against it."""

from __future__ import annotations

import json

from tests.refdata import request_validator
from tui.api.schema import validate_request
from tui.core.structured import check_reply, make_format, schema_format

SCHEMA = {
    "type": "object",
    "properties": {"colour": {"type": "string"}, "n": {"type": "integer"}},
    "required": ["colour", "n"],
    "additionalProperties": False,
}


def test_a_good_schema_makes_a_valid_request():
    fmt, problems = make_format("colour_pick", json.dumps(SCHEMA), strict=True)
    assert problems == []
    assert fmt == {
        "type": "json_schema",
        "json_schema": {"name": "colour_pick", "schema": SCHEMA, "strict": True},
    }
    body = validate_request(
        {"model": "m", "messages": [{"role": "user", "content": "q"}], "response_format": fmt}
    ).body()
    request_validator()(body)
    assert schema_format(body) == fmt["json_schema"]


def test_what_is_wrong_is_said():
    loose = {"type": "object", "properties": {"a": {"type": "string"}}}
    assert make_format("x y", json.dumps(SCHEMA), False)[1][0].startswith("name:")
    assert "not JSON" in make_format("x", "{", False)[1][0]
    assert "an object" in make_format("x", "[]", False)[1][0]
    strict = make_format("x", json.dumps(loose), True)[1]
    assert any("additionalProperties" in p for p in strict)
    assert make_format("x", json.dumps(loose), False) == (
        {"type": "json_schema", "json_schema": {"name": "x", "schema": loose}},
        [],
    )
    assert any("valid JSON Schema" in p for p in make_format("x", '{"type": 5}', False)[1])


def test_replies_are_checked():
    block = {"name": "pick", "schema": SCHEMA}
    assert check_reply('{"colour": "teal", "n": 2}', block) == (True, "schema pick: ✓ matches")
    ok, said = check_reply('{"colour": "teal", "n": "two"}', block)
    assert not ok and said.startswith("schema pick: ✗ at n: 'two' is not of type 'integer'")
    assert check_reply("Sure! Teal.", block)[1].startswith("schema pick: ✗ not JSON")
    assert check_reply("{}", block)[1].endswith("(+1 more)")
