"""Pydantic models of what a chat-completions request holds: message content parts, the
messages, tools, functions and response formats. Strict: an unknown field is an error, so
a typo is reported before anything is sent (the request itself is in :mod:`.schema`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from .shapes import NAME_RE, NAME_RULE


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


# ---------------------------------------------------------------------------------------
# Message content parts


class TextPart(_Strict):
    type: Literal["text"] = "text"
    text: str


class ImageURL(_Strict):
    url: str
    detail: Literal["auto", "low", "high"] | None = None


class ImagePart(_Strict):
    type: Literal["image_url"] = "image_url"
    image_url: ImageURL


class InputAudio(_Strict):
    data: str
    format: Literal["wav", "mp3"]


class AudioPart(_Strict):
    type: Literal["input_audio"] = "input_audio"
    input_audio: InputAudio


class RefusalPart(_Strict):
    type: Literal["refusal"] = "refusal"
    refusal: str


UserPart = Annotated[TextPart | ImagePart | AudioPart, Field(discriminator="type")]
AssistantPart = Annotated[TextPart | RefusalPart, Field(discriminator="type")]


# ---------------------------------------------------------------------------------------
# Messages


class FunctionCall(_Strict):
    name: str
    arguments: str


class ToolCall(_Strict):
    id: str
    type: Literal["function"] = "function"
    function: FunctionCall


class SystemMessage(_Strict):
    role: Literal["system"] = "system"
    content: str | list[TextPart]
    name: str | None = None


class DeveloperMessage(_Strict):
    role: Literal["developer"] = "developer"
    content: str | list[TextPart]
    name: str | None = None


class UserMessage(_Strict):
    role: Literal["user"] = "user"
    content: str | list[UserPart]
    name: str | None = None


class AssistantMessage(_Strict):
    role: Literal["assistant"] = "assistant"
    content: str | list[AssistantPart] | None = None
    refusal: str | None = None
    name: str | None = None
    tool_calls: list[ToolCall] | None = None
    function_call: FunctionCall | None = None
    # A reply's reasoning sent back with the history, when the user asks (not in the
    # API reference: DeepSeek, llama.cpp and vLLM read reasoning_content; OpenRouter,
    # vLLM and Ollama reasoning).
    reasoning_content: str | None = None
    reasoning: str | None = None

    @model_validator(mode="after")
    def _has_something(self) -> AssistantMessage:
        if self.content is None and not self.tool_calls and self.function_call is None:
            raise ValueError("an assistant message needs content, tool_calls or function_call")
        return self


class ToolMessage(_Strict):
    role: Literal["tool"] = "tool"
    content: str | list[TextPart]
    tool_call_id: str


class FunctionMessage(_Strict):
    role: Literal["function"] = "function"
    content: str | None
    name: str


Message = Annotated[
    SystemMessage
    | DeveloperMessage
    | UserMessage
    | AssistantMessage
    | ToolMessage
    | FunctionMessage,
    Field(discriminator="role"),
]


# ---------------------------------------------------------------------------------------
# Tools, functions, formats


def _check_name(value: str) -> str:
    if not NAME_RE.match(value):
        raise ValueError(f"function name {value!r} must be {NAME_RULE}")
    return value


# A function (or JSON schema) name: what the API accepts, said in words when it is not.
FunctionName = Annotated[str, AfterValidator(_check_name)]


class FunctionDef(_Strict):
    name: FunctionName
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None

    @field_validator("parameters")
    @classmethod
    def _parameters_is_schema_object(cls, v: dict[str, Any] | None) -> dict[str, Any] | None:
        if v is not None and "type" in v and v["type"] != "object":
            raise ValueError("parameters must be a JSON Schema of type 'object'")
        return v


class LegacyFunctionDef(_Strict):
    """An entry of the deprecated ``functions`` array (no ``strict``)."""

    name: FunctionName
    description: str | None = None
    parameters: dict[str, Any] | None = None


class Tool(_Strict):
    type: Literal["function"] = "function"
    function: FunctionDef


class NamedFunction(_Strict):
    name: str


class NamedToolChoice(_Strict):
    type: Literal["function"] = "function"
    function: NamedFunction


class StreamOptions(_Strict):
    include_usage: bool | None = None


class ResponseFormatText(_Strict):
    type: Literal["text"] = "text"


class ResponseFormatJsonObject(_Strict):
    type: Literal["json_object"] = "json_object"


class JsonSchemaSpec(_Strict):
    name: FunctionName
    description: str | None = None
    schema_: dict[str, Any] | None = Field(default=None, alias="schema")
    strict: bool | None = None


class ResponseFormatJsonSchema(_Strict):
    type: Literal["json_schema"] = "json_schema"
    json_schema: JsonSchemaSpec


ResponseFormat = Annotated[
    ResponseFormatText | ResponseFormatJsonObject | ResponseFormatJsonSchema,
    Field(discriminator="type"),
]
