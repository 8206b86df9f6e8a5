"""Hostile files: a saved conversation, a config and a theme whose every string holds
control sequences and markup. The real app runs in a pty and opens them; it must survive,
write none of those bytes, and still answer a message."""

from __future__ import annotations

import json
from pathlib import Path

from tests.hostile.harness import Pty, app_argv, dirs_env, hostile, leaks
from tests.hostile.server import text_reply
from tests.loopback import Request
from tui.core.conversation import ChoiceRecord, Conversation, Turn
from tui.core.store import save_file
from tui.core.tools import ToolSettings, ToolSpec

H = hostile
F4, F5, F8, ESC = "\x1bOS", "\x1b[15~", "\x1b[19~", "\x1b"


def hostile_conversation(tag: str) -> Conversation:
    conv = Conversation(model=H("model"), system=H("system"), title=H(f"title {tag}"))
    conv.toolset = ToolSettings(
        specs=[
            ToolSpec(
                name=H("toolname"),
                description=H("tooldesc"),
                parameters=json.dumps({"type": "object", "properties": {H("p"): {}}}),
                canned_result=H("canned"),
                enabled=False,  # its name is no valid function name: sending would refuse
            )
        ]
    )
    turn = Turn(input=[{"role": "user", "content": H("user says") + " what does [/b] mean?"}])
    turn.choices = [
        ChoiceRecord(
            index=0,
            content=H("zzsaved"),
            finish_reason=H("fin"),
            tool_calls=[
                {
                    "id": H("callid"),
                    "type": "function",
                    "function": {"name": H("fn"), "arguments": json.dumps({"x": H("arg")})},
                }
            ],
        )
    ]
    turn.model = H("turnmodel")
    turn.error = {"kind": "api", "message": H("savederror"), "type": H("t")}
    conv.turns.append(turn)
    return conv


def pong(request: Request):
    last = request.json()["messages"][-1]
    if last.get("role") == "tool":
        return text_reply("pong files")  # the answer to the saved reply's tool call
    said = last.get("content") or ""
    return text_reply(f"pong {said.split()[-1]}")


def test_a_hostile_saved_conversation_opens_lists_edits_and_chats_on(loopback, tmp_path):
    loopback.route("/chat/completions", pong)
    env = dirs_env(tmp_path)
    folder = Path(env["REDPILL_TUI_DATA"]) / "conversations"
    folder.mkdir(parents=True)
    for tag in ("a", "b"):
        conv = hostile_conversation(tag)
        save_file(conv, folder / f"{conv.id}.json")
    opened = folder / f"{conv.id}.json"
    app = Pty(
        app_argv("--base-url", loopback.base_url, "-m", "plain", str(opened)),
        env=env,
    )
    try:
        assert app.wait_for("savederror", 30), "the saved turn never showed:\n" + app.text()[-2000:]
        steps = [
            ("F5 list", F5, "title"),
            ("F8 tools", F8, "JSON Schema of an object"),
            ("F4 picker", F4, "odel"),
        ]
        for what, key, seen in steps:
            start = len(app.out)
            app.type(key)
            assert app.wait_for(seen, 15, since=start), f"{what}: not shown"
            app.read_for(0.3)
            assert app.alive(), f"{what}: the app died:\n{app.text(start)[-3000:]}"
            app.type(ESC)
            app.read_for(0.5)
        start = len(app.out)
        app.type("\x12")  # ctrl+r: the hostile message goes into the composer to edit
        app.read_for(0.5)
        app.type(ESC)
        app.read_for(0.3)
        assert app.alive()
        # the saved reply's tool call is unanswered: answer it (the hostile canned result)
        app.type("\x0c\x13")  # ctrl+l, ctrl+s
        assert app.wait_for("empty", 20, since=start), "no confirmation for an empty result"
        app.type("y")
        assert app.wait_for("pong files", 20, since=start), "the chat did not answer"
        assert app.alive()
        assert not leaks(bytes(app.out)), leaks(bytes(app.out))
    finally:
        app.close()


def test_a_hostile_config_and_theme_never_reach_the_terminal(loopback, tmp_path):
    loopback.route("/chat/completions", pong)
    env = dirs_env(tmp_path)
    config = Path(env["REDPILL_TUI_CONFIG"])
    (config.parent / "themes").mkdir(parents=True)
    config.write_text(
        f"theme = {json.dumps(H('theme'))}\n"
        'default_profile = "p"\n'
        "[profiles.p]\n"
        f'base_url = "{loopback.base_url}"\n'
        f"model = {json.dumps(H('cfgmodel'))}\n"
        f"headers = {{ x-trace = {json.dumps(H('hdr'))} }}\n"
        "[profiles.p.params]\n"
        f"user = {json.dumps(H('user'))}\n"
        f"stop = [{json.dumps(H('stop'))}]\n"
    )
    (config.parent / "themes" / "bad.toml").write_text(
        f'name = {json.dumps(H("themename"))}\nprimary = "#ff0000"\n'
    )
    (config.parent / "themes" / "bad2.toml").write_text(
        f'name = "badvars"\nprimary = "#ff0000"\n[variables]\nborder = {json.dumps(H("var"))}\n'
    )
    app = Pty(app_argv("--theme", H("cli")), env=env)
    try:
        assert app.wait_for("essage", 30), "the app did not start:\n" + app.text()[-2000:]
        app.read_for(1.0)
        assert app.alive(), app.text()[-3000:]
        start = len(app.out)
        app.type("\x0cping config\r")
        assert app.wait_for("pong config", 20, since=start), "the chat did not answer"
        assert app.alive()
        assert not leaks(bytes(app.out)), leaks(bytes(app.out))
    finally:
        app.close()
    sent = loopback.requests[-1].json()
    assert sent["model"] == H("cfgmodel")  # the exact value, though shown inert
