"""``ask --variant``: one question as several requests at once against the loopback
server; bodies differ exactly by the overrides (and validate), output in the order
given, an error in one leaves the others, exit 1 when any failed."""

from __future__ import annotations

import json

import pytest

from tests.loopback import Reply, chunk, text_stream
from tui import cli

pytestmark = pytest.mark.usefixtures("valid_bodies")

MODELS = {
    "data": [
        {"id": "base", "pricing": {"prompt": "0.000001", "completion": "0.000002"}},
        {"id": "other", "pricing": {"prompt": "0.000003", "completion": "0.000004"}},
    ]
}


def answer(request) -> Reply:
    """Names what it was asked with; model "broken" is a 404; usage when asked."""
    body = request.json()
    if body["model"] == "broken":
        return Reply.json({"error": {"message": "no such model"}}, status=404)
    text = f"T={body.get('temperature')} M={body['model']} S={body['messages'][0]['content']}"
    events = text_stream(*text.split(" "), done=False)
    events.append(
        {**chunk(0), "choices": [], "usage": {"prompt_tokens": 1000, "completion_tokens": 500}}
    )
    events.append("[DONE]")
    return Reply.sse(events)


def run(capsys, loopback, *argv: str) -> tuple[int, str, str]:
    loopback.route("/models", Reply.json(MODELS))
    loopback.route("/chat/completions", answer)
    code = cli.main(["ask", "--base-url", loopback.base_url, "-m", "base", *argv])
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def chat_bodies(loopback) -> list[dict]:
    return [r.json() for r in loopback.requests if r.path.endswith("/chat/completions")]


def test_json_gives_each_variant_in_order_with_its_request_usage_and_cost(capsys, loopback):
    code, out, err = run(
        capsys, loopback, "--json", "-s", "Base system", "-p", "temperature=0.5",
        "-p", 'stream_options={"include_usage": true}',
        "--variant", "temperature=0", "--variant", "temperature=1.4",
        "--variant", "model=other,system=Other system", "q",
    )  # fmt: skip
    assert code == 0, err
    (line,) = out.splitlines()
    variants = json.loads(line)["variants"]
    assert [v["overrides"] for v in variants] == [
        {"temperature": 0},
        {"temperature": 1.4},
        {"model": "other", "system": "Other system"},
    ]
    texts = ["".join(c["content"] for c in v["choices"]) for v in variants]
    assert texts == [
        "T=0.0M=baseS=Basesystem",
        "T=1.4M=baseS=Basesystem",
        "T=0.5M=otherS=Othersystem",
    ]
    # what was sent is what each variant reports as its request
    sent = sorted(chat_bodies(loopback), key=json.dumps)
    assert sorted((v["request"] for v in variants), key=json.dumps) == sent
    base = variants[0]["request"]
    assert {k: v for k, v in variants[1]["request"].items() if k != "temperature"} == {
        k: v for k, v in base.items() if k != "temperature"
    }
    third = variants[2]["request"]
    assert third["messages"][0] == {"role": "system", "content": "Other system"}
    assert third["messages"][1:] == base["messages"][1:] and third["temperature"] == 0.5
    # 1000 x $1/M + 500 x $2/M = $0.002; the other model: $0.003 + $0.002 = $0.005
    assert [v["cost"]["total"] for v in variants] == ["0.002", "0.002", "0.005"]
    assert all(v["usage"]["prompt_tokens"] == 1000 and v["error"] is None for v in variants)
    assert all(v["timings"]["total_s"] is not None for v in variants)


def test_text_has_a_header_per_variant_and_an_error_leaves_the_others(capsys, loopback):
    code, out, err = run(
        capsys, loopback, "--variant", "temperature=0.1", "--variant", "model=broken",
        "--variant", "temperature=0.3", "q",
    )  # fmt: skip
    assert code == 1
    blocks = out.split("\n\n")
    assert blocks[0].startswith("=== variant 1: temperature 0.1 ===\nT=0.1")
    assert blocks[1].startswith("=== variant 2: model broken ===\n[error]")
    assert blocks[2].startswith("=== variant 3: temperature 0.3 ===\nT=0.3")
    assert "variant 2 (model broken): " in err and "no such model" in err


def test_a_bad_variant_is_refused_before_anything_is_sent(capsys, loopback):
    code, out, err = run(capsys, loopback, "--variant", "temperature=7", "q")
    assert code == 2 and out == ""
    assert "temperature" in err and "variant 1: temperature 7" in err
    assert loopback.requests == []
    code, _, err = run(capsys, loopback, "--variant", "temperature", "q")
    assert code == 2 and "KEY=VALUE" in err
