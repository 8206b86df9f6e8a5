"""The config file: created with comments, bad values reported (file, key, reason) with
defaults used, profiles, keys kept private, and where files live."""

from __future__ import annotations

import re
import stat
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

from tui.config import (
    CONFIG_TEMPLATE,
    DEFAULT_BASE_URL,
    Config,
    UnknownProfile,
    config_dir,
    config_path,
    data_dir,
    load_config,
    make_client,
    resolve_endpoint,
)

SECRET = "sk-in-file-0099"


def write(text: str) -> Path:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    path.chmod(0o644)
    return path


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def issues(cfg: Config) -> dict[str, str]:
    return {i.key: i.reason for i in cfg.issues}


# -- first run --------------------------------------------------------------------------


def test_first_run_creates_a_commented_config_that_loads_cleanly():
    path = config_path()
    assert not path.exists()
    cfg = load_config(create=True)
    assert path.exists()
    text = path.read_text(encoding="utf-8")
    assert text == CONFIG_TEMPLATE
    comments = [line for line in text.splitlines() if line.startswith("#")]
    assert len(comments) > 10
    for documented in (
        "default_profile",
        "theme",
        "autosave",
        "[timeouts]",
        "[keys]",
        "[profiles.redpill]",
        "base_url",
        "api_key_env",
        "api_key",
        "model",
        "headers",
        ".params]",
    ):
        assert documented in text, documented
    assert cfg.issues == []
    again = load_config(create=True)
    assert again.issues == []
    assert (again.default_profile, again.autosave, again.theme) == ("redpill", True, None)
    assert (again.connect_timeout, again.read_timeout, again.max_retries) == (10.0, 120.0, 2)
    assert again.profile().base_url == DEFAULT_BASE_URL
    assert again.profile().api_key_env == "REDPILL_API_KEY"


def test_every_commented_setting_in_the_template_is_valid_when_uncommented():
    """Uncomment the `# key = value` lines and tables: the result loads with no issues."""
    lines = []
    for line in CONFIG_TEMPLATE.splitlines():
        body = line[2:] if line.startswith("# ") else None
        if body and re.match(r"^(\[[\w.]+\]$|[A-Za-z_][\w-]* = )", body):
            if body.startswith("api_key ="):
                continue  # tested on its own: it makes the file private
            lines.append(body)
        else:
            lines.append(line)
    path = write("\n".join(lines) + "\n")
    tomllib.loads(path.read_text())
    cfg = load_config()
    assert cfg.issues == []
    assert cfg.theme == "redpill-dark" and cfg.keys == {"regenerate": "ctrl+g", "cancel": "escape"}
    assert set(cfg.profiles) == {"redpill", "local"}
    assert cfg.profile("redpill").headers == {"x-redpill-trace-id": "my-trace"}
    assert cfg.profile("redpill").params == {"temperature": 0.7}
    assert cfg.profile("local").base_url == "http://127.0.0.1:8080/v1"


def test_the_template_offers_only_binding_ids_the_app_has():
    import importlib
    import inspect
    import pkgutil

    import tui.app

    ids = set()
    for info in pkgutil.walk_packages(tui.app.__path__, "tui.app."):
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            for binding in getattr(cls, "BINDINGS", ()):
                if getattr(binding, "id", None):
                    ids.add(binding.id)
    keys = CONFIG_TEMPLATE.split("[keys]\n", 1)[1].split("\n\n", 1)[0]
    offered = re.findall(r"^# (\w+) = ", keys, re.M)
    assert offered and set(offered) <= ids, sorted(set(offered) - ids)


def test_an_existing_file_is_never_overwritten_by_the_template():
    path = write('theme = "redpill-light"\n')
    cfg = load_config(create=True)
    assert path.read_text() == 'theme = "redpill-light"\n'
    assert cfg.theme == "redpill-light"


def test_without_create_nothing_is_written():
    load_config()
    assert not config_path().exists()


# -- bad values -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, key, reason",
    [
        ("autosave = 'yes'", "autosave", "expected bool"),
        ("theme = 3", "theme", "expected str"),
        ("colour = 'red'", "colour", "unknown setting"),
        ("[timeouts]\nconnect = -1", "timeouts.connect", "more than 0"),
        ("[timeouts]\nread = nan", "timeouts.read", "finite number"),
        ("[timeouts]\nread = inf", "timeouts.read", "finite number"),
        ("[timeouts]\nread = true", "timeouts.read", "expected a number"),
        ("[timeouts]\nmax_retries = 99", "timeouts.max_retries", "from 0 to 10"),
        ("[timeouts]\nconect = 5", "timeouts.conect", "unknown setting"),
        ("timeouts = 5", "timeouts", "expected a table"),
        ("[keys]\ncancel = ''", "keys.cancel", "expected a key name"),
        ("default_profile = 'nope'", "default_profile", "no profile named 'nope'"),
        ("[profiles.x]\nbase_url = 'ftp://x'", "profiles.x.base_url", "http:// or https://"),
        ("[profiles.x]\napi_key_env = '$(rm -rf ~)'", "profiles.x.api_key_env", "variable name"),
        ("[profiles.x]\napikey_env = 'K'", "profiles.x.apikey_env", "unknown setting"),
        ("[profiles.x]\nmodel = 5", "profiles.x.model", "expected str"),
        ("[profiles.x]\nheaders = { a = 1 }", "profiles.x.headers.a", "expected a string"),
        (
            "[profiles.x.params]\ntemperature = 9",
            "profiles.x.params.temperature",
            "from 0 to 2 (got 9)",
        ),
        ("[profiles.x.params]\nn = 0", "profiles.x.params.n", "from 1 to 128"),
        ("[profiles.x.params]\nstop = ['']", "profiles.x.params.stop", "cannot be empty"),
        ("profiles = 1", "profiles", "expected a table"),
        ("[profiles]\nx = 1", "profiles.x", "expected a table"),
        ("[timeouts]\nconnect = 'soon'", "timeouts.connect", "expected a number, got 'soon'"),
        ("[timeouts]\nmax_retries = 1.5", "timeouts.max_retries", "expected int, got float"),
        ("keys = 3", "keys", "expected a table; ignored"),
        ("[profiles.x]\nheaders = 1", "profiles.x.headers", "expected a table"),
        ("[profiles.x]\nheaders = { 'a b' = 'v' }", "profiles.x.headers.a b", "printable ASCII"),
        ("[profiles.x]\nparams = 3", "profiles.x.params", "expected a table"),
        ("[profiles.x]\nbase_url = 5", "profiles.x.base_url", "expected str, got int 5"),
    ],
)
def test_a_bad_value_is_reported_with_file_key_and_reason_and_defaults_used(text, key, reason):
    path = write(text + "\n")
    cfg = load_config()
    found = issues(cfg)
    assert key in found, cfg.issues
    assert reason in found[key]
    issue = next(i for i in cfg.issues if i.key == key)
    assert str(issue).startswith(f"{path}: {key}: ")
    # Defaults stand in for what was bad.
    assert cfg.autosave is True and cfg.theme is None
    assert (cfg.connect_timeout, cfg.read_timeout, cfg.max_retries) == (10.0, 120.0, 2)
    assert cfg.default_profile == "redpill"
    prof = cfg.profiles.get("x")
    if prof is not None:
        assert prof.base_url == DEFAULT_BASE_URL
        assert prof.api_key_env == "REDPILL_API_KEY"
        assert prof.model is None and prof.headers == {} and prof.params == {}


def test_bad_values_do_not_take_the_good_ones_with_them():
    write(
        """
        theme = "high-contrast"
        autosave = "sometimes"
        [timeouts]
        connect = 3
        read = 0
        [profiles.local]
        base_url = "http://127.0.0.1:8080/v1/"
        model = "gemma"
        [profiles.local.params]
        temperature = 0.5
        top_p = 7
        top_k = 40
        stream_options = { include_usage = true }
        """
    )
    cfg = load_config()
    assert set(issues(cfg)) == {"autosave", "timeouts.read", "profiles.local.params.top_p"}
    assert cfg.theme == "high-contrast" and cfg.autosave is True
    assert (cfg.connect_timeout, cfg.read_timeout) == (3.0, 120.0)
    local = cfg.profile("local")
    assert local.base_url == "http://127.0.0.1:8080/v1" and local.model == "gemma"
    assert local.params == {
        "temperature": 0.5,
        "top_k": 40,
        "stream_options": {"include_usage": True},
    }


@pytest.mark.parametrize(
    "content, reason",
    [(b'theme = "unclosed\n', "not valid TOML"), (b"\xff\xfe\x00", "could not read it")],
)
def test_an_unreadable_file_is_reported_and_the_app_starts_with_defaults(content, reason):
    path = config_path()
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    cfg = load_config(create=True)
    (issue,) = cfg.issues
    assert (issue.file, issue.key) == (str(path), "(file)")
    assert reason in issue.reason
    assert cfg.profile().base_url == DEFAULT_BASE_URL
    assert path.read_bytes() == content  # kept for the user to fix


# -- keys in the file -------------------------------------------------------------------


def test_a_key_in_the_file_makes_it_private(monkeypatch):
    path = write(f'[profiles.redpill]\napi_key = "{SECRET}"\n')
    assert mode(path) == 0o644
    cfg = load_config()
    assert mode(path) == 0o600
    assert cfg.issues == []
    assert resolve_endpoint(cfg).api_key == SECRET
    assert SECRET not in repr(cfg) and SECRET not in repr(resolve_endpoint(cfg))
    # The environment variable wins over the file.
    monkeypatch.setenv("REDPILL_API_KEY", "from-env")
    assert resolve_endpoint(load_config()).api_key == "from-env"


def test_a_key_in_an_authorization_header_makes_it_private_too():
    path = write(f'[profiles.x]\nheaders = {{ Authorization = "Bearer {SECRET}" }}\n')
    load_config()
    assert mode(path) == 0o600


def test_a_file_without_a_key_keeps_its_mode():
    path = write('[profiles.x]\nbase_url = "http://h/v1"\n')
    load_config()
    assert mode(path) == 0o644


# -- profiles and endpoints -------------------------------------------------------------

PROFILES = """
default_profile = "local"
[profiles.local]
base_url = "http://127.0.0.1:8080/v1"
api_key_env = "LOCAL_KEY"
model = "gemma-3-270m"
headers = { "x-trace" = "me" }
[profiles.local.params]
temperature = 0.7
[profiles.work]
base_url = "https://work.example/v1"
api_key_env = "WORK_KEY"
"""


def test_the_default_profile_gives_the_endpoint(monkeypatch):
    write(PROFILES)
    monkeypatch.setenv("LOCAL_KEY", "local-secret")
    ep = resolve_endpoint(load_config())
    assert ep.profile == "local"
    assert ep.base_url == "http://127.0.0.1:8080/v1"
    assert (ep.key_env, ep.api_key) == ("LOCAL_KEY", "local-secret")
    assert ep.model == "gemma-3-270m"
    assert ep.headers == {"x-trace": "me"}
    assert ep.params == {"temperature": 0.7}


def test_base_url_without_profile_uses_the_default_profiles_key_variable(monkeypatch):
    write(PROFILES)
    monkeypatch.setenv("LOCAL_KEY", "local-secret")
    monkeypatch.setenv("REDPILL_API_KEY", "not-this-one")
    ep = resolve_endpoint(load_config(), base_url="http://other.example/v1/")
    assert ep.base_url == "http://other.example/v1"
    assert (ep.profile, ep.key_env, ep.api_key) == ("local", "LOCAL_KEY", "local-secret")


def test_base_url_with_a_profile_uses_that_profiles_variable(monkeypatch):
    write(PROFILES)
    monkeypatch.setenv("WORK_KEY", "work-secret")
    ep = resolve_endpoint(load_config(), profile="work", base_url="http://proxy/v1")
    assert (ep.base_url, ep.key_env, ep.api_key) == ("http://proxy/v1", "WORK_KEY", "work-secret")


def test_no_config_at_all_means_redpill_and_its_variable(monkeypatch):
    monkeypatch.setenv("REDPILL_API_KEY", "rp")
    ep = resolve_endpoint(load_config(), base_url="http://x/v1")
    assert (ep.profile, ep.key_env, ep.api_key) == ("redpill", "REDPILL_API_KEY", "rp")
    assert resolve_endpoint(load_config()).base_url == DEFAULT_BASE_URL


def test_an_unknown_profile_names_the_ones_there_are():
    write(PROFILES)
    with pytest.raises(
        UnknownProfile, match=r"no profile named 'nope' \(profiles: local, redpill, work\)"
    ):
        resolve_endpoint(load_config(), profile="nope")


def test_the_demo_needs_no_key(monkeypatch):
    monkeypatch.setenv("REDPILL_API_KEY", "rp")
    ep = resolve_endpoint(load_config(), demo=True)
    assert ep.demo and ep.api_key is None and ep.key_env == ""


async def test_timeouts_reach_the_client():
    write("[timeouts]\nconnect = 2.5\nread = 30\nmax_retries = 0\n")
    cfg = load_config()
    client = make_client(resolve_endpoint(cfg, base_url="http://127.0.0.1:9/v1"), cfg)
    try:
        assert client.timeout.connect == 2.5 and client.timeout.read == 30.0
        assert client.max_retries == 0
    finally:
        await client.aclose()


# -- where files live -------------------------------------------------------------------


def test_paths_follow_the_environment_and_xdg(monkeypatch, tmp_path):
    assert config_path() == tmp_path / "config" / "config.toml"
    assert config_dir() == tmp_path / "config"  # user themes go beside the file
    assert data_dir() == tmp_path / "data"
    monkeypatch.delenv("REDPILL_TUI_CONFIG")
    monkeypatch.delenv("REDPILL_TUI_DATA")
    if sys.platform.startswith("linux"):
        assert config_path() == tmp_path / "xdg-config" / "redpill-tui" / "config.toml"
        assert config_dir() == tmp_path / "xdg-config" / "redpill-tui"
        assert data_dir() == tmp_path / "xdg-data" / "redpill-tui"
    load_config(create=True)
    assert config_path().is_file()
    assert str(config_path()).startswith(str(tmp_path))


def test_what_a_user_sees_for_a_wrong_type_an_unknown_key_and_bad_nested_values(capsys):
    path = write(
        """
        autosave = "yes"
        colour = "red"
        [timeouts]
        read = 0
        max_retries = 3
        [profiles.x]
        model = "m"
        headers = { "x-trace" = 5, "x-ok" = "fine" }
        [profiles.x.params]
        temperature = 9
        top_p = 0.5
        """
    )
    from tui import cli

    assert cli.main(["ask", "--demo", "--profile", "x", "--json", "hi"]) == 0
    seen = [line for line in capsys.readouterr().err.splitlines() if "config:" in line]
    assert seen == [
        f"redpill-tui: config: {path}: {key}: {reason}"
        for key, reason in [
            ("autosave", "expected bool, got str 'yes'; using the default"),
            ("timeouts.read", "must be a finite number more than 0 (got 0); using the default"),
            ("profiles.x.headers.x-trace", "expected a string, got 5; header not sent"),
            ("colour", "unknown setting; ignored"),
            ("profiles.x.params.temperature", "must be a number from 0 to 2 (got 9); not used"),
        ]
    ]
    # Everything else in the file still applies.
    cfg = load_config()
    assert (cfg.autosave, cfg.read_timeout, cfg.max_retries) == (True, 120.0, 3)
    prof = cfg.profile("x")
    assert (prof.model, prof.headers, prof.params) == ("m", {"x-ok": "fine"}, {"top_p": 0.5})
