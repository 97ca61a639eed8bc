"""The service graph: nodes in layers from the internet to the datastores, calls as box-drawn edges."""

from __future__ import annotations

from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

import lab
from tui.layout import ARROW, DASHED, SOLID, GraphLayout, Route, cell_bits, layout_graph, route_extra
from tui.states import INSIDER, INTERNET, Move, NodeState

NODE_STYLES = {
    NodeState.CLEAN: Style(color="#ecf0f1", bgcolor="#34495e", bold=True),
    NodeState.ACCESSED: Style(color="#000000", bgcolor="#f1c40f", bold=True),
    NodeState.COMPROMISED: Style(color="#ffffff", bgcolor="#c0392b", bold=True),
    NodeState.OBJECTIVE: Style(color="#ffffff", bgcolor="#8e44ad", bold=True),
    NodeState.ISOLATED: Style(color="#ffffff", bgcolor="#2471a3", bold=True),
    NodeState.ENTRY: Style(color="#000000", bgcolor="#95a5a6", bold=True),
}
CALL_STYLE = Style(color="#7f8c8d")
MOVE_STYLE = Style(color="#e74c3c", bold=True)
CURRENT_STYLE = Style(color="#f39c12", bold=True)
# The selected node keeps its state colour: its label is underlined and, while
# the graph has focus, its symbol cell is drawn in reverse.
SELECTED = Style(underline=True)
SELECTED_SYMBOL = Style(reverse=True)
PERCENT_WIDTH = 5
TOO_SMALL = "Enlarge the window to draw the graph"


@dataclass(frozen=True)
class LabelMode:
    """Label layout of the nodes: percentages on a second row or inline, and full or short names."""

    percentages: bool
    two_rows: bool
    short: bool


# Tried in order until the labels fit without being cut; the last one always applies.
LABEL_MODES = [
    LabelMode(percentages=True, two_rows=True, short=False),
    LabelMode(percentages=True, two_rows=False, short=False),
    LabelMode(percentages=True, two_rows=True, short=True),
    LabelMode(percentages=True, two_rows=False, short=True),
    LabelMode(percentages=False, two_rows=False, short=False),
    LabelMode(percentages=False, two_rows=False, short=True),
]


def short_names(names: list[str]) -> dict[str, str]:
    """Drop a suffix that many names share (`service` in `cartservice`), when the results stay unique.

    The suffix is the one that ends the most names, and the longest on a
    tie. It must end at least three names and be at least three characters
    long. Separators left at the end (`orders-`) go too.
    """
    counts: dict[str, int] = {}
    for name in names:
        for length in range(3, len(name) - 1):
            suffix = name[-length:]
            counts[suffix] = sum(n.endswith(suffix) and len(n) > length + 1 for n in names)
    ranked = [(count, len(suffix), suffix) for suffix, count in counts.items() if count >= 3]
    if not ranked:
        return {}
    best = max(ranked)[2]
    shortened = {n: n[: -len(best)].rstrip("-_.") if n.endswith(best) and len(n) > len(best) + 1 else n
                 for n in names}
    if len(set(shortened.values())) < len(names):
        return {}
    return shortened


@dataclass(frozen=True)
class GraphModel:
    """The nodes and declared edges of a scenario's service graph."""

    nodes: tuple[str, ...]
    edges: tuple[tuple[str, str], ...]
    right: tuple[str, ...]
    short_names: dict[str, str]

    @classmethod
    def of(cls, scenario: lab.Scenario) -> GraphModel:
        outside = [INTERNET]
        if any(attacker.entry.kind == "insider" for attacker in scenario.attackers):
            outside.append(INSIDER)
        nodes = (*outside, *(service.name for service in scenario.services))
        edges = [(INTERNET, service.name) for service in scenario.services if service.exposed]
        edges += [(call.source, call.target) for call in scenario.calls]
        right = tuple(s.name for s in scenario.services if s.kind.value in ("datastore", "external"))
        return cls(nodes, tuple(dict.fromkeys(edges)), right, short_names([s.name for s in scenario.services]))


class GraphView(Widget, can_focus=True):
    """Service graph with each service's state; arrow keys select a node and Enter opens it."""

    BINDINGS = [
        Binding("up", "move(0, -1)", "Up", show=False),
        Binding("down", "move(0, 1)", "Down", show=False),
        Binding("left", "move(-1, 0)", "Left", show=False),
        Binding("right", "move(1, 0)", "Right", show=False),
        Binding("enter", "open", "Details", show=False),
    ]

    selected: reactive[str | None] = reactive(None)

    class Selected(Message):
        """A node became the selection."""

        def __init__(self, graph: GraphView, name: str) -> None:
            super().__init__()
            self.graph = graph
            self.name = name

        @property
        def control(self) -> GraphView:
            return self.graph

    class Opened(Message):
        """The user asked for a node's details."""

        def __init__(self, graph: GraphView, name: str) -> None:
            super().__init__()
            self.graph = graph
            self.name = name

        @property
        def control(self) -> GraphView:
            return self.graph

    def __init__(self, model: GraphModel, *, percentages: bool = False, id: str | None = None) -> None:
        super().__init__(id=id)
        self.model = model
        self.show_percentages = percentages
        self.states: dict[str, NodeState] = {}
        self.percentages: dict[str, float] = {}
        self.moves: list[Move] = []
        self.current: Move | None = None
        self._layout: GraphLayout | None = None
        self._layout_key: tuple[object, ...] | None = None
        self._overlay: list[Route] = []
        self._lines: list[Strip] | None = None
        self._mode = LABEL_MODES[-1]

    def show(self, states: dict[str, NodeState], percentages: dict[str, float] | None = None,
             moves: list[Move] | None = None, current: Move | None = None) -> None:
        """Display new node states, optional percentages and the attacker's moves so far."""
        self.states = dict(states)
        self.percentages = dict(percentages or {})
        self.moves = list(moves or [])
        self.current = current
        self._overlay = []
        self._lines = None
        self.refresh()

    @property
    def layout_result(self) -> GraphLayout | None:
        """The layout for the current size, or None when the graph does not fit."""
        self._ensure_layout()
        return self._layout

    def state_of(self, name: str) -> NodeState:
        if name in (INTERNET, INSIDER):
            return NodeState.ENTRY
        return self.states.get(name, NodeState.CLEAN)

    # Layout and drawing

    def _label(self, name: str, mode: LabelMode, width: int | None = None) -> tuple[str, str]:
        """Return the two rows of a node's label; the second is empty for one-row labels."""
        shown = self.model.short_names.get(name, name) if mode.short else name
        text = f"{self.state_of(name).symbol} {shown}"
        share = ""
        if mode.percentages and name not in (INTERNET, INSIDER):
            share = f"{self.percentages[name]:.0%}" if name in self.percentages else "–"
        second = ""
        if mode.two_rows:
            second = f"  {share}" if share else ""
        elif share:
            text += f" {share}"
        if width is not None and len(text) > width:
            text = text[: width - 1] + "…" if width > 1 else text[:width]
        return text, second

    def _natural(self, name: str, mode: LabelMode) -> int:
        """Return the label width that fits any percentage, so new numbers never move the layout."""
        shown = self.model.short_names.get(name, name) if mode.short else name
        width = len(shown) + 2
        if mode.percentages and name not in (INTERNET, INSIDER):
            width = max(width, PERCENT_WIDTH + 2) if mode.two_rows else width + PERCENT_WIDTH
        return width

    def _ensure_layout(self) -> None:
        width, height = self.size
        key = (width, height, self.show_percentages)
        if key == self._layout_key:
            return
        self._layout_key = key
        self._overlay = []
        self._lines = None
        self._layout = None
        modes = LABEL_MODES if self.show_percentages else [m for m in LABEL_MODES if not m.percentages]
        for mode in modes:
            natural = {name: self._natural(name, mode) for name in self.model.nodes}
            layout = layout_graph(self.model.nodes, self.model.edges, natural, width, height, self.model.right,
                                  node_height=2 if mode.two_rows else 1)
            if layout is None:
                continue
            self._layout, self._mode = layout, mode
            if all(p.width >= natural[p.name] for p in layout.nodes.values()):
                break

    def on_resize(self, event: events.Resize) -> None:
        self._lines = None
        self.refresh()

    def _frame(self) -> list[Strip]:
        self._ensure_layout()
        if self._lines is not None:
            return self._lines
        width, height = self.size
        layout = self._layout
        if layout is None:
            self._lines = self._message_frame(width, height)
            return self._lines
        chars = [[" "] * width for _ in range(height)]
        styles: list[list[Style | None]] = [[None] * width for _ in range(height)]
        declared = set(self.model.edges)
        extra = [(m.source, m.target) for m in self.moves if (m.source, m.target) not in declared]
        if not self._overlay and extra:
            self._overlay = route_extra(layout, extra)
        self._draw_routes(chars, styles, layout.routes, self._overlay)
        for placement in layout.nodes.values():
            rows = self._label(placement.name, self._mode, placement.width)
            style = NODE_STYLES[self.state_of(placement.name)]
            selected = placement.name == self.selected
            if selected:
                style = style + SELECTED
            for line, text in enumerate(rows[: placement.height]):
                padded = text.ljust(placement.width)[: placement.width]
                for offset, char in enumerate(padded):
                    chars[placement.row + line][placement.x + offset] = char
                    styles[placement.row + line][placement.x + offset] = style
            if selected and self.has_focus:
                styles[placement.row][placement.x] = style + SELECTED_SYMBOL
        self._lines = [self._strip(chars[y], styles[y]) for y in range(height)]
        return self._lines

    def _draw_routes(self, chars: list[list[str]], styles: list[list[Style | None]], routes: list[Route],
                     overlay: list[Route]) -> None:
        """Draw declared calls solid and attacker steps off the call graph dashed, merging junctions."""
        solid: dict[tuple[int, int], int] = {}
        dashed: dict[tuple[int, int], int] = {}
        for route in routes:
            for cell, value in cell_bits(route.cells).items():
                solid[cell] = solid.get(cell, 0) | value
        for route in overlay:
            for cell, value in cell_bits(route.cells).items():
                dashed[cell] = dashed.get(cell, 0) | value
        for (x, y), value in dashed.items():
            chars[y][x] = DASHED[value]
        for (x, y), value in solid.items():
            chars[y][x] = SOLID[value | dashed.get((x, y), 0)]
        moved = {(m.source, m.target) for m in self.moves}
        current = (self.current.source, self.current.target) if self.current else None
        for route in [*routes, *overlay]:
            edge = (route.source, route.target)
            if edge == current:
                style = CURRENT_STYLE
            elif edge in moved:
                style = MOVE_STYLE
            else:
                style = CALL_STYLE
            for x, y in route.cells:
                if _rank(style) > _rank(styles[y][x]):
                    styles[y][x] = style
        for route in [*routes, *overlay]:
            x, y = route.cells[-1]
            chars[y][x] = ARROW

    def _strip(self, chars: list[str], styles: list[Style | None]) -> Strip:
        segments: list[Segment] = []
        for char, style in zip(chars, styles, strict=True):
            if segments and segments[-1].style == style:
                segments[-1] = Segment(segments[-1].text + char, style)
            else:
                segments.append(Segment(char, style))
        return Strip(segments, len(chars))

    def _message_frame(self, width: int, height: int) -> list[Strip]:
        lines = [Strip.blank(width) for _ in range(height)]
        if height > 0 and width > 0:
            text = TOO_SMALL[:width]
            lines[height // 2] = Strip([Segment(text.center(width)[:width])], width)
        return lines

    def render_line(self, y: int) -> Strip:
        lines = self._frame()
        if 0 <= y < len(lines):
            return lines[y].apply_style(self.rich_style)
        return Strip.blank(self.size.width, self.rich_style)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return container.height

    # Selection

    def watch_selected(self, old: str | None, new: str | None) -> None:
        self._lines = None
        self.refresh()
        if new is not None and new != old:
            self.post_message(self.Selected(self, new))

    def on_focus(self) -> None:
        if self.selected is None:
            layout = self.layout_result
            if layout is not None and layout.layers:
                services = [n for layer in layout.layers for n in layer if n not in (INTERNET, INSIDER)]
                self.selected = services[0] if services else None
        self._lines = None
        self.refresh()

    def on_blur(self) -> None:
        self._lines = None
        self.refresh()

    def action_move(self, dx: int, dy: int) -> None:
        layout = self.layout_result
        if layout is None or not layout.nodes:
            return
        if self.selected not in layout.nodes:
            self.selected = next(iter(layout.nodes))
            return
        here = layout.nodes[self.selected]
        if dy:
            column = layout.layers[here.layer]
            index = column.index(here.name) + dy
            if 0 <= index < len(column):
                self.selected = column[index]
            return
        layer = here.layer + dx
        if 0 <= layer < len(layout.layers) and layout.layers[layer]:
            column = layout.layers[layer]
            self.selected = min(column, key=lambda n: abs(layout.nodes[n].row - here.row))

    def action_open(self) -> None:
        if self.selected is not None and self.selected not in (INTERNET, INSIDER):
            self.post_message(self.Opened(self, self.selected))

    def on_click(self, event: events.Click) -> None:
        layout = self.layout_result
        if layout is None:
            return
        name = layout.node_at(event.x, event.y)
        if name is not None:
            self.selected = name
            self.action_open()


def _rank(style: Style | None) -> int:
    return {CALL_STYLE: 1, MOVE_STYLE: 2, CURRENT_STYLE: 3}.get(style, 0)  # type: ignore[arg-type]
