"""Outside text reaches widgets one way (tui/app/safe.py). This scan makes the unsafe way
hard: in the app, text handed to a widget that parses markup or writes to the terminal as
it is must be a literal, or pass through safe()/safe_cell()/shown()/Content/Text, or the
widget must be built with markup=False. (The hostile tier in tests/hostile is the proof;
this catches a new call before a hostile server does.)"""

from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parents[1] / "tui" / "app"
# Calls whose text arguments Textual parses as markup (or shows raw).
MARKUP_CALLS = {"Tab", "Label", "Static", "Button", "Option", "add_row", "add_column", "notify"}
SAFE_WRAPPERS = {"safe", "safe_cell", "shown", "Content", "Text", "highlight", "neutralize"}


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _is_safe(arg: ast.AST) -> bool:
    if isinstance(arg, ast.Constant):
        return True
    if isinstance(arg, ast.JoinedStr):  # an f-string: safe only if every part is
        return all(
            isinstance(v, ast.Constant) or _is_safe(getattr(v, "value", v)) for v in arg.values
        )
    if isinstance(arg, ast.Call):
        name = _name(arg.func)
        if name == "from_markup":  # our own markup, never outside text
            return all(isinstance(a, ast.Constant) for a in arg.args)
        # A helper named safe_* returns what safe() does (its own test proves it).
        return (
            name in SAFE_WRAPPERS
            or name.startswith("safe_")
            or (name == "assemble" and _name(arg.func.value) == "Content")
        )
    if isinstance(arg, ast.Starred):
        return _is_safe(arg.value)
    return False


def unsafe_calls() -> list[str]:
    found = []
    for path in sorted(APP.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or _name(node.func) not in MARKUP_CALLS:
                continue
            if any(
                k.arg == "markup" and getattr(k.value, "value", None) is False
                for k in node.keywords
            ):
                continue
            name = _name(node.func)
            if name == "notify" and _name(getattr(node.func, "value", None)) in ("self", "app"):
                continue  # App.notify neutralises and never parses markup (app.py)
            args = (
                node.args[:1]
                if name in ("Static", "Label", "Button", "Tab", "Option")
                else node.args
            )
            for arg in args:
                if not _is_safe(arg):
                    found.append(
                        f"{path.relative_to(APP)}:{node.lineno} {name}({ast.unparse(arg)[:60]})"
                    )
    return found


def test_text_reaches_widgets_through_the_safe_path():
    assert unsafe_calls() == []
