"""Settings and profiles from one TOML file, plus environment variables and XDG paths.

A bad value never stops the app: it is reported (file, key, reason) and the default is
used for it. API keys are read from the environment variable a profile names; a key in the
file is allowed, and then the file is kept private (mode 0600).
"""

from __future__ import annotations

import os
import re
import stat
import threading
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .api import DEFAULT_BASE_URL
from .api.redact import plain_http_warning

APP_NAME = "redpill-tui"
DEFAULT_KEY_ENV = "REDPILL_API_KEY"
DEMO_BASE_URL = "https://demo.invalid/v1"

CONFIG_TEMPLATE = """\
# redpill-tui configuration. Every key is optional; a bad value is reported and its
# default used. Environment: REDPILL_TUI_CONFIG (this file's path), REDPILL_TUI_DATA
# (where conversations are kept), NO_COLOR, and the key variables your profiles name.

# The profile used when --profile is not given.
default_profile = "redpill"

# Theme name (one of the files in the app's themes/ folder or in themes/ next to this file).
# theme = "redpill-dark"

# Save conversations automatically after each turn and during long streams.
# autosave = true

# Verify every reply's RedPill signature automatically.
# auto_verify = false

[timeouts]
# Seconds to wait for a connection, and for the next bytes of a reply.
connect = 10
read = 120
# Retries for 408/409/429/5xx and connection errors, never once a stream has started.
max_retries = 2

# Key bindings: binding id = key(s). See the help screen (F1) for the ids.
[keys]
# regenerate = "ctrl+g"
# cancel = "escape"

[profiles.redpill]
base_url = "https://api.red-pill.ai/v1"
# The environment variable that holds this profile's API key.
api_key_env = "REDPILL_API_KEY"
# Or the key itself (then this file is kept readable by you only, mode 0600):
# api_key = "sk-..."
# model = "phala/deepseek-chat-v3-0324"
# Extra HTTP headers sent with every request. A header whose name holds "key", "token",
# "secret" or "auth" counts as a key: this file is then kept mode 0600, its value is
# redacted from errors and the raw view, and exports read it from $HEADER_NAME.
# headers = { "x-redpill-trace-id" = "my-trace" }
# Default request parameters.
# [profiles.redpill.params]
# temperature = 0.7

# [profiles.local]
# base_url = "http://127.0.0.1:8080/v1"
# api_key_env = "LOCAL_API_KEY"
"""


def config_dir() -> Path:
    """The folder of the config file (user themes live in its ``themes/``)."""
    env = os.environ.get("REDPILL_TUI_CONFIG")
    if env:
        return Path(env).expanduser().parent
    from platformdirs import user_config_path

    return user_config_path(APP_NAME, appauthor=False)


def data_dir() -> Path:
    env = os.environ.get("REDPILL_TUI_DATA")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False)


def config_path() -> Path:
    env = os.environ.get("REDPILL_TUI_CONFIG")
    return Path(env).expanduser() if env else config_dir() / "config.toml"


ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass
class ConfigIssue:
    file: str
    key: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: {self.key}: {self.reason}"


@dataclass
class Profile:
    name: str
    base_url: str = DEFAULT_BASE_URL
    api_key_env: str = DEFAULT_KEY_ENV
    api_key_in_file: str | None = field(default=None, repr=False)
    model: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)

    def api_key(self, environ: dict[str, str] | None = None) -> str | None:
        env = os.environ if environ is None else environ
        return env.get(self.api_key_env) or self.api_key_in_file or None


@dataclass
class Config:
    path: Path | None = None
    default_profile: str = "redpill"
    profiles: dict[str, Profile] = field(default_factory=dict)
    theme: str | None = None
    autosave: bool = True
    auto_verify: bool = False
    connect_timeout: float = 10.0
    read_timeout: float = 120.0
    max_retries: int = 2
    keys: dict[str, str] = field(default_factory=dict)
    issues: list[ConfigIssue] = field(default_factory=list)

    def profile(self, name: str | None = None) -> Profile:
        name = name or self.default_profile
        if name in self.profiles:
            return self.profiles[name]
        if name == "redpill":
            return Profile(name="redpill")
        raise KeyError(name)


def _default_profiles() -> dict[str, Profile]:
    return {"redpill": Profile(name="redpill")}


def load_config(path: Path | None = None, *, create: bool = False) -> Config:
    """Read the config file; a missing file gives defaults (and is created when asked)."""
    path = path or config_path()
    cfg = Config(path=path, profiles=_default_profiles())
    where = str(path)
    if not path.exists():
        if create:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(CONFIG_TEMPLATE, encoding="utf-8")
            except OSError as exc:
                cfg.issues.append(ConfigIssue(where, "(file)", f"could not create it: {exc}"))
        return cfg
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        cfg.issues.append(ConfigIssue(where, "(file)", f"could not read it: {exc}"))
        return cfg
    except tomllib.TOMLDecodeError as exc:
        cfg.issues.append(ConfigIssue(where, "(file)", f"not valid TOML: {exc}; using defaults"))
        return cfg

    from .config_file import read_config

    if read_config(data, cfg, where):
        keep_private(path)
    return cfg


def check_params(params: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """A profile's default parameters: the good ones, and (key, reason) for each value the
    API cannot take. Each is checked on its own (with streaming on, the app's default);
    what depends on the other settings (tool_choice needs tools...) is checked when a
    request is built."""
    from .api.schema import InvalidParameter, validate_request

    good: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    for key, value in params.items():
        if key in ("model", "messages"):
            good[key] = value  # build_request takes a model from here, ignores messages
            continue
        body = {"model": "m", "messages": [{"role": "user", "content": "x"}], "stream": True}
        body[key] = value
        try:
            validate_request(body)
        except InvalidParameter as exc:
            cross = "only allowed when" in exc.message or "which is not among" in exc.message
            if exc.param == key and not cross:
                problems.append((key, exc.message))
                continue
        good[key] = value
    return good, problems


def keep_private(path: Path) -> None:
    """A file holding a key is readable by its owner only."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            path.chmod(0o600)
    except OSError:
        pass


@dataclass
class Endpoint:
    """Where requests go, resolved from the config and the command line."""

    profile: str
    base_url: str
    key_env: str
    api_key: str | None = field(default=None, repr=False)
    model: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    demo: bool = False

    def plain_http_warning(self) -> str | None:
        """A one-line warning when the key or a secret header would go unencrypted
        (plain ``http://``) to a host that is not this machine; else None."""
        if self.demo:
            return None
        return plain_http_warning(self.base_url, self.api_key, self.headers)


class UnknownProfile(ValueError):
    pass


def resolve_endpoint(
    cfg: Config,
    *,
    profile: str | None = None,
    base_url: str | None = None,
    demo: bool = False,
    environ: dict[str, str] | None = None,
) -> Endpoint:
    if demo:
        return Endpoint(
            profile="demo", base_url=DEMO_BASE_URL, key_env="", model="demo-small", demo=True
        )
    try:
        prof = cfg.profile(profile)
    except KeyError:
        names = ", ".join(sorted(cfg.profiles)) or "none"
        raise UnknownProfile(f"no profile named {profile!r} (profiles: {names})") from None
    return Endpoint(
        profile=prof.name,
        base_url=(base_url or prof.base_url).rstrip("/"),
        key_env=prof.api_key_env,
        api_key=prof.api_key(environ),
        model=prof.model,
        headers=dict(prof.headers),
        params=dict(prof.params),
    )


class LazyClient:
    """The app's ChatClient, made the first time something other than ``has_key`` is
    asked of it: importing the HTTP side (httpx and the client, ~0.1 s) is not something
    the first frame should wait for (issue 13). The warm-up imports it a second later."""

    def __init__(self, endpoint: Endpoint, cfg: Config) -> None:
        self._endpoint = endpoint
        self._cfg = cfg
        self._client: Any = None
        self._made = threading.Lock()  # (the warm-up thread may make it too: see prepare)

    @property
    def has_key(self) -> bool:
        return bool(self._endpoint.api_key)  # (what the client would say)

    @property
    def client(self) -> Any:
        with self._made:
            if self._client is None:
                self._client = make_client(self._endpoint, self._cfg)
        return self._client

    def prepare(self) -> None:
        """Make the client and its TLS context (run by the warm-up, in a thread)."""
        self.client.prepare()

    def __getattr__(self, name: str) -> Any:  # (only for what is not defined here)
        return getattr(self.client, name)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()


def make_client(endpoint: Endpoint, cfg: Config, *, read_timeout: float | None = None, **kw: Any):
    """A ChatClient for an endpoint (the demo gets the offline simulator transport)."""
    from .api.client import ChatClient

    transport = None
    if endpoint.demo:
        from .api.demo import DemoTransport

        transport = DemoTransport(**kw.pop("demo_options", {}))
    return ChatClient(
        endpoint.base_url,
        api_key=endpoint.api_key,
        key_env=endpoint.key_env or None,
        headers=endpoint.headers,
        connect_timeout=cfg.connect_timeout,
        read_timeout=read_timeout or cfg.read_timeout,
        max_retries=cfg.max_retries,
        transport=transport,
        **kw,
    )
