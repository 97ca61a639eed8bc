"""Replay of one sample trial: the graph at each step of the timeline, a slider and the event list."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

import lab
from tui import format as fmt
from tui.graph_view import GraphModel, GraphView
from tui.legend import Legend
from tui.slider import Slider
from tui.states import Move, trial_moves, trial_states

OUTCOME_STYLES = {
    lab.Outcome.SUCCESS: "bold #e74c3c",
    lab.Outcome.DENIED: "bold #27ae60",
    lab.Outcome.BLOCKED: "bold #27ae60",
    lab.Outcome.ISOLATED: "bold #3498db",
    lab.Outcome.REVOKED: "bold #3498db",
}
COLUMNS = ("#", "time", "technique", "ATT&CK", "source", "target", "credential", "outcome", "detected")


def describe(event: lab.Event) -> Text:
    """Describe one event in a line: who did what to whom, and how it ended."""
    text = Text()
    text.append(f"{fmt.hours(event.end)}  ", style="bold")
    text.append(event.source if event.source == event.target else f"{event.source} ▶ {event.target}")
    text.append("  ")
    technique = f"{event.technique.value} {event.attack_id}".strip()
    text.append(technique, style="italic")
    if event.credential:
        text.append(f" with {event.credential}")
    text.append("  ")
    text.append(event.outcome.value, style=OUTCOME_STYLES.get(event.outcome, ""))
    text.append(", detected" if event.detected else ", not detected", style="dim")
    return text


class ReplayPane(Vertical):
    """Step-by-step view of a trial's events; step 0 is the start, step k the state after k events."""

    def __init__(self, scenario: lab.Scenario, model: GraphModel, id: str | None = None) -> None:
        super().__init__(id=id)
        self.scenario = scenario
        self.model = model
        self.result: lab.TrialResult | None = None
        self.attacker = scenario.attackers[0].name
        self.step = 0

    def compose(self) -> ComposeResult:
        yield GraphView(self.model, id="replay-graph")
        yield Legend(moves=True, id="replay-legend")
        yield Static("", id="replay-caption")
        yield Slider(id="replay-slider")
        table: DataTable[str | Text] = DataTable(id="events", cursor_type="row", zebra_stripes=True)
        yield table

    def on_mount(self) -> None:
        table = self.query_one("#events", DataTable)
        for column in COLUMNS:
            table.add_column(column, key=column)

    def show_trial(self, result: lab.TrialResult, attacker: str) -> None:
        """Load a trial's timeline; the replay keeps its step when it still exists."""
        self.result = result
        self.attacker = attacker
        table = self.query_one("#events", DataTable)
        table.clear()
        entry = str(self.scenario.attacker(attacker).entry)
        table.add_row("0", fmt.hours(0.0), "start", "", entry, "", "", "", "", key="0")
        for index, event in enumerate(result.events, start=1):
            table.add_row(
                str(index), fmt.hours(event.end), event.technique.value, event.attack_id, event.source,
                event.target, event.credential or "",
                Text(event.outcome.value, style=OUTCOME_STYLES.get(event.outcome, "")),
                "yes" if event.detected else "no", key=str(index),
            )
        slider = self.query_one(Slider)
        slider.maximum = len(result.events)
        self.go_to(min(self.step, len(result.events)))

    @property
    def steps(self) -> int:
        return len(self.result.events) if self.result is not None else 0

    def go_to(self, step: int) -> None:
        """Show the state after `step` events and move the slider and the event list there."""
        if self.result is None:
            return
        step = max(0, min(step, self.steps))
        self.step = step
        self.query_one(Slider).value = step
        table = self.query_one("#events", DataTable)
        if table.row_count > step:
            table.move_cursor(row=step)
        result = self.result
        moves = trial_moves(self.scenario, result, step)
        current: Move | None = None
        if step > 0:
            event = result.events[step - 1]
            if event.outcome is lab.Outcome.SUCCESS and Move(event.source, event.target) in moves:
                current = Move(event.source, event.target)
        graph = self.query_one("#replay-graph", GraphView)
        graph.show(trial_states(self.scenario, self.attacker, result, step), moves=moves, current=current)
        caption = Text()
        caption.append(f"step {step} of {self.steps}  ", style="bold")
        if step == 0:
            caption.append(f"start: the attacker enters from {self.scenario.attacker(self.attacker).entry}")
        else:
            caption.append_text(describe(result.events[step - 1]))
        self.query_one("#replay-caption", Static).update(caption)

    # Moving the slider or the cursor in code also posts these messages, and
    # they arrive later. A message whose value is no longer the widget's own
    # is stale; following it would bounce the replay between two steps.

    def on_slider_changed(self, event: Slider.Changed) -> None:
        event.stop()
        if event.value == event.slider.value and event.value != self.step:
            self.go_to(event.value)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        if event.cursor_row == event.data_table.cursor_row and event.cursor_row != self.step:
            self.go_to(event.cursor_row)
