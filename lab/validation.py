"""Turning pydantic validation errors into located, readable problems."""

from __future__ import annotations

import difflib
import math
import types
import typing
import unicodedata
from typing import Any

import annotated_types
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

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
_RANGE_ERRORS = ("greater_than", "greater_than_equal", "less_than", "less_than_equal")
# Words that YAML 1.1 read as booleans but YAML 1.2, which the loader follows, reads as strings.
_YAML11_BOOLEANS = {"yes", "no", "on", "off", "y", "n"}
_NAME_RULE = ("use lower-case letters, digits, '-', '.' or '_', starting and ending with a letter or digit, "
              "at most 63 characters")


def suggest(name: str, candidates: typing.Iterable[str]) -> str:
    """Return a "did you mean" hint for a near-miss name, or an empty string."""
    matches = difflib.get_close_matches(str(name), list(candidates), n=1, cutoff=0.6)
    return f"did you mean {matches[0]!r}?" if matches else ""


def describe(value: Any) -> str:
    """Describe a value by its YAML type and, for a scalar, its value as YAML writes it."""
    kind = _TYPE_NAMES.get(type(value), type(value).__name__)
    if isinstance(value, (dict, list)):
        return kind
    if value is None:
        return kind
    if isinstance(value, bool):
        return f"{kind} {str(value).lower()}"
    if isinstance(value, float) and not math.isfinite(value):
        return f"{kind} {'.nan' if math.isnan(value) else ('-.inf' if value < 0 else '.inf')}"
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
        return doc.problem(path, f"expected {_EXPECTED[kind]}, got {describe(value)}", _type_hint(kind, value))
    if kind == "string_pattern_mismatch":
        return doc.problem(path, f"invalid name {value!r}: {_NAME_RULE}", _name_hint(str(value)))
    if kind in ("enum", "literal_error"):
        expected = item.get("ctx", {}).get("expected", "")
        options = [part.strip(" '") for part in expected.replace(" or ", ",").split(",") if part.strip(" '")]
        hint = suggest(str(value), options)
        return doc.problem(path, f"invalid value {value!r}: expected {expected}", hint)
    if kind in _RANGE_ERRORS:
        return _range_problem(item, path, doc, root)
    if kind in ("too_short", "string_too_short") and item.get("ctx", {}).get("min_length") == 1:
        return doc.problem(path, "must not be empty")
    if kind == "string_too_long":
        limit = item.get("ctx", {}).get("max_length")
        return doc.problem(path, f"too long: {len(value):,} characters, more than the limit of {limit}")
    message = str(item["msg"]).removeprefix("Value error, ")
    message = message[:1].lower() + message[1:]
    if value is not None and not isinstance(value, (dict, list)) and kind not in ("value_error",):
        message = f"{message}, got {describe(value)}"
    return doc.problem(path, message)


def _type_hint(kind: str, value: Any) -> str:
    """Suggest the edit that turns a value of the wrong type into the expected one."""
    if isinstance(value, str) and value.lower() in _YAML11_BOOLEANS:
        return f"write true or false: YAML 1.2 reads {value!r} as a string"
    if kind == "string_type" and isinstance(value, bool):
        return "quote it: YAML reads this word as a boolean"
    if kind == "string_type" and isinstance(value, (int, float)):
        return "quote it: YAML reads this value as a number"
    if kind in ("int_type", "int_parsing") and isinstance(value, float) and value.is_integer():
        return f"write {int(value)} without a decimal point or exponent"
    if kind == "list_type" and not isinstance(value, (list, dict)):
        return "write a list: [a, b] or one '- item' line per entry"
    return ""


def _name_hint(name: str) -> str:
    """Point out the first character that breaks the name rule, such as a look-alike letter from another script."""
    for position, character in enumerate(name, start=1):
        if not character.isascii():
            code = f"U+{ord(character):04X}"
            label = unicodedata.name(character, "")
            return f"character {position} is {code} {label}".rstrip() + ", not an ASCII letter"
    if name.lower() != name:
        return f"use lower case: {name.lower()!r}"
    if " " in name:
        return f"use '-' in place of spaces: {name.replace(' ', '-')!r}"
    return ""


def _range_problem(item: Any, path: Path, doc: Document, root: type[BaseModel]) -> Problem:
    """Describe a number outside its allowed range, with both bounds when the field has them."""
    value = item.get("input")
    field = _field_at(root, path)
    base, bounds = _bounds(field) if field is not None else (None, {})
    bounds = bounds or dict(item.get("ctx", {}))
    noun = "a whole number" if base is int else "a number"
    if "ge" in bounds and "le" in bounds:
        allowed = f"{noun} from {_number(bounds['ge'])} to {_number(bounds['le'])}"
    else:
        parts = []
        if "ge" in bounds:
            parts.append(f"at least {_number(bounds['ge'])}")
        if "gt" in bounds:
            parts.append(f"greater than {_number(bounds['gt'])}")
        if "le" in bounds:
            parts.append(f"at most {_number(bounds['le'])}")
        if "lt" in bounds:
            parts.append(f"less than {_number(bounds['lt'])}")
        allowed = f"{noun} that is {' and '.join(parts)}"
    hint = ""
    if (bounds.get("ge") == 0 and bounds.get("le") == 1 and isinstance(value, (int, float))
            and float(value).is_integer() and 1 < value <= 100):
        hint = f"a probability is a fraction: write {_number(value)}% as {_number(value / 100)}"
    return doc.problem(path, f"expected {allowed}, got {describe(value)}", hint)


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def _bounds(field: FieldInfo) -> tuple[type | None, dict[str, Any]]:
    """Return the number type and the ge/gt/le/lt bounds of a field, looking inside Optional and Annotated."""
    bounds: dict[str, Any] = {}
    base: type | None = None

    def visit(annotation: Any, metadata: typing.Iterable[Any]) -> None:
        nonlocal base
        for item in metadata:
            if isinstance(item, FieldInfo):
                visit(None, item.metadata)
            for name, kind in (("ge", annotated_types.Ge), ("gt", annotated_types.Gt),
                               ("le", annotated_types.Le), ("lt", annotated_types.Lt)):
                if isinstance(item, kind):
                    bounds[name] = getattr(item, name)
        if annotation in (int, float):
            base = base or annotation
        elif typing.get_origin(annotation) is typing.Annotated:
            first, *extra = typing.get_args(annotation)
            visit(first, extra)
        elif typing.get_origin(annotation) in (typing.Union, types.UnionType):
            for arg in typing.get_args(annotation):
                visit(arg, ())

    visit(field.annotation, field.metadata)
    return base, bounds


def _model_at(root: type[BaseModel], path: Path) -> Any:
    """Return the model class that describes the mapping at `path`, or None."""
    model: Any = root
    for part in path:
        if isinstance(part, int):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        field = _named_field(model, part)
        if field is None:
            return None
        model = _model_in(field.annotation)
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _named_field(model: type[BaseModel], key: str | int) -> FieldInfo | None:
    return next((f for n, f in model.model_fields.items() if (f.alias or n) == key), None)


def _field_at(root: type[BaseModel], path: Path) -> FieldInfo | None:
    """Return the field that describes the value at `path`, or None for a list item or an unknown key."""
    if not path or isinstance(path[-1], int):
        return None
    model = _model_at(root, path[:-1])
    return _named_field(model, path[-1]) if model is not None else None


def _fields_at(root: type[BaseModel], path: Path) -> list[str]:
    """List the keys allowed at `path` by walking the model's annotations."""
    model = _model_at(root, path)
    if model is None:
        return []
    return [f.alias or n for n, f in model.model_fields.items()]


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
