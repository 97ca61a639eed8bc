"""Exception classes of the lab. Every error a user can cause is a `LabError`."""

from __future__ import annotations

from dataclasses import dataclass


class LabError(Exception):
    """Root of the errors the lab raises for bad input or impossible requests."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One validation problem, located in a source file.

    `path` is the place in the document in dotted form (`services[2].name`);
    `line` and `column` are 1-based and 0 when unknown.
    """

    file: str
    line: int
    column: int
    path: str
    message: str
    hint: str = ""

    def format(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        text = f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"
        return f"{text} ({self.hint})" if self.hint else text


class ScenarioError(LabError):
    """A scenario file that cannot be loaded; `problems` lists every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.file, p.line, p.column, p.path))
        super().__init__("\n".join(p.format() for p in self.problems))


class EngineError(LabError):
    """A simulation request that cannot be carried out, such as an unknown posture."""
