"""Pydantic models of what a server answers: chunks, complete responses, model lists.

Lenient: providers add fields and vary types, so unknown fields are ignored and most
fields are optional. Fields nothing reads are not parsed: the raw exchange keeps them."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


def _list_or_empty(v: Any) -> Any:
    # Some OpenAI-compatible providers send ``"choices": null`` on a usage-only chunk.
    return [] if v is None else v


class Usage(_Lenient):
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    total_tokens: int | None = None
    prompt_tokens_details: dict[str, Any] | None = None
    completion_tokens_details: dict[str, Any] | None = None


class ErrorObject(_Lenient):
    message: str = ""
    type: str | None = None
    code: str | int | None = None
    param: str | None = None


class DeltaFunctionCall(_Lenient):
    name: str | None = None
    arguments: str | None = None


class DeltaToolCall(_Lenient):
    index: int | None = None
    id: str | None = None
    type: str | None = None
    function: DeltaFunctionCall | None = None


class Delta(_Lenient):
    role: str | None = None
    content: str | None = None
    refusal: str | None = None
    reasoning_content: str | None = None
    reasoning: str | None = None
    tool_calls: list[DeltaToolCall] | None = None
    function_call: DeltaFunctionCall | None = None


class _Choice(_Lenient):
    """What a choice says of itself, in a chunk and in a whole response."""

    index: int = 0
    logprobs: dict[str, Any] | None = None
    finish_reason: str | None = None


class _Reply(_Lenient):
    """What a chunk and a whole response say of themselves (their ``choices`` differ)."""

    id: str | None = None
    object: str | None = None
    created: int | None = None
    model: str | None = None
    system_fingerprint: str | None = None
    usage: Usage | None = None
    # llama.cpp's own measurements (prompt_per_second, predicted_per_second, …).
    timings: dict[str, Any] | None = None

    _null_choices = field_validator("choices", mode="before", check_fields=False)(_list_or_empty)


class ChunkChoice(_Choice):
    delta: Delta | None = None


class ChatCompletionChunk(_Reply):
    choices: list[ChunkChoice] = Field(default_factory=list)
    error: ErrorObject | str | None = None


class ResponseMessage(_Lenient):
    role: str | None = "assistant"
    content: str | None = None
    refusal: str | None = None
    reasoning_content: str | None = None
    reasoning: str | None = None
    tool_calls: list[dict[str, Any]] | None = None
    function_call: dict[str, Any] | None = None


class ResponseChoice(_Choice):
    message: ResponseMessage = Field(default_factory=ResponseMessage)


class ChatCompletion(_Reply):
    choices: list[ResponseChoice] = Field(default_factory=list)


class ModelInfo(_Lenient):
    id: str
    name: str | None = None
    owned_by: str | None = None
    context_length: int | None = None
    max_output_length: int | None = None
    pricing: dict[str, Any] | None = None
    is_tee: bool | None = None
    supported_parameters: list[str] | None = None
    description: str | None = None
    # OpenRouter: {"input_modalities": ["text", "image"], …}
    architecture: dict[str, Any] | None = None

    @model_validator(mode="before")
    @classmethod
    def _context_from_meta(cls, data: Any) -> Any:
        # llama-server reports the context size as meta.n_ctx.
        if isinstance(data, dict) and data.get("context_length") is None:
            meta = data.get("meta")
            if isinstance(meta, dict) and isinstance(meta.get("n_ctx"), int):
                data = {**data, "context_length": meta["n_ctx"]}
        return data


class ModelList(_Lenient):
    data: list[ModelInfo] = Field(default_factory=list)
