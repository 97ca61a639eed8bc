"""Export: the comparison's results JSON, per-trial CSV and charts, written to a folder the user picks."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

import lab
from tui.runs import PostureRun, build_study

DEFAULT_FOLDER = "./lab-export"


def export_runs(scenario: lab.Scenario, runs: list[PostureRun], folder: Path) -> list[Path]:
    """Write results.json, trials.csv and the PNG charts into `folder`.

    Raises:
        lab.LabError: the folder cannot be created or is a file.
    """
    study = build_study(scenario, runs)
    return lab.write_study(study, folder) + lab.write_charts(study, folder)


class ExportScreen(ModalScreen[Path | None]):
    """Prompt for the folder to export into; Enter confirms and Escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, default: str = DEFAULT_FOLDER) -> None:
        super().__init__()
        self.default = default

    def compose(self) -> ComposeResult:
        with Vertical(id="export-box"):
            yield Static("Export the comparison (results.json, trials.csv, PNG charts) to the folder:")
            yield Input(value=self.default, id="export-folder")
            yield Static("enter writes, escape cancels", classes="hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        value = event.value.strip()
        self.dismiss(Path(value or self.default))

    def action_cancel(self) -> None:
        self.dismiss(None)
