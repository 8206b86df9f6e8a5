"""The conversation model: titles, the history a request carries, choices, and the
storage shape."""

from __future__ import annotations

import pytest

from tests.refdata import request_validator
from tui.api.schema import InvalidParameter
from tui.core.conversation import ChoiceRecord, Conversation, Turn
from tui.core.tools import ToolSettings, ToolSpec


def user(content) -> dict:
    return {"role": "user", "content": content}


def finished_turn(conv: Conversation, text: str, *choices: ChoiceRecord) -> Turn:
    msg = [user(text)]
    turn = conv.start_turn(msg, conv.build(msg))
    turn.finish(turn.live)
    turn.choices = list(choices)
    return turn


# -- titles -----------------------------------------------------------------------------


def test_title_is_the_first_line_of_the_first_user_message():
    conv = Conversation(model="m")
    assert conv.display_title() == "New conversation"
    finished_turn(conv, "   \n  Trip to Lisbon  \nmore detail", ChoiceRecord(0, content="ok"))
    finished_turn(conv, "second question", ChoiceRecord(0, content="ok"))
    assert conv.display_title() == "Trip to Lisbon"


def test_title_of_a_long_message_is_cut_with_an_ellipsis():
    conv = Conversation(model="m")
    finished_turn(conv, "word " * 40, ChoiceRecord(0, content="ok"))
    title = conv.display_title()
    assert len(title) == 61 and title.endswith("…")


def test_title_from_a_message_with_an_image_uses_its_text():
    conv = Conversation(model="m")
    content = [
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
        {"type": "text", "text": "What is in this picture?"},
    ]
    msg = [user(content)]
    conv.start_turn(msg, conv.build(msg)).finish(conv.turns[-1].live)
    assert conv.display_title() == "What is in this picture?"


def test_a_rename_wins_over_the_first_message():
    conv = Conversation(model="m", title="Mine")
    finished_turn(conv, "hello", ChoiceRecord(0, content="hi"))
    assert conv.display_title() == "Mine"


def test_tool_results_never_become_the_title():
    conv = Conversation(model="m")
    conv.turns.append(Turn(input=[{"role": "tool", "tool_call_id": "c", "content": "42"}]))
    assert conv.display_title() == "New conversation"


# -- history and requests ---------------------------------------------------------------


def test_history_follows_the_chosen_choice_and_skips_empty_and_running_turns():
    conv = Conversation(model="m", system="sys", params={"n": 2})
    t1 = finished_turn(
        conv,
        "pick one",
        ChoiceRecord(0, content="first", finish_reason="stop"),
        ChoiceRecord(1, content="second", finish_reason="stop"),
    )
    t1.chosen = 1
    finished_turn(conv, "nothing came back", ChoiceRecord(0, content="", finish_reason="stop"))
    msg = [user("still streaming")]
    conv.start_turn(msg, conv.build(msg))  # live: its partial reply is not history yet
    assert conv.history() == [
        {"role": "system", "content": "sys"},
        user("pick one"),
        {"role": "assistant", "content": "second"},
        user("nothing came back"),
        user("still streaming"),
    ]
    assert conv.history(upto=1) == conv.history()[:3]


def test_a_refusal_is_kept_in_the_history_as_text():
    conv = Conversation(model="m")
    finished_turn(conv, "bad idea", ChoiceRecord(0, refusal="I can't help with that."))
    assert conv.history()[-1] == {"role": "assistant", "content": "I can't help with that."}


def test_legacy_function_call_reply_is_an_api_shaped_message():
    conv = Conversation(model="m")
    fc = {"name": "get_weather", "arguments": '{"city":"Oslo"}'}
    finished_turn(
        conv, "weather?", ChoiceRecord(0, function_call=fc, finish_reason="function_call")
    )
    msg = [{"role": "function", "name": "get_weather", "content": "cold"}]
    request = conv.build(msg).body()
    request_validator()(request)
    assert request["messages"][1] == {"role": "assistant", "function_call": fc}


def test_tool_call_without_an_id_gets_one_so_the_history_stays_valid():
    choice = ChoiceRecord(
        0, tool_calls=[{"function": {"name": "f", "arguments": "{}"}}], finish_reason="tool_calls"
    )
    msg = choice.message()
    assert msg["tool_calls"][0]["id"] == "call_0_0"
    assert msg["tool_calls"][0]["type"] == "function"


def test_build_refuses_broken_tools_naming_the_tool():
    conv = Conversation(model="m")
    conv.toolset = ToolSettings(specs=[ToolSpec(name="bad name!")])
    with pytest.raises(InvalidParameter) as err:
        conv.build([user("x")])
    assert err.value.param == "tools" and "bad name!" in err.value.message


def test_preview_shows_the_draft_and_the_tools():
    conv = Conversation(model="m", params={"temperature": 1.0})
    conv.toolset = ToolSettings(specs=[ToolSpec(name="f")], choice="required")
    body = conv.preview("draft text")
    assert body["messages"] == [user("draft text")]
    assert body["temperature"] == 1.0
    assert body["tool_choice"] == "required" and body["tools"][0]["function"]["name"] == "f"
    assert conv.preview("   ")["messages"] == []


def test_truncate_drops_the_turn_and_everything_after():
    conv = Conversation(model="m")
    for text in ("a", "b", "c"):
        finished_turn(conv, text, ChoiceRecord(0, content=text.upper()))
    conv.truncate(1)
    assert [t.input[0]["content"] for t in conv.turns] == ["a"]


# -- storage shape ----------------------------------------------------------------------


def test_a_turn_saved_mid_stream_keeps_what_arrived():
    conv = Conversation(model="m", params={"stream": True, "n": 2})
    msg = [user("count")]
    turn = conv.start_turn(msg, conv.build(msg))
    turn.live.feed_chunk({"choices": [{"index": 1, "delta": {"content": "one, two"}}]})
    turn.live.feed_chunk({"choices": [{"index": 0, "delta": {"reasoning_content": "hmm"}}]})
    saved = conv.to_dict()["turns"][0]
    assert saved["partial"] is True
    assert [(c["index"], c["content"], c["reasoning"]) for c in saved["choices"]] == [
        (0, None, "hmm"),
        (1, "one, two", None),
    ]
    # The live accumulator itself is never part of the file.
    assert "live" not in saved


def test_unknown_fields_and_nulls_load_with_defaults():
    conv = Conversation.from_dict(
        {
            "id": "abc",
            "model": None,
            "turns": [{"input": [user("hi")], "choices": [{"content": "yo"}], "extra": 1}],
        }
    )
    assert conv.model == "" and conv.turns[0].choices[0].index == 0
    assert conv.turns[0].chosen_choice().content == "yo"


@pytest.mark.parametrize("bad_id", ["../x", "a/b", "", "x" * 200, "a b", 7])
def test_an_id_that_could_name_another_path_is_replaced(bad_id):
    conv = Conversation.from_dict({"id": bad_id})
    assert conv.id != bad_id and conv.id.isalnum()


def test_search_text_holds_what_a_person_reads():
    conv = Conversation(model="phala/x", system="You are terse.")
    finished_turn(
        conv,
        "Where is Oslo?",
        ChoiceRecord(
            0,
            content="Norway.",
            reasoning="geography",
            tool_calls=[{"id": "c", "function": {"name": "lookup", "arguments": '{"q": "Oslo"}'}}],
        ),
    )
    text = conv.search_text()
    for part in ("Where is Oslo?", "Norway.", "geography", "lookup", "You are terse.", "phala/x"):
        assert part in text
    assert "finish_reason" not in text and "role" not in text
