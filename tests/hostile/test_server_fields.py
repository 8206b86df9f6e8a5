"""A hostile server: every string field it sends holds control sequences and markup. The
real app runs in a pty; for each field it must survive, write none of those bytes, and
still answer the next message."""

from __future__ import annotations

from tests.hostile.harness import Pty, app_argv, dirs_env, leaks
from tests.hostile.server import SCENARIOS, H


def test_every_hostile_field_is_inert_and_the_chat_goes_on(hostile_server, tmp_path):
    # No -m: the app picks the first model of /models, a hostile id, by itself.
    app = Pty(app_argv("--base-url", hostile_server.base_url), env=dirs_env(tmp_path))
    try:
        assert app.wait_for("essage", 30), "the app did not start:\n" + app.text()[-2000:]
        # the sidebar's model field shows the start of the id, made visible
        assert app.wait_for("␛]52", 15), "the auto-picked model never showed"
        app.read_for(0.5)
        for name in SCENARIOS:
            start = len(app.out)
            app.type(f"field {name}\r")
            marker = {
                "http-error": "zzhttperr",
                "stream-error": "zzstreamerr",
            }.get(name, f"zz{name.replace('-', '')}")
            if name == "meta-fields":
                marker = "zzmeta"
            elif name.startswith("finish"):
                marker = "zzfinish" + name[-1]
            assert app.wait_for(marker, 40, since=start), (
                f"{name}: nothing rendered:\n{app.text(start)[-3000:]}"
            )
            app.read_for(0.3)
            assert app.alive(), f"{name}: the app died:\n{app.text(start)[-3000:]}"
            app.type("\x0c")  # ctrl+l: back to the composer, wherever focus went
            if name == "tool-call":
                # the API refuses a message after unanswered calls: answer (empty), confirm
                app.type("\x13")  # ctrl+s
                assert app.wait_for("empty", 20, since=start), "no confirmation asked"
                app.type("y")
            else:
                app.type(f"ping {name}\r")
            assert app.wait_for(f"pong {name}", 40, since=start), (
                f"{name}: the chat did not answer the next message:\n{app.text(start)[-3000:]}"
            )
            assert not leaks(bytes(app.out[start:])), f"{name}: {leaks(bytes(app.out[start:]))}"
        # F4: the model list, hostile ids included, then pick the plain one
        start = len(app.out)
        app.type("\x1bOS")  # F4
        assert app.wait_for("plain-model", 15, since=start)
        app.read_for(0.3)
        app.type("\x1b")  # esc
        app.read_for(0.5)
        assert app.alive()
        assert not leaks(bytes(app.out)), leaks(bytes(app.out))
    finally:
        app.close()
    # the exact hostile model id went on the wire; the screen only ever showed it inert
    sent = [r.json() for r in hostile_server.requests if r.path.endswith("/chat/completions")]
    assert sent and sent[0]["model"] == H("model0")
