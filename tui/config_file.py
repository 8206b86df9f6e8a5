"""The config file's shape, as pydantic models, and the reading of a parsed TOML document
into :class:`tui.config.Config`.

A bad value never stops the app: each one is reported (file, key, reason), left out, and
the default used in its place; everything else in the file still applies. Imported only
when there is a file to read (pydantic models cost start-up time).
"""

# No ``from __future__ import annotations``: pydantic would compile every annotation
# string at import (measured: 8.3 ms -> 6.5 ms for this module).
import re
from typing import Annotated, Any, get_args, get_origin

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic.fields import FieldInfo

from .api.redact import is_secret_header
from .config import ENV_NAME, Config, ConfigIssue, Profile, check_params

_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # an RFC 9110 token
_HEADER_VALUE = re.compile(r"[\x20-\x7e\t]*")


def _key_name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError('expected a key name such as "ctrl+s"; ignored')
    return value.strip()


def _header_value(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {value!r}; header not sent")
    if not _HEADER_VALUE.fullmatch(value):
        raise ValueError(_NOT_ASCII)
    return value


def _header_name(value: Any) -> str:
    if not isinstance(value, str) or not _HEADER_NAME.fullmatch(value):
        raise ValueError(_NOT_ASCII)
    return value


def _base_url(value: Any) -> Any:
    if isinstance(value, str) and not value.startswith(("http://", "https://")):
        raise ValueError(f"must start with http:// or https:// (got {value!r}); using the default")
    return value.rstrip("/") if isinstance(value, str) else value


def _env_name(value: Any) -> Any:
    if isinstance(value, str) and not ENV_NAME.match(value):
        raise ValueError(
            "must be an environment variable name such as REDPILL_API_KEY "
            f"(got {value!r}); using REDPILL_API_KEY"
        )
    return value


_NOT_ASCII = (
    "HTTP allows only printable ASCII in header names and values (no control characters); "
    "header not sent"
)


class _Table(BaseModel):
    # Strict: TOML has real types, so "yes" is not a bool and 1 is not a string.
    model_config = ConfigDict(extra="forbid", strict=True)


class TimeoutsFile(_Table):
    connect: float = Field(
        10.0, gt=0, allow_inf_nan=False, description="a finite number more than 0"
    )
    read: float = Field(120.0, gt=0, allow_inf_nan=False, description="a finite number more than 0")
    max_retries: int = Field(2, ge=0, le=10, description="from 0 to 10")


class ProfileFile(_Table):
    base_url: Annotated[str | None, BeforeValidator(_base_url)] = None
    api_key_env: Annotated[str | None, BeforeValidator(_env_name)] = None
    api_key: str | None = None
    model: str | None = None
    headers: dict[
        Annotated[str, BeforeValidator(_header_name)],
        Annotated[str, BeforeValidator(_header_value)],
    ] = Field(default_factory=dict)
    params: dict[str, Any] = Field(default_factory=dict)


class ConfigFile(_Table):
    default_profile: str | None = None
    theme: str | None = None
    autosave: bool = True
    auto_verify: bool = False
    timeouts: TimeoutsFile = Field(default_factory=TimeoutsFile)
    keys: dict[str, Annotated[str, BeforeValidator(_key_name)]] = Field(default_factory=dict)
    profiles: dict[str, ProfileFile] = Field(default_factory=dict)
    presets: Any = None  # read by tui/core/presets.py


# What a table that is not a table falls back to, by where it is ("*": any name).
_TABLE_FALLBACK = {
    ("timeouts",): "a table; using defaults",
    ("keys",): "a table; ignored",
    ("profiles",): "a table of profiles; using the default profile",
    ("profiles", "*"): "a table; skipped",
}
_TYPE_NAMES = {"bool_type": "bool", "string_type": "str", "int_type": "int"}


def read_config(data: dict[str, Any], cfg: Config, where: str) -> bool:
    """Fill ``cfg`` from the parsed file ``data``, reporting every bad value in
    ``cfg.issues``. Returns whether the file holds a secret (then it must be private)."""

    def bad(key: str, reason: str) -> None:
        cfg.issues.append(ConfigIssue(where, key, reason))

    parsed = _validate(data, bad)
    cfg.theme = parsed.theme
    cfg.autosave = parsed.autosave
    cfg.auto_verify = parsed.auto_verify
    cfg.connect_timeout = float(parsed.timeouts.connect)
    cfg.read_timeout = float(parsed.timeouts.read)
    cfg.max_retries = parsed.timeouts.max_retries
    cfg.keys = dict(parsed.keys)
    secret = False
    for name, table in parsed.profiles.items():
        prof = Profile(name=name, headers=dict(table.headers))
        if table.base_url is not None:
            prof.base_url = table.base_url
        if table.api_key_env is not None:
            prof.api_key_env = table.api_key_env
        prof.api_key_in_file = table.api_key or None
        prof.model = table.model or None
        if table.params:
            prof.params, problems = check_params(table.params)
            for key, reason in problems:
                bad(f"profiles.{name}.params.{key}", f"{reason}; not used")
        # A key in the file, or a header that carries one: the file is kept private.
        secret = secret or bool(prof.api_key_in_file)
        secret = secret or any(is_secret_header(k) and v for k, v in prof.headers.items())
        cfg.profiles[name] = prof
    if parsed.default_profile is not None:
        if parsed.default_profile in cfg.profiles:
            cfg.default_profile = parsed.default_profile
        else:
            bad("default_profile", f"no profile named {parsed.default_profile!r}; using 'redpill'")
    return secret


def _validate(data: dict[str, Any], bad: Any) -> ConfigFile:
    """The file as a model: each bad value reported, then left out so its default is used,
    until what is left validates."""
    data = _copy(data)
    for _ in range(20):
        try:
            return ConfigFile.model_validate(data)
        except ValidationError as exc:
            errors = exc.errors(include_url=False)
        for err in errors:
            loc = tuple(p for p in err["loc"] if p != "[key]")
            bad(".".join(str(p) for p in loc), _reason(err, loc))
            _drop(data, loc)
    return ConfigFile()  # unreachable in practice: every pass drops what was bad


def _reason(err: Any, loc: tuple[Any, ...]) -> str:
    kind, value = err["type"], err.get("input")
    if kind == "extra_forbidden":
        return "unknown setting; ignored"
    if kind == "value_error":
        return str(err["ctx"]["error"])
    if kind in ("model_type", "dict_type"):
        pattern = loc if loc in _TABLE_FALLBACK else (*loc[:-1], "*")
        return "expected " + _TABLE_FALLBACK.get(pattern, "a table; using the default")
    if kind == "float_type" or (kind == "int_type" and isinstance(value, bool)):
        return f"expected a number, got {value!r}; using the default"
    if kind in _TYPE_NAMES:
        got = f"{type(value).__name__} {value!r}"
        return f"expected {_TYPE_NAMES[kind]}, got {got}; using the default"
    rule = _field(loc)
    if rule is not None and rule.description:
        return f"must be {rule.description} (got {value!r}); using the default"
    return f"{err['msg']} (got {value!r}); using the default"


def _field(loc: tuple[Any, ...]) -> FieldInfo | None:
    """The model field a location names (through tables of named entries)."""
    kind: Any = ConfigFile
    info = None
    for part in loc:
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            info = kind.model_fields.get(str(part))
            if info is None:
                return None
            kind = info.annotation
        elif get_origin(kind) is dict:
            kind, info = get_args(kind)[1], None
        else:
            return None
    return info


def _drop(data: dict[str, Any], loc: tuple[Any, ...]) -> None:
    """Remove the value at ``loc`` (so its default is used)."""
    for part in loc[:-1]:
        data = data.get(part) if isinstance(data, dict) else None
        if data is None:
            return
    if isinstance(data, dict) and loc:
        data.pop(loc[-1], None)


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    return value
