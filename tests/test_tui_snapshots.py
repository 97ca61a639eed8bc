"""SVG snapshots of the main screens, with the scenario's seed and fixed window sizes.

Update them after an intended change of the UI with
`python -m pytest tests/test_tui_snapshots.py --snapshot-update` and review
the SVG files under tests/__snapshots__.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_tui import BOUTIQUE, TRIALS, settle
from textual.pilot import Pilot

from tui.app import LabApp

WIDE = (130, 40)


def boutique() -> LabApp:
    return LabApp(BOUTIQUE, trials=TRIALS)


def keys(*pressed: str) -> Any:
    """Return a `run_before` that waits for the first run, presses keys and waits again."""

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        for key in pressed:
            await pilot.press(key)
            await settle(pilot)

    return run_before


def test_graph_wide_window(snap_compare: Any) -> None:
    assert snap_compare(boutique(), terminal_size=WIDE, run_before=keys())


def test_graph_80_by_24(snap_compare: Any) -> None:
    assert snap_compare(boutique(), terminal_size=(80, 24), run_before=keys())


def test_graph_with_solution_controls(snap_compare: Any) -> None:
    assert snap_compare(boutique(), terminal_size=WIDE, run_before=keys("2", "0"))


def test_replay_after_three_steps(snap_compare: Any) -> None:
    assert snap_compare(boutique(), terminal_size=WIDE, run_before=keys("r", "right", "right", "right"))


def test_compare_zero_trust(snap_compare: Any) -> None:
    assert snap_compare(boutique(), terminal_size=WIDE, run_before=keys("z", "c"))


def test_exercise_view(snap_compare: Any) -> None:
    assert snap_compare(boutique(), terminal_size=(100, 30), run_before=keys("x"))


def test_service_detail(snap_compare: Any) -> None:
    assert snap_compare(boutique(), terminal_size=(100, 30), run_before=keys("enter"))


def test_help_screen(snap_compare: Any) -> None:
    assert snap_compare(boutique(), terminal_size=(100, 30), run_before=keys("question_mark"))


def test_too_small_window(snap_compare: Any) -> None:
    assert snap_compare(boutique(), terminal_size=(40, 12), run_before=keys())


def test_bad_scenario(snap_compare: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A relative path keeps the file name in the snapshot the same on every run.
    monkeypatch.chdir(tmp_path)
    Path("bad.yaml").write_text("name: broken\nservices:\n  - name: web\n    exposed: maybe\nattackers: []\n")
    assert snap_compare(LabApp("bad.yaml"), terminal_size=(100, 20))
