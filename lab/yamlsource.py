"""Safe YAML loading that keeps the line and column of every value.

The loader follows YAML 1.2 for booleans (only `true`/`false`), so names such
as `no` or keys such as `on` stay strings. It rejects duplicate keys, tags
outside the core schema, multiple documents, non-UTF-8 bytes, and documents
whose aliases expand past a node budget (the "billion laughs" attack).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from lab.errors import Problem, ScenarioError

MAX_BYTES = 5 * 1024 * 1024
MAX_NODES = 200_000
MAX_DEPTH = 64

Path = tuple[str | int, ...]

_CORE_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:merge",
}


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans and without YAML 1.1 sexagesimal numbers."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
for _first in list("0123456789-+."):
    _Loader.yaml_implicit_resolvers[_first] = [
        (tag, rx)
        for tag, rx in _Loader.yaml_implicit_resolvers.get(_first, [])
        if tag not in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
    ]
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$"), list("-+0123456789")
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$|^[-+]?[0-9]+[eE][-+]?[0-9]+$"
               r"|^[-+]?\.(?:inf|Inf|INF)$|^\.(?:nan|NaN|NAN)$"),
    list("-+0123456789."),
)


@dataclass
class Document:
    """A loaded YAML document: plain Python data plus the position of every value."""

    file: str
    data: Any
    marks: dict[Path, tuple[int, int]] = field(default_factory=dict)
    key_marks: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def locate(self, path: Path) -> tuple[int, int]:
        """Return (line, column) of the value at `path`, or of its nearest parent."""
        for end in range(len(path), -1, -1):
            mark = self.marks.get(path[:end])
            if mark is not None:
                return mark
        return (1, 1)

    def locate_key(self, path: Path) -> tuple[int, int]:
        return self.key_marks.get(path) or self.locate(path)

    def problem(self, path: Path, message: str, hint: str = "", at_key: bool = False) -> Problem:
        line, column = self.locate_key(path) if at_key else self.locate(path)
        return Problem(self.file, line, column, format_path(path), message, hint)


def format_path(path: Path) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def load_yaml(raw: bytes, file: str) -> Document:
    """Parse `raw` as a single YAML document.

    Raises:
        ScenarioError: the bytes are not valid UTF-8 YAML within the size limits.
    """
    if len(raw) > MAX_BYTES:
        raise ScenarioError([Problem(file, 1, 1, "", f"file is {len(raw):,} bytes, more than the "
                                     f"limit of {MAX_BYTES:,}", "split the scenario or remove unused parts")])
    text = _decode(raw, file)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        raise ScenarioError([_syntax_problem(exc, file)]) from None
    except yaml.YAMLError as exc:
        raise ScenarioError([Problem(file, 1, 1, "", f"invalid YAML: {exc}")]) from None
    finally:
        loader.dispose()
    doc = Document(file, None)
    if node is None:
        return doc
    builder = _Builder(doc, loader)
    doc.data = builder.build(node, ())
    if builder.problems:
        raise ScenarioError(builder.problems)
    return doc


def _decode(raw: bytes, file: str) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        raise ScenarioError([Problem(file, line, column, "", f"invalid UTF-8 byte 0x{raw[exc.start]:02x}",
                                     "save the file as UTF-8")]) from None
    return text.removeprefix("\ufeff")


def _syntax_problem(exc: yaml.MarkedYAMLError, file: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    problem = exc.problem or "invalid YAML"
    hint = ""
    if "'\\t'" in problem:
        problem = "tab character where indentation or a value was expected"
        hint = "indent with spaces, not tabs"
    elif "expected a single document" in (exc.context or "") or "but found another document" in problem:
        problem = "more than one YAML document"
        hint = "a scenario is one document: remove the extra '---' section"
    elif exc.context:
        problem = f"invalid YAML: {problem} ({exc.context})"
    else:
        problem = f"invalid YAML: {problem}"
    return Problem(file, line, column, "", problem, hint)


class _Builder:
    """Turns a composed node tree into Python data, recording marks and problems."""

    def __init__(self, doc: Document, loader: _Loader) -> None:
        self.doc = doc
        self.loader = loader
        self.nodes = 0
        self.problems: list[Problem] = []

    def _problem(self, node: yaml.Node, path: Path, message: str, hint: str = "") -> None:
        mark = node.start_mark
        self.problems.append(
            Problem(self.doc.file, mark.line + 1, mark.column + 1, format_path(path), message, hint))

    def build(self, node: yaml.Node, path: Path, depth: int = 0) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            self._problem(node, path, f"alias expansion limit exceeded: the document expands to more "
                          f"than {MAX_NODES:,} values", "remove the nested anchors and aliases")
            raise ScenarioError(self.problems)
        if depth > MAX_DEPTH:
            self._problem(node, path, f"nesting deeper than {MAX_DEPTH} levels")
            raise ScenarioError(self.problems)
        self.doc.marks.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
        if node.tag not in _CORE_TAGS:
            self._problem(node, path, f"unsupported YAML tag {node.tag!r}",
                          "scenarios use plain YAML values only; remove the tag")
            return None
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path, depth)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, path + (i,), depth + 1) for i, item in enumerate(node.value)]
        try:
            return self.loader.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, OverflowError) as exc:
            self._problem(node, path, f"invalid value {node.value!r}: {exc}")
            return None

    def _mapping(self, node: yaml.MappingNode, path: Path, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        seen: dict[str, int] = {}
        merged: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                merged.update(self._merge(value_node, path, depth))
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self._problem(key_node, path, "mapping keys must be plain strings")
                continue
            key = str(key_node.value)
            if key in seen:
                self._problem(key_node, path + (key,),
                              f"duplicate key {key!r} (first defined at line {seen[key]})",
                              "remove one of the two entries")
                continue
            seen[key] = key_node.start_mark.line + 1
            self.doc.key_marks[path + (key,)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            result[key] = self.build(value_node, path + (key,), depth + 1)
        for key, value in merged.items():
            result.setdefault(key, value)
        return result

    def _merge(self, node: yaml.Node, path: Path, depth: int) -> dict[str, Any]:
        sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
        merged: dict[str, Any] = {}
        for source in sources:
            value = self.build(source, path, depth + 1)
            if not isinstance(value, dict):
                self._problem(source, path, "a merge key '<<' needs a mapping or a list of mappings")
                continue
            for key, item in value.items():
                merged.setdefault(key, item)
        return merged
