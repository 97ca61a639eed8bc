"""Layered layout of a service graph, and orthogonal edge routing on a character grid.

The layout is a small Sugiyama-style pipeline: longest-path layers from the
internet (left) to datastores (right), barycenter ordering inside each layer,
columns sized to the labels, and one A* route per edge through the free
cells. Nothing here depends on Textual, so it is cheap to test.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

# Direction bits of a grid cell: which neighbours a line in the cell joins.
UP, DOWN, LEFT, RIGHT = 1, 2, 4, 8
STEPS = {RIGHT: (1, 0), LEFT: (-1, 0), DOWN: (0, 1), UP: (0, -1)}
OPPOSITE = {UP: DOWN, DOWN: UP, LEFT: RIGHT, RIGHT: LEFT}

SOLID = {
    LEFT | RIGHT: "─", UP | DOWN: "│", LEFT: "─", RIGHT: "─", UP: "│", DOWN: "│",
    DOWN | RIGHT: "╭", DOWN | LEFT: "╮", UP | RIGHT: "╰", UP | LEFT: "╯",
    UP | DOWN | RIGHT: "├", UP | DOWN | LEFT: "┤", LEFT | RIGHT | DOWN: "┬", LEFT | RIGHT | UP: "┴",
    UP | DOWN | LEFT | RIGHT: "┼",
}
DASHED = {**SOLID, LEFT | RIGHT: "╌", UP | DOWN: "╎", LEFT: "╌", RIGHT: "╌", UP: "╎", DOWN: "╎"}
ARROW = "▶"

MIN_GAP = 3  # columns between layers: a vertical channel needs a cell on each side
MAX_GAP = 12
MIN_LABEL = 5
# Routing costs, in cells: a bend, crossing another edge, and running along an
# unrelated edge, which makes two edges look like one.
TURN_COST = 2
CROSS_COST = 3
SHARE_COST = 12
# Beyond this many edges the router is skipped and only the nodes are drawn.
MAX_ROUTED_EDGES = 400


@dataclass(frozen=True, slots=True)
class Placement:
    """Position of a node's label: its first row, first column, width and height in cells."""

    name: str
    layer: int
    row: int
    x: int
    width: int
    height: int = 1

    @property
    def left_port(self) -> tuple[int, int]:
        return (self.x - 1, self.row)

    @property
    def right_port(self) -> tuple[int, int]:
        return (self.x + self.width, self.row)


@dataclass(frozen=True, slots=True)
class Route:
    """The cells an edge passes through, from the source's right port to the target's left port."""

    source: str
    target: str
    cells: tuple[tuple[int, int], ...]


@dataclass
class GraphLayout:
    """A graph placed on a `width` x `height` grid of cells."""

    width: int
    height: int
    nodes: dict[str, Placement]
    layers: list[list[str]]
    routes: list[Route] = field(default_factory=list)
    unrouted: list[tuple[str, str]] = field(default_factory=list)
    grid: Grid | None = None

    def node_at(self, x: int, y: int) -> str | None:
        """Return the node whose label covers cell (x, y), if any."""
        for placement in self.nodes.values():
            rows = placement.row <= y < placement.row + placement.height
            if rows and placement.x <= x < placement.x + placement.width:
                return placement.name
        return None


def assign_layers(nodes: Sequence[str], edges: Sequence[tuple[str, str]],
                  right: Sequence[str] = ()) -> list[list[str]]:
    """Split nodes into layers so that most edges point from left to right.

    Layers are longest paths from the nodes without incoming edges, after
    dropping the edges that close a cycle. A source node that only feeds
    later layers (a load generator, say) moves next to what it calls, and the
    nodes in `right` (datastores, external systems) share the last layer.
    """
    successors: dict[str, list[str]] = {name: [] for name in nodes}
    for source, target in edges:
        if source in successors and target in successors and source != target:
            successors[source].append(target)
    forward = _acyclic_edges(nodes, successors)
    predecessors: dict[str, list[str]] = {name: [] for name in nodes}
    for source, target in forward:
        predecessors[target].append(source)
    layer: dict[str, int] = {}
    for name in _topological_order(nodes, forward):
        layer[name] = max((layer[p] + 1 for p in predecessors[name]), default=0)
    for name in nodes:
        later = [layer[t] for s, t in forward if s == name]
        if not predecessors[name] and later and name not in right:
            layer[name] = max(0, min(later) - 1)
    pinned = set(right)
    if pinned:
        last = max((layer[n] for n in nodes if n not in pinned), default=-1) + 1
        for name in pinned & set(nodes):
            layer[name] = max(last, 1)
    used = sorted(set(layer.values()))
    index = {value: position for position, value in enumerate(used)}
    layers: list[list[str]] = [[] for _ in used]
    for name in nodes:
        layers[index[layer[name]]].append(name)
    return layers


def _acyclic_edges(nodes: Sequence[str], successors: Mapping[str, list[str]]) -> list[tuple[str, str]]:
    """Return the edges minus the back edges of a depth-first search in node order."""
    state: dict[str, int] = {}  # 1 on the stack, 2 finished
    kept: list[tuple[str, str]] = []
    for root in nodes:
        if root in state:
            continue
        stack = [(root, iter(successors[root]))]
        state[root] = 1
        while stack:
            name, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[name] = 2
                stack.pop()
                continue
            if state.get(child) == 1:
                continue
            kept.append((name, child))
            if child not in state:
                state[child] = 1
                stack.append((child, iter(successors[child])))
    return kept


def _topological_order(nodes: Sequence[str], edges: Sequence[tuple[str, str]]) -> list[str]:
    incoming = {name: 0 for name in nodes}
    for _, target in edges:
        incoming[target] += 1
    ready = [name for name in nodes if incoming[name] == 0]
    order: list[str] = []
    while ready:
        name = ready.pop(0)
        order.append(name)
        for source, target in edges:
            if source == name:
                incoming[target] -= 1
                if incoming[target] == 0:
                    ready.append(target)
    return order


def order_layers(layers: list[list[str]], edges: Sequence[tuple[str, str]], sweeps: int = 4) -> list[list[str]]:
    """Reorder each layer by the mean position of its neighbours, to cut crossings."""
    ordered = [list(layer) for layer in layers]
    neighbours: dict[str, set[str]] = {name: set() for layer in layers for name in layer}
    for source, target in edges:
        if source in neighbours and target in neighbours:
            neighbours[source].add(target)
            neighbours[target].add(source)
    for sweep in range(sweeps):
        indices = range(1, len(ordered)) if sweep % 2 == 0 else range(len(ordered) - 2, -1, -1)
        for index in indices:
            reference = ordered[index - 1] if sweep % 2 == 0 else ordered[index + 1]
            position = {name: (i + 0.5) / len(reference) for i, name in enumerate(reference)}
            current = ordered[index]

            def barycenter(name: str, layer: list[str] = current, where: dict[str, float] = position) -> float:
                linked = [where[n] for n in neighbours[name] if n in where]
                own = (layer.index(name) + 0.5) / len(layer)
                return sum(linked) / len(linked) if linked else own

            ordered[index] = sorted(current, key=barycenter)
    return ordered


def fit_columns(natural: Sequence[int], width: int) -> tuple[list[int], int] | None:
    """Choose column widths and the gap between columns for a grid `width` cells wide.

    Returns None when even labels of MIN_LABEL cells and MIN_GAP gaps do not
    fit. Wide columns shrink first, so short labels keep their full text.
    """
    count = len(natural)
    if count == 0:
        return [], MIN_GAP
    margin = 1  # the outer ports need one cell on each side
    columns = list(natural)
    space = width - 2 * margin
    gaps = count - 1
    if sum(columns) + gaps * MIN_GAP > space:
        budget = space - gaps * MIN_GAP
        if budget < count * MIN_LABEL:
            floor = [min(value, MIN_LABEL) for value in columns]
            if sum(floor) > budget:
                return None
        columns = _water_fill(columns, budget)
    gap = MIN_GAP if gaps == 0 else max(MIN_GAP, min(MAX_GAP, (space - sum(columns)) // gaps))
    return columns, gap


def _water_fill(columns: list[int], budget: int) -> list[int]:
    """Cap the widest columns at one level so that their total fits `budget`."""
    for cap in range(max(columns), 0, -1):
        capped = [min(value, max(cap, min(value, MIN_LABEL))) for value in columns]
        if sum(capped) <= budget:
            return capped
    return [min(value, MIN_LABEL) for value in columns]


def place(layers: list[list[str]], natural: Mapping[str, int], width: int, height: int,
          node_height: int = 1) -> GraphLayout | None:
    """Place the ordered layers on the grid; None when the grid is too small.

    Nodes taller than one row get a free row between them, so that edges can
    pass and the blocks stay apart.
    """
    widths = [max((natural[name] for name in layer), default=MIN_LABEL) for layer in layers]
    fitted = fit_columns(widths, width)
    tallest = max((len(layer) for layer in layers), default=0)
    pitch = node_height + (1 if node_height > 1 else 0)
    if fitted is None or tallest == 0 or (tallest - 1) * pitch + node_height > height:
        return None
    while pitch < node_height + 2 and tallest > 1 and (tallest - 1) * (pitch + 1) + node_height <= height:
        pitch += 1
    columns, gap = fitted
    total = sum(columns) + gap * (len(columns) - 1)
    x = max(1, (width - total) // 2)
    nodes: dict[str, Placement] = {}
    for index, layer in enumerate(layers):
        span = (len(layer) - 1) * pitch + node_height
        top = max(0, (height - span) // 2)
        for position, name in enumerate(layer):
            nodes[name] = Placement(name, index, top + position * pitch, x, min(natural[name], columns[index]),
                                    node_height)
        x += columns[index] + gap
    return GraphLayout(width, height, nodes, layers)


def layout_graph(nodes: Sequence[str], edges: Sequence[tuple[str, str]], natural: Mapping[str, int],
                 width: int, height: int, right: Sequence[str] = (), node_height: int = 1) -> GraphLayout | None:
    """Lay out and route a graph in a `width` x `height` grid; None when it does not fit."""
    if width < 1 or height < 1 or not nodes:
        return None
    layers = order_layers(assign_layers(nodes, edges, right), edges)
    layout = place(layers, natural, width, height, node_height)
    if layout is None:
        return None
    if len(edges) <= MAX_ROUTED_EDGES:
        layout.grid = Grid(layout)
        for source, target in edges:
            route = layout.grid.route(source, target)
            if route is None:
                layout.unrouted.append((source, target))
            else:
                layout.routes.append(route)
    else:
        layout.unrouted.extend(edges)
    return layout


def route_extra(layout: GraphLayout, edges: Sequence[tuple[str, str]]) -> list[Route]:
    """Route more edges around the layout's own, without changing the layout."""
    if layout.grid is None:
        return []
    grid = layout.grid.copy()
    routes = [grid.route(source, target) for source, target in edges[:MAX_ROUTED_EDGES]]
    return [route for route in routes if route is not None]


class Grid:
    """Cells of a layout with the edges routed so far; routes avoid labels and other ports."""

    def __init__(self, layout: GraphLayout) -> None:
        self.layout = layout
        self.blocked: set[tuple[int, int]] = set()
        for placement in layout.nodes.values():
            for y in range(placement.row, placement.row + placement.height):
                for x in range(placement.x - 1, placement.x + placement.width + 1):
                    self.blocked.add((x, y))
        # cell -> list of (source, target, direction bits) of the routes through it
        self.used: dict[tuple[int, int], list[tuple[str, str, int]]] = {}

    def copy(self) -> Grid:
        twin = Grid.__new__(Grid)
        twin.layout = self.layout
        twin.blocked = self.blocked
        twin.used = {cell: list(entries) for cell, entries in self.used.items()}
        return twin

    def route(self, source: str, target: str) -> Route | None:
        """Find and record the cheapest path for an edge, or return None when none exists."""
        nodes = self.layout.nodes
        if source == target or source not in nodes or target not in nodes:
            return None
        start = nodes[source].right_port
        goal = nodes[target].left_port
        if not (self._inside(start) and self._inside(goal)):
            return None
        path = self._search(start, goal, source, target)
        if path is None:
            return None
        self._record(path, source, target)
        return Route(source, target, tuple(path))

    def _inside(self, cell: tuple[int, int]) -> bool:
        return 0 <= cell[0] < self.layout.width and 0 <= cell[1] < self.layout.height

    def _penalty(self, cell: tuple[int, int], direction: int, source: str, target: str) -> float:
        cost = 0.0
        axis = LEFT | RIGHT if direction in (LEFT, RIGHT) else UP | DOWN
        for other_source, other_target, bits in self.used.get(cell, ()):
            related = other_source == source or other_target == target
            if bits & axis and not related:
                cost += SHARE_COST
            elif not bits & axis and not related:
                cost += CROSS_COST
        return cost

    def _search(self, start: tuple[int, int], goal: tuple[int, int], source: str,
                target: str) -> list[tuple[int, int]] | None:
        """A* over (cell, heading) states; the path leaves `start` and enters `goal` moving right."""
        open_ends: list[tuple[float, int, tuple[int, int], int]] = []
        best: dict[tuple[tuple[int, int], int], float] = {(start, RIGHT): 0.0}
        came: dict[tuple[tuple[int, int], int], tuple[tuple[int, int], int] | None] = {(start, RIGHT): None}
        counter = 0
        heapq.heappush(open_ends, (_distance(start, goal), counter, start, RIGHT))
        while open_ends:
            _, _, cell, heading = heapq.heappop(open_ends)
            cost = best[(cell, heading)]
            if cell == goal and heading == RIGHT:
                return _unwind(came, (cell, heading))
            for direction, (dx, dy) in STEPS.items():
                if direction == OPPOSITE[heading]:
                    continue
                step = (cell[0] + dx, cell[1] + dy)
                if not self._inside(step) or (step in self.blocked and step != goal):
                    continue
                if step == goal and direction != RIGHT:
                    continue
                total = cost + 1 + (TURN_COST if direction != heading else 0)
                total += self._penalty(step, direction, source, target)
                if total < best.get((step, direction), float("inf")):
                    best[(step, direction)] = total
                    came[(step, direction)] = (cell, heading)
                    counter += 1
                    heapq.heappush(open_ends, (total + _distance(step, goal), counter, step, direction))
        return None

    def _record(self, path: list[tuple[int, int]], source: str, target: str) -> None:
        for cell, bits in cell_bits(path).items():
            self.used.setdefault(cell, []).append((source, target, bits))


def _distance(a: tuple[int, int], b: tuple[int, int]) -> int:
    return abs(a[0] - b[0]) + abs(a[1] - b[1])


def _unwind(came: Mapping[tuple[tuple[int, int], int], tuple[tuple[int, int], int] | None],
            state: tuple[tuple[int, int], int]) -> list[tuple[int, int]]:
    cells: list[tuple[int, int]] = []
    current: tuple[tuple[int, int], int] | None = state
    while current is not None:
        cells.append(current[0])
        current = came[current]
    cells.reverse()
    return cells


def cell_bits(path: Sequence[tuple[int, int]]) -> dict[tuple[int, int], int]:
    """Return the direction bits each cell of a path needs, ports included.

    The first cell also joins the label on its left and the last cell the
    label on its right, so an edge visibly leaves and enters its nodes.
    """
    bits: dict[tuple[int, int], int] = {}
    for (x1, y1), (x2, y2) in zip(path, path[1:], strict=False):
        if x2 > x1:
            forward, backward = RIGHT, LEFT
        elif x2 < x1:
            forward, backward = LEFT, RIGHT
        elif y2 > y1:
            forward, backward = DOWN, UP
        else:
            forward, backward = UP, DOWN
        bits[(x1, y1)] = bits.get((x1, y1), 0) | forward
        bits[(x2, y2)] = bits.get((x2, y2), 0) | backward
    if path:
        bits[path[0]] = bits.get(path[0], 0) | LEFT
    return bits
