"""Checkpoints of interrupted runs, so that `--resume` continues where a run stopped.

A checkpoint is a JSON-lines file in the output folder: a header naming the
scenario (by digest), seed, trial count, postures and attackers, then one
line per finished chunk of trials. Every line is flushed and synced when
written; a line cut short by a crash is ignored on load. Floats survive the
JSON round trip exactly, so a resumed run gives byte-identical results.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from lab.engine.trial import TrialResult
from lab.errors import LabError
from lab.study import Study

CHECKPOINT_NAME = "checkpoint.jsonl"
VERSION = 1


def _header(study: Study) -> dict[str, Any]:
    return {
        "version": VERSION, "scenario_sha256": study.scenario.digest, "seed": study.seed,
        "trials": study.trials, "postures": list(study.postures), "attackers": list(study.attackers),
    }


def _encode(result: TrialResult) -> dict[str, Any]:
    return {
        "index": result.index, "entry": result.entry, "compromised": result.compromised,
        "accessed": result.accessed, "touched": result.touched, "exfiltrated": result.exfiltrated,
        "credentials": result.credentials, "isolated": result.isolated,
        "first_detection": result.first_detection if math.isfinite(result.first_detection) else None,
        "attempts": result.attempts,
    }


def _decode(data: dict[str, Any]) -> TrialResult:
    detection = data["first_detection"]
    return TrialResult(
        index=data["index"], entry=data["entry"], compromised=data["compromised"],
        accessed=data["accessed"], touched=data["touched"], exfiltrated=data["exfiltrated"],
        credentials=data["credentials"], isolated=data["isolated"],
        first_detection=math.inf if detection is None else detection, attempts=data["attempts"],
    )


class Checkpoint:
    """The checkpoint file of one study in one output folder."""

    def __init__(self, folder: Path, study: Study) -> None:
        self.path = folder / CHECKPOINT_NAME
        self.study = study
        self._file: Any = None

    def exists(self) -> bool:
        return self.path.exists() or self.path.is_symlink()

    def load(self) -> dict[tuple[str, str], list[TrialResult]]:
        """Return the finished trials per (posture, attacker), after checking they belong to this study.

        Raises:
            LabError: the checkpoint is of another scenario, seed or request.
        """
        try:
            lines = self.path.read_bytes().split(b"\n")
        except OSError as exc:
            raise LabError(f"{self.path}: cannot read the checkpoint: {exc.strerror}") from None
        complete = lines[:-1]  # the last piece has no newline: empty, or a line cut short
        try:
            header = json.loads(complete[0]) if complete else None
        except (json.JSONDecodeError, UnicodeDecodeError):
            header = None
        if not isinstance(header, dict) or header.get("version") != VERSION:
            raise LabError(f"{self.path}: not a checkpoint this version of the lab can read; delete it to "
                           "start again")
        if header != _header(self.study):
            raise LabError(f"{self.path}: the interrupted run was of another scenario file, seed, trial "
                           "count, postures or attackers; repeat its exact command with --resume, or delete "
                           "the checkpoint to start again")
        done: dict[tuple[str, str], list[TrialResult]] = {}
        for line in complete[1:]:
            try:
                chunk = json.loads(line)
            except json.JSONDecodeError:
                break
            key = (chunk["posture"], chunk["attacker"])
            results = done.setdefault(key, [])
            if chunk["start"] != len(results):
                break
            results.extend(_decode(item) for item in chunk["results"])
        return done

    def open(self, resume: bool) -> None:
        """Open the checkpoint to append to it, or start a new one.

        Raises:
            LabError: the checkpoint cannot be written.
        """
        try:
            if resume:
                self._file = self.path.open("ab")
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.path.open("wb")
            self._write(_header(self.study))
        except OSError as exc:
            raise LabError(f"{self.path}: cannot write the checkpoint: {exc.strerror}; choose another "
                           "--out") from None

    def append(self, posture: str, attacker: str, start: int, results: list[TrialResult]) -> None:
        self._write({"posture": posture, "attacker": attacker, "start": start,
                     "results": [_encode(r) for r in results]})

    def _write(self, document: dict[str, Any]) -> None:
        try:
            self._file.write(json.dumps(document, sort_keys=True).encode() + b"\n")
            self._file.flush()
            os.fsync(self._file.fileno())
        except OSError as exc:
            raise LabError(f"{self.path}: cannot write the checkpoint: {exc.strerror}") from None

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def remove(self) -> None:
        self.close()
        self.path.unlink(missing_ok=True)
