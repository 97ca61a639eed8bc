"""Turning pydantic validation errors into located, readable problems."""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from lab.errors import Problem
from lab.yamlsource import Document, Path

_TYPE_NAMES = {bool: "boolean", int: "number", float: "number", str: "string", list: "list",
               dict: "mapping", type(None): "null"}
_EXPECTED = {
    "string_type": "a string", "int_type": "a whole number", "int_parsing": "a whole number",
    "float_type": "a number", "float_parsing": "a number", "bool_type": "true or false",
    "bool_parsing": "true or false", "list_type": "a list", "dict_type": "a mapping",
    "model_type": "a mapping", "model_attributes_type": "a mapping",
}


def suggest(name: str, candidates: typing.Iterable[str]) -> str:
    """Return a "did you mean" hint for a near-miss name, or an empty string."""
    matches = difflib.get_close_matches(str(name), list(candidates), n=1, cutoff=0.6)
    return f"did you mean {matches[0]!r}?" if matches else ""


def describe(value: Any) -> str:
    kind = _TYPE_NAMES.get(type(value), type(value).__name__)
    if isinstance(value, (dict, list)):
        return kind
    shown = repr(value)
    return f"{kind} {shown[:60]}{'...' if len(shown) > 60 else ''}"


def problems_from(error: ValidationError, doc: Document, root: type[BaseModel]) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    for item in error.errors(include_url=False):
        path = _data_path(doc.data, item["loc"], item["type"])
        problem = _problem(item, path, doc, root)
        key = (problem.path, problem.message)
        if key not in seen:
            seen.add(key)
            problems.append(problem)
    return problems


def _data_path(data: Any, loc: tuple[Any, ...], kind: str) -> Path:
    """Keep the parts of a pydantic location that exist in the data (dropping union tags)."""
    path: list[str | int] = []
    node = data
    for index, part in enumerate(loc):
        last = index == len(loc) - 1
        if isinstance(node, dict) and isinstance(part, str) and part in node:
            path.append(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            path.append(part)
            node = node[part]
        elif last and kind in ("missing", "extra_forbidden") and isinstance(part, str):
            path.append(part)
    return tuple(path)


def _problem(item: Any, path: Path, doc: Document, root: type[BaseModel]) -> Problem:
    kind = item["type"]
    value = item.get("input")
    if kind == "extra_forbidden":
        allowed = _fields_at(root, path[:-1])
        hint = suggest(str(path[-1]), allowed) or (f"expected one of: {', '.join(allowed)}" if allowed else "")
        return doc.problem(path, f"unknown key {path[-1]!r}", hint, at_key=True)
    if kind == "missing":
        return doc.problem(path[:-1], f"missing required key {path[-1]!r}")
    if kind in _EXPECTED:
        hint = ""
        if isinstance(value, bool) and kind == "string_type":
            hint = "quote it: YAML reads this word as a boolean"
        return doc.problem(path, f"expected {_EXPECTED[kind]}, got {describe(value)}", hint)
    if kind == "string_pattern_mismatch":
        return doc.problem(path, f"invalid name {value!r}: use lower-case letters, digits, '-', '.' "
                           "or '_', starting and ending with a letter or digit, at most 63 characters")
    if kind in ("enum", "literal_error"):
        expected = item.get("ctx", {}).get("expected", "")
        options = [part.strip(" '") for part in expected.replace(" or ", ",").split(",") if part.strip(" '")]
        hint = suggest(str(value), options)
        return doc.problem(path, f"invalid value {value!r}: expected {expected}", hint)
    if kind == "too_short":
        return doc.problem(path, "must not be empty")
    message = str(item["msg"]).removeprefix("Value error, ")
    message = message[:1].lower() + message[1:]
    if value is not None and not isinstance(value, (dict, list)) and kind not in ("value_error",):
        message = f"{message}, got {describe(value)}"
    return doc.problem(path, message)


def _fields_at(root: type[BaseModel], path: Path) -> list[str]:
    """List the keys allowed at `path` by walking the model's annotations."""
    model: Any = root
    for part in path:
        if isinstance(part, int):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return []
        field = next((f for n, f in model.model_fields.items() if (f.alias or n) == part), None)
        if field is None:
            return []
        model = _model_in(field.annotation)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return [f.alias or n for n, f in model.model_fields.items()]
    return []


def _model_in(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, list, typing.Annotated):
        for arg in typing.get_args(annotation):
            found = _model_in(arg)
            if found is not None:
                return found
    return None
