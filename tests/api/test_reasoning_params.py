"""max_completion_tokens and reasoning_effort: checked like every named parameter, and the
bodies they make are valid CreateChatCompletionRequest bodies (tests/data's schema)."""

from __future__ import annotations

import pytest

from tests.refdata import request_validator
from tui.api.schema import REASONING_EFFORTS, InvalidParameter, validate_request
from tui.core.paramspec import SPEC_BY_NAME, hints, parse_value

BASE = {"model": "m", "messages": [{"role": "user", "content": "q"}]}


@pytest.mark.parametrize("effort", REASONING_EFFORTS)
def test_each_effort_is_valid_against_the_openai_schema(effort):
    body = validate_request(
        {**BASE, "reasoning_effort": effort, "max_completion_tokens": 64}
    ).body()
    request_validator()(body)
    assert body["reasoning_effort"] == effort and body["max_completion_tokens"] == 64


@pytest.mark.parametrize(
    ("key", "value", "says"),
    [
        ("max_completion_tokens", 0, "at least 1"),
        ("max_completion_tokens", True, "at least 1"),
        ("reasoning_effort", "extreme", "one of none, minimal"),
    ],
)
def test_bad_values_are_refused_with_what_is_allowed(key, value, says):
    with pytest.raises(InvalidParameter) as err:
        validate_request({**BASE, key: value})
    assert err.value.param == key and says in err.value.message


def test_the_sidebar_offers_them_and_warns_when_both_limits_are_set():
    assert parse_value(SPEC_BY_NAME["reasoning_effort"], "high") == "high"
    assert parse_value(SPEC_BY_NAME["max_completion_tokens"], "256") == 256
    with pytest.raises(ValueError):
        parse_value(SPEC_BY_NAME["reasoning_effort"], "extreme")
    advice = hints({"max_tokens": 10, "max_completion_tokens": 20}, [])
    assert any("max_completion_tokens" in a for a in advice)
