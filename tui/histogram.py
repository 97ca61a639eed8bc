"""A paired bar chart of two blast-radius distributions, drawn with block characters."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from rich.text import Text
from textual.widget import Widget

BLOCKS = " ▁▂▃▄▅▆▇█"
BASELINE_STYLE = "#95a5a6"
CURRENT_STYLE = "#f39c12"


def shares(values: Sequence[int], largest: int) -> list[float]:
    """Return the share of `values` equal to each integer from 0 to `largest`."""
    counts = Counter(values)
    total = max(len(values), 1)
    return [counts.get(value, 0) / total for value in range(largest + 1)]


class BlastHistogram(Widget):
    """Two bars per blast radius value: the baseline (grey) and the current posture (orange)."""

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.baseline: list[int] = []
        self.current: list[int] = []
        self.largest = 0
        self.names = ("baseline", "current")

    def show(self, baseline: Sequence[int], current: Sequence[int], largest: int, names: tuple[str, str]) -> None:
        """Chart two lists of per-trial blast radii over the range 0 to `largest`."""
        self.baseline = list(baseline)
        self.current = list(current)
        self.largest = max(largest, 0)
        self.names = names
        self.refresh()

    def render(self) -> Text:
        width, height = self.content_size
        if width <= 0 or height <= 0:
            return Text("")
        if not self.baseline:
            return Text("no results yet", style="dim")
        values = self.largest + 1
        # Each value gets two bars and a gap, or just the two bars when space is short.
        if values * 3 <= width - 4:
            group = 3
        elif values * 2 <= width - 4:
            group = 2
        else:
            group = 0
        bar_rows = height - 2
        if group == 0 or bar_rows < 1:
            return Text("enlarge the window for the chart", style="dim")
        left, right = shares(self.baseline, self.largest), shares(self.current, self.largest)
        peak = max(max(left), max(right), 1e-9)

        text = Text()
        for row in range(bar_rows, 0, -1):
            text.append("    ")
            for a, b in zip(left, right, strict=True):
                text.append(_block(a / peak, row, bar_rows), style=BASELINE_STYLE)
                text.append(_block(b / peak, row, bar_rows), style=CURRENT_STYLE)
                if group == 3:
                    text.append(" ")
            text.append("\n")

        text.append("    ")
        axis = ""
        for value in range(values):
            label = str(value) if value % (1 if group == 3 else 2) == 0 else ""
            axis += label.ljust(group)[:group]
        text.append(axis, style="dim")
        text.append("\n")

        text.append("    ▆", style=BASELINE_STYLE)
        text.append(f" {self.names[0]}  ")
        text.append("▆", style=CURRENT_STYLE)
        text.append(f" {self.names[1]}  ")
        text.append("(share of trials by blast radius)", style="dim")
        return text


def _block(fraction: float, row: int, rows: int) -> str:
    """Return the block character of a bar of height `fraction` (0 to 1) in row `row` (1 is the bottom)."""
    eighths = round(fraction * rows * 8)
    if fraction > 0:
        eighths = max(eighths, 1)  # a rare value still shows as a sliver
    filled = eighths - (row - 1) * 8
    if filled <= 0:
        return " "
    return BLOCKS[min(filled, 8)]
