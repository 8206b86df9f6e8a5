"""The extra body (tui/core/paramstate.py): request keys the sidebar does not name, kept
from -p, a saved conversation or a preset, typed as JSON, merged into the request;
named keys are conflicts, left out and listed."""

from __future__ import annotations

from tests.refdata import request_validator
from tui.core.conversation import Conversation
from tui.core.paramstate import EXTRA, ParamState
from tui.core.session import ChatSession


def test_keys_the_sidebar_does_not_name_are_kept_and_sent():
    p = ParamState({"temperature": 0.5, "top_k": 40, "chat_template_kwargs": {"x": 1}})
    assert p.extra == {"top_k": 40, "chat_template_kwargs": {"x": 1}}
    p.type_text("temperature", "0.9")  # an edit in the sidebar keeps them (it used to drop them)
    assert p.request_params() == {
        "temperature": 0.9,
        "top_k": 40,
        "chat_template_kwargs": {"x": 1},
    }


def test_typed_json_replaces_the_extra_body_and_conflicts_are_listed():
    p = ParamState({"temperature": 0.5})
    assert p.type_extra('{"min_p": 0.05, "temperature": 2, "model": "x", "messages": []}') is None
    assert p.conflicts == ["temperature", "model", "messages"]
    assert p.request_params() == {"temperature": 0.5, "min_p": 0.05}
    assert p.type_extra("") is None and p.extra == {} and p.conflicts == []


def test_bad_json_keeps_the_body_from_before_and_blocks_sending():
    p = ParamState({"top_k": 5})
    assert "not JSON" in p.type_extra('{"top_k": ')
    assert "JSON object" in p.type_extra("[1, 2]")
    assert p.extra == {"top_k": 5} and EXTRA in p.errors
    s = ChatSession(Conversation(model="m"), None)
    s.type_extra("{nope")
    plan = s.send("hi")
    assert plan.blocked is not None and "extra body" in plan.blocked.message
    s.type_extra('{"top_k": 3}')
    body = s.send("hi").request.body()
    assert body["top_k"] == 3
    request_validator()(body)  # extra keys are allowed by the API's schema


def test_a_json_schema_response_format_rides_in_the_extra_body():
    schema = {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object"}}}
    p = ParamState({"response_format": schema})
    assert p.values["response_format"] is None and p.extra == {"response_format": schema}
    assert p.request_params()["response_format"] == schema
    p.type_text("response_format", "json_object")  # the sidebar's own choice wins, if set
    assert p.type_extra('{"response_format": {"type": "json_schema"}}') is None
    assert p.conflicts == ["response_format"]
