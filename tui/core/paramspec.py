"""What each request parameter is, in our words (from the API reference), its allowed range,
and how text typed for it becomes a value. Shared by the sidebar and its tests."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..api.shapes import content_text, prune_stream_options


@dataclass(frozen=True)
class ParamSpec:
    name: str
    kind: str  # float, int, bool, choice, text, stop, logit_bias
    help: str
    range: str = ""
    lo: float | None = None
    hi: float | None = None
    step: float = 1.0
    choices: tuple[str, ...] = ()
    warning: str = ""


SPECS: tuple[ParamSpec, ...] = (
    ParamSpec(
        "n",
        "int",
        "How many choices to generate for each message; you pay for all of them.",
        "1–128",
        1,
        128,
        1,
    ),
    ParamSpec(
        "temperature",
        "float",
        "Sampling temperature: higher is more random, lower more focused. "
        "Change this or top_p, not both.",
        "0–2",
        0,
        2,
        0.1,
    ),
    ParamSpec(
        "top_p",
        "float",
        "Nucleus sampling: only tokens in the top p probability mass are "
        "considered (0.1 = top 10%). Change this or temperature, not both.",
        "0–1",
        0,
        1,
        0.05,
    ),
    ParamSpec(
        "max_tokens",
        "int",
        "The most tokens the reply may have; a reply cut here ends with finish_reason length.",
        "≥ 1",
        1,
        None,
        16,
    ),
    ParamSpec(
        "max_completion_tokens",
        "int",
        "The most tokens the reply may have, reasoning tokens included; reasoning models "
        "(OpenAI o-series, GPT-5) refuse max_tokens and take this instead.",
        "≥ 1",
        1,
        None,
        16,
    ),
    ParamSpec(
        "reasoning_effort",
        "choice",
        "How hard a reasoning model thinks before it answers (OpenAI, RedPill's GPT "
        "models); other servers take reasoning settings in the extra body.",
        "none … max",
        choices=("none", "minimal", "low", "medium", "high", "xhigh", "max"),
    ),
    ParamSpec(
        "presence_penalty",
        "float",
        "Positive values penalise tokens that already appeared, nudging the model to new topics.",
        "-2–2",
        -2,
        2,
        0.1,
    ),
    ParamSpec(
        "frequency_penalty",
        "float",
        "Positive values penalise tokens by how often they "
        "appeared, making verbatim repetition less likely.",
        "-2–2",
        -2,
        2,
        0.1,
    ),
    ParamSpec(
        "seed",
        "int",
        "Best-effort determinism (beta): the same seed and parameters should give "
        "the same reply; watch system_fingerprint.",
        "integer",
        None,
        None,
        1,
    ),
    ParamSpec(
        "stop",
        "stop",
        "Up to 4 sequences where generation stops; the reply does not include them.",
        "up to 4 strings",
    ),
    ParamSpec(
        "logit_bias",
        "logit_bias",
        "Bias token ids: -100 bans a token, 100 forces it, ±1 nudges. "
        "Type id:bias pairs, e.g. 50256:-100, 13:5",
        "token id → -100…100",
    ),
    ParamSpec(
        "logprobs",
        "bool",
        "Return each token's log probability with the reply; F6 shows them coloured.",
        "true / false",
    ),
    ParamSpec(
        "top_logprobs",
        "int",
        "With logprobs on: how many likely alternatives to list for each token.",
        "0–20",
        0,
        20,
        1,
    ),
    ParamSpec(
        "response_format",
        "choice",
        "JSON mode makes the reply valid JSON; you must also ask for "
        "JSON in a message, or the model may emit whitespace until max_tokens.",
        "text / json_object",
        choices=("text", "json_object"),
    ),
    ParamSpec(
        "stream", "bool", "Stream the reply token by token as server-sent events.", "true / false"
    ),
    ParamSpec(
        "include_usage",
        "bool",
        "With streaming, ask for a final chunk with token usage (stream_options.include_usage).",
        "true / false",
    ),
    ParamSpec(
        "user",
        "text",
        "An end-user id for abuse monitoring.",
        "string",
        warning="RedPill documents user as NOT SUPPORTED.",
    ),
)

SPEC_BY_NAME = {s.name: s for s in SPECS}

# Sampling keys of llama.cpp, vLLM and OpenRouter that the API reference does not have: the
# sidebar offers fields for them (shortcuts into the extra body, where they are kept) when
# the server looks like llama.cpp or vLLM, or the model lists them as supported.
EXTRA_SPECS: tuple[ParamSpec, ...] = (
    ParamSpec(
        "top_k",
        "int",
        "Sample only from the k most likely tokens (llama.cpp, vLLM, OpenRouter); "
        "0 (llama.cpp) or -1 (vLLM) turns it off.",
        "-1 or more",
        -1,
        None,
        1,
    ),
    ParamSpec(
        "min_p",
        "float",
        "Drop tokens less likely than min_p times the most likely one (llama.cpp, vLLM, "
        "OpenRouter); 0 turns it off.",
        "0–1",
        0,
        1,
        0.01,
    ),
    ParamSpec(
        "repetition_penalty",
        "float",
        "Above 1 discourages repeating tokens of the prompt and the reply, below 1 "
        "encourages it (vLLM, OpenRouter); 1 turns it off.",
        "0–2",
        0,
        2,
        0.05,
    ),
)
EXTRA_SPEC_BY_NAME = {s.name: s for s in EXTRA_SPECS}


class ParamValueError(ValueError):
    pass


def _number(spec: ParamSpec, text: str) -> int | float:
    try:
        value: int | float = int(text) if spec.kind == "int" else float(text)
    except ValueError:
        kind = "an integer" if spec.kind == "int" else "a number"
        raise ParamValueError(f"{spec.name} must be {kind} ({spec.range})") from None
    if spec.kind == "float" and float(value).is_integer() and "." not in text:
        value = int(value)
    if (spec.lo is not None and value < spec.lo) or (spec.hi is not None and value > spec.hi):
        raise ParamValueError(f"{spec.name} must be in {spec.range} (got {text})")
    return value


def parse_value(spec: ParamSpec, text: str) -> Any:
    """Text typed in the sidebar -> a value for the request; '' means not set (None)."""
    text = text.strip()
    if text == "":
        return None
    if spec.kind in ("int", "float"):
        return _number(spec, text)
    if spec.kind == "bool":
        if text.lower() in ("true", "on", "yes", "1"):
            return True
        if text.lower() in ("false", "off", "no", "0"):
            return False
        raise ParamValueError(f"{spec.name} must be true or false")
    if spec.kind == "choice":
        if text not in spec.choices:
            raise ParamValueError(f"{spec.name} must be one of {', '.join(spec.choices)}")
        return text
    if spec.kind == "logit_bias":
        return parse_logit_bias(text)
    return text


def parse_logit_bias(text: str) -> dict[str, int]:
    text = text.strip()
    if text.startswith("{"):
        try:
            raw = json.loads(text)
        except ValueError as exc:
            raise ParamValueError(f"logit_bias is not valid JSON: {exc}") from None
        pairs = list(raw.items()) if isinstance(raw, dict) else []
    else:
        pairs = []
        for item in text.replace(";", ",").split(","):
            if not item.strip():
                continue
            token, sep, bias = item.partition(":")
            if not sep:
                raise ParamValueError(f"logit_bias: write token:bias pairs (got {item.strip()!r})")
            pairs.append((token.strip(), bias.strip()))
    out: dict[str, int] = {}
    for token, bias in pairs:
        if not str(token).isdigit():
            raise ParamValueError(f"logit_bias: token id {token!r} must be a non-negative integer")
        try:
            value = int(bias)
        except (TypeError, ValueError):
            raise ParamValueError(
                f"logit_bias: bias for token {token} must be an integer"
            ) from None
        if not -100 <= value <= 100:
            raise ParamValueError(
                f"logit_bias: bias for token {token} must be -100…100 (got {value})"
            )
        out[str(token)] = value
    return out


def format_value(spec: ParamSpec, value: Any) -> str:
    if value is None:
        return ""
    if spec.kind == "bool":
        return "true" if value else "false"
    if spec.kind == "logit_bias" and isinstance(value, dict):
        return ", ".join(f"{k}:{v}" for k, v in value.items())
    return str(value)


def nudge(spec: ParamSpec, text: str, direction: int) -> str:
    """Step a number up or down by its step, clamped to its range."""
    try:
        current = (
            float(text)
            if text.strip()
            else (spec.lo if spec.lo is not None and spec.lo > 0 else 0.0)
        )
    except ValueError:
        return text
    value = current + direction * spec.step
    if spec.lo is not None:
        value = max(spec.lo, value)
    if spec.hi is not None:
        value = min(spec.hi, value)
    if spec.kind == "int":
        return str(int(round(value)))
    return f"{round(value, 4):g}"


# What the app sets when nothing else does (sidebar names): replies stream, and a stream
# ends with token usage, so the meta line can count tokens. The sidebar marks these as
# "app default" rather than "set"; both can be turned off there.
APP_DEFAULTS: dict[str, Any] = {"stream": True, "include_usage": True}


def params_to_request(values: dict[str, Any]) -> dict[str, Any]:
    """Sidebar values -> request parameters (response_format and include_usage reshaped)."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if value is None:
            continue
        if key == "response_format":
            # (a json_schema one, which the sidebar's choice cannot hold, is kept whole)
            out["response_format"] = value if isinstance(value, dict) else {"type": value}
        elif key == "include_usage":
            out["stream_options"] = {"include_usage": value}
        elif key == "stop":
            if value:
                out["stop"] = value
        else:
            out[key] = value
    return prune_stream_options(out)


def request_to_params(params: dict[str, Any]) -> dict[str, Any]:
    """Request parameters -> sidebar values (inverse of :func:`params_to_request`)."""
    out = dict(params)
    rf = out.pop("response_format", None)
    if isinstance(rf, dict) and rf.get("type") in ("text", "json_object"):
        out["response_format"] = rf["type"]
    elif rf is not None:
        out["response_format"] = rf  # json_schema: whole
    so = out.pop("stream_options", None)
    if isinstance(so, dict) and "include_usage" in so:
        out["include_usage"] = so["include_usage"]
    if isinstance(out.get("stop"), str):
        out["stop"] = [out["stop"]]
    return out


def hints(params: dict[str, Any], messages: list[dict[str, Any]]) -> list[str]:
    """Advice like the API reference's own, for the sidebar and before sending."""
    out = []
    if params.get("temperature") is not None and params.get("top_p") is not None:
        out.append("Both temperature and top_p are set: the API recommends changing one, not both.")
    rf = params.get("response_format")
    if isinstance(rf, dict) and rf.get("type") == "json_object" and not mentions_json(messages):
        out.append(
            "JSON mode is on but no message mentions JSON: the model may emit whitespace until "
            "max_tokens. Ask for JSON in the system prompt or your message."
        )
    if params.get("user") is not None:
        out.append("RedPill does not support the user parameter.")
    if params.get("max_tokens") is not None and params.get("max_completion_tokens") is not None:
        out.append(
            "Both max_tokens and max_completion_tokens are set: reasoning models refuse "
            "max_tokens; set one."
        )
    if params.get("top_logprobs") is not None and params.get("logprobs") is not True:
        out.append("top_logprobs needs logprobs on: the API refuses it otherwise.")
    return out


def mentions_json(messages: list[dict[str, Any]]) -> bool:
    return any("json" in content_text(m.get("content")).lower() for m in messages)
