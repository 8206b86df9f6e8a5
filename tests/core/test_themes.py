"""Themes: the shipped TOML files, the user's own, broken files reported and skipped,
the remembered choice, and the themes folder in an installed wheel."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.color import Color
from textual.widgets import Button, DataTable, Footer, Input, Static, TextArea

from tui.app.themes import COLOR_KEYS, DEFAULT_THEME, load_themes, parse_theme, shipped_dir
from tui.config import Config, config_dir, data_dir, resolve_endpoint

REPO = Path(__file__).resolve().parents[2]


def shipped() -> dict:
    loaded = load_themes(shipped_dir())
    assert loaded.problems == []
    return {t.name: t for t in loaded.themes}


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two colours."""

    def lum(c: Color) -> float:
        def ch(v: int) -> float:
            s = v / 255
            return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

        return 0.2126 * ch(c.r) + 0.7152 * ch(c.g) + 0.0722 * ch(c.b)

    hi, lo = sorted((lum(Color.parse(a)), lum(Color.parse(b))), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


# -- the shipped themes -----------------------------------------------------------------


def test_shipped_folder_is_the_repos_themes_in_a_checkout():
    assert shipped_dir().resolve() == (REPO / "themes").resolve()


def test_at_least_four_themes_ship_dark_light_high_contrast_and_ansi():
    themes = shipped()
    assert len(themes) >= 4
    assert DEFAULT_THEME in themes and themes[DEFAULT_THEME].dark
    assert themes["redpill-light"].dark is False
    assert contrast(themes["redpill-light"].foreground, themes["redpill-light"].background) > 7
    hc = themes["high-contrast"]
    assert contrast(hc.foreground, hc.background) >= 20
    assert contrast(hc.primary, hc.background) >= 10


def test_the_ansi_theme_uses_only_the_16_ansi_colours():
    theme = shipped()["terminal-ansi"]
    assert theme.ansi is True
    values = [getattr(theme, k) for k in COLOR_KEYS if getattr(theme, k) is not None]
    values += [v for k, v in theme.variables.items() if not k.endswith("-style")]
    assert values
    for value in values:
        color = Color.parse(value)
        assert color.ansi is not None and -1 <= color.ansi <= 15, value


class Probe(App):
    """Widgets that use most theme variables, to apply a theme for real."""

    def compose(self) -> ComposeResult:
        yield Static("text")
        yield Input("typed")
        yield Button("ok")
        yield TextArea("code")
        yield DataTable()
        yield Footer()


@pytest.mark.parametrize(
    "name", ["redpill-dark", "redpill-light", "high-contrast", "terminal-ansi"]
)
async def test_each_shipped_theme_applies_in_textual(name):
    app = Probe()
    for theme in shipped().values():
        app.register_theme(theme)
    async with app.run_test() as pilot:
        app.theme = name
        await pilot.pause()
        assert app.theme == name
        assert app.screen.styles.background is not None


# -- the user's own themes, broken files ------------------------------------------------

GOOD = """
name = "mine"
dark = true
primary = "#336699"
background = "#101010"
[variables]
text-muted = "auto 60%"
border = "ansi_default 50%"
block-cursor-text-style = "b reverse"
"""

BROKEN = {
    "bad-toml.toml": 'name = "x\nprimary = "red"',
    "no-name.toml": 'primary = "red"',
    "no-primary.toml": 'name = "noprimary"',
    "bad-colour.toml": 'name = "badc"\nprimary = "not-a-colour"',
    "bad-ansi.toml": 'name = "bada"\nprimary = "ansi_purple_rain"',
    "bad-variable.toml": 'name = "badv"\nprimary = "red"\n[variables]\nborder = "ansi_bogus"',
    "bad-style.toml": 'name = "bads"\nprimary = "red"\n[variables]\nlink-style = "wobbly"',
    "css-injection.toml": 'name = "inj"\nprimary = "red"\n[variables]\nborder = "red; } * { color: red"',
    "bad-dark.toml": 'name = "badd"\nprimary = "red"\ndark = "yes"',
    "bad-variables.toml": 'name = "badt"\nprimary = "red"\nvariables = 3',
}


def user_themes() -> Path:
    folder = config_dir() / "themes"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_user_themes_load_beside_the_shipped_ones_and_broken_ones_are_skipped():
    folder = user_themes()
    (folder / "mine.toml").write_text(GOOD)
    for name, text in BROKEN.items():
        (folder / name).write_text(text)
    (folder / "latin1.toml").write_bytes(b'name = "caf\xe9"\nprimary = "red"\n')
    (folder / "notes.txt").write_text("not a theme")

    loaded = load_themes(shipped_dir(), folder)

    names = [t.name for t in loaded.themes]
    assert names[:4] == ["high-contrast", "redpill-dark", "redpill-light", "terminal-ansi"]
    assert names[4:] == ["mine"]
    reported = {Path(p.split(":")[0].removeprefix("theme ")).name for p in loaded.problems}
    assert reported == set(BROKEN) | {"latin1.toml"}
    assert all(p.endswith("; skipped") for p in loaded.problems)
    by_file = {Path(p.split(":")[0].removeprefix("theme ")).name: p for p in loaded.problems}
    assert "not valid TOML" in by_file["bad-toml.toml"]
    assert "needs a name" in by_file["no-name.toml"]
    assert "needs a primary colour" in by_file["no-primary.toml"]
    assert "'not-a-colour' is not a colour" in by_file["bad-colour.toml"]
    assert "primary" in by_file["bad-ansi.toml"]
    assert "variables.border" in by_file["bad-variable.toml"]
    assert "variables.link-style" in by_file["bad-style.toml"]
    assert "variables.border" in by_file["css-injection.toml"]


async def test_a_loaded_user_theme_applies_in_textual():
    (user_themes() / "mine.toml").write_text(GOOD)
    loaded = load_themes(user_themes())
    (theme,) = loaded.themes
    app = Probe()
    app.register_theme(theme)
    async with app.run_test() as pilot:
        app.theme = "mine"
        await pilot.pause()
        assert app.theme == "mine"


def test_a_user_theme_may_replace_a_shipped_one():
    (user_themes() / "dark.toml").write_text('name = "redpill-dark"\nprimary = "#00FF00"')
    loaded = load_themes(shipped_dir(), user_themes())
    last = [t for t in loaded.themes if t.name == "redpill-dark"][-1]
    assert last.primary == "#00FF00"  # registered last, so it wins


def test_parse_theme_rejects_non_string_variables():
    with pytest.raises(ValueError, match="variables.border: expected a string"):
        parse_theme('name = "x"\nprimary = "red"\n[variables]\nborder = 5', "x")


# -- the choice is remembered -----------------------------------------------------------


async def test_the_theme_chosen_in_the_app_is_remembered_for_the_next_start():
    from tui.app.app import RedPillApp

    (user_themes() / "mine.toml").write_text(GOOD)

    def make() -> RedPillApp:
        return RedPillApp(config=Config(), endpoint=resolve_endpoint(Config(), demo=True))

    app = make()
    async with app.run_test() as pilot:
        await pilot.pause()
        assert app.theme == DEFAULT_THEME
        app.theme = "mine"  # what the palette's theme picker does
        await pilot.pause()
    assert json.loads((data_dir() / "state.json").read_text())["theme"] == "mine"

    app = make()
    async with app.run_test() as pilot:
        await pilot.pause()
        assert app.theme == "mine"


# -- an installed wheel -----------------------------------------------------------------


def test_the_wheel_carries_the_themes_and_the_installed_app_finds_them(tmp_path):
    """A normal `pip install .` puts themes/ inside the package as tui/themes."""
    out = tmp_path / "wheel"
    try:
        build = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(REPO)],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except subprocess.TimeoutExpired:
        pytest.skip("building the wheel took more than 30 s")
    if build.returncode != 0:
        pytest.skip(f"could not build the wheel here: {build.stderr.strip()[-300:]}")
    (wheel,) = out.glob("*.whl")
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        shipped_names = {p.name for p in (REPO / "themes").glob("*.toml")}
        assert {f"tui/themes/{n}" for n in shipped_names} <= set(names)
        site = tmp_path / "site"
        z.extractall(site)
    # Import the installed copy (not this checkout) and ask it where its themes are.
    probe = (
        "import json, tui; from tui.app.themes import shipped_dir, load_themes;"
        "d = shipped_dir(); r = load_themes(d);"
        "print(json.dumps([tui.__file__, str(d), [t.name for t in r.themes], r.problems]))"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
    )
    assert run.returncode == 0, run.stderr
    module, folder, themes, problems = json.loads(run.stdout)
    assert Path(module).is_relative_to(site)
    assert Path(folder) == site / "tui" / "themes"
    assert sorted(themes) == sorted(t.name for t in load_themes(REPO / "themes").themes)
    assert len(themes) >= 4 and problems == []
