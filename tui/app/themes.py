"""Themes from TOML files: the ones shipped in ``themes/`` and the user's own in the
config dir's ``themes/``. A broken file is reported and skipped."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from textual.color import Color, ColorParseError
from textual.theme import Theme

COLOR_KEYS = (
    "primary",
    "secondary",
    "accent",
    "warning",
    "error",
    "success",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
)
DEFAULT_THEME = "redpill-dark"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def shipped_dir() -> Path:
    """``themes/`` inside the installed package, or at the top of a source checkout."""
    packaged = resources.files("tui") / "themes"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "themes"


@dataclass
class ThemeLoad:
    themes: list[Theme] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _color(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{where}: expected a colour string, got {value!r}")
    try:
        Color.parse(value)  # also the 16 ANSI names, "ansi_red" ...
    except ColorParseError:
        raise ValueError(f"{where}: {value!r} is not a colour") from None
    return value


def _variable_problem(name: str, value: str) -> str | None:
    """Whether Textual's CSS takes ``value`` for variable ``name``: a text style for the
    ``*-style`` ones, else a colour (``"ansi_default 50%"``, ``"auto 87%"`` included).
    Checked here because a bad value would stop the app when the theme is applied."""
    from textual.css.stylesheet import Stylesheet, StylesheetParseError

    prop = "text-style" if name.endswith("-style") else "color"
    sheet = Stylesheet(variables={name: value})
    sheet.add_source(f"Screen {{ {prop}: ${name}; }}", read_from=("theme", name))
    try:
        sheet.parse()
    except StylesheetParseError as exc:
        reasons = [str(msg) for rule in exc.errors.rules for _, msg in rule.errors]
        reason = re.sub(r"\[/?[a-z]*\]", "", reasons[0]) if reasons else "invalid"
        return f"{value!r} is not valid here ({reason})"
    except Exception:  # the tokenizer's own errors: a quote, a brace, a semicolon
        return f"{value!r} is not valid here"
    return None


def parse_theme(text: str, source: str) -> Theme:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"not valid TOML: {exc}") from None
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ValueError("needs a name")
    if not _NAME.fullmatch(name.strip()):
        # Textual shows theme names in the palette and parses them there as markup.
        raise ValueError(
            f"name {name.strip()!r}: letters, digits, '-', '_' and '.' only (up to 64)"
        )
    if "primary" not in data:
        raise ValueError("needs a primary colour")
    kwargs: dict[str, Any] = {"name": name.strip()}
    for key in COLOR_KEYS:
        if key in data:
            kwargs[key] = _color(data[key], key)
    for key in ("dark", "ansi"):
        if key in data:
            if not isinstance(data[key], bool):
                raise ValueError(f"{key}: expected true or false")
            kwargs[key] = data[key]
    variables = data.get("variables", {})
    if not isinstance(variables, dict):
        raise ValueError("variables: expected a table")
    checked: dict[str, str] = {}
    for k, v in variables.items():
        if not isinstance(v, str):
            raise ValueError(f"variables.{k}: expected a string, got {v!r}")
        problem = _variable_problem(str(k), v)
        if problem:
            raise ValueError(f"variables.{k}: {problem}")
        checked[str(k)] = v
    kwargs["variables"] = checked
    theme = Theme(**kwargs)
    try:
        theme.to_color_system().generate()
    except Exception as exc:  # what Textual itself would stumble on when applying it
        raise ValueError(f"Textual cannot use it: {exc}") from None
    return theme


def load_themes(*folders: Path) -> ThemeLoad:
    result = ThemeLoad()
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.toml")):
            try:
                result.themes.append(parse_theme(path.read_text(encoding="utf-8"), str(path)))
            except (OSError, UnicodeDecodeError, ValueError) as exc:
                result.problems.append(f"theme {path}: {exc}; skipped")
    return result
