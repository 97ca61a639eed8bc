"""A one-line slider over the integers 0 to `maximum`, driven by keys, clicks and drags."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget


class Slider(Widget, can_focus=True):
    """A track with a handle; left and right step by one, Home and End jump to the ends."""

    BINDINGS = [
        Binding("left", "step(-1)", "Back", show=False),
        Binding("right", "step(1)", "Forward", show=False),
        Binding("pageup", "step(-10)", "Back 10", show=False),
        Binding("pagedown", "step(10)", "Forward 10", show=False),
        Binding("home", "jump(0)", "Start", show=False),
        Binding("end", "jump(-1)", "End", show=False),
    ]

    value: reactive[int] = reactive(0)
    maximum: reactive[int] = reactive(0)

    class Changed(Message):
        """The slider moved to `value`."""

        def __init__(self, slider: Slider, value: int) -> None:
            super().__init__()
            self.slider = slider
            self.value = value

        @property
        def control(self) -> Slider:
            return self.slider

    def validate_value(self, value: int) -> int:
        return max(0, min(value, self.maximum))

    def watch_value(self, old: int, new: int) -> None:
        if old != new:
            self.post_message(self.Changed(self, new))

    def watch_maximum(self) -> None:
        self.value = self.validate_value(self.value)
        self.refresh()

    def action_step(self, delta: int) -> None:
        self.value = self.value + delta

    def action_jump(self, where: int) -> None:
        self.value = self.maximum if where < 0 else where

    def render(self) -> Text:
        width = self.content_size.width
        if width <= 0:
            return Text("")
        if width < 3 or self.maximum <= 0:
            return Text("●" + "─" * (width - 1) if width > 0 else "", style="bold")
        handle = round(self.value / self.maximum * (width - 1))
        text = Text()
        text.append("━" * handle, style="bold #f39c12")
        text.append("●", style="bold reverse" if self.has_focus else "bold")
        text.append("─" * (width - handle - 1), style="#7f8c8d")
        return text

    def _value_at(self, x: int) -> int:
        width = self.content_size.width
        if width <= 1 or self.maximum <= 0:
            return 0
        return round(max(0, min(x, width - 1)) / (width - 1) * self.maximum)

    def on_mouse_down(self, event: events.MouseDown) -> None:
        self.capture_mouse()
        self.value = self._value_at(event.x)

    def on_mouse_move(self, event: events.MouseMove) -> None:
        if event.button == 1:
            self.value = self._value_at(event.x)

    def on_mouse_up(self, event: events.MouseUp) -> None:
        self.release_mouse()

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()
