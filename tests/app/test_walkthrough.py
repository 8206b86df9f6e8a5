"""The walkthrough tier: every screen, every binding, every palette command.

Nothing here is a hand-kept list of keys. The walk starts on the chat screen and reads
what the app offers there: the active bindings (the focused widget's, the screen's and
the app's, as Textual resolves a key), the bindings declared on the screen (and on the
chat screen the app's) that a focused widget shadows (run as their action), and the
palette's commands (``app.get_system_commands``, called as the palette calls them).
Every screen a step opens is walked the same way, with the steps that reach it replayed
from the chat screen; so is every widget with bindings of its own (focused directly). A
new binding, command, screen or widget is covered without touching this file.

After every step the app must still run. On the chat screen each of the app's own
bindings and commands is followed by esc, which must leave the focus in the composer;
on another screen a step that opens something is followed by esc back to that screen,
and the screen's steps by esc back to the composer. Textual's own bindings (cursor keys,
focus moves, the palette's list) and the commands that call what a binding here calls
are fired one after the other. A typed message must get its reply after every
PROBE_EVERY steps and after each screen's last.

The conversation walked holds a streamed reply, a tool call answered with results, and
a reply that failed mid-stream, all with n = 3; what a step changes in it is put back.
Quitting is skipped by binding id and fired last.
"""

from __future__ import annotations

import copy
import json
import os
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import pytest
from textual.app import App
from textual.binding import Binding
from textual.dom import DOMNode

from tests.app.conftest import make_app, settle
from tests.loopback import Reply, Request, chunk, sse
from tui.app.chat_screen import ChatScreen
from tui.app.widgets.composer import Composer
from tui.app.widgets.conversation import ConversationView
from tui.core.tools import ToolSpec

SSE = [("Content-Type", "text/event-stream")]
TRACE = bool(os.environ.get("WALK_TRACE"))
T0 = time.monotonic()
N = 3
PROBE_KEYS = "abcdefghijklmnopqrstuvwxyz"
# A typed message after every PROBE_EVERY steps (and after each screen's last): each
# message costs a full turn (about 1.2 s on 2 busy cores). WALK_PROBE_EVERY=1 sends one
# after every single binding and command.
PROBE_EVERY = int(os.environ.get("WALK_PROBE_EVERY") or 8)

# Bindings that end the app, by binding id, with the reason they are not fired mid-walk.
# Every quitting binding must be named here (the walk fails on one that is not); the
# walk fires quit itself once, last, when everything else is done.
SKIP_BINDINGS = {
    "quit": "quits the app: fired once, after the walk (and in test_chat's quit test)",
}
QUIT_ACTIONS = {"quit", "app.quit"}
# Palette commands have no ids: by title, for the same reason.
SKIP_COMMANDS = {
    "Quit": "quits the app: fired once, after the walk",
}

# The screens the walk must reach from the chat screen's bindings and commands.
CORE_SCREENS = {
    "ChatScreen",
    "HelpScreen",
    "ModelPickerScreen",
    "ConversationsScreen",
    "ToolEditorScreen",
    "ExportScreen",
    "VerifyScreen",
    "ConfirmScreen",
    "PathScreen",
    "CommandPalette",
}

WEATHER = json.dumps(
    {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
)


# -- the server --------------------------------------------------------------------------


def stream(events: list[Any], done: bool = True) -> Reply:
    return Reply(status=200, headers=SSE, body=sse([*events, *(["[DONE]"] if done else [])]))


def choices_reply(texts: list[str]) -> Reply:
    """One streamed reply, choice i saying texts[i], in pieces and interleaved."""
    events: list[Any] = [chunk(i, "", role="assistant") for i in range(len(texts))]
    pieces = [text.split(" ") for text in texts]
    for step in range(max(len(p) for p in pieces)):
        for i, words in enumerate(pieces):
            if step < len(words):
                events.append(chunk(i, words[step] + (" " if step < len(words) - 1 else "")))
    events += [chunk(i, finish="stop") for i in range(len(texts))]
    return stream(events)


def tool_call_reply(n: int) -> Reply:
    """Choice 0 calls a tool (its arguments in pieces); the others answer in text."""
    events: list[Any] = [chunk(i, "", role="assistant") for i in range(n)]
    call = {"index": 0, "id": "call_w1", "type": "function"}
    events.append(chunk(0, tool_calls=[{**call, "function": {"name": "get_weather"}}]))
    for piece in ('{"ci', 'ty": "Pa', 'ris"}'):
        events.append(chunk(0, tool_calls=[{"index": 0, "function": {"arguments": piece}}]))
    events += [chunk(i, f"no tool {i}") for i in range(1, n)]
    events += [chunk(0, finish="tool_calls")] + [chunk(i, finish="stop") for i in range(1, n)]
    return stream(events)


def error_reply(n: int) -> Reply:
    """Part of each choice, then an error event: the stream fails half-way."""
    events: list[Any] = [chunk(i, "", role="assistant") for i in range(n)]
    events += [chunk(i, f"half {i} ") for i in range(n)]
    events.append({"error": {"message": "upstream overloaded", "type": "server_error"}})
    return stream(events, done=False)


def answer(request: Request) -> Reply:
    body = request.json()
    n = int(body.get("n") or 1)
    last = (body.get("messages") or [{}])[-1]
    if last.get("role") == "tool":
        return choices_reply([f"it is sunny {i}" for i in range(n)])
    said = str(last.get("content") or "")
    if said.startswith("tool"):
        return tool_call_reply(n)
    if said.startswith("error"):
        return error_reply(n)
    if said.startswith("stream"):
        return choices_reply([f"streamed reply {i} in many words" for i in range(n)])
    # a probe: one choice is enough to prove the app still answers (and is quick to draw)
    return choices_reply([f"pong {said}"])


def models(_: Request) -> Reply:
    return Reply.json(
        {
            "object": "list",
            "data": [
                {"id": "test-model", "object": "model", "owned_by": "me"},
                {"id": "other-model", "object": "model", "owned_by": "me"},
            ],
        }
    )


# -- the walk ----------------------------------------------------------------------------

Step = tuple[str, str]  # ("key", key) | ("action", "Node:action") | ("command", title)


@dataclass(eq=False)
class State:
    """A screen with a widget focused, and the steps from the chat screen that reach it."""

    screen: str
    focused: str
    path: list[Step]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, State) and (self.screen, self.focused) == (
            other.screen,
            other.focused,
        )


@dataclass
class Report:
    bindings: dict[str, list[str]] = field(default_factory=dict)  # per screen
    commands: dict[str, list[str]] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    states: list[str] = field(default_factory=list)


def describe(step: Step) -> str:
    return f"{step[0]} {step[1]!r}"


def where(path: list[Step]) -> str:
    return " -> ".join(describe(s) for s in path) or "(chat screen)"


class Walker:
    def __init__(self, app: Any, pilot: Any) -> None:
        self.app = app
        self.pilot = pilot
        self.seed: Any = None
        self.baseline: dict[str, Any] = {}
        self.probes = 0
        self.report = Report()
        self.fired: set[tuple[str, str]] = set()  # (screen, binding) fired already

    # -- checks ---------------------------------------------------------------------------

    def alive(self, context: str) -> None:
        app = self.app
        exc = getattr(app, "_exception", None)
        assert app.is_running and exc is None, f"{context}: the app died ({exc!r})"
        bad = [n.message for n in app._notifications if n.message.startswith("Internal error")]
        assert not bad, f"{context}: {bad}"

    async def wait(self) -> None:
        """Let what a key started finish: messages, screens, a request it sent."""
        await self.pilot.pause()
        chat = self.chat()
        if chat is not None and chat.active_turn is not None:
            await settle(self.app, self.pilot)

    def chat(self) -> ChatScreen | None:
        try:
            return self.app.chat
        except LookupError:
            return None

    # -- state ----------------------------------------------------------------------------

    async def build_conversation(self) -> None:
        """A streamed reply, a tool call answered, a failed reply: all n = 3."""
        app, pilot = self.app, self.pilot
        chat = app.chat
        chat.conversation.toolset.specs.append(
            ToolSpec(name="get_weather", parameters=WEATHER, canned_result='{"temp": 21}')
        )
        chat.on_tool_editor_screen_changed()
        await pilot.press(*"stream please", "enter")
        await settle(app, pilot)
        await pilot.press(*"tool please", "enter")
        await settle(app, pilot)
        assert chat.conversation.turns[-1].choices[0].tool_calls
        await pilot.press("ctrl+s")  # the canned result answers it
        await settle(app, pilot)
        await pilot.press(*"error please", "enter")
        await settle(app, pilot)
        turns = chat.conversation.turns
        assert len(turns) == 4 and all(len(t.choices) == N for t in turns)
        assert turns[-1].error and turns[-1].error["message"] == "upstream overloaded"
        assert turns[2].input[0]["role"] == "tool"
        self.seed = copy.deepcopy(chat.conversation)
        self.baseline = {
            "classes": set(chat.classes),
            "columns": chat.query_one(ConversationView).columns,
            "theme": app.theme,
        }

    async def restore(self) -> None:
        """Back to the walked conversation and the chat screen's first look, cheaply:
        only what a step changed is put back."""
        app = self.app
        chat = app.chat
        conv = chat.conversation
        seed = self.seed
        view = chat.query_one(ConversationView)
        same = conv.id == seed.id and len(conv.turns) >= len(seed.turns)
        same = same and all(
            a.id == b.id and len(a.choices) == len(b.choices) and a.chosen == b.chosen
            for a, b in zip(conv.turns, seed.turns, strict=False)
        )
        same = same and (conv.model, conv.params, conv.system) == (
            seed.model,
            seed.params,
            seed.system,
        )
        changed = not same or len(conv.turns) != len(seed.turns)
        if same and conv.toolset.to_dict() != seed.toolset.to_dict():
            conv.toolset = copy.deepcopy(seed.toolset)
            chat.on_tool_editor_screen_changed()
            changed = True
        if same and len(conv.turns) > len(seed.turns):
            # only probes were added: drop them, as an edit-and-resend does
            await view.drop_from(conv.turns[len(seed.turns)].id)
            conv.truncate(len(seed.turns))
        elif not same:
            fresh = copy.deepcopy(seed)
            if seed.id in app.store.deleted:  # deleted in F5: saved again under a new id
                fresh.id = uuid.uuid4().hex
                self.seed = copy.deepcopy(fresh)
            await chat.load_conversation(fresh)
        for cls in ("no-sidebar", "preview"):
            if chat.has_class(cls) != (cls in self.baseline["classes"]):
                chat.set_class(cls in self.baseline["classes"], cls)
                changed = True
        if view.columns != self.baseline["columns"]:
            await view.set_columns(self.baseline["columns"])
            changed = True
        if app.screen.query("HelpPanel"):
            app.action_hide_help_panel()
            changed = True
        if app.screen.maximized is not None:
            app.screen.minimize()
            changed = True
        if app.theme != self.baseline["theme"]:
            app.theme = self.baseline["theme"]
            changed = True
        if changed:
            await self.pilot.pause()

    async def back_to_composer(self, context: str) -> None:
        """Esc, until the chat screen is on top with the composer focused."""
        app = self.app
        for _ in range(8):
            await self.pilot.press("escape")
            await self.wait()
            self.alive(f"{context}, then esc")
            if isinstance(app.screen, ChatScreen) and isinstance(app.focused, Composer):
                return
        raise AssertionError(f"{context}: esc x8 left {self.where_now()}")

    async def back_to(self, state: State, context: str) -> None:
        """Esc until the walk is back in ``state`` (what a step opened is closed) or on
        the chat screen with the composer focused."""
        for _ in range(8):
            if self.state_of(state.path) == state or self.on_chat_composer(None):
                return
            await self.pilot.press("escape")
            await self.wait()
            self.alive(f"{context}, then esc")
        raise AssertionError(f"{context}: esc x8 left {self.where_now()}")

    def where_now(self) -> str:
        focused = self.app.focused
        chain = " < ".join(
            f"{type(n).__name__}#{n.id}" if n.id else type(n).__name__
            for n in (focused.ancestors_with_self if focused else [])
        )
        return f"{type(self.app.screen).__name__} on top, focus on {chain or 'nothing'}"

    async def probe(self, steps: list[str]) -> None:
        """A typed message gets its reply, shown in the last turn."""
        context = "after " + "; ".join(steps)
        app, pilot = self.app, self.pilot
        chat = app.chat
        letter = PROBE_KEYS[self.probes % len(PROBE_KEYS)]
        self.probes += 1
        composer = chat.query_one(Composer)
        composer.clear()  # a key may have typed, cut or pasted: the probe's text alone
        before = len(chat.conversation.turns)
        await pilot.press(letter, "enter")
        await settle(app, pilot)
        turns = chat.conversation.turns
        assert len(turns) == before + 1, f"{context}: the typed message was not sent"
        assert turns[-1].input[-1]["content"] == letter, context
        assert turns[-1].choices[0].content == f"pong {letter}", f"{context}: {turns[-1].error}"
        assert chat.last_reply_text() == f"pong {letter}", f"{context}: the reply is not shown"

    # -- enumeration ----------------------------------------------------------------------

    def bindings_here(self) -> list[tuple[str, DOMNode, Binding, bool]]:
        """(key, node, binding, by_key) for what is bound now: the active bindings, which
        a key press reaches, then the screen's and (if not modal) the app's declared
        bindings that a focused widget shadows: run as actions."""
        screen = self.app.screen
        out: list[tuple[str, DOMNode, Binding, bool]] = []
        seen: set[tuple[int, str, str]] = set()
        for key, active in screen.active_bindings.items():
            ident = (id(active.node), active.binding.action, active.binding.id or "")
            if ident in seen:
                continue
            seen.add(ident)
            out.append((key, active.node, active.binding, True))
        # Declared but shadowed: the screen's own, and the app's on the chat screen (a
        # screen that rebinds an app key, like the tool editor's f5, does so on purpose).
        nodes: list[DOMNode] = [screen] + ([self.app] if isinstance(screen, ChatScreen) else [])
        for node in nodes:
            for key, bindings in node._bindings.key_to_bindings.items():
                for binding in bindings:
                    ident = (id(node), binding.action, binding.id or "")
                    if ident in seen:
                        continue
                    seen.add(ident)
                    out.append((key, node, binding, False))
        return out

    def commands_here(self) -> list[Any]:
        return list(self.app.get_system_commands(self.app.screen))

    def textual_commands(self) -> set[str]:
        """The titles of Textual's own palette commands on this screen."""
        return {c.title for c in App.get_system_commands(self.app, self.app.screen)}

    def state_of(self, path: list[Step]) -> State:
        return State(type(self.app.screen).__name__, type(self.app.focused).__name__, path)

    def plan(self, state: State) -> tuple[list[tuple[Step, str]], list[tuple[Step, str]]]:
        """What to fire in this state: (the app's own, Textual's), each (step, name)."""
        own: list[tuple[Step, str]] = []
        builtin: list[tuple[Step, str]] = []
        for key, node, binding, by_key in self.bindings_here():
            owner = "app" if node is self.app else type(node).__name__
            name = f"{owner}:{binding.id or binding.action}"
            if (state.screen, name) in self.fired:
                continue  # the screen's and app's bindings, already fired in another focus
            self.fired.add((state.screen, name))
            self.report.bindings.setdefault(state.screen, []).append(f"{key} {name}")
            if state.screen == "CommandPalette" and binding.action == "submit":
                # enter runs whichever command is highlighted, Quit among them (its order
                # differs run to run); every command is fired on its own instead
                self.report.skipped.append(f"{name}: runs the highlighted command")
                continue
            if binding.action in QUIT_ACTIONS or binding.id in SKIP_BINDINGS:
                assert binding.id in SKIP_BINDINGS, f"{name} quits: add it to SKIP_BINDINGS"
                self.report.skipped.append(f"{name}: {SKIP_BINDINGS[binding.id]}")
                continue
            if by_key:
                step: Step = ("key", key)
            else:
                step = ("action", f"{'app' if node is self.app else 'screen'}:{binding.action}")
            (own if is_own(node, binding) else builtin).append((step, name))
        textual = self.textual_commands()
        bound = self.bound_actions()
        for command in self.commands_here():
            title = command.title
            if (state.screen, f"command:{title}") in self.fired:
                continue
            self.fired.add((state.screen, f"command:{title}"))
            self.report.commands.setdefault(state.screen, []).append(title)
            if title in SKIP_COMMANDS:
                self.report.skipped.append(f"command {title!r}: {SKIP_COMMANDS[title]}")
                continue
            name = f"command {title!r}"
            # A command that calls what a binding here runs was walked with that key:
            # it is fired with Textual's (the app checked alive, esc and a message after).
            mirrored = title in textual or command.callback in bound
            (builtin if mirrored else own).append((("command", title), name))
        return own, builtin

    def bound_actions(self) -> list[Any]:
        """The methods the bindings here run (those without arguments)."""
        out = []
        for _, node, binding, _ in self.bindings_here():
            if "(" not in binding.action and "." not in binding.action:
                method = getattr(node, f"action_{binding.action}", None)
                if method is not None:
                    out.append(method)
        return out

    def own_widgets(self) -> list[str]:
        """The classes of the focusable widgets on this screen with bindings of their own
        (declared in the app's code), one of each: the walk focuses each once."""
        out: list[str] = []
        for widget in self.app.screen.query("*"):
            if not widget.focusable or widget is self.app.focused:
                continue
            name = type(widget).__name__
            if name not in out and any(
                c.__module__.startswith("tui.") and vars(c).get("BINDINGS")
                for c in type(widget).__mro__
            ):
                out.append(name)
        return out

    # -- stepping -------------------------------------------------------------------------

    async def run_step(self, step: Step) -> None:
        kind, what = step
        app = self.app
        if kind == "key":
            await self.pilot.press(what)
        elif kind == "focus":
            widget = next(w for w in app.screen.query(what) if w.focusable)
            widget.focus()
        elif kind == "action":
            node_name, _, action = what.partition(":")
            node = app if node_name == "app" else app.screen
            await app.run_action(action, node)
        else:
            # as the palette runs a picked command: once it is closed, by call_later
            command = next(c for c in self.commands_here() if c.title == what)
            app.call_later(command.callback)
        await self.wait()

    async def reach(self, state: State) -> None:
        """From the chat screen (composer focused): restore, then replay the path."""
        await self.restore()
        for step in state.path:
            await self.run_step(step)
            self.alive(f"reaching {where(state.path)}")
        now = self.state_of(state.path)
        assert (now.screen, now.focused) == (state.screen, state.focused), (
            f"{where(state.path)} led to {self.where_now()} this time, "
            f"not {state.screen}/{state.focused}"
        )

    def discover(self, state: State, step: Step) -> bool:
        """Queue the screen a step led to, if it is new; say whether the step left the
        state it was fired in (another screen on top, or the focus elsewhere)."""
        after = self.state_of([*state.path, step])
        if after.screen not in self.known and after.focused != "NoneType":
            self.known.add(after.screen)
            self.queue.append(after)
        return (after.screen, after.focused) != (state.screen, state.focused)

    async def walk(self) -> None:
        start = self.state_of([])
        assert start.screen == "ChatScreen" and start.focused == "Composer"
        self.queue: deque[State] = deque([start])
        self.known = {start.screen}
        while self.queue:
            state = self.queue.popleft()
            self.report.states.append(f"{state.screen}/{state.focused}: {where(state.path)}")
            await self.reach(state)
            if len(state.path) == 0 or state.path[-1][0] != "focus":
                # each widget here with bindings of its own, focused: walked the same way
                for name in self.own_widgets():
                    path = [*state.path, ("focus", name)]
                    self.queue.appendleft(State(state.screen, name, path))
            own, builtin = self.plan(state)
            unprobed: list[str] = []  # steps since the last typed message
            # The app's own bindings and commands, each fired in this state. One that
            # leaves it (a screen opens, the focus moves) and every one on the chat screen
            # is followed by esc, back to the composer; one that stays on a screen it
            # opened is followed by the next, and esc once they have all run.
            for step, name in own:
                if self.state_of(state.path) != state or self.on_chat_composer(state):
                    await self.reach(state)
                context = f"{where(state.path)} -> {name} ({describe(step)})"
                self.trace(context)
                await self.run_step(step)
                self.alive(context)
                unprobed.append(context)
                left = self.discover(state, step)
                if state.screen == "ChatScreen":
                    await self.back_to_composer(context)
                    if len(unprobed) >= PROBE_EVERY:
                        await self.probe(unprobed)
                        unprobed = []
                elif left:
                    # esc closes what it opened (back here), or leaves for the chat screen
                    await self.back_to(state, context)
            # Textual's own (cursor keys, focus moves, the palette's list) and commands
            # that mirror a binding: one after the other, the app checked alive after
            # each; back to the state when one leaves it.
            for step, name in builtin:
                if self.state_of(state.path) != state:
                    await self.reach(state)
                context = f"{where(state.path)} -> {name} ({describe(step)})"
                self.trace(context)
                await self.run_step(step)
                self.alive(context)
                unprobed.append(context)
                if self.discover(state, step):
                    await self.back_to_composer(context)
            if not self.on_chat_composer(None):
                await self.back_to_composer(f"{where(state.path)}, its bindings fired")
            if unprobed:
                await self.probe(unprobed)

    def on_chat_composer(self, state: State | None) -> bool:
        """On the chat screen with the composer focused (and, given a state, it is that)."""
        here = isinstance(self.app.screen, ChatScreen) and isinstance(self.app.focused, Composer)
        return here and (
            state is None
            or (state.screen, state.focused, state.path) == ("ChatScreen", "Composer", [])
        )

    def trace(self, context: str) -> None:
        if TRACE:
            print(f"{time.monotonic() - T0:7.2f} {context}", flush=True)


def is_own(node: DOMNode, binding: Binding) -> bool:
    """Whether the app's code declares this binding (not Textual, on a class it ships)."""
    for cls in type(node).__mro__:
        if not cls.__module__.startswith("tui.") or "BINDINGS" not in vars(cls):
            continue
        for entry in vars(cls)["BINDINGS"]:
            action = entry.action if isinstance(entry, Binding) else entry[1]
            if action == binding.action:
                return True
    return False


# The walk takes about three minutes a size. The 80x24 walk runs every time (the size
# where layouts break first; 120x40's layouts are snapshot-tested); both with
# REDPILL_FULL_WALK=1.
SIZES = [(80, 24), (120, 40)] if os.environ.get("REDPILL_FULL_WALK") else [(80, 24)]


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
async def test_walkthrough(loopback, size, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the palette's Screenshot writes to the working directory
    loopback.route("/chat/completions", answer)
    loopback.route("/models", models)
    app = make_app(loopback.base_url, params={"n": N})
    started = time.monotonic()
    async with app.run_test(size=size, notifications=True) as pilot:
        await pilot.pause()
        walker = Walker(app, pilot)
        await walker.build_conversation()
        await walker.walk()
        report = walker.report
        print(f"\nwalkthrough {size}: {time.monotonic() - started:.1f}s, {walker.probes} probes")
        for line in report.states:
            print("  state", line)
        for screen, names in report.bindings.items():
            print(
                f"  {screen}: {len(names)} bindings, {len(report.commands.get(screen, []))} commands"
            )
        for line in report.skipped:
            print("  skipped", line)
        # The enumeration found what the app offers, not an empty list.
        assert len(report.bindings["ChatScreen"]) >= 15
        assert len(report.commands["ChatScreen"]) >= 15
        reached = {state.split("/")[0] for state in report.states}
        assert reached >= CORE_SCREENS, f"not reached: {CORE_SCREENS - reached}"
        # Last: quit, as a user would.
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert app.return_code == 0


# -- what the walk found, each pinned by a small test -------------------------------------


async def test_switching_conversation_while_editing_stops_the_edit(loopback):
    """ctrl+r, then a new conversation (ctrl+t, or one opened in F5): the edit pointed at a
    turn of the old conversation, and the next enter raised ValueError (the app died)."""
    loopback.route("/chat/completions", answer)
    app = make_app(loopback.base_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        composer = app.chat.query_one(Composer)
        await pilot.press("x", "enter")
        await settle(app, pilot)
        await pilot.press(*"my draft")
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert app.chat.editing is not None and composer.text == "x"
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert app.chat.editing is None
        assert composer.text == "my draft"  # the draft the edit pushed aside is back
        assert not composer.has_class("editing")
        composer.clear()
        await pilot.press("y", "enter")
        await settle(app, pilot)
        assert app.is_running
        assert [t.input[-1]["content"] for t in app.chat.conversation.turns] == ["y"]
        assert app.chat.last_reply_text() == "pong y"
