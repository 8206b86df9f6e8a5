"""The chat-completions request: its model, the allowed ranges, and validation that says
in words what is wrong.

The request model covers every parameter of the API reference. A parameter the user has
not set is left out of the body (``ChatRequest.body()``), never sent as its default. The
pieces a request holds (messages, tools, formats) are in :mod:`.request_parts`; what a
server answers is in :mod:`.responses`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from .errors import InvalidParameter
from .request_parts import (
    FunctionMessage,
    LegacyFunctionDef,
    Message,
    NamedFunction,
    NamedToolChoice,
    ResponseFormat,
    StreamOptions,
    Tool,
)

# ---------------------------------------------------------------------------------------
# The request

# The values the API reference lists for reasoning_effort.
REASONING_EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh", "max")
ReasoningEffort = Literal["none", "minimal", "low", "medium", "high", "xhigh", "max"]


class ChatRequest(BaseModel):
    """The body of ``POST /chat/completions``.

    Extra top-level keys are kept and sent as they are, so provider-specific parameters
    (``top_k``, ``min_p``, ``reasoning_effort`` ...) can be explored by hand.
    """

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    model: str = Field(min_length=1)
    messages: list[Message] = Field(min_length=1)
    n: int | None = Field(default=None, ge=1, le=128)
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, ge=0, le=1)
    max_tokens: int | None = Field(default=None, ge=1)
    presence_penalty: float | None = Field(default=None, ge=-2, le=2)
    frequency_penalty: float | None = Field(default=None, ge=-2, le=2)
    logit_bias: dict[str, int] | None = None
    response_format: ResponseFormat | None = None
    seed: int | None = None
    stop: str | list[str] | None = None
    stream: bool | None = None
    stream_options: StreamOptions | None = None
    tools: list[Tool] | None = Field(default=None, max_length=128)
    tool_choice: Literal["none", "auto", "required"] | NamedToolChoice | None = None
    functions: list[LegacyFunctionDef] | None = Field(default=None, min_length=1, max_length=128)
    function_call: Literal["none", "auto"] | NamedFunction | None = None
    user: str | None = None
    logprobs: bool | None = None
    top_logprobs: int | None = Field(default=None, ge=0, le=20)
    # Reasoning models: max_tokens is refused there; this counts reasoning tokens too.
    max_completion_tokens: int | None = Field(default=None, ge=1)
    reasoning_effort: ReasoningEffort | None = None

    @field_validator(
        "n",
        "max_tokens",
        "max_completion_tokens",
        "seed",
        "top_logprobs",
        "temperature",
        "top_p",
        "presence_penalty",
        "frequency_penalty",
        mode="before",
    )
    @classmethod
    def _no_bool_for_number(cls, v: Any, info: Any) -> Any:
        # Lax mode would send ``true`` as 1.
        if isinstance(v, bool):
            raise ValueError(f"must be {RANGES[info.field_name]} (got {v!r})")
        return v

    @field_validator("stream", "logprobs", mode="before")
    @classmethod
    def _real_bool(cls, v: Any, info: Any) -> Any:
        # Lax mode would read "yes", "off" or 0 as a boolean.
        if v is not None and not isinstance(v, bool):
            raise ValueError(f"must be {RANGES[info.field_name]} (got {v!r})")
        return v

    @field_validator("logit_bias")
    @classmethod
    def _logit_bias(cls, v: dict[str, int] | None) -> dict[str, int] | None:
        if v is None:
            return v
        for token, bias in v.items():
            if not str(token).isdigit():
                raise ValueError(f"token id {token!r} must be a non-negative integer")
            if not -100 <= bias <= 100:
                raise ValueError(
                    f"bias for token {token} must be between -100 and 100 (got {bias})"
                )
        return v

    @field_validator("stop")
    @classmethod
    def _stop(cls, v: str | list[str] | None) -> str | list[str] | None:
        if isinstance(v, list):
            if not 1 <= len(v) <= 4:
                raise ValueError(f"takes 1 to 4 sequences (got {len(v)})")
            if any(s == "" for s in v):
                raise ValueError("a stop sequence cannot be empty")
        elif v == "":
            raise ValueError("a stop sequence cannot be empty")
        return v

    @model_validator(mode="after")
    def _cross_checks(self) -> ChatRequest:
        names = [t.function.name for t in self.tools or []]
        dupes = {n for n in names if names.count(n) > 1}
        if dupes:
            raise ValueError(f"tools: duplicate function name(s) {', '.join(sorted(dupes))}")
        if (
            isinstance(self.tool_choice, NamedToolChoice)
            and self.tool_choice.function.name not in names
        ):
            raise ValueError(
                f"tool_choice names {self.tool_choice.function.name!r}, which is not among the tools"
            )
        if self.tool_choice is not None and not self.tools:
            raise ValueError("tool_choice is only allowed when tools are given")
        fnames = [f.name for f in self.functions or []]
        if isinstance(self.function_call, NamedFunction) and self.function_call.name not in fnames:
            raise ValueError(
                f"function_call names {self.function_call.name!r}, which is not among the functions"
            )
        if self.stream_options is not None and not self.stream:
            raise ValueError("stream_options is only allowed when stream is true")
        return self

    def body(self) -> dict[str, Any]:
        """The JSON body to send: only what was set, no nulls the user did not ask for."""
        body = self.model_dump(mode="json", exclude_none=True, by_alias=True)
        for msg, out in zip(self.messages, body["messages"], strict=True):
            if isinstance(msg, FunctionMessage):
                # ``content`` is required (nullable) in a function message.
                out.setdefault("content", None)
        return body


# Allowed ranges, named for error messages and the sidebar.
RANGES: dict[str, str] = {
    "n": "an integer from 1 to 128",
    "temperature": "a number from 0 to 2",
    "top_p": "a number from 0 to 1",
    "max_tokens": "an integer of at least 1",
    "presence_penalty": "a number from -2 to 2",
    "frequency_penalty": "a number from -2 to 2",
    "logit_bias": "an object mapping token ids to integers from -100 to 100",
    "response_format": '{"type": "text"}, {"type": "json_object"} or {"type": "json_schema", ...}',
    "seed": "an integer",
    "stop": "a string or a list of up to 4 strings",
    "stream": "true or false",
    "stream_options": '{"include_usage": true|false}, with stream on',
    "tools": "a list of function tools",
    "tool_choice": '"none", "auto", "required" or {"type": "function", "function": {"name": ...}}',
    "functions": "a list of function definitions (deprecated)",
    "function_call": '"none", "auto" or {"name": ...} (deprecated)',
    "user": "a string (not supported by RedPill)",
    "model": "a model id",
    "messages": "a non-empty list of messages",
    "top_logprobs": "an integer from 0 to 20",
    "logprobs": "true or false",
    "max_completion_tokens": "an integer of at least 1",
    "reasoning_effort": "one of " + ", ".join(REASONING_EFFORTS),
}


# Errors of shape whose pydantic message does not say what is allowed.
_SHAPE_ERRORS = {
    "literal_error",
    "union_tag_invalid",
    "union_tag_not_found",
    "string_type",
    "string_too_short",
    "dict_type",
    "list_type",
    "model_type",
    "model_attributes_type",
    "too_short",
    "too_long",
    "extra_forbidden",
    "missing",
}


def _explain(err: dict[str, Any]) -> InvalidParameter:
    loc = [str(p) for p in err.get("loc", ())]
    msg = str(err.get("msg", "invalid value"))
    msg = msg.removeprefix("Value error, ")
    if not loc:
        # Cross-parameter checks say "param: reason" themselves.
        head, sep, rest = msg.partition(" ")
        param = head.rstrip(":") if head.rstrip(":") in RANGES else "request"
        return InvalidParameter(param, rest if head.endswith(":") else msg)
    param = loc[0]
    allowed = RANGES.get(param)
    got = err.get("input")
    if (
        err.get("type")
        in {
            "greater_than_equal",
            "less_than_equal",
            "greater_than",
            "less_than",
            "int_parsing",
            "float_parsing",
            "int_from_float",
            "bool_parsing",
            "int_type",
            "float_type",
            "bool_type",
        }
        and allowed
    ):
        text = f"must be {allowed} (got {got!r})"
    else:
        where = ".".join(loc[1:])
        text = f"{where}: {msg}" if where else msg
        if allowed and err.get("type") in _SHAPE_ERRORS:
            text += f" (allowed: {allowed})"
    return InvalidParameter(param, text)


def validate_request(body: dict[str, Any]) -> ChatRequest:
    """Build a :class:`ChatRequest`, raising :class:`InvalidParameter` for the first problem."""
    try:
        return ChatRequest.model_validate(body)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        # Prefer a range error, then the deepest one: the other branches of a union
        # (``content: str | list[...]``) only say the value is not a string.
        errors.sort(
            key=lambda e: (
                e.get("type") not in {"greater_than_equal", "less_than_equal"},
                -len(e.get("loc", ())),
            )
        )
        raise _explain(errors[0]) from None
