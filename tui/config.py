"""Settings and profiles from one TOML file, plus environment variables and XDG paths.

A bad value never stops the app: it is reported (file, key, reason) and the default is
used for it. API keys are read from the environment variable a profile names; a key in the
file is allowed, and then the file is kept private (mode 0600).
"""

from __future__ import annotations

import math
import os
import re
import stat
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .api import DEFAULT_BASE_URL
from .api.redact import is_secret_header, plain_http_warning

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
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # an RFC 9110 token
_HEADER_VALUE = re.compile(r"[\x20-\x7e\t]*")
PROFILE_KEYS = {"base_url", "api_key_env", "api_key", "model", "headers", "params"}
TIMEOUT_KEYS = {"connect", "read", "max_retries"}


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

    def bad(key: str, reason: str) -> None:
        cfg.issues.append(ConfigIssue(where, key, reason))

    def get(
        table: dict[str, Any], key: str, kind: type | tuple[type, ...], prefix: str = ""
    ) -> Any:
        if key not in table:
            return None
        value = table[key]
        if isinstance(value, bool) and kind in (int, float, (int, float)):
            bad(prefix + key, f"expected a number, got {value!r}; using the default")
            return None
        if not isinstance(value, kind):
            name = kind.__name__ if isinstance(kind, type) else "number"
            bad(
                prefix + key,
                f"expected {name}, got {type(value).__name__} {value!r}; using the default",
            )
            return None
        return value

    known_top = {
        "default_profile",
        "theme",
        "autosave",
        "auto_verify",
        "timeouts",
        "keys",
        "profiles",
        "presets",
    }
    for key in data:
        if key not in known_top:
            bad(key, "unknown setting; ignored")

    for key, kind in (("theme", str), ("autosave", bool), ("auto_verify", bool)):
        value = get(data, key, kind)
        if value is not None:
            setattr(cfg, key, value)

    timeouts = data.get("timeouts", {})
    if not isinstance(timeouts, dict):
        bad("timeouts", "expected a table; using defaults")
        timeouts = {}
    for key in timeouts:
        if key not in TIMEOUT_KEYS:
            bad(f"timeouts.{key}", "unknown setting; ignored")
    for key, attr in (("connect", "connect_timeout"), ("read", "read_timeout")):
        value = get(timeouts, key, (int, float), "timeouts.")
        if value is not None:
            if not math.isfinite(value) or value <= 0:
                bad(
                    f"timeouts.{key}",
                    f"must be a finite number more than 0 (got {value}); using the default",
                )
            else:
                setattr(cfg, attr, float(value))
    value = get(timeouts, "max_retries", int, "timeouts.")
    if value is not None:
        if not 0 <= value <= 10:
            bad("timeouts.max_retries", f"must be from 0 to 10 (got {value}); using the default")
        else:
            cfg.max_retries = value

    keys = data.get("keys", {})
    if isinstance(keys, dict):
        for k, v in keys.items():
            if isinstance(v, str) and v.strip():
                cfg.keys[k] = v.strip()
            else:
                bad(f"keys.{k}", 'expected a key name such as "ctrl+s"; ignored')
    else:
        bad("keys", "expected a table; ignored")

    secret_in_file = False
    profiles = data.get("profiles", {})
    if not isinstance(profiles, dict):
        bad("profiles", "expected a table of profiles; using the default profile")
        profiles = {}
    for name, table in profiles.items():
        prefix = f"profiles.{name}."
        if not isinstance(table, dict):
            bad(f"profiles.{name}", "expected a table; skipped")
            continue
        for key in table:
            if key not in PROFILE_KEYS:
                bad(prefix + key, "unknown setting; ignored")
        prof = Profile(name=name)
        base = get(table, "base_url", str, prefix)
        if base is not None:
            if not base.startswith(("http://", "https://")):
                bad(
                    prefix + "base_url",
                    f"must start with http:// or https:// (got {base!r}); using the default",
                )
            else:
                prof.base_url = base.rstrip("/")
        env = get(table, "api_key_env", str, prefix)
        if env is not None:
            if ENV_NAME.match(env):
                prof.api_key_env = env
            else:
                bad(
                    prefix + "api_key_env",
                    f"must be an environment variable name such as REDPILL_API_KEY "
                    f"(got {env!r}); using {prof.api_key_env}",
                )
        key = get(table, "api_key", str, prefix)
        if key:
            prof.api_key_in_file = key
            secret_in_file = True
        model = get(table, "model", str, prefix)
        if model:
            prof.model = model
        headers = get(table, "headers", dict, prefix)
        for k, v in (headers or {}).items():
            if not isinstance(v, str):
                bad(f"{prefix}headers.{k}", f"expected a string, got {v!r}; header not sent")
                continue
            if not _HEADER_NAME.fullmatch(str(k)) or not _HEADER_VALUE.fullmatch(v):
                bad(
                    f"{prefix}headers.{k}",
                    "HTTP allows only printable ASCII in header names and values "
                    "(no control characters); header not sent",
                )
                continue
            prof.headers[str(k)] = v
            if is_secret_header(str(k)) and v:
                # A header that carries a key: the file is private, like for api_key.
                secret_in_file = True
        params = get(table, "params", dict, prefix)
        if params:
            prof.params, problems = _check_params(params)
            for k, reason in problems:
                bad(f"{prefix}params.{k}", f"{reason}; not used")
        cfg.profiles[name] = prof

    default = get(data, "default_profile", str)
    if default is not None:
        if default in cfg.profiles:
            cfg.default_profile = default
        else:
            bad("default_profile", f"no profile named {default!r}; using 'redpill'")

    if secret_in_file:
        keep_private(path)
    return cfg


def _check_params(params: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
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
