"""Parameter presets: save the current parameters under a name, apply one, set a
default that new conversations start with."""

from __future__ import annotations

import json

from tui.config import Config, data_dir, load_config, resolve_endpoint
from tui.core.presets import Presets


def path():
    return data_dir() / "presets.json"


def test_save_reload_and_apply_a_preset():
    p = Presets.load(path())
    assert p.presets == {} and p.default is None and p.problem is None
    params = {"temperature": 0.2, "stop": ["\n\n"], "response_format": {"type": "json_object"}}
    p.put("precise", "phala/model-a", "Answer in JSON.", params)

    again = Presets.load(path())
    assert again.problem is None
    assert again.get("precise") == {
        "model": "phala/model-a",
        "system": "Answer in JSON.",
        "params": params,
    }
    assert again.get("missing") is None
    doc = json.loads(path().read_text())
    assert doc["version"] == 1 and "precise" in doc["presets"]


def test_a_saved_preset_does_not_follow_later_edits():
    p = Presets.load(path())
    params = {"stop": ["END"], "temperature": 1.0}
    p.put("mine", "m", "", params)
    params["stop"].append("STOP")  # the sidebar edits the conversation's params
    params["temperature"] = 0.0
    applied = p.get("mine")
    applied["params"]["stop"].append("X")  # and the applied copy
    assert Presets.load(path()).get("mine")["params"] == {"stop": ["END"], "temperature": 1.0}
    assert p.get("mine")["params"] == {"stop": ["END"], "temperature": 1.0}


def test_overwrite_a_preset_by_name():
    p = Presets.load(path())
    p.put("x", "m1", "", {"n": 1})
    p.put("x", "m2", "", {"n": 2})
    assert Presets.load(path()).get("x")["model"] == "m2"
    assert list(Presets.load(path()).presets) == ["x"]


def test_set_default_is_remembered_and_only_for_known_presets():
    p = Presets.load(path())
    p.put("a", "m", "", {})
    p.put("b", "m", "", {})
    p.set_default("b")
    assert Presets.load(path()).default == "b"
    p.set_default("nope")
    assert Presets.load(path()).default is None


def test_a_default_naming_a_removed_preset_is_dropped():
    path().parent.mkdir(parents=True)
    path().write_text(json.dumps({"version": 1, "default": "gone", "presets": {"a": {}}}))
    p = Presets.load(path())
    assert p.default is None and p.problem is None and "a" in p.presets


def test_an_unreadable_presets_file_is_reported_kept_and_not_overwritten():
    path().parent.mkdir(parents=True)
    path().write_text('{"presets": {"a": ')
    p = Presets.load(path())
    assert p.presets == {}
    assert str(path()) in p.problem and "could not read presets" in p.problem
    (aside,) = path().parent.glob("presets.json.corrupt-*")
    assert aside.name in p.problem
    p.put("new", "m", "", {})
    assert aside.read_text() == '{"presets": {"a": '
    assert Presets.load(path()).get("new")["model"] == "m"


def test_a_presets_file_of_the_wrong_shape_is_reported():
    path().parent.mkdir(parents=True)
    path().write_text("[1, 2, 3]")
    p = Presets.load(path())
    assert p.problem and p.presets == {}


def test_new_conversations_start_with_the_default_preset():
    from tui.app.app import RedPillApp

    p = Presets.load(path())
    p.put("cold", "phala/cold-model", "You are terse.", {"temperature": 0.1, "seed": 5})
    p.set_default("cold")
    cfg = load_config()
    app = RedPillApp(config=cfg, endpoint=resolve_endpoint(cfg))
    conv = app.new_conversation()
    assert conv.model == "phala/cold-model"
    assert conv.system == "You are terse."
    assert conv.params["temperature"] == 0.1 and conv.params["seed"] == 5
    assert conv.params["stream"] is True
    # The command line's model wins over the preset's.
    app2 = RedPillApp(config=Config(), endpoint=resolve_endpoint(cfg), model="cli-model")
    assert app2.new_conversation().model == "cli-model"
