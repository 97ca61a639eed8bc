"""The screen shown instead of the lab when the scenario file cannot be loaded."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

import lab


class ProblemsScreen(Screen[None]):
    """Screen that lists every validation problem with its file, line and column."""

    BINDINGS = [Binding("q,escape", "app.quit", "Quit")]

    def __init__(self, file: str, problems: list[lab.Problem] | None = None, message: str = "") -> None:
        super().__init__()
        self.file = file
        self.problems = problems or []
        self.message = message

    def compose(self) -> ComposeResult:
        title = Text()
        title.append("The scenario could not be loaded: ", style="bold #e74c3c")
        title.append(self.file, style="bold")
        yield Static(title, id="problems-title")
        with VerticalScroll(id="problems-list"):
            for problem in self.problems:
                yield Static(Text(problem.format()), classes="problem")
            if self.message:
                yield Static(Text(self.message), classes="problem")
        count = len(self.problems) or 1
        yield Static(Text(f"{count} problem{'s' if count != 1 else ''} found. Fix the file, check it with "
                          f"`lab validate {self.file}`, then start the lab again.", style="dim"),
                     id="problems-hint")
        yield Footer()
