"""Service detail: data, credentials, callers, compromise probability per posture and the shortest attack path."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

import lab
from tui import format as fmt
from tui.messages import DetailReady
from tui.runs import PostureRun


def describe_service(scenario: lab.Scenario, name: str) -> Text:
    """Describe a service from the scenario: kind, data, flaws, credentials and calls in and out."""
    service = scenario.service(name)
    text = Text()
    text.append(f"{service.name}", style="bold")
    text.append(f"  {service.kind.value}, zone {service.zone}")
    if service.exposed:
        text.append(", exposed to the internet", style="bold #e67e22")
    if service.node:
        text.append(f", node {service.node}")
    text.append("\n")
    if service.description:
        text.append(f"{service.description}\n", style="italic")
    text.append(f"identity {service.identity}\n")

    _section(text, "data", [f"{a.name} (sensitivity {a.sensitivity})" for a in service.assets])
    _section(text, "vulnerabilities", [f"{v.id} ({v.severity.value})" for v in service.vulnerabilities])
    _section(text, "shadow APIs", [f"{api.name} ({api.effect})" for api in service.shadow_apis])

    held = [c for c in scenario.credentials if name in c.holders]
    _section(text, "credentials held", [
        f"{c.name}: {c.kind.value} in {c.storage.value}, grants "
        + ", ".join(f"{g.access.value} on {g.target}" for g in c.grants)
        + (f", shared with {', '.join(h for h in c.holders if h != name)}" if c.shared else "")
        for c in held
    ])
    granted = [c for c in scenario.credentials if any(g.target == name for g in c.grants)]
    _section(text, "credentials that grant access to it", [f"{c.name} (held by {', '.join(c.holders)})"
                                                          for c in granted])

    callers = [c for c in scenario.calls if c.target == name]
    incoming = [f"{c.source} ({c.protocol}{f':{c.port}' if c.port else ''}"
                + (f", {', '.join(c.operations)}" if c.operations else "")
                + (f", with {c.credential}" if c.credential else "") + ")" for c in callers]
    if service.exposed:
        incoming.insert(0, "internet (exposed)")
    _section(text, "may be called by", incoming)
    _section(text, "calls", [c.target for c in scenario.calls if c.source == name])
    return text


def _section(text: Text, title: str, lines: list[str]) -> None:
    text.append(f"{title}: ", style="bold")
    text.append(", ".join(lines) if lines else "none", style="" if lines else "dim")
    text.append("\n")


def format_path(path: list[str]) -> str:
    return " → ".join(path)


class ServiceDetail(ModalScreen[None]):
    """A service's facts from the scenario and its exposure under every posture."""

    BINDINGS = [Binding("escape,q,enter", "dismiss", "Close")]

    def __init__(self, scenario: lab.Scenario, name: str, attacker: str, posture: lab.Posture) -> None:
        super().__init__()
        self.scenario = scenario
        self.service_name = name
        self.attacker = attacker
        self.posture = posture

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="detail-body"):
            yield Static(describe_service(self.scenario, self.service_name), id="detail-facts")
            yield Static(Text("shortest attack paths: computing…", style="dim"), id="detail-paths")
            yield Static(Text(f"compromise probability per posture ({self.attacker}):", style="bold"))
            table: DataTable[str | Text] = DataTable(id="detail-postures", cursor_type="none")
            yield table
            yield Static(Text("escape closes", style="dim"))

    def on_mount(self) -> None:
        table = self.query_one("#detail-postures", DataTable)
        table.add_column("posture", key="posture")
        table.add_column("compromised", key="compromised")
        table.add_column("reached", key="reached")
        table.add_column("controls", key="controls")
        table.add_row(Text("simulating…", style="dim"), "", "", "", key="pending")

    def show_paths(self, paths: dict[str, list[str]]) -> None:
        text = Text()
        text.append(f"shortest attack paths under {self.posture.name}", style="bold")
        text.append(" (expected time, no defender):\n", style="dim")
        if not paths:
            text.append("  unreachable: no sequence of actions gets the attacker there", style="bold #27ae60")
        for label, path in paths.items():
            text.append(f"  {label}: ", style="bold")
            text.append(format_path(path) + "\n")
        self.query_one("#detail-paths", Static).update(text)

    def show_postures(self, runs: list[PostureRun]) -> None:
        table = self.query_one("#detail-postures", DataTable)
        table.clear()
        for run in runs:
            name = run.posture.name
            label = Text(name, style="bold #f39c12") if name == self.posture.name else Text(name)
            table.add_row(label, fmt.percent(run.stats.service_compromise[self.service_name]),
                          fmt.percent(run.stats.service_reach[self.service_name]),
                          str(len(run.posture.enabled)), key=name)

    def on_detail_ready(self, message: DetailReady) -> None:
        if message.paths is not None:
            self.show_paths(message.paths)
        if message.runs is not None:
            self.show_postures(message.runs)
