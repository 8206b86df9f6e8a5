"""The Textual application: screens, bindings with ids (remappable from the config),
and palette commands."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable
from functools import partial
from pathlib import Path
from typing import Any

from textual import on
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.command import CommandPalette
from textual.screen import Screen
from textual.widgets import Input, LoadingIndicator
from textual.worker import Worker

from ..config import Config, Endpoint, LazyClient, data_dir
from ..core.conversation import Conversation
from ..core.document import cache_saved_forms
from ..core.events import Checkpoint, Event, TurnChanged, TurnFinished
from ..core.paramspec import APP_DEFAULTS, params_to_request, request_to_params
from ..core.presets import Presets
from ..core.session import ChatSession
from ..core.store import Snapshot, Store, StoreError, load_file, write_document
from ..heap import settle, warm_up
from .chat.runner import FRAME, SLOW_LINK_FRAME
from .chat_screen import ChatScreen
from .palette import APP_COMMANDS, help_rows, tool_commands
from .safe import shown
from .workers import ReportsWorkerFailures


class RedPillApp(ReportsWorkerFailures, App):
    TITLE = "redpill-tui"
    # Terminal output is for humans and slow links: no animations.
    ENABLE_COMMAND_PALETTE = True

    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", id="quit", priority=True),
        Binding("f1", "help", "Help", id="help"),
        Binding("f9", "copy_reply", "Copy reply", id="copy_reply", show=False),
        Binding("f5", "conversations", "Chats", id="conversations"),
        Binding("ctrl+t", "new_conversation", "New chat", id="new_conversation", show=False),
        Binding("f10", "export", "Export", id="export", show=False),
    ]

    def __init__(
        self,
        *,
        config: Config | None = None,
        endpoint: Endpoint,
        model: str | None = None,
        params: dict[str, Any] | None = None,
        theme_name: str | None = None,
        open_file: str | None = None,
        client: Any = None,
        conversation: Conversation | None = None,
        low_bandwidth: bool = False,
    ) -> None:
        super().__init__()
        self.config = config or Config()
        self.endpoint = endpoint
        self._client = client
        self._initial_model = model
        self._initial_params = params or {}
        self._theme_name = theme_name
        self._open_file = open_file
        self._conversation = conversation
        self._frame = SLOW_LINK_FRAME if low_bandwidth else FRAME  # see chat/runner.py
        self.animation_level = "none"
        self._store: Store | None = None
        self._presets: Presets | None = None
        self._saved_path: Path | None = None
        self._save_lock = threading.Lock()  # one snapshot written at a time
        self._save_seq = 0  # snapshots taken
        self._saved_seq = 0  # the newest snapshot on disk
        self._save_failed = False

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: Any = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every toast, from every screen and widget, passes here: its text often holds a
        server's words, so it is neutralised and never parsed as markup."""
        super().notify(
            shown(message), title=shown(title), severity=severity, timeout=timeout, markup=False
        )

    def get_driver_class(self) -> Any:
        """Textual's driver; on a Unix terminal, one that writes only the cells that
        changed (driver.py: the bytes that cross an SSH link, issue 18)."""
        driver = super().get_driver_class()
        from textual.drivers.linux_driver import LinuxDriver

        from .driver import DiffingDriver, wanted

        return DiffingDriver if driver is LinuxDriver and wanted() else driver

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = LazyClient(self.endpoint, self.config)
        return self._client

    @property
    def presets(self) -> Presets:
        if self._presets is None:
            self._presets = Presets.load(data_dir() / "presets.json")
            if self._presets.problem:
                self.notify(self._presets.problem, severity="warning")
        return self._presets

    def new_conversation(self) -> Conversation:
        conv = Conversation(profile=self.endpoint.profile)
        params: dict[str, Any] = params_to_request(dict(APP_DEFAULTS))
        preset = self.presets.get(self.presets.default) if self.presets.default else None
        if preset:
            conv.model = preset.get("model") or ""
            conv.system = preset.get("system") or ""
            params.update(preset.get("params") or {})
        # ... or the one in use (picked from /models at start-up, or in F4)
        current = ""
        with contextlib.suppress(LookupError):
            current = self.chat.conversation.model
        conv.model = self._initial_model or conv.model or self.endpoint.model or current
        params.update(self.endpoint.params)
        params.update(self._initial_params)
        # Normalise through the sidebar's shape so what is shown is what is sent.
        conv.params = params_to_request(request_to_params(params))
        return conv

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store(data_dir() / "conversations")
        return self._store

    def _setup_themes(self) -> None:
        from ..config import config_dir
        from ..core.appstate import remembered
        from .themes import DEFAULT_THEME, load_themes, shipped_dir

        loaded = load_themes(shipped_dir(), config_dir() / "themes")
        for theme in loaded.themes:
            self.register_theme(theme)
        for problem in loaded.problems:
            self.notify(problem, title="Theme", severity="warning", timeout=10)
        # --theme, then the last theme picked in the app, then the config's default.
        wanted = [
            ("--theme", self._theme_name),
            (None, remembered(self._state_path(), "theme")),
            ("the config's theme", self.config.theme),
            (None, DEFAULT_THEME),
        ]
        for source, name in wanted:
            if name and name in self.available_themes:
                self.theme = name
                break
            if name and source:
                known = ", ".join(sorted(self.available_themes))
                self.notify(
                    f"No theme named {name!r} ({source}); themes: {known}",
                    title="Theme",
                    severity="warning",
                    timeout=10,
                )
        self.theme_changed_signal.subscribe(self, self._remember_theme)

    def _state_path(self) -> Path:
        return data_dir() / "state.json"

    def _remember_theme(self, theme: Any) -> None:
        from ..core.appstate import remember

        remember(self._state_path(), "theme", theme.name)

    def on_mount(self) -> None:
        self._setup_themes()
        if self.config.keys:
            self.set_keymap(self.config.keys)
        for issue in self.config.issues:
            self.notify(str(issue), title="Config", severity="warning", timeout=10)
        conversation = self._conversation
        if conversation is None and self._open_file:
            try:
                conversation = load_file(Path(self._open_file).expanduser(), cache_forms=False)
                self._saved_path = Path(self._open_file).expanduser()
                settle()  # and each turn's saved form (cheap saves) once the screen is up:
                forms = partial(cache_saved_forms, conversation)
                self.call_after_refresh(self.set_timer, 0.1, forms)
            except StoreError as exc:
                self.notify(str(exc), title="Could not open the file", severity="error", timeout=15)
        conversation = conversation or self.new_conversation()
        session = ChatSession(
            conversation, self.client, auto_verify=self.config.auto_verify, demo=self.endpoint.demo
        )
        session.subscribe(partial(self._session_event, session))
        self.push_screen(ChatScreen(session, self.endpoint, frame=self._frame))
        # A second on: load what the first send needs, and settle the first screen too.
        self.set_timer(1.0, self.start_warm_up, name="warm-up")

    def start_warm_up(self) -> Worker[None]:
        client = self.client
        then = (client.prepare,) if isinstance(client, LazyClient) else ()
        return self.run_worker(partial(warm_up, *then), thread=True, name="warm-up")

    @on(CommandPalette.Opened)
    def palette_opened(self) -> None:
        """Nothing ticks in the palette: no blinking cursor; the busy indicator never moves."""
        for node in self.screen.query(Input).results(Input):
            node.cursor_blink = False
        for spinner in self.screen.query(LoadingIndicator).results(LoadingIndicator):
            spinner.auto_refresh = None

    def _session_event(self, session: ChatSession, event: Event) -> None:
        """Persistence listens to the session: saved when a turn ends or changes, and
        every few seconds while a reply arrives (encoded and written in a thread)."""
        if isinstance(event, (TurnFinished, Checkpoint, TurnChanged)):
            self.save_conversation(session.conversation, background=True)

    def save_conversation(self, conversation: Conversation, *, background: bool = False) -> None:
        """Autosave (after each turn and every few seconds during a stream).

        Only an immutable snapshot is taken here, on the UI thread: each finished turn's
        saved form is made once and cached (tui/core/document.py). With ``background``
        (the end-of-turn and mid-stream saves) the encoding, fsync and rename run in a
        thread, newest snapshot last; without it (quit, F5, new) they happen now."""
        if not self.config.autosave or not conversation.turns:
            return
        if self._saved_path is None and conversation.id in self.store.deleted:
            return  # deleted in F5 while open: never written back
        if self._saved_path is not None:
            path, snapshot, write = self._saved_path, Snapshot(conversation), write_document
        else:
            (path, snapshot), write = self.store.prepare(conversation), self.store.write
        self._save_seq += 1
        job = partial(self._write_snapshot, write, path, snapshot, self._save_seq)
        if background:
            self.run_worker(job, thread=True, group="autosave", exit_on_error=False)
        else:
            job()

    def _write_snapshot(self, write: Any, path: Path, snapshot: Snapshot, seq: int) -> None:
        with self._save_lock:
            if seq < self._saved_seq:
                return  # a newer snapshot is on disk already
            try:
                write(path, snapshot)  # encoded here, in the worker
            except Exception as exc:  # reported in the UI, whatever it is
                error: Exception | None = exc
            else:
                error = None
                self._saved_seq = seq
        if threading.current_thread() is threading.main_thread():
            self._save_result(error)
        else:
            self.call_from_thread(self._save_result, error)

    def _save_result(self, error: Exception | None) -> None:
        if error is not None and not self._save_failed:
            self.notify(f"Could not save the conversation: {error}", severity="error", timeout=10)
        self._save_failed = error is not None

    async def action_quit(self) -> None:
        with contextlib.suppress(LookupError):
            self.save_conversation(self.chat.conversation)  # nothing in flight is lost
        self.exit()

    async def on_unmount(self) -> None:
        if self._client is not None:
            await self._client.aclose()

    @property
    def chat(self) -> ChatScreen:
        for screen in reversed(self.screen_stack):
            if isinstance(screen, ChatScreen):
                return screen
        raise LookupError("no chat screen")

    # -- actions ----------------------------------------------------------------------

    def action_help(self) -> None:
        from .screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen(help_rows([self, self.chat])))

    def action_copy_reply(self) -> None:
        text = self.chat.last_reply_text()
        if not text:
            self.notify("Nothing to copy yet.", severity="warning")
            return
        self.copy_to_clipboard(text)
        self.notify(
            "Copied the last reply (OSC 52: your terminal must allow clipboard access).", timeout=3
        )

    async def action_new_conversation(self) -> None:
        chat = self.chat
        self.save_conversation(chat.conversation)
        self._saved_path = None
        await chat.load_conversation(self.new_conversation())
        self.notify("New conversation.", timeout=2)

    def action_conversations(self) -> None:
        from .screens.conversations import ConversationsScreen

        chat = self.chat
        self.save_conversation(chat.conversation)

        async def chosen(conv: Conversation | None) -> None:
            if conv is None and chat.conversation.id in self.store.deleted:
                # The open conversation was deleted: it does not live on unsaved.
                conv = self.new_conversation()
                self.notify("The open conversation was deleted: this is a new one.")
            if conv is None:
                return
            if not conv.turns and not conv.model:
                conv = self.new_conversation()
            self._saved_path = None
            await chat.load_conversation(conv)

        self.push_screen(ConversationsScreen(self.store), chosen)

    def action_export(self) -> None:
        from .screens.export import ExportScreen

        chat, endpoint = self.chat, self.endpoint
        self.push_screen(ExportScreen(chat.conversation, chat.current_request_body(), endpoint))

    def action_save_preset(self) -> None:
        from .screens.path import PathScreen

        chat = self.chat

        def named(name: str | None) -> None:
            if not name:
                return
            conv = chat.conversation
            try:
                self.presets.put(name, conv.model, conv.system, conv.params)
            except OSError as exc:
                self.notify(f"Could not save the preset: {exc}", severity="error")
                return
            self.notify(f"Saved preset {name!r}.", timeout=3)

        self.push_screen(PathScreen("Save the current parameters as a preset named:"), named)

    async def apply_preset(self, name: str) -> None:
        preset = self.presets.get(name)
        if preset is None:
            return
        chat = self.chat
        conv = chat.conversation
        conv.model = preset.get("model") or conv.model
        conv.system = preset.get("system") or ""
        conv.params = dict(preset.get("params") or {})
        await chat.load_conversation(conv)
        self.notify(f"Applied preset {name!r}.", timeout=3)

    def set_default_preset(self, name: str) -> None:
        self.presets.set_default(name)
        self.notify(f"New conversations start with preset {name!r}.", timeout=3)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        from .screens.tool_editor import ToolEditorScreen

        if isinstance(screen, ToolEditorScreen):
            yield from tool_commands(screen)
            return
        if not isinstance(screen, ChatScreen):
            return
        yield from screen.palette_commands()
        yield from self._app_commands()

    def _app_commands(self) -> Iterable[SystemCommand]:
        for title, help_text, action in APP_COMMANDS:
            yield SystemCommand(title, help_text, getattr(self, f"action_{action}"))
        for name in sorted(self.presets.presets):
            yield SystemCommand(
                f"Apply preset: {name}",
                "Set the sidebar from this preset",
                lambda n=name: self.run_worker(self.apply_preset(n), exit_on_error=False),
            )
            yield SystemCommand(
                f"Default preset: {name}",
                "New conversations start with it",
                partial(self.set_default_preset, name),
            )
