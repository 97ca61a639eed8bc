"""The main screen: a title line, the views in tabs, the posture panel and the key footer."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Static, TabbedContent, TabPane

import lab
from tui.compare_panel import ComparePanel
from tui.exercise import ExercisePanel
from tui.graph_view import GraphModel, GraphView
from tui.legend import Legend
from tui.posture_panel import PosturePanel
from tui.replay import ReplayPane

# Below this size the screen shows a request for a larger window instead of the views.
MIN_WIDTH, MIN_HEIGHT = 60, 18
# From this width the posture panel sits beside the views; below it, `p` shows it.
WIDE = 120


@dataclass(frozen=True)
class Title:
    """Contents of the title line; `progress` is the share of the run done, None when idle."""

    scenario: str
    attacker: str
    posture: str
    trials: int
    seed: int
    progress: float | None = None


class LabScreen(Screen[None]):
    """Screen with every view of a loaded scenario, fitted to the window size."""

    class Ready(Message):
        """The screen is composed, so the app can fill it and start the first run."""

    def __init__(self, scenario: lab.Scenario) -> None:
        super().__init__()
        self.scenario = scenario
        self.model = GraphModel.of(scenario)
        self.panel_choice: bool | None = None  # None: shown only in wide windows
        self.title_parts: Title | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="title")
        yield Static("", id="too-small")
        with Horizontal(id="main"):
            with TabbedContent(id="tabs", initial="graph-tab"):
                with TabPane("Graph (g)", id="graph-tab"), Vertical():
                    yield GraphView(self.model, percentages=True, id="graph")
                    yield Static("", id="graph-status")
                    yield Legend(id="legend")
                with TabPane("Replay (r)", id="replay-tab"):
                    yield ReplayPane(self.scenario, self.model, id="replay")
                with TabPane("Compare (c)", id="compare-tab"):
                    yield ComparePanel(self.scenario, id="compare")
                with TabPane("Exercise (x)", id="exercise-tab"):
                    yield ExercisePanel(self.scenario, id="exercise")
            yield PosturePanel(self.scenario, id="posture")
        yield Footer()

    def on_mount(self) -> None:
        self.fit()
        self.post_message(self.Ready())

    def on_resize(self) -> None:
        self.fit()

    def fit(self) -> None:
        """Fit the screen to the window: a message when it is too small, the posture panel when wide."""
        width, height = self.app.size
        small = width < MIN_WIDTH or height < MIN_HEIGHT
        self.set_class(small, "-too-small")
        show_panel = self.panel_choice if self.panel_choice is not None else width >= WIDE
        self.set_class(not show_panel, "-hide-panel")
        if small:
            self.query_one("#too-small", Static).update(Text(
                f"This window is {width}×{height}. Enlarge it to at least {MIN_WIDTH}×{MIN_HEIGHT} "
                "to use the lab; q quits.", style="bold"))
        if self.title_parts is not None:
            self.show_title(self.title_parts)

    def toggle_panel(self) -> None:
        self.panel_choice = self.has_class("-hide-panel")
        self.fit()

    def show_title(self, parts: Title) -> None:
        """Show the title line, dropping the seed and then the labels when the window is narrow."""
        self.title_parts = parts
        width = self.app.size.width
        text = Text()
        for words, seed in ((True, True), (True, False), (False, False)):
            text = Text()
            text.append(f" {parts.scenario} ", style="bold reverse")
            text.append("  attacker " if words else "  ", style="dim")
            text.append(parts.attacker, style="bold")
            text.append("  posture " if words else "  ", style="dim")
            text.append(parts.posture, style="bold #f39c12")
            if parts.progress is not None:
                text.append(f"  simulating {parts.progress:.0%}", style="bold #f39c12")
            text.append(f"  {parts.trials} trials" + (f", seed {parts.seed}" if seed else ""), style="dim")
            if text.cell_len <= width:
                break
        self.query_one("#title", Static).update(text)

    @property
    def active_tab(self) -> str:
        return self.query_one(TabbedContent).active
