"""The layers stay honest: the API client, the core, the config and the headless commands
never import Textual (or Rich), so ``redpill-tui ask`` starts fast and the core can be
used without a terminal UI."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import tui

UI_PACKAGES = ("textual", "rich")
ROOT = Path(tui.__file__).parent


def _modules(package: str) -> list[str]:
    path = ROOT / package.split(".", 1)[1]
    return sorted(f"{package}.{m.name}" for m in pkgutil.iter_modules([str(path)]))


HEADLESS_MODULES = [
    "tui",
    *_modules("tui.api"),
    *_modules("tui.core"),
    "tui.config",
    "tui.config_file",
    "tui.headless",
    "tui.cli",
]


def _ui_modules_after(code: str) -> list[str]:
    probe = (
        "import json, sys\n"
        + code
        + "\nprint(json.dumps(sorted(m for m in sys.modules"
        + f" if m.split('.')[0] in {UI_PACKAGES!r})))\n"
    )
    p = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False
    )
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout.strip().splitlines()[-1])


def test_the_module_lists_are_found():
    assert "tui.api.client" in HEADLESS_MODULES
    assert "tui.api.demo" in HEADLESS_MODULES
    assert "tui.core.params" in HEADLESS_MODULES
    assert "tui.core.sanitize" in HEADLESS_MODULES
    assert "tui.core.session" in HEADLESS_MODULES  # the chat session: no Textual


def test_importing_every_headless_module_together_imports_no_ui():
    code = "\n".join(f"import {m}" for m in HEADLESS_MODULES)
    assert _ui_modules_after(code) == []


@pytest.mark.parametrize("module", HEADLESS_MODULES)
def test_each_headless_module_alone_imports_no_ui(module):
    assert _ui_modules_after(f"import {module}") == []


def test_running_ask_and_models_imports_no_ui(tmp_path):
    code = (
        "import io, contextlib, os\n"
        f"os.environ['REDPILL_TUI_CONFIG'] = {str(tmp_path / 'config.toml')!r}\n"
        f"os.environ['REDPILL_TUI_DATA'] = {str(tmp_path / 'data')!r}\n"
        "from tui.cli import main\n"
        "buf = io.StringIO()\n"
        "with contextlib.redirect_stdout(buf):\n"
        "    assert main(['ask', '--demo', '--json', '-p', 'max_tokens=2', 'hi']) == 0\n"
        "    assert main(['ask', '--demo', '-p', 'max_tokens=2', 'hi']) == 0\n"
        "    assert main(['models', '--demo']) == 0\n"
    )
    assert _ui_modules_after(code) == []
