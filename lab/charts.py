"""Charts of study results as matplotlib figures (placeholder until drawn)."""

from __future__ import annotations

from pathlib import Path

from lab.study import Study


def write_charts(study: Study, out: Path) -> list[Path]:
    return []
