"""Messages that worker threads post back to the UI thread."""

from __future__ import annotations

from textual.message import Message

from tui.runs import PostureRun, Snapshot


class Progressed(Message):
    """`done` more trials of run `generation` finished."""

    def __init__(self, generation: int, done: int) -> None:
        super().__init__()
        self.generation = generation
        self.done = done


class Simulated(Message):
    """Run `generation` finished with `snapshot`."""

    def __init__(self, generation: int, snapshot: Snapshot) -> None:
        super().__init__()
        self.generation = generation
        self.snapshot = snapshot


class RunFailed(Message):
    """Run `generation` stopped with a library error."""

    def __init__(self, generation: int, error: str) -> None:
        super().__init__()
        self.generation = generation
        self.error = error


class PathReady(Message):
    """The shortest attack paths to service `name` under run `generation`'s posture."""

    def __init__(self, generation: int, name: str, paths: dict[str, list[str]]) -> None:
        super().__init__()
        self.generation = generation
        self.name = name
        self.paths = paths


class DetailReady(Message):
    """Part of a service detail: its attack paths, or its runs under every posture."""

    def __init__(self, paths: dict[str, list[str]] | None = None, runs: list[PostureRun] | None = None) -> None:
        super().__init__()
        self.paths = paths
        self.runs = runs
