"""Charts of study results as matplotlib figures, and PNG files of them.

Figures are built with `matplotlib.figure.Figure`, never with pyplot, so
drawing keeps no global state, and PNG output uses matplotlib's Agg renderer,
which needs no display.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
import textwrap
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import networkx as nx
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import ScaledTranslation, Transform

from lab.analysis import PostureStats
from lab.engine.actions import Event, Outcome
from lab.engine.runner import sample_trial
from lab.engine.trial import TrialResult
from lab.model import Scenario
from lab.output import write_atomic
from lab.schema import ServiceKind
from lab.servicegraph import COMPROMISE_CMAP, draw_groups, draw_services, layer_columns, plural
from lab.study import Study

FIGURE_SIZE = (10.0, 6.0)  # inches, about the size of a slide
DPI = 120
TITLE_WIDTH = 90  # characters per title line, an estimate of what fits above a 10-inch chart
# Above this many services, or this many in one column, the service graph
# shows one node per group of services, because single nodes and their labels
# no longer fit on a slide.
AGGREGATE_ABOVE = 150
MAX_COLUMN_NODES = 60
MAX_BAR_GROUPS = 60  # above this, each blast-radius bar covers several values
MAX_TIMELINE_ROWS = 30
MIN_TIMELINE_ROWS = 8  # row slots, so a short timeline keeps thin bars
# A horizon longer than this many hours is drawn in days.
DAYS_ABOVE_HOURS = 72.0

POSTURE_COLORS = colormaps["tab10"].colors
OUTCOME_COLORS = {
    Outcome.SUCCESS: "#d62728",
    Outcome.FAILED: "#7f7f7f",
    Outcome.DENIED: "#1f77b4",
    Outcome.EXPIRED: "#17becf",
    Outcome.ABORTED: "#bcbd22",
    Outcome.BLOCKED: "#9467bd",
    Outcome.ISOLATED: "#2ca02c",
    Outcome.REVOKED: "#8c564b",
    Outcome.UNFINISHED: "#ff7f0e",
}
_UNSAFE = re.compile(r"[^A-Za-z0-9.-]+")


def _figure(height: float = FIGURE_SIZE[1]) -> Figure:
    return Figure(figsize=(FIGURE_SIZE[0], height), dpi=DPI, layout="constrained")


def _stats(study: Study, posture: str, attacker: str) -> PostureStats:
    try:
        return study.stats[(posture, attacker)]
    except KeyError:
        raise ValueError(f"the study has no results for posture {posture!r} and attacker {attacker!r}. "
                         "Plan the study with both, then call run_study.") from None


def _title(heading: str, scenario: str, attacker: str, postures: Sequence[str]) -> str:
    """Return a chart title: the heading, then the scenario, attacker and postures, wrapped to fit."""
    context = f"scenario {scenario} · attacker {attacker} · posture {' vs '.join(postures)}"
    lines = (heading, context)
    return "\n".join(textwrap.fill(line, TITLE_WIDTH, break_long_words=False, break_on_hyphens=False)
                     for line in lines)


def blast_radius_figure(study: Study, attacker: str) -> Figure:
    """Draw the distribution of blast radius per trial, one bar group per posture.

    Bar heights are the fraction of trials that reached exactly that many
    services. Above `MAX_BAR_GROUPS` distinct values, each bar covers a range
    of equal width. Dashed lines mark each posture's mean and dotted lines its p95.
    """
    all_stats = [_stats(study, posture, attacker) for posture in study.postures]
    largest = max(row.blast_radius for stats in all_stats for row in stats.rows)
    bin_width = math.ceil((largest + 1) / MAX_BAR_GROUPS)
    bins = range(0, largest + 1, bin_width)
    width = 0.8 * bin_width / len(all_stats)
    figure = _figure()
    ax = figure.add_subplot()
    for number, stats in enumerate(all_stats):
        color = POSTURE_COLORS[number % len(POSTURE_COLORS)]
        counts = Counter(row.blast_radius // bin_width * bin_width for row in stats.rows)
        heights = [counts.get(start, 0) / stats.trials for start in bins]
        offset = (bin_width - 1) / 2 + (number - (len(all_stats) - 1) / 2) * width
        label = f"{stats.posture}: mean {stats.blast_radius.mean:.2f}, p95 {stats.blast_radius.p95:.3g}"
        ax.bar([start + offset for start in bins], heights, width=width, color=color, label=label)
        ax.axvline(stats.blast_radius.mean, color=color, linestyle="--", linewidth=2, zorder=3)
        ax.axvline(stats.blast_radius.p95, color=color, linestyle=":", linewidth=2, zorder=3)
    ax.plot([], [], color="black", linestyle="--", label="mean")
    ax.plot([], [], color="black", linestyle=":", label="95th percentile (p95)")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlim(-0.6, bins[-1] + bin_width - 0.4)
    xlabel = "blast radius (services reached beyond the entry foothold)"
    if bin_width > 1:
        xlabel += f", bars of {bin_width} values"
    ax.set_xlabel(xlabel)
    ax.set_ylabel("fraction of trials")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9)
    heading = f"Blast radius per trial ({study.trials} trials per posture)"
    ax.set_title(_title(heading, study.scenario.name, attacker, study.postures))
    return figure


def _time_unit(horizon: float) -> tuple[float, str]:
    """Return (hours per unit, unit name) for a time axis that ends at `horizon` hours."""
    return (24.0, "days") if horizon > DAYS_ABOVE_HOURS else (1.0, "hours")


def objective_cdf_figure(study: Study, attacker: str) -> Figure:
    """Draw the empirical CDF of the time to first exfiltration of an objective asset.

    Each curve ends at the fraction of trials that exfiltrated the objective
    within the horizon, which is below 1 when some trials never did.
    """
    profile = study.scenario.attacker(attacker)
    per_unit, unit = _time_unit(profile.horizon)
    end = profile.horizon / per_unit
    figure = _figure()
    ax = figure.add_subplot()
    for number, posture in enumerate(study.postures):
        stats = _stats(study, posture, attacker)
        times = sorted(row.objective_exfiltrated_at / per_unit for row in stats.rows
                       if math.isfinite(row.objective_exfiltrated_at))
        xs = [0.0, *times, end]
        ys = [0.0, *(i / stats.trials for i in range(1, len(times) + 1)), len(times) / stats.trials]
        label = f"{posture}: {stats.objective_exfiltrated.probability:.0%} of trials exfiltrate it"
        ax.step(xs, ys, where="post", linewidth=2.2, label=label,
                color=POSTURE_COLORS[number % len(POSTURE_COLORS)])
    ax.axvline(end, color="black", linestyle="--", linewidth=1.2,
               label=f"attacker horizon ({end:g} {unit})")
    ax.set_xlim(0, end * 1.03)
    ax.set_ylim(-0.02, 1.05)
    ax.set_xlabel(f"time since the attack started ({unit})")
    ax.set_ylabel("fraction of trials with the objective exfiltrated")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left")
    objective = ", ".join(profile.objective)
    if len(objective) > 60:
        objective = objective[:57] + "..."
    heading = f"Time to first exfiltration of an objective asset ({objective})"
    ax.set_title(_title(heading, study.scenario.name, attacker, study.postures))
    return figure


def service_graph_figure(study: Study, posture: str, attacker: str) -> Figure:
    """Draw the declared call graph with services coloured by compromise probability.

    Columns are BFS depth from the internet-exposed services, with datastores
    last. Above `AGGREGATE_ABOVE` services, or when one column would hold
    more than `MAX_COLUMN_NODES`, one node stands for a group of services: a
    zone, or a depth when the zones do not split the graph.
    """
    scenario = study.scenario
    stats = _stats(study, posture, attacker)
    graph = nx.DiGraph()
    graph.add_nodes_from(service.name for service in scenario.services)
    graph.add_edges_from((call.source, call.target) for call in scenario.calls)
    exposed = [service.name for service in scenario.services if service.exposed]
    datastores = {s.name for s in scenario.services if s.kind is ServiceKind.DATASTORE}
    sources = exposed or [name for name in graph if graph.in_degree(name) == 0 and name not in datastores]
    column = layer_columns(graph, sources, datastores)
    figure = _figure()
    ax = figure.add_subplot()
    widest = max(Counter(column.values()).values())
    mappable = ScalarMappable(norm=Normalize(0.0, 1.0), cmap=COMPROMISE_CMAP)
    bar = figure.colorbar(mappable, ax=ax, fraction=0.04, pad=0.01)
    if len(scenario.services) > AGGREGATE_ABOVE or widest > MAX_COLUMN_NODES:
        heading = draw_groups(ax, scenario, stats, graph, column)
        ax.set_xlabel("least depth of the group's services from internet-exposed services (call hops)")
        bar.set_label("mean compromise probability per group (fraction of trials)")
    else:
        heading = draw_services(ax, scenario, stats, graph, column)
        ax.set_xlabel("depth from internet-exposed services (call hops), datastores last")
        bar.set_label("compromise probability (fraction of trials)")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_yticks([])
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.set_title(_title(heading, scenario.name, attacker, [posture]))
    return figure


def _nudge(ax: Axes, points: float) -> Transform:
    """Return the data transform of `ax` shifted right by `points`."""
    return ax.transData + ScaledTranslation(points / 72, 0, ax.figure.dpi_scale_trans)


def _event_label(event: Event) -> str:
    technique = f"{event.technique.value} {event.attack_id}".strip()
    via = f" with {event.credential}" if event.credential and event.source != "defender" else ""
    return f"{technique}: {event.source} → {event.target}{via}"


def timeline_figure(scenario: Scenario, posture_name: str, attacker_name: str, trial: TrialResult) -> Figure:
    """Draw the events of one trial as bars from start to end, one row per event.

    Bars are coloured by outcome, and a detected action has a hatched bar and
    a star. Events too short for a bar, such as the instant container escapes
    and responses, are diamonds.
    Only the first `MAX_TIMELINE_ROWS` events by start time are drawn. The
    engine records an event when an attempt ends, so attempts still running
    at the horizon are not drawn.
    """
    events = sorted(trial.events, key=lambda e: (e.time, e.end))
    first_events = events[:MAX_TIMELINE_ROWS]
    figure = _figure(max(FIGURE_SIZE[1], 0.24 * len(first_events) + 2.0))
    ax = figure.add_subplot()
    horizon = scenario.attacker(attacker_name).horizon
    last = max((e.end for e in first_events), default=0.0)
    span = max(last, 1e-9)
    for row, event in enumerate(first_events):
        color = OUTCOME_COLORS[event.outcome]
        hatch = "///" if event.detected else None
        if event.end - event.time > span * 0.002:
            ax.barh(row, event.end - event.time, left=event.time, height=0.6, color=color, hatch=hatch,
                    edgecolor="black" if event.detected else color, linewidth=0.8, gid="event")
        else:
            ax.plot([event.time], [row], marker="D", markersize=8, color=color, gid="event",
                    markeredgecolor="black" if event.detected else color)
        if event.detected:
            ax.plot([event.end], [row], marker="*", markersize=13, color="black", linestyle="",
                    gid="detected", transform=_nudge(ax, 9))
    ax.set_yticks(range(len(first_events)), [_event_label(e) for e in first_events], fontsize=8)
    ax.set_ylim(max(len(first_events), MIN_TIMELINE_ROWS) - 0.5, -0.5)
    right = last * 1.08 if last > 0 else 1.0
    ax.set_xlim(0, right)
    if horizon <= right:
        ax.axvline(horizon, color="black", linestyle="--", linewidth=1.2, label="attacker horizon")
    ax.set_xlabel("time since the attack started (hours)")
    ax.set_ylabel("event (technique ATT&CK id: source → target)")
    ax.grid(axis="x", alpha=0.3)
    if first_events:
        present = list(dict.fromkeys(e.outcome for e in first_events))
        handles = [Patch(color=OUTCOME_COLORS[o], label=o.value) for o in present]
        handles.append(Line2D([], [], marker="*", markersize=13, color="black", linestyle="",
                              label="detected (star, hatched bar)"))
        handles += ax.get_legend_handles_labels()[0]
        ax.legend(handles=handles, title="outcome", loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    else:
        message = ("no attempt finished within the horizon" if trial.attempts
                   else "no events: the attacker had no action to try")
        ax.text(0.5, 0.5, message, transform=ax.transAxes, ha="center", fontsize=12)
    count = plural(len(events), "event")
    if len(events) > len(first_events):
        count = f"first {len(first_events)} of {count}"
    heading = f"Timeline of trial {trial.index}: {count}, blast radius {trial.blast_radius}"
    ax.set_title(_title(heading, scenario.name, attacker_name, [posture_name]))
    return figure


def safe_file_part(name: str) -> str:
    """Turn a scenario name into a file-name part of letters, digits, dots and hyphens.

    A name that needs any change gets a hash of the original appended, so two
    names never map to the same file. The result never starts with a dot, so
    it can be neither `..` nor a hidden file.
    """
    cleaned = _UNSAFE.sub("-", name).lstrip(".-")[:60].rstrip(".-")
    if cleaned == name and name:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{cleaned}-{digest}" if cleaned else digest


def representative_trial(stats: PostureStats) -> int:
    """Return the index of the first trial whose blast radius is nearest the 95th percentile.

    A bad but not extreme trial shows what a posture lets through; the
    median trial is often an attack that failed at the first step.
    """
    p95 = stats.blast_radius.p95
    return min(stats.rows, key=lambda row: (abs(row.blast_radius - p95), row.index)).index


def _write_png(figure: Figure, path: Path) -> None:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    figure.clear()
    write_atomic(path, buffer.getvalue())


def _target(out: Path, *parts: str) -> Path:
    path = out / ("_".join(safe_file_part(p) for p in parts) + ".png")
    if path.resolve().parent != out.resolve():
        raise ValueError(f"chart file name {path.name!r} would leave the output folder {out}")
    return path


def write_charts(study: Study, out: Path) -> list[Path]:
    """Write every chart of `study` as a PNG file in `out` and return the paths written.

    Per attacker: `blast-radius_<attacker>.png` and `objective-cdf_<attacker>.png`,
    and per posture `service-graph_<attacker>_<posture>.png` and
    `timeline_<attacker>_<posture>.png`. The timeline re-runs the trial whose
    blast radius is nearest the 95th percentile.
    """
    out = Path(out)
    written: list[Path] = []

    def write(figure: Figure, *name_parts: str) -> None:
        path = _target(out, *name_parts)
        _write_png(figure, path)
        written.append(path)

    scenario = study.scenario
    for attacker in study.attackers:
        write(blast_radius_figure(study, attacker), "blast-radius", attacker)
        write(objective_cdf_figure(study, attacker), "objective-cdf", attacker)
        for posture in study.postures:
            write(service_graph_figure(study, posture, attacker), "service-graph", attacker, posture)
            index = representative_trial(_stats(study, posture, attacker))
            trial = sample_trial(scenario, scenario.posture(posture), scenario.attacker(attacker),
                                 study.seed, index)
            write(timeline_figure(scenario, posture, attacker, trial), "timeline", attacker, posture)
    return written
