"""Tool definitions as the user edits them, their validation, import/export, and the
checking of a model's tool-call arguments against a tool's schema."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from ..api.shapes import NAME_RE, NAME_RULE

DEFAULT_PARAMETERS = '{\n  "type": "object",\n  "properties": {},\n  "required": []\n}'


@dataclass
class ToolSpec:
    """One tool as edited: the schema is kept as text so nothing typed is ever lost."""

    name: str = ""
    description: str = ""
    parameters: str = DEFAULT_PARAMETERS
    strict: bool = False
    enabled: bool = True
    canned_result: str = ""

    def problems(self, others: list[ToolSpec] | None = None) -> list[str]:
        out = []
        if not NAME_RE.match(self.name):
            out.append(f"name: {NAME_RULE}")
        elif others and any(o is not self and o.name == self.name for o in others):
            out.append(f"name: another tool is also called {self.name!r}")
        schema, error = self.parsed_parameters()
        if error:
            out.append(f"parameters: {error}")
        elif schema is not None:
            out.extend(f"parameters: {p}" for p in schema_problems(schema))
            if self.strict:
                out.extend(f"strict: {p}" for p in strict_problems(schema))
        return out

    def parsed_parameters(self) -> tuple[dict[str, Any] | None, str | None]:
        text = self.parameters.strip()
        if not text:
            return None, None
        try:
            value = json.loads(text)
        except ValueError as exc:
            return None, f"not valid JSON: {exc}"
        if not isinstance(value, dict):
            return None, "must be a JSON object (a JSON Schema of type object)"
        return value, None

    def to_tool(self) -> dict[str, Any]:
        fn: dict[str, Any] = {"name": self.name}
        if self.description:
            fn["description"] = self.description
        schema, _ = self.parsed_parameters()
        if schema is not None:
            fn["parameters"] = schema
        if self.strict:
            fn["strict"] = True
        return {"type": "function", "function": fn}

    def to_function(self) -> dict[str, Any]:
        fn = self.to_tool()["function"]
        fn.pop("strict", None)
        return fn

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "parameters": self.parameters,
            "strict": self.strict,
            "enabled": self.enabled,
            "canned_result": self.canned_result,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ToolSpec:
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})

    @classmethod
    def from_tool(cls, tool: Any) -> ToolSpec:
        """From an API tool (``{"type": "function", "function": {...}}``) or a bare function."""
        if not isinstance(tool, dict):
            raise ValueError("each tool must be a JSON object")
        fn = tool.get("function") if tool.get("type") == "function" or "function" in tool else tool
        if not isinstance(fn, dict):
            raise ValueError("a tool's function must be a JSON object")
        name = fn.get("name")
        if not isinstance(name, str):
            raise ValueError("a tool has no name")
        params = fn.get("parameters")
        return cls(
            name=name,
            description=fn.get("description") or "",
            parameters=json.dumps(params, indent=2) if params is not None else "",
            strict=bool(fn.get("strict")),
        )


def schema_problems(schema: dict[str, Any]) -> list[str]:
    """Is ``schema`` a valid JSON Schema of an object?"""
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    out = []
    if "type" in schema and schema["type"] != "object":
        out.append(f'the top level must have "type": "object" (got {json.dumps(schema["type"])})')
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        where = "/".join(str(p) for p in exc.path)
        out.append(f"not a valid JSON Schema{f' at {where}' if where else ''}: {exc.message}")
    return out


def strict_problems(schema: Any, where: str = "") -> list[str]:
    """What strict mode (structured outputs) requires of a schema and ``schema`` lacks:
    every object lists all its properties in ``required`` and sets
    ``additionalProperties: false``, at every level."""
    out: list[str] = []
    if isinstance(schema, list):
        for i, item in enumerate(schema):
            out.extend(strict_problems(item, f"{where}/{i}"))
        return out
    if not isinstance(schema, dict):
        return out
    at = f" at {where}" if where else ""
    is_object = schema.get("type") == "object" or (
        isinstance(schema.get("type"), list) and "object" in schema["type"]
    )
    props = schema.get("properties")
    if is_object or isinstance(props, dict):
        if schema.get("additionalProperties") is not False:
            out.append(f'set "additionalProperties": false{at}')
        if isinstance(props, dict):
            required = schema.get("required") or []
            missing = [k for k in props if k not in required]
            if missing:
                out.append(f"list every property in required{at} (missing: {', '.join(missing)})")
    for key in ("properties", "$defs", "definitions", "patternProperties"):
        sub = schema.get(key)
        if isinstance(sub, dict):
            for name, item in sub.items():
                out.extend(strict_problems(item, f"{where}/{key}/{name}"))
    for key in ("items", "anyOf", "oneOf", "allOf", "prefixItems"):
        if key in schema:
            out.extend(strict_problems(schema[key], f"{where}/{key}"))
    return out


def check_arguments(arguments: str, spec: ToolSpec | None) -> tuple[Any, list[str]]:
    """Parse a call's arguments and validate them against the tool's schema.

    Returns (parsed or None, problems). Problems say what is wrong in words."""
    problems = ["the model called a tool that is not defined"] if spec is None else []
    try:
        value = json.loads(arguments) if arguments.strip() else {}
    except ValueError as exc:
        return None, [*problems, f"arguments are not valid JSON: {exc}"]
    if spec is None:
        return value, problems
    schema, error = spec.parsed_parameters()
    if schema is None or error:
        return value, problems
    from jsonschema import Draft202012Validator

    try:
        validator = Draft202012Validator(schema)
        for err in sorted(validator.iter_errors(value), key=lambda e: list(e.path)):
            where = "/".join(str(p) for p in err.path) or "(top level)"
            problems.append(f"does not match the schema at {where}: {err.message}")
    except Exception as exc:  # a schema the validator cannot use
        problems.append(f"could not validate: {exc}")
    return value, problems


def read_tool_file(text: str, source: str = "file") -> list[tuple[dict[str, Any], ToolSpec]]:
    """A tools file, for ``ask --tools`` and the tool editor alike: the API's ``tools``
    array, ``{"tools": [...]}``, ``{"functions": [...]}``, or an array of bare functions.
    Each tool in API shape (as written; a bare function wrapped) with its spec. Raises
    ValueError saying which file and which tool is wrong, and why."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"{source} is not valid JSON: {exc}") from None
    if isinstance(data, dict) and isinstance(data.get("tools"), list):
        data = data["tools"]
    elif isinstance(data, dict) and isinstance(data.get("functions"), list):
        data = data["functions"]
    if not isinstance(data, list):
        raise ValueError(f"{source} must hold a JSON array of tool definitions")
    out = []
    for i, item in enumerate(data):
        try:
            spec = ToolSpec.from_tool(item)
        except ValueError as exc:
            raise ValueError(f"{source}: tool {i + 1}: {exc}") from None
        if item.get("type") != "function" and "function" not in item:
            item = {"type": "function", "function": item}
        out.append((item, spec))
    return out


def parse_tool_file(text: str, source: str = "file") -> list[ToolSpec]:
    """A tools file (see :func:`read_tool_file`) as specs for the editor."""
    return [spec for _, spec in read_tool_file(text, source)]


def export_tools(specs: list[ToolSpec]) -> str:
    return json.dumps([s.to_tool() for s in specs], indent=2, ensure_ascii=False) + "\n"


def examples() -> dict[str, list[ToolSpec]]:
    """Starter tool sets shipped with the app."""
    out: dict[str, list[ToolSpec]] = {}
    folder = resources.files("tui") / "data" / "tools"
    for item in sorted(folder.iterdir(), key=lambda p: p.name):
        if item.name.endswith(".json"):
            out[item.name.removesuffix(".json")] = parse_tool_file(
                item.read_text("utf-8"), item.name
            )
    return out


@dataclass
class ToolSettings:
    """The tools of a conversation and how they are sent."""

    specs: list[ToolSpec] = field(default_factory=list)
    choice: str = ""  # "", none, auto, required, or a tool name
    legacy: bool = False  # send as functions / function_call (deprecated)

    def enabled(self) -> list[ToolSpec]:
        return [s for s in self.specs if s.enabled]

    def problems(self) -> list[str]:
        out = []
        for spec in self.enabled():
            for p in spec.problems(self.enabled()):
                out.append(f"tool {spec.name or '(unnamed)'}: {p}")
        if self.choice not in ("", "none", "auto", "required") and self.choice not in {
            s.name for s in self.enabled()
        }:
            out.append(f"tool_choice names {self.choice!r}, which is not an enabled tool")
        return out

    def request_params(self) -> dict[str, Any]:
        specs = self.enabled()
        if not specs:
            return {}
        if self.legacy:
            params: dict[str, Any] = {"functions": [s.to_function() for s in specs]}
            if self.choice in ("none", "auto"):
                params["function_call"] = self.choice
            elif self.choice and self.choice != "required":
                params["function_call"] = {"name": self.choice}
            return params
        params = {"tools": [s.to_tool() for s in specs]}
        if self.choice in ("none", "auto", "required"):
            params["tool_choice"] = self.choice
        elif self.choice:
            params["tool_choice"] = {"type": "function", "function": {"name": self.choice}}
        return params

    def spec(self, name: str | None) -> ToolSpec | None:
        return next((s for s in self.specs if s.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "specs": [s.to_dict() for s in self.specs],
            "choice": self.choice,
            "legacy": self.legacy,
        }

    @classmethod
    def from_dict(cls, d: Any) -> ToolSettings:
        if not isinstance(d, dict):
            return cls()
        return cls(
            specs=[ToolSpec.from_dict(s) for s in d.get("specs") or [] if isinstance(s, dict)],
            choice=str(d.get("choice") or ""),
            legacy=bool(d.get("legacy")),
        )
