"""Variants in the core: parsing what is typed, applying overrides, and a session that
runs several requests at once and keeps each as one of the turn's replies."""

from __future__ import annotations

import asyncio

import pytest

from tui.api.errors import InvalidParameter
from tui.core.conversation import Conversation
from tui.core.session import ChatSession
from tui.core.turn import Turn
from tui.core.variants import apply, describe, parse_sweep, parse_variant


def test_parse_variant_keeps_json_values_with_commas_inside():
    assert parse_variant('temperature=1.4,stop=["a,b", "c"],seed=3') == {
        "temperature": 1.4,
        "stop": ["a,b", "c"],
        "seed": 3,
    }
    assert parse_variant('response_format={"type": "json_object"}') == {
        "response_format": {"type": "json_object"}
    }
    assert parse_variant("") == {}
    assert parse_variant("model=phala/qwen-2.5-7b, seed=null") == {
        "model": "phala/qwen-2.5-7b",
        "seed": None,
    }


@pytest.mark.parametrize("text", ["temperature", "=3", "messages=[]", "stream=false"])
def test_parse_variant_refuses(text):
    with pytest.raises(InvalidParameter):
        parse_variant(text)


def test_parse_sweep():
    assert parse_sweep("temperature: 0, 0.7, 1.4") == (
        "temperature",
        [{"temperature": 0}, {"temperature": 0.7}, {"temperature": 1.4}],
    )
    assert parse_sweep("model=a,b")[1] == [{"model": "a"}, {"model": "b"}]
    for bad in ("temperature: 1", "temperature", ": 1, 2", "seed: " + ",".join("123456789")):
        with pytest.raises(InvalidParameter):
            parse_sweep(bad)


def test_describe():
    assert describe({}) == "base" and describe(None) == "base"
    assert describe({"temperature": 1.4, "model": "m"}) == "temperature 1.4 · model m"
    assert describe({"seed": None}) == "seed unset"
    assert describe({"system": "Be\nterse " * 20}).startswith("system “Be terse Be terse")
    assert describe({"stop": ["x"]}) == 'stop ["x"]'


def test_apply_overrides_and_the_system_prompt():
    body = {
        "model": "m",
        "messages": [{"role": "system", "content": "S"}, {"role": "user", "content": "q"}],
        "seed": 1,
    }
    out = apply(body, {"temperature": 0.5, "seed": None, "system": "T"})
    assert out == {
        "model": "m",
        "messages": [{"role": "system", "content": "T"}, {"role": "user", "content": "q"}],
        "temperature": 0.5,
    }
    assert body["seed"] == 1  # not changed
    assert apply(body, {"system": None})["messages"] == [{"role": "user", "content": "q"}]
    plain = {"model": "m", "messages": [{"role": "user", "content": "q"}]}
    assert apply(plain, {"system": "T"})["messages"][0] == {"role": "system", "content": "T"}


class FakeClient:
    """Answers each request after a delay set by its temperature; model "bad" fails."""

    def __init__(self):
        self.bodies = []
        self.last_exchange = None

    async def chat(self, request, acc, on_update=None):
        from tui.api.errors import APIError

        body = request.body()
        self.bodies.append(body)
        await asyncio.sleep(0.01 * (body.get("temperature") or 0))
        if body["model"] == "bad":
            acc.fail(APIError(message="no such model", status=404, kind="http"))
            return acc, None
        text = f"t={body.get('temperature')} m={body['model']}"
        acc.load_completion(

                {
                    "id": f"c-{len(self.bodies)}",
                    "model": body["model"],
                    "choices": [
                        {"index": 0, "message": {"role": "assistant", "content": text},
                         "finish_reason": "stop"}
                    ],
                    "usage": {"prompt_tokens": 2, "completion_tokens": 3, "total_tokens": 5},
                }

        )  # fmt: skip
        return acc, None

    async def list_models(self):
        return []


def session() -> ChatSession:
    conv = Conversation(model="base-model", params={"temperature": 0.2})
    return ChatSession(conv, FakeClient())


async def test_variants_run_together_and_become_the_turns_replies():
    s = session()
    base = s.send("hello").request.body()
    overrides = [{"temperature": 0.0}, {"temperature": 1.4}, {"model": "other"}]
    plan = s.send("hello", variants=overrides)
    assert plan.ready and len(plan.variants) == 3
    turn = await s.run(plan)
    bodies = s.client.bodies
    assert len(bodies) == 3
    for body, o in zip(bodies, overrides, strict=True):  # they differ by the overrides only
        assert {k: v for k, v in body.items() if k not in o} == {
            k: v for k, v in base.items() if k not in o
        }
        assert all(body[k] == v for k, v in o.items())
    assert bodies[2]["temperature"] == 0.2  # the base parameter, not overridden
    replies = turn.all_replies()
    assert [r["overrides"] for r in replies] == overrides
    assert [r["choices"][0]["content"] for r in replies] == [
        "t=0.0 m=base-model", "t=1.4 m=base-model", "t=0.2 m=other",
    ]  # fmt: skip
    assert turn.variant_numbers() == [0, 1, 2]
    # the first continues the conversation until another is picked
    assert s.conversation.history()[-1]["content"] == "t=0.0 m=base-model"
    s.show_reply(turn, 1)
    assert s.conversation.history()[-1]["content"] == "t=1.4 m=base-model"
    # each reply's request rebuilds exactly
    for number, body in enumerate(bodies):
        assert s.conversation.request_of(0, number) == body
    # saved and read back
    again = Conversation.from_dict(s.conversation.to_dict())
    assert again.turns[0].variant_numbers() == [0, 1, 2]
    assert again.turns[0].overrides == {"temperature": 1.4}


async def test_an_error_in_one_variant_leaves_the_others():
    s = session()
    failed = []
    s.subscribe(lambda e: failed.append(e) if type(e).__name__ == "Failed" else None)
    turn = await s.run(s.send("q", variants=[{}, {"model": "bad"}, {"temperature": 1}]))
    replies = turn.all_replies()
    assert replies[1]["error"]["message"] == "no such model"
    assert replies[0]["error"] is None and replies[2]["error"] is None
    assert replies[2]["choices"][0]["content"] == "t=1.0 m=base-model"
    assert [e.overrides for e in failed] == [{"model": "bad"}]


async def test_cancel_stops_every_variant_and_keeps_them():
    s = session()
    plan = s.send("q", variants=[{"temperature": 100}, {"temperature": 200}])
    assert plan.blocked is not None  # out of range: checked before anything goes
    assert "variant 1: temperature 100" in plan.blocked.message
    plan = s.send("q", variants=[{"temperature": 1.5}, {"temperature": 2}])
    turn = s.start(plan)
    task = s.launch(turn)
    await asyncio.sleep(0.001)
    assert s.cancel()
    await task
    s.finish(turn)
    assert [r["cancelled"] for r in turn.all_replies()] == [True, True]
    assert s.active is None


def test_a_saved_turn_mid_stream_keeps_every_variant():
    s = session()
    turn = s.start(s.send("q", variants=[{}, {"temperature": 1}]))
    saved = Turn.from_dict(turn.to_dict())
    assert len(saved.all_replies()) == 2 and saved.interrupted


async def test_exports_give_one_command_per_variant_and_every_reply():
    from tui.core import export

    s = session()
    turn = await s.run(s.send("q", variants=[{"temperature": 0.0}, {"model": "other"}]))
    s.show_reply(turn, 1)
    variants = export.last_variants(s.conversation)
    assert [o for o, _ in variants] == [{"temperature": 0.0}, {"model": "other"}]
    assert [b for _, b in variants] == s.client.bodies
    curl = export.per_variant(variants, lambda b: export.curl_command(b, "http://h/v1", "KEY_ENV"))
    assert curl.count("curl -sS") == 2
    assert curl.startswith("# variant 1: temperature 0.0\ncurl")
    assert "# variant 2: model other\ncurl" in curl
    assert '"model": "other"' in curl.split("# variant 2")[1]
    md = export.markdown_transcript(s.conversation)
    assert "## Assistant — variant 1: temperature 0.0\n\nt=0.0 m=base-model" in md
    assert "## Assistant — variant 2: model other (continued)\n\nt=0.2 m=other" in md
    assert export.last_variants(Conversation()) == []


async def test_a_verification_of_another_variant_is_kept_with_that_reply():
    s = session()
    turn = await s.run(s.send("q", variants=[{}, {"temperature": 1}]))
    column = Turn.from_dict({**turn.reply_fields(1), "input": turn.input})  # as a column shows it
    column.verification = {"verdict": "verified", "detail": "ok"}
    assert s.conversation.keep_verification(column) is turn
    assert turn.earlier[0]["verification"] == {"verdict": "verified", "detail": "ok"}
    assert turn.verification is None  # the shown reply's own is untouched
    assert s.conversation.keep_verification(turn) is turn
