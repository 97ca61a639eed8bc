"""Layered drawing of a service call graph on matplotlib axes.

Columns are BFS depths from the internet-exposed services, so the drawing
reads left to right as an attacker moves inward. No step costs more than
O((nodes + edges) log nodes), so large meshes stay cheap to draw.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict

import networkx as nx
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch
from matplotlib.path import Path as MarkerPath

from lab.analysis import PostureStats
from lab.model import Scenario, Service
from lab.schema import ServiceKind

ROWS_PER_COLUMN = 20  # a taller column wraps into sub-columns
# Groups are zones when there are 2 to this many zones. Otherwise a group is
# every service at one depth from the exposed services.
MAX_ZONE_GROUPS = 12
# Estimated height of the plot area of a 6-inch figure, below the two-line
# title and above the axis label, in points.
PLOT_HEIGHT_POINTS = 340.0
COMPROMISE_CMAP = colormaps["YlOrRd"]
KIND_MARKERS = {
    ServiceKind.SERVICE: ("o", "service"),
    ServiceKind.GATEWAY: ("D", "gateway"),
    ServiceKind.QUEUE: ("h", "queue"),
    ServiceKind.DATASTORE: ("s", "datastore"),
    ServiceKind.EXTERNAL: ("^", "external"),
}


def layer_columns(graph: nx.DiGraph, sources: list[str], last_nodes: set[str]) -> dict[str, int]:
    """Assign each node a column: its BFS depth from `sources`, with `last_nodes` after all others.

    Nodes that no source reaches go in the column after the deepest reached one.
    """
    depth = nx.multi_source_dijkstra_path_length(graph, sources) if sources else {}
    column = {node: depth[node] for node in graph if node in depth and node not in last_nodes}
    unreached = max(column.values(), default=-1) + 1
    for node in graph:
        if node not in last_nodes and node not in column:
            column[node] = unreached
    final = max(column.values(), default=-1) + 1
    column.update({node: final for node in last_nodes})
    return column


def _natural_key(name: str) -> tuple[tuple[int, str], ...]:
    """Return a sort key that orders `svc-2` before `svc-10`."""
    return tuple((int(part), "") if part.isdigit() else (-1, part) for part in re.split(r"(\d+)", name))


def _layout(graph: nx.DiGraph, column: dict[str, int]) -> tuple[dict[str, tuple[float, float]], int]:
    """Place nodes one row apart in columns from left to right, and return the tallest column's size.

    Each column is sorted by the mean height of its nodes' placed
    predecessors, one O(nodes + edges) barycenter pass that removes most edge
    crossings. In a column of more than `ROWS_PER_COLUMN` nodes, successive
    nodes step across three sub-columns, so neighbours and their labels sit
    side by side.
    """
    by_column: dict[int, list[str]] = defaultdict(list)
    for node in sorted(graph, key=_natural_key):
        by_column[column[node]].append(node)
    position: dict[str, tuple[float, float]] = {}

    def barycenter(node: str) -> float:
        placed = [position[p][1] for p in graph.predecessors(node) if p in position]
        return sum(placed) / len(placed) if placed else math.inf

    for x in sorted(by_column):
        nodes = sorted(by_column[x], key=lambda n: (barycenter(n), _natural_key(n)))
        wraps = 3 if len(nodes) > ROWS_PER_COLUMN else 1
        for rank, node in enumerate(nodes):
            shift = (rank % wraps - (wraps - 1) / 2) * 0.18
            position[node] = (x + shift, (len(nodes) - 1) / 2 - rank)
    return position, max(len(nodes) for nodes in by_column.values())


def _frame(ax: Axes, position: dict[str, tuple[float, float]]) -> None:
    """Fit the axes to the nodes, with room below the lowest node for its label."""
    xs = [x for x, _ in position.values()]
    ys = [y for _, y in position.values()]
    ax.set_xlim(min(xs) - 0.5, max(xs) + 0.5)
    ax.set_ylim(min(ys) - 0.9, max(ys) + 0.6)


def _draw_edges(ax: Axes, graph: nx.DiGraph, position: dict[str, tuple[float, float]],
                area: dict[str, float], widths: dict[tuple[str, str], float]) -> None:
    """Draw each edge as an arrow and each self-loop as a ring on top of its node.

    `area` is each node's scatter marker area (points squared), so arrows stop
    at the marker's edge.
    """
    for source, target in graph.edges:
        width = widths.get((source, target), 1.2)
        if source == target:
            # A ring of radius 0.6 node radii, centred 1.45 node radii above
            # the node. Matplotlib scales a path marker so that its largest
            # coordinate (here 2.05) is half the marker size.
            ring = MarkerPath.circle((0.0, 1.45), 0.6)
            ax.plot(*position[source], marker=ring, markersize=2.05 * math.sqrt(area[source]),
                    markerfacecolor="none", markeredgecolor="0.4", markeredgewidth=width, zorder=2)
            continue
        same_column = round(position[source][0]) == round(position[target][0])
        ax.add_patch(FancyArrowPatch(
            position[source], position[target], arrowstyle="-|>", mutation_scale=14,
            connectionstyle=f"arc3,rad={0.35 if same_column else 0.08}", color="0.45", alpha=0.75,
            linewidth=width, shrinkA=math.sqrt(area[source]) / 2 + 1,
            shrinkB=math.sqrt(area[target]) / 2 + 2, zorder=1))


def _group_services(scenario: Scenario, column: dict[str, int]) -> tuple[dict[str, str], str]:
    """Map each service to its group for the aggregated graph, and return the grouping's name too."""
    zones = {service.zone for service in scenario.services}
    if 2 <= len(zones) <= MAX_ZONE_GROUPS:
        return {service.name: service.zone for service in scenario.services}, "zone"
    return {service.name: f"depth {column[service.name]}" for service in scenario.services}, "attack depth"


def _label_box(alpha: float) -> dict[str, object]:
    return {"boxstyle": "round,pad=0.15", "facecolor": "white", "alpha": alpha, "linewidth": 0}


def _placement(beside: bool, diameter: float) -> dict[str, object]:
    """Return annotate() arguments that put a label right of a node, or under it."""
    if beside:
        return {"xytext": (diameter / 2 + 2, 0), "ha": "left", "va": "center"}
    return {"xytext": (0, -diameter / 2 - 2), "ha": "center", "va": "top"}


def _shorten(name: str, limit: int = 24) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def draw_services(ax: Axes, scenario: Scenario, stats: PostureStats, graph: nx.DiGraph,
                  column: dict[str, int]) -> str:
    """Draw one node per service, coloured by its compromise probability, and return the title line.

    Marker shape shows the service kind and a thick outline an internet-exposed
    service. Labels go under the nodes, or beside them in a wrapped column.
    """
    position, rows = _layout(graph, column)
    spacing = PLOT_HEIGHT_POINTS / rows
    beside = rows > ROWS_PER_COLUMN
    font = 9 if rows <= 8 else 7
    diameter = min(spacing, 14.0) if beside else max(8.0, min(spacing - font - 4, 20.5))
    area = diameter**2
    entry = scenario.attacker(stats.attacker).entry
    _frame(ax, position)
    _draw_edges(ax, graph, position, defaultdict(lambda: area), {})
    kinds_seen = []
    for kind, (marker, _) in KIND_MARKERS.items():
        services = [s for s in scenario.services if s.kind is kind]
        if not services:
            continue
        kinds_seen.append(kind)
        ax.scatter([position[s.name][0] for s in services], [position[s.name][1] for s in services],
                   s=area, marker=marker, c=[stats.service_compromise[s.name] for s in services],
                   cmap=COMPROMISE_CMAP, vmin=0.0, vmax=1.0, zorder=3, gid="services",
                   edgecolors=["black" if s.exposed else "0.5" for s in services],
                   linewidths=[2.8 if s.exposed else 0.8 for s in services])
    for service in scenario.services:
        label = _shorten(service.name) if beside else service.name
        label += " (entry)" if entry.kind == "service" and entry.name == service.name else ""
        ax.annotate(label, position[service.name], textcoords="offset points", fontsize=font, zorder=4,
                    bbox=_label_box(0.7), **_placement(beside, diameter))
    handles = [Line2D([], [], linestyle="", marker=KIND_MARKERS[k][0], markersize=9, color="0.85",
                      markeredgecolor="0.5", label=KIND_MARKERS[k][1]) for k in kinds_seen]
    handles.append(Line2D([], [], linestyle="", marker="o", markersize=9, color="0.85",
                          markeredgecolor="black", markeredgewidth=2.5, label="internet-exposed"))
    ax.legend(handles=handles, loc="lower left", fontsize=8, framealpha=0.85)
    return f"Service graph: declared calls, {len(scenario.services)} services"


def draw_groups(ax: Axes, scenario: Scenario, stats: PostureStats, graph: nx.DiGraph,
                column: dict[str, int]) -> str:
    """Draw one node per group of services and return the title line.

    A node's area grows with its number of services, its colour is their mean
    compromise probability, and an arrow's width grows with the number of
    service-to-service calls between two groups.
    """
    group_of, grouping = _group_services(scenario, column)
    members: dict[str, list[Service]] = defaultdict(list)
    for service in scenario.services:
        members[group_of[service.name]].append(service)
    calls = Counter((group_of[a], group_of[b]) for a, b in graph.edges)
    groups = nx.DiGraph()
    groups.add_nodes_from(members)
    groups.add_edges_from(calls)
    group_column = {g: min(column[s.name] for s in services) for g, services in members.items()}
    position, rows = _layout(groups, group_column)
    # Multi-line labels fit under the nodes only when a column has at most two groups.
    beside = rows > 2
    widest = min(PLOT_HEIGHT_POINTS / rows * 0.9, 45.0)
    largest = max(len(services) for services in members.values())
    diameter = {g: max(8.0, widest * math.sqrt(len(services) / largest)) for g, services in members.items()}
    area = {g: d**2 for g, d in diameter.items()}
    _frame(ax, position)
    _draw_edges(ax, groups, position, area, {pair: 0.8 + 2.0 * math.log10(n) for pair, n in calls.items()})
    names = sorted(members, key=_natural_key)
    compromise = [sum(stats.service_compromise[s.name] for s in members[g]) / len(members[g]) for g in names]
    ax.scatter([position[g][0] for g in names], [position[g][1] for g in names],
               s=[area[g] for g in names], c=compromise, cmap=COMPROMISE_CMAP, vmin=0.0, vmax=1.0,
               edgecolors="0.3", zorder=3, gid="groups")
    for group in names:
        services = members[group]
        exposed = sum(s.exposed for s in services)
        stores = sum(s.kind is ServiceKind.DATASTORE for s in services)
        internal = calls.get((group, group), 0)
        details = [plural(len(services), "service")]
        details += [f"{exposed} exposed"] if exposed else []
        details += [plural(stores, "datastore")] if stores else []
        inside = [f"{plural(internal, 'call')} inside"] if internal else []
        if beside:
            label = "\n".join([_shorten(group), ", ".join(details), *inside])
        else:
            label = "\n".join([group, *details, *inside])
        ax.annotate(label, position[group], textcoords="offset points", fontsize=8, zorder=4,
                    bbox=_label_box(0.8), **_placement(beside, diameter[group]))
    ax.legend(handles=[Line2D([], [], color="0.45", linewidth=2.5, label="calls (width grows with count)")],
              loc="lower left", fontsize=8)
    return f"Service graph aggregated by {grouping}: {len(scenario.services)} services in {len(names)} groups"


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")
