"""The posture panel: the ten controls as switches, presets, the run's progress and headline numbers."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import ProgressBar, Select, SelectionList, Static
from textual.widgets.selection_list import Selection

import lab
from tui import format as fmt
from tui.runs import Snapshot

CUSTOM = "custom"
NAME_WIDTH = max(len(name) for name in fmt.CONTROL_NAMES.values())


class PosturePanel(Vertical):
    """Switches for the controls; toggling one requests a new run from the app."""

    class ControlToggled(Message):
        """The user switched a control on or off."""

        def __init__(self, control: lab.Control, on: bool) -> None:
            super().__init__()
            self.security_control = control  # `control` is reserved by Textual messages
            self.on = on

    class PresetChosen(Message):
        """The user picked a named posture of the scenario."""

        def __init__(self, name: str) -> None:
            super().__init__()
            self.name = name

    def __init__(self, scenario: lab.Scenario, id: str | None = None) -> None:
        super().__init__(id=id)
        self.scenario = scenario
        self._syncing = False

    def compose(self) -> ComposeResult:
        yield Static("", id="posture-name")
        if self.scenario.exercise is not None:
            yield Static(Text(f"{'':10}{'control':<{NAME_WIDTH - 2}}cost", style="dim"), id="controls-header")
        yield SelectionList[lab.Control](*self._selections(frozenset()), id="controls", compact=True)
        yield Static("", id="control-help")
        presets = [(self._preset_label(name), name) for name in self.scenario.postures]
        yield Select(presets, prompt="preset…", id="preset", compact=True, allow_blank=True)
        yield ProgressBar(total=1, show_eta=False, id="progress")
        yield Static("", id="headline")

    def _selections(self, enabled: frozenset[lab.Control]) -> list[Selection[lab.Control]]:
        exercise = self.scenario.exercise
        selections = []
        for key, control in zip(fmt.CONTROL_KEYS, lab.Control, strict=True):
            prompt = Text()
            prompt.append(f"{key} ", style="dim")
            # The state in words as well as in colour, for monochrome and colour-blind viewers.
            prompt.append("on  " if control in enabled else "off ", style="bold" if control in enabled else "dim")
            prompt.append(fmt.CONTROL_NAMES[control].ljust(NAME_WIDTH))
            if exercise is not None:
                price = exercise.costs.get(control.value, 0.0)
                prompt.append(f"{fmt.cost(price):>2}", style="dim")
            selections.append(Selection(prompt, control, control in enabled))
        return selections

    def _preset_label(self, name: str) -> str:
        posture = self.scenario.postures[name]
        return f"{name} ({len(posture.enabled)})"

    def show_posture(self, posture: lab.Posture, preset: str | None) -> None:
        """Reflect a posture in the switches without sending toggle messages."""
        controls = self.query_one("#controls", SelectionList)
        self._syncing = True
        with controls.prevent(SelectionList.SelectedChanged, SelectionList.SelectionHighlighted):
            highlighted = controls.highlighted
            controls.clear_options()
            controls.add_options(self._selections(posture.enabled))
            controls.highlighted = highlighted
        select = self.query_one("#preset", Select)
        with select.prevent(Select.Changed):
            select.value = preset if preset is not None else Select.NULL
        self._syncing = False
        title = Text()
        title.append("Posture ", style="bold")
        title.append(preset or f"{CUSTOM}: {len(posture.enabled)} of {len(lab.Control)} controls")
        self.query_one("#posture-name", Static).update(title)

    def show_snapshot(self, snapshot: Snapshot | None, attacker: str) -> None:
        """Show the headline numbers of the current posture for the current attacker."""
        headline = self.query_one("#headline", Static)
        if snapshot is None:
            headline.update(Text("simulating…", style="dim"))
            return
        stats = snapshot.current.stats
        grid = Table.grid(padding=(0, 1))
        grid.add_column(style="bold")
        grid.add_column(justify="right")
        grid.add_row("blast radius p95", fmt.count(stats.blast_radius.p95))
        grid.add_row("blast radius median", fmt.count(stats.blast_radius.median))
        grid.add_row("objective reached", fmt.percent(stats.objective_exfiltrated.probability))
        grid.add_row("attack detected", fmt.percent(stats.detection.probability))
        check = snapshot.exercise
        if check is not None:
            spent = Text(f"{fmt.cost(check.cost)} of {fmt.cost(check.exercise.budget)}",
                         style="" if check.within_budget else "bold red")
            grid.add_row("budget spent", spent)
        headline.update(grid)

    def start_progress(self, total: int) -> None:
        bar = self.query_one("#progress", ProgressBar)
        bar.update(total=max(total, 1), progress=0)
        self.set_class(total > 0, "-running")

    def advance_progress(self, done: int) -> None:
        self.query_one("#progress", ProgressBar).advance(done)

    def finish_progress(self) -> None:
        bar = self.query_one("#progress", ProgressBar)
        bar.update(progress=bar.total or 1)
        self.set_class(False, "-running")

    def on_selection_list_selection_toggled(self, event: SelectionList.SelectionToggled[lab.Control]) -> None:
        event.stop()
        if self._syncing:
            return
        control = event.selection.value
        on = control in event.selection_list.selected
        self.post_message(self.ControlToggled(control, on))

    def on_selection_list_selection_highlighted(self, event: SelectionList.SelectionHighlighted[lab.Control]) -> None:
        event.stop()
        control = event.selection.value
        self.query_one("#control-help", Static).update(Text(lab.CONTROL_SUMMARY[control], style="italic"))

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        if self._syncing or event.value is Select.NULL:
            return
        self.post_message(self.PresetChosen(str(event.value)))
