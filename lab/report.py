"""Rich tables of scenarios and study results, for the command line."""

from __future__ import annotations

import math

from rich.table import Table

from lab.analysis import Difference, PostureStats
from lab.durations import format_hours
from lab.model import Scenario
from lab.study import Study

METRIC_LABELS = {
    "blast_radius_mean": "blast radius, mean (services)",
    "blast_radius_p95": "blast radius, p95 (services)",
    "compromised_mean": "compromised, mean (services)",
    "exposure_exfiltrated_mean": "data exfiltrated, mean (sensitivity)",
    "objective_exfiltrated_probability": "P(objective exfiltrated)",
    "objective_touched_probability": "P(objective touched via API)",
    "detection_probability": "P(detected)",
}


def scenario_table(scenario: Scenario) -> Table:
    table = Table(title=f"{scenario.name}: {len(scenario.services)} services, {len(scenario.calls)} calls, "
                  f"{len(scenario.credentials)} credentials")
    for column in ("service", "kind", "zone", "node", "exposed", "data (sensitivity)", "vulnerabilities",
                   "calls out", "credentials held"):
        table.add_column(column, overflow="fold")
    for service in scenario.services:
        out = [c.target for c in scenario.calls if c.source == service.name]
        held = [c.name for c in scenario.credentials if service.name in c.holders]
        table.add_row(
            service.name, service.kind.value, service.zone, service.node or "-", "yes" if service.exposed else "",
            ", ".join(f"{a.name} ({a.sensitivity})" for a in service.assets),
            ", ".join(f"{v.id} ({v.severity.value})" for v in service.vulnerabilities),
            ", ".join(out), ", ".join(held),
        )
    return table


def _format(value: float, probability: bool = False) -> str:
    if not math.isfinite(value):
        return "-"
    return f"{value:.1%}" if probability else f"{value:.2f}"


def _stats_rows(stats: PostureStats) -> list[tuple[str, str]]:
    o = stats.objective_exfiltrated
    t = stats.objective_touched
    d = stats.detection
    return [
        ("blast radius, mean / median / p95 / max (services)",
         f"{stats.blast_radius.mean:.2f} / {stats.blast_radius.median:g} / {stats.blast_radius.p95:g} / "
         f"{stats.blast_radius.max:g}"),
        ("compromised, mean / p95 / max (services)",
         f"{stats.compromised.mean:.2f} / {stats.compromised.p95:g} / {stats.compromised.max:g}"),
        ("data exfiltrated, mean (sensitivity points)", f"{stats.exposure_exfiltrated.mean:.2f}"),
        ("P(objective exfiltrated)", _format(o.probability, True)),
        ("  time to objective, median / p95", f"{format_hours(o.median)} / {format_hours(o.p95)}"),
        ("P(objective touched via API)", _format(t.probability, True)),
        ("P(detected)", _format(d.probability, True)),
        ("  time to detection, median", format_hours(d.median)),
    ]


def study_table(study: Study, attacker: str) -> Table:
    a = study.scenario.attacker(attacker)
    table = Table(title=f"{study.scenario.name}: attacker {attacker} ({a.strategy.value}, entry {a.entry}, "
                  f"horizon {format_hours(a.horizon)}), {study.trials} trials, seed {study.seed}")
    table.add_column("metric", overflow="fold")
    for posture in study.postures:
        table.add_column(posture, justify="right", overflow="fold")
    rows = [_stats_rows(study.stats[(p, attacker)]) for p in study.postures]
    for index, (label, _) in enumerate(rows[0]):
        table.add_row(label, *(r[index][1] for r in rows))
    return table


def comparison_table(attacker: str, baseline: str, other: str, differences: list[Difference]) -> Table:
    table = Table(title=f"{other} vs {baseline}, attacker {attacker} (paired trials, 95% bootstrap CI)")
    for column in ("metric", baseline, other, "difference [95% CI]", "ratio [95% CI]"):
        table.add_column(column, justify="left" if column == "metric" else "right", overflow="fold")
    for d in differences:
        probability = d.metric.endswith("probability")
        table.add_row(
            METRIC_LABELS[d.metric], _format(d.a, probability), _format(d.b, probability),
            f"{_signed(d.difference, probability)} [{_signed(d.difference_low, probability)}, "
            f"{_signed(d.difference_high, probability)}]",
            f"{_format(d.ratio)} [{_format(d.ratio_low)}, {_format(d.ratio_high)}]",
        )
    return table


def _signed(value: float, probability: bool) -> str:
    if not math.isfinite(value):
        return "-"
    return f"{value:+.1%}" if probability else f"{value:+.2f}"
