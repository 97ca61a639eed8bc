"""Two postures side by side: headline metrics with paired 95% intervals, and the blast-radius distribution."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static

import lab
from tui import format as fmt
from tui.histogram import BlastHistogram
from tui.runs import Snapshot

# Row key, label, and the `lab.compare` metric that gives the interval of the change (None for none).
ROWS: tuple[tuple[str, str, str | None], ...] = (
    ("blast_median", "blast radius, median", None),
    ("blast_p95", "blast radius, p95", "blast_radius_p95"),
    ("blast_mean", "blast radius, mean", "blast_radius_mean"),
    ("objective", "objective reached", "objective_exfiltrated_probability"),
    ("objective_time", "time to first objective", None),
    ("detected", "attack detected", "detection_probability"),
    ("detection_time", "time to detection", None),
)


def metric_cells(stats: lab.PostureStats) -> dict[str, str]:
    """Format the compared metrics of one posture; times are medians over the trials where it happened."""
    return {
        "blast_median": fmt.count(stats.blast_radius.median),
        "blast_p95": fmt.count(stats.blast_radius.p95),
        "blast_mean": fmt.count(stats.blast_radius.mean),
        "objective": fmt.percent(stats.objective_exfiltrated.probability),
        "objective_time": fmt.hours(stats.objective_exfiltrated.median),
        "detected": fmt.percent(stats.detection.probability),
        "detection_time": fmt.hours(stats.detection.median),
    }


def change_cell(difference: lab.Difference) -> Text:
    """Format a paired difference with its 95% bootstrap interval; probabilities in percentage points."""
    scale, unit = (100.0, " pts") if difference.metric.endswith("probability") else (1.0, "")
    low, high = difference.difference_low * scale, difference.difference_high * scale
    text = Text(fmt.signed(difference.difference * scale, unit))
    text.append(f" [{fmt.signed(low)}, {fmt.signed(high)}]", style="dim")
    return text


class ComparePanel(VerticalScroll):
    """The baseline posture against the current one, for the current attacker."""

    def __init__(self, scenario: lab.Scenario, id: str | None = None) -> None:
        super().__init__(id=id)
        self.scenario = scenario

    def compose(self) -> ComposeResult:
        yield Static("", id="compare-title")
        table: DataTable[str | Text] = DataTable(id="compare-table", cursor_type="none", zebra_stripes=True)
        yield table
        yield BlastHistogram(id="histogram")

    def show_snapshot(self, snapshot: Snapshot) -> None:
        base, current = snapshot.baseline, snapshot.current
        title = Text()
        title.append("baseline ", style="dim")
        title.append(base.posture.name, style="bold #95a5a6")
        title.append("  vs  current ", style="dim")
        title.append(current.posture.name, style="bold #f39c12")
        title.append(f"   attacker {current.attacker}, {current.trials} paired trials (b: baseline)", style="dim")
        self.query_one("#compare-title", Static).update(title)
        table = self.query_one("#compare-table", DataTable)
        # Columns are re-added so that their widths follow the posture names.
        table.clear(columns=True)
        table.add_column("metric", key="metric")
        table.add_column(Text(base.posture.name, style="#95a5a6"), key="baseline")
        table.add_column(Text(current.posture.name, style="#f39c12"), key="current")
        table.add_column("change [95% CI]", key="change")
        left, right = metric_cells(base.stats), metric_cells(current.stats)
        differences = {d.metric: d for d in snapshot.differences}
        for key, label, metric in ROWS:
            change: str | Text = change_cell(differences[metric]) if metric in differences else ""
            table.add_row(label, left[key], right[key], change, key=key)
        self.query_one(BlastHistogram).show(
            [row.blast_radius for row in base.stats.rows], [row.blast_radius for row in current.stats.rows],
            len(self.scenario.services), (base.posture.name, current.posture.name))
