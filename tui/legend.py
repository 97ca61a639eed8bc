"""The legend of the service graph: node states and edge kinds with their symbols."""

from __future__ import annotations

from rich.text import Text
from textual.geometry import Size
from textual.widget import Widget

from tui.graph_view import CALL_STYLE, MOVE_STYLE, NODE_STYLES
from tui.states import NodeState


class Legend(Widget):
    """The node states and edge kinds with their symbols, wrapped between items, never inside one."""

    def __init__(self, moves: bool = False, id: str | None = None) -> None:
        super().__init__(id=id)
        self.moves = moves

    def items(self) -> list[Text]:
        items = []
        for state in (NodeState.CLEAN, NodeState.ACCESSED, NodeState.COMPROMISED, NodeState.OBJECTIVE,
                      NodeState.ISOLATED):
            item = Text()
            item.append(f" {state.symbol} ", NODE_STYLES[state])
            item.append(f" {state.label}")
            items.append(item)
        edges = [("─▶", CALL_STYLE, "call")]
        if self.moves:
            edges += [("─▶", MOVE_STYLE, "attack step"), ("╌▶", MOVE_STYLE, "step off the call graph")]
        else:
            edges += [("─▶", MOVE_STYLE, "shortest attack path to the selection")]
        for symbol, style, label in edges:
            item = Text()
            item.append(symbol, style)
            item.append(f" {label}")
            items.append(item)
        return items

    def render(self) -> Text:
        width = max(self.content_size.width, 1)
        lines: list[Text] = [Text()]
        for item in self.items():
            if lines[-1].cell_len and lines[-1].cell_len + 2 + item.cell_len > width:
                lines.append(Text())
            if lines[-1].cell_len:
                lines[-1].append("  ")
            lines[-1].append_text(item)
        return Text("\n").join(lines)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        used, lines = 0, 1
        for item in self.items():
            if used and used + 2 + item.cell_len > width:
                lines, used = lines + 1, 0
            used += (2 if used else 0) + item.cell_len
        return lines
