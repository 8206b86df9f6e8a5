"""What the app remembers between runs (tui/core/appstate.py)."""

from __future__ import annotations

from tui.core.appstate import remember, remembered


def test_a_value_is_kept_beside_the_others(tmp_path):
    path = tmp_path / "state.json"
    assert remembered(path, "theme") is None  # no file yet
    path.write_text('{"other": 1}', encoding="utf-8")
    remember(path, "theme", "redpill-light")
    assert remembered(path, "theme") == "redpill-light"
    assert remembered(path, "other") == 1


def test_a_damaged_file_is_an_empty_state_and_is_replaced(tmp_path):
    path = tmp_path / "state.json"
    for damaged in ("{not json", "[1, 2]", "\x00\xff"):
        path.write_text(damaged, encoding="utf-8", errors="surrogateescape")
        assert remembered(path, "theme") is None
    remember(path, "theme", "high-contrast")
    assert remembered(path, "theme") == "high-contrast"


def test_a_write_that_fails_is_dropped(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    remember(blocker / "state.json", "theme", "x")  # its folder is a file: no error
    assert remembered(blocker / "state.json", "theme") is None
