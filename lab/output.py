"""Writing results to disk. Every file is written to a temporary name and renamed,
so a reader never sees a half-written file."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

from lab.errors import LabError
from lab.study import Study, study_document

# Temporary files of `write_atomic` end with this; a run that was killed
# mid-write leaves one behind, and the next run in that folder removes it.
TEMPORARY_SUFFIX = ".lab-tmp"

CSV_COLUMNS = (
    "posture", "attacker", "trial", "blast_radius", "compromised", "accessed_only",
    "exposure_exfiltrated", "exposure_touched", "objective_exfiltrated_hours",
    "objective_touched_hours", "detection_hours", "attempts",
)


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file in the same folder and a rename.

    Raises:
        LabError: the folder or the file cannot be written.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMPORARY_SUFFIX, dir=path.parent)
    except OSError as exc:
        raise LabError(f"{path}: cannot write the file: {exc.strerror}; choose another place") from None
    try:
        os.chmod(temporary, 0o666 & ~_umask())
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise LabError(f"{path}: cannot write the file: {exc.strerror}; choose another place") from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def json_bytes(document: Any) -> bytes:
    return (json.dumps(document, indent=2, sort_keys=True, allow_nan=False) + "\n").encode()


def _hours(value: float) -> str:
    return f"{value:.6f}" if math.isfinite(value) else ""


def trials_csv(study: Study) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for attacker in study.attackers:
        for posture in study.postures:
            for row in study.stats[(posture, attacker)].rows:
                writer.writerow([
                    posture, attacker, row.index, row.blast_radius, row.compromised, row.accessed,
                    row.exposure_exfiltrated, row.exposure_touched, _hours(row.objective_exfiltrated_at),
                    _hours(row.objective_touched_at), _hours(row.detected_at), row.attempts,
                ])
    return buffer.getvalue().encode()


def prepare_output_dir(out: Path) -> Path:
    """Create the output folder, or explain why it cannot be used."""
    if out.exists() and not out.is_dir():
        raise LabError(f"{out}: exists and is not a folder; choose another --out")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LabError(f"{out}: cannot create the output folder: {exc.strerror}") from None
    for stale in out.glob(f".*{TEMPORARY_SUFFIX}"):
        stale.unlink(missing_ok=True)
    return out


def write_study(study: Study, out: Path) -> list[Path]:
    """Write results.json and trials.csv into `out`; return the paths written."""
    prepare_output_dir(out)
    written = []
    for name, data in (("results.json", json_bytes(study_document(study))), ("trials.csv", trials_csv(study))):
        write_atomic(out / name, data)
        written.append(out / name)
    return written
