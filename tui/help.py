"""The help screen: what each view shows and every key."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.states import NodeState

KEYS: tuple[tuple[str, str], ...] = (
    ("1 … 9, 0", "switch control 1 to 10 on or off (also space or click in the posture list)"),
    ("i / z", "preset: implicit trust (no controls) / zero trust (every control)"),
    ("s", "next preset: the CISA maturity stages and the scenario's own postures"),
    ("a", "next attacker"),
    ("b", "next baseline posture for the comparison"),
    ("+ / -", "more / fewer Monte Carlo trials per run"),
    ("g r c x", "views: graph, replay, compare, exercise"),
    ("p", "show or hide the posture panel (hidden by default below 120 columns)"),
    ("arrows, enter", "graph: select a service, open its details (or click it)"),
    ("[ / ]", "replay: one event back / forward (also left and right on the slider)"),
    ("home / end", "replay: first / last event, with the slider focused"),
    ("tab", "move the focus"),
    ("e", "export results.json, trials.csv and charts to a folder"),
    ("?", "this help"),
    ("q", "quit"),
)


def help_text() -> Table:
    """Return the keys and what they do, as a two-column table."""
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold #f39c12", no_wrap=True)
    table.add_column()
    for key, meaning in KEYS:
        table.add_row(key, meaning)
    return table


def legend_text() -> Text:
    """Return a short guide to reading the graph and the numbers."""
    text = Text()
    text.append("Graph: ", style="bold")
    text.append("the internet on the left, datastores and external systems on the right, calls as arrows. "
                "On the graph view a service shows the state it is in for most trials and the share of trials "
                "in which the attacker reached it; the replay shows one trial step by step.\n")
    for state in NodeState:
        text.append(f"  {state.symbol} {state.label}\n")
    text.append("Numbers come from Monte Carlo trials with the scenario's seed, so a run can be repeated "
                "exactly. Blast radius: services compromised or accessed, apart from the entry foothold.")
    return text


class HelpScreen(ModalScreen[None]):
    """Keys and a reading guide for the views; Escape, q or ? closes it."""

    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body"):
            yield Static(Text("Keys", style="bold underline"))
            yield Static(help_text())
            yield Static(legend_text(), id="help-legend")
            yield Static(Text("escape closes", style="dim"))
