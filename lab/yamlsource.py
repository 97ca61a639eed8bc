"""Safe YAML loading that keeps the line and column of every value.

The loader follows the YAML 1.2 core schema for implicit types: only
`true`/`false` are booleans, so names such as `no` or keys such as `on` stay
strings, and dates stay strings. It rejects duplicate keys, tags outside the
core schema, multiple documents, non-UTF-8 bytes, control characters,
nesting deeper than `MAX_DEPTH`, and documents whose aliases expand past
`MAX_NODES` values (the "billion laughs" attack).
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml

from lab.errors import Problem, ScenarioError

MAX_BYTES = 5 * 1024 * 1024
MAX_NODES = 200_000  # values, counting each expansion of an alias
MAX_DEPTH = 64
# NOTE: PyYAML's pure-Python parser spends tens of microseconds per value, so
# a file near MAX_BYTES that is dense with values takes seconds to parse, or
# to reach MAX_NODES, before it is rejected.

Path = tuple[str | int, ...]
Mark = tuple[int, int]

_CORE_PREFIX = "tag:yaml.org,2002:"
_CORE_TAGS = {_CORE_PREFIX + name for name in ("str", "int", "float", "bool", "null", "seq", "map", "merge")}
# YAML 1.1 implicit types that YAML 1.2 does not have: `2024-01-01` and `=`
# load as strings.
_YAML11_ONLY_TAGS = {_CORE_PREFIX + "timestamp", _CORE_PREFIX + "value"}


class _LimitExceeded(Exception):
    """Raised while composing at the first value past `MAX_DEPTH` ("depth") or `MAX_NODES` ("nodes")."""

    def __init__(self, mark: yaml.Mark, path: Path, limit: str) -> None:
        super().__init__()
        self.mark = mark
        self.path = path
        self.limit = limit


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 implicit types, a nesting limit and alias positions.

    `alias_marks` maps (id of the parent node, index or id of the key node)
    to the position of an alias, because the composer hands back the
    anchored node itself and so loses where the alias was written.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.alias_marks: dict[tuple[int, int], yaml.Mark] = {}
        self.nodes = 0
        self._path: list[str | int] = []

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            node = super().compose_node(parent, index)
            if parent is not None and index is not None:
                self.alias_marks[_child_key(parent, index)] = mark
            return node
        # PyYAML composes recursively, so without the depth check a few
        # thousand nested brackets raise RecursionError.
        if len(self._path) > MAX_DEPTH:
            raise _LimitExceeded(self.peek_event().start_mark, self._value_path(), "depth")
        if index is not None or parent is None:
            self.nodes += 1  # values only, as `_check_expansion` counts them
        if self.nodes > MAX_NODES:
            raise _LimitExceeded(self.peek_event().start_mark, self._value_path(), "nodes")
        self._path.append(index.value if isinstance(index, yaml.Node) else index)
        try:
            return super().compose_node(parent, index)
        finally:
            self._path.pop()

    def _value_path(self) -> Path:
        # The first entry stands for the root, and None for a mapping key.
        path = self._path[1:]
        return tuple(path[: path.index(None)] if None in path else path)


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers
            if tag != _CORE_PREFIX + "bool" and tag not in _YAML11_ONLY_TAGS]
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


def _child_key(parent: yaml.Node, index: Any) -> tuple[int, int]:
    """Return the `alias_marks` key of a child: a list index, or the id of a mapping key node."""
    return (id(parent), index if isinstance(index, int) else id(index))


@dataclass
class Document:
    """A loaded YAML document: plain Python data plus the position of every value."""

    file: str
    data: Any
    marks: dict[Path, Mark] = field(default_factory=dict)
    key_marks: dict[Path, Mark] = field(default_factory=dict)

    def locate(self, path: Path) -> Mark:
        """Return (line, column) of the value at `path`, or of its nearest parent."""
        for end in range(len(path), -1, -1):
            mark = self.marks.get(path[:end])
            if mark is not None:
                return mark
        return (1, 1)

    def locate_key(self, path: Path) -> Mark:
        return self.key_marks.get(path) or self.locate(path)

    def problem(self, path: Path, message: str, hint: str = "", at_key: bool = False) -> Problem:
        line, column = self.locate_key(path) if at_key else self.locate(path)
        return Problem(self.file, line, column, format_path(path), message, hint)


def format_path(path: Path) -> str:
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif text:
            text += f".{part}"
        else:
            text = str(part)
    return text


def load_yaml(raw: bytes, file: str) -> Document:
    """Parse `raw` as a single YAML document.

    Raises:
        ScenarioError: the bytes are not valid UTF-8 YAML within the size limits.
    """
    if len(raw) > MAX_BYTES:
        raise ScenarioError([Problem(file, 1, 1, "", f"file too large: {len(raw):,} bytes, more than the "
                                     f"limit of {MAX_BYTES:,} bytes", "remove unused parts of the scenario")])
    text = _decode(raw, file)
    try:
        loader = _Loader(text)
    except yaml.reader.ReaderError as exc:
        raise ScenarioError([_reader_problem(exc, text, file)]) from None
    try:
        node = loader.get_single_node()
    except _LimitExceeded as exc:
        mark = _line_column(exc.mark)
        if exc.limit == "depth":
            raise ScenarioError([_depth_problem(file, mark, exc.path)]) from None
        raise ScenarioError([Problem(file, *mark, format_path(exc.path[:1]),
                                     f"too many values: more than the limit of {MAX_NODES:,}",
                                     "remove unused parts of the scenario")]) from None
    except yaml.MarkedYAMLError as exc:
        raise ScenarioError([_syntax_problem(exc, text, file)]) from None
    except yaml.YAMLError as exc:
        raise ScenarioError([Problem(file, 1, 1, "", f"invalid YAML: {exc}")]) from None
    finally:
        loader.dispose()
    doc = Document(file, None)
    if node is None:
        return doc
    _check_expansion(node, loader.alias_marks, file)
    builder = _Builder(doc, loader)
    doc.data = builder.build(node, ())
    if builder.problems:
        raise ScenarioError(builder.problems)
    return doc


def _line_column(mark: yaml.Mark) -> Mark:
    return (mark.line + 1, mark.column + 1)


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


def _reader_problem(exc: yaml.reader.ReaderError, text: str, file: str) -> Problem:
    """Locate a character that YAML does not allow, such as NUL or another control character."""
    before = text[: exc.position]
    line = before.count("\n") + 1
    column = exc.position - (before.rfind("\n") + 1) + 1
    return Problem(file, line, column, "", f"invalid YAML: control character U+{exc.character:04X} is not allowed",
                   "remove it: YAML files may contain only printable characters, tabs and line breaks")


# PyYAML names tokens by their internal ids, which read poorly in a message.
_TOKEN_NAMES = {
    "'<stream end>'": "the end of the file",
    "<block end>": "the end of the indented block",
    "'<scalar>'": "a plain value",
    "'<block mapping start>'": "an indented mapping",
    "'<block sequence start>'": "an indented list",
    "'<document start>'": "'---'",
    "'?'": "a mapping key",
    "'-'": "a list item '-'",
    "end of stream": "end of file",
}
_CONTEXT_NAMES = {
    "while parsing a flow sequence": "in the list",
    "while parsing a flow mapping": "in the mapping",
    "while parsing a block collection": "in the list",
    "while parsing a block mapping": "in the mapping",
    "while scanning a quoted scalar": "in the quoted string",
    "while scanning a double-quoted scalar": "in the quoted string",
    "while scanning a simple key": "in the key",
    "while scanning a block scalar": "in the block string",
}
_INDENTATION_HINT = ("check the indentation: the keys of one mapping and the items of one list "
                     "start at the same column")


def _syntax_problem(exc: yaml.MarkedYAMLError, text: str, file: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line, column = _line_column(mark) if mark else (1, 1)
    opened = ""
    if exc.context_mark is not None and exc.context_mark is not mark:
        opened = f"line {exc.context_mark.line + 1}, column {exc.context_mark.column + 1}"
    message, hint = _special_syntax_message(exc, text, opened) or _general_syntax_message(exc, opened)
    return Problem(file, line, column, "", message, hint)


def _special_syntax_message(exc: yaml.MarkedYAMLError, text: str, opened: str) -> tuple[str, str] | None:
    """Return (message, hint) for syntax errors whose PyYAML text misleads, or None."""
    problem = exc.problem or ""
    context = exc.context or ""
    if "'\\t'" in problem:
        return "tab character where indentation or a value was expected", "indent with spaces, not tabs"
    if "expected a single document" in context or "but found another document" in problem:
        return "more than one YAML document", "a scenario is one document: remove the extra '---' section"
    if context.startswith("found duplicate anchor"):
        # PyYAML puts the first occurrence in the context and the second in the problem.
        anchor = context.removeprefix("found duplicate anchor ").removesuffix("; first occurrence")
        return (f"invalid YAML: duplicate anchor {anchor} (first defined at {opened})",
                "give each anchor a unique name")
    if problem.startswith("expected '<document start>'") and "block" in problem:
        if re.search(r"^\.\.\.[ \t]*$", text[: exc.problem_mark.index], re.MULTILINE):
            return ("more than one YAML document",
                    "a scenario is one document: remove the '...' line and what follows it")
        # The root mapping or list ended, and more follows less indented than it.
        return "invalid YAML: this line is indented less than the first line", "top-level keys start at column 1"
    if problem == "found unexpected end of stream" and "quoted scalar" in context:
        return f"invalid YAML: the quoted string that starts at {opened} is not closed", "add the closing quote"
    return None


def _general_syntax_message(exc: yaml.MarkedYAMLError, opened: str) -> tuple[str, str]:
    """Return (message, hint): PyYAML's problem in plain words, and where the enclosing value starts."""
    problem = exc.problem or "invalid YAML"
    for token, name in _TOKEN_NAMES.items():
        problem = problem.replace(token, name)
    message = f"invalid YAML: {problem}"
    if exc.context in _CONTEXT_NAMES and opened:
        message += f" ({_CONTEXT_NAMES[exc.context]} that starts at {opened})"
    return message, _syntax_hint(exc.problem or "")


def _syntax_hint(problem: str) -> str:
    if problem.startswith("expected ',' or ']'"):
        return "close the list with ']', or separate its items with ','"
    if problem.startswith("expected ',' or '}'"):
        return "close the mapping with '}', or separate its entries with ','"
    if problem == "mapping values are not allowed here":
        return "quote a value that contains ': ', or check the indentation of this line"
    if problem == "could not find expected ':'":
        return "add ':' after the key, or check the indentation of this line"
    if problem.startswith("expected <block end>"):
        return _INDENTATION_HINT
    found = re.fullmatch(r"found character ('.') that cannot start any token", problem)
    if found:
        return f"quote the value: a plain value cannot start with {found.group(1)}"
    alias = re.fullmatch(r"found undefined alias '(.*)'", problem)
    if alias:
        return f"define the anchor &{alias.group(1)} before the alias *{alias.group(1)}"
    return ""


def _depth_problem(file: str, mark: Mark, path: Path) -> Problem:
    # The full path of a value this deep is unreadable, so the problem names
    # the top-level key, and the line and column point to the value.
    return Problem(file, mark[0], mark[1], format_path(path[:1]),
                   f"value nested more than {MAX_DEPTH} levels deep",
                   "a scenario needs only a few levels of nesting")


def _children(node: yaml.Node) -> list[tuple[Any, yaml.Node]]:
    """Return (index or key node, child) pairs: list items, or the values of a mapping."""
    if isinstance(node, yaml.SequenceNode):
        return list(enumerate(node.value))
    if isinstance(node, yaml.MappingNode):
        return [(key, value) for key, value in node.value]
    return []


def _check_expansion(root: yaml.Node, alias_marks: dict[tuple[int, int], yaml.Mark], file: str) -> None:
    """Reject recursive aliases, and values that aliases nest too deep or expand past `MAX_NODES`.

    Sizes and heights are computed once per distinct node, without expanding
    aliases, so a billion-laughs document is rejected in time proportional
    to its length.

    Raises:
        ScenarioError: with one problem, at the first offending value in document order.
    """
    size: dict[int, int] = {}
    height: dict[int, int] = {}
    # Iterative post-order walk, because alias chains can be deeper than
    # Python's recursion limit even when each anchored value is shallow.
    # `entered_from` maps each node being walked to its parent and index,
    # so the path of the nodes still open is known when an alias loops back.
    entered_from: dict[int, tuple[yaml.Node | None, Any]] = {}
    stack: list[tuple[yaml.Node, bool, yaml.Node | None, Any]] = [(root, False, None, None)]
    while stack:
        node, children_done, parent, position = stack.pop()
        key = id(node)
        if children_done:
            del entered_from[key]
            children = [child for _, child in _children(node)]
            size[key] = 1 + sum(size[id(child)] for child in children)
            height[key] = 1 + max((height[id(child)] for child in children), default=0)
            continue
        if key in size:
            continue
        entered_from[key] = (parent, position)
        stack.append((node, True, parent, position))
        for index, child in reversed(_children(node)):
            if id(child) in entered_from:
                mark = alias_marks.get(_child_key(node, index), child.start_mark)
                path = _open_path(node, entered_from) + (_path_part(index),)
                raise ScenarioError([Problem(file, mark.line + 1, mark.column + 1, format_path(path),
                                             "recursive alias: the alias refers to a value that contains it",
                                             "an alias can only refer to a value defined outside it")])
            if id(child) not in size:
                stack.append((child, False, node, index))
    if height[id(root)] > MAX_DEPTH + 1:
        def too_deep_below(depth: int, child: yaml.Node) -> bool:
            return depth <= MAX_DEPTH and height[id(child)] >= MAX_DEPTH + 1 - depth

        path, node, mark = _descend(root, too_deep_below, alias_marks)
        raise ScenarioError([_depth_problem(file, mark, path[:1])])
    if size[id(root)] > MAX_NODES:
        path, node, mark = _descend(root, lambda depth, child: size[id(child)] > MAX_NODES, alias_marks)
        raise ScenarioError([Problem(
            file, *mark, format_path(path),
            f"alias expansion limit exceeded: the value expands to {size[id(node)]:,} values "
            f"through aliases, more than the limit of {MAX_NODES:,}",
            "remove the nested anchors and aliases")])


def _path_part(index: Any) -> str | int:
    return index.value if isinstance(index, yaml.Node) else index


def _open_path(node: yaml.Node, entered_from: dict[int, tuple[yaml.Node | None, Any]]) -> Path:
    """Return the path from the root to `node` along the edges the walk entered by."""
    parts: list[str | int] = []
    parent, index = entered_from[id(node)]
    while parent is not None:
        parts.append(_path_part(index))
        parent, index = entered_from[id(parent)]
    return tuple(reversed(parts))


def _descend(root: yaml.Node, wanted: Callable[[int, yaml.Node], bool],
             alias_marks: dict[tuple[int, int], yaml.Mark]) -> tuple[Path, yaml.Node, Mark]:
    """Follow the first child for which `wanted(depth, child)` holds, down to a node without one.

    Returns the path, the last node, and the position to report: the first
    alias on the path if there is one, because that is where the value
    named by the path pulls in the anchored data, else the last node.
    """
    path: list[str | int] = []
    node = root
    alias: yaml.Mark | None = None
    while True:
        found = next(((index, child) for index, child in _children(node) if wanted(len(path), child)), None)
        if found is None:
            break
        index, child = found
        alias = alias or alias_marks.get(_child_key(node, index))
        path.append(_path_part(index))
        node = child
    return tuple(path), node, _line_column(alias or node.start_mark)


def _show_tag(tag: str) -> str:
    """Return a tag as it is written in YAML: `!!python/object` rather than its full URI."""
    return "!!" + tag.removeprefix(_CORE_PREFIX) if tag.startswith(_CORE_PREFIX) else tag


class _Builder:
    """Turns a composed node tree into Python data, recording marks and problems.

    `_check_expansion` has already bounded the depth and size of the tree and
    rejected recursive aliases.
    """

    def __init__(self, doc: Document, loader: _Loader) -> None:
        self.doc = doc
        self.loader = loader
        self.problems: list[Problem] = []

    def _problem(self, mark: Mark, path: Path, message: str, hint: str = "") -> None:
        self.problems.append(Problem(self.doc.file, mark[0], mark[1], format_path(path), message, hint))

    def build(self, node: yaml.Node, path: Path, mark: Mark | None = None) -> Any:
        """Build the value of `node`. `mark` is the position of the alias that refers to it, if any."""
        mark = mark or _line_column(node.start_mark)
        self.doc.marks.setdefault(path, mark)
        if node.tag not in _CORE_TAGS:
            self._problem(mark, path, f"unsupported YAML tag {_show_tag(node.tag)!r}",
                          "scenarios use plain YAML values only; remove the tag")
            return None
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, path + (i,), self._alias_mark(node, i)) for i, item in enumerate(node.value)]
        return self._scalar(node, path, mark)

    def _alias_mark(self, parent: yaml.Node, index: Any) -> Mark | None:
        mark = self.loader.alias_marks.get(_child_key(parent, index))
        return _line_column(mark) if mark else None

    def _scalar(self, node: yaml.ScalarNode, path: Path, mark: Mark) -> Any:
        if node.tag == _CORE_PREFIX + "int" and len(node.value) > sys.get_int_max_str_digits():
            self._problem(mark, path, f"number too large: {len(node.value):,} digits")
            return None
        try:
            value = self.loader.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, OverflowError) as exc:
            self._problem(mark, path, f"invalid value {node.value[:60]!r}: {exc}")
            return None
        if isinstance(value, float) and math.isinf(value) and "inf" not in node.value.lower():
            self._problem(mark, path, f"number too large: {node.value}",
                          "numbers must be below 1.8e308, the largest 64-bit float")
            return None
        return value

    def _mapping(self, node: yaml.MappingNode, path: Path) -> dict[str, Any]:
        result: dict[str, Any] = {}
        seen: dict[str, int] = {}
        merges: list[tuple[yaml.Node, yaml.Node]] = []
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                merges.append((key_node, value_node))
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self._problem(_line_column(key_node.start_mark), path, "mapping keys must be plain strings")
                continue
            key = str(key_node.value)
            if key in seen:
                self._problem(_line_column(key_node.start_mark), path + (key,),
                              f"duplicate key {key!r} (first defined at line {seen[key]})",
                              "remove one of the two entries")
                continue
            seen[key] = key_node.start_mark.line + 1
            self.doc.key_marks[path + (key,)] = _line_column(key_node.start_mark)
            result[key] = self.build(value_node, path + (key,), self._alias_mark(node, key_node))
        # Merged values are built after the explicit keys, so that the
        # position of a key that overrides a merged one is its own.
        for key_node, value_node in merges:
            for key, value in self._merge(value_node, path, self._alias_mark(node, key_node)).items():
                result.setdefault(key, value)
        return result

    def _merge(self, node: yaml.Node, path: Path, mark: Mark | None) -> dict[str, Any]:
        """Build the mappings that a merge key `<<` names. `mark` is the position of its alias, if any."""
        if isinstance(node, yaml.SequenceNode):
            sources = [(source, self._alias_mark(node, i)) for i, source in enumerate(node.value)]
        else:
            sources = [(node, mark)]
        merged: dict[str, Any] = {}
        for source, source_mark in sources:
            value = self.build(source, path, source_mark)
            if not isinstance(value, dict):
                self._problem(source_mark or _line_column(source.start_mark), path,
                              "a merge key '<<' needs a mapping or a list of mappings")
                continue
            for key, item in value.items():
                merged.setdefault(key, item)
        return merged
