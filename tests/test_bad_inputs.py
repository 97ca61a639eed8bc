"""Malformed scenarios in tests/bad_inputs and the exact problems that `lab validate` reports.

tests/bad_inputs/expected.yaml lists, for each file, every problem with its
line, column, path, message and hint. Every case is loaded in-process with
`load_scenario`. The cases marked `cli: true` also run `lab validate` as a
subprocess, under a timeout and a cap on the child's address space.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml

from lab.errors import ScenarioError
from lab.scenario import load_scenario
from lab.yamlsource import MAX_BYTES

CASES = Path(__file__).parent / "bad_inputs"
EXPECTED: dict[str, dict[str, Any]] = yaml.safe_load((CASES / "expected.yaml").read_text(encoding="utf-8"))
MIN_CASES = 45

# Starting the CLI imports matplotlib, which takes on the order of a second, so
# the timeout leaves room for a loaded machine. A fully expanded alias bomb has
# 9**9 values and needs gigabytes, so the address-space cap turns any
# expansion into a failure.
CLI_TIMEOUT = 10.0
CLI_ADDRESS_SPACE = 1 << 30
ALIAS_BOMB_MAX_RSS = 400 * 1024 * 1024
# Numerical libraries size per-thread buffers by the number of cores, which
# would make the address-space cap depend on the machine.
CLI_ENV = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def _write_too_large(path: Path) -> None:
    path.write_bytes(b"#" * MAX_BYTES + b"\n")


def _make_directory(path: Path) -> None:
    path.mkdir()


def _leave_missing(path: Path) -> None:
    assert not path.exists()


GENERATORS: dict[str, Callable[[Path], None]] = {
    "too-large.yaml": _write_too_large,
    "a-directory.yaml": _make_directory,
    "missing.yaml": _leave_missing,
}


def _cases(only_cli: bool = False) -> list[Any]:
    params = []
    for name, entry in EXPECTED.items():
        if only_cli and not entry.get("cli"):
            continue
        marks = [pytest.mark.xfail(strict=True, reason=entry["xfail"])] if "xfail" in entry else []
        params.append(pytest.param(name, id=name, marks=marks))
    return params


def _case_path(name: str, tmp_path: Path) -> Path:
    if not EXPECTED[name].get("generated"):
        return CASES / name
    path = tmp_path / name
    GENERATORS[name](path)
    return path


def _expected_problems(name: str, file: str) -> list[tuple[str, int, int, str, str, str]]:
    return [(file, p["line"], p["column"], p["path"], p["message"], p["hint"]) for p in EXPECTED[name]["problems"]]


def _printed(problem: dict[str, Any], file: str) -> str:
    text = f"error: {file}:{problem['line']}:{problem['column']}: "
    text += f"{problem['path']}: " if problem["path"] else ""
    text += problem["message"]
    text += f" ({problem['hint']})" if problem["hint"] else ""
    return text


def _expected_stderr(name: str, file: str) -> list[str]:
    entry = EXPECTED[name]
    if "cli_stderr" in entry:
        return [line.replace("{file}", file) for line in entry["cli_stderr"]]
    if entry.get("valid"):
        return [f"note: {file}: {note}" for note in entry["notes"]]
    count = len(entry["problems"])
    summary = f"{count} problem{'s' if count != 1 else ''} found; nothing was run"
    return [_printed(problem, file) for problem in entry["problems"]] + [summary]


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    max_rss: int  # peak resident set size of the child, in bytes


def _lab_command() -> list[str]:
    script = shutil.which("lab", path=str(Path(sys.executable).parent)) or shutil.which("lab")
    assert script is not None, "the `lab` command is not installed; run `pip install -e .`"
    return [script]


def _limit_address_space() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (CLI_ADDRESS_SPACE, CLI_ADDRESS_SPACE))


def run_lab(*args: str) -> CliResult:
    """Run `lab ARGS` with a timeout and an address-space cap, and measure its peak memory.

    The child is reaped with `os.wait4`, which returns the resource usage
    of that one process.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen([*_lab_command(), *args], stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                   env=CLI_ENV, preexec_fn=_limit_address_space)
        deadline = start + CLI_TIMEOUT
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                process.kill()
                os.wait4(process.pid, 0)
                process.returncode = -9
                pytest.fail(f"lab {' '.join(args)} did not finish within {CLI_TIMEOUT} s")
            time.sleep(0.01)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return CliResult(process.returncode, out.read().decode("utf-8", "replace"),
                         err.read().decode("utf-8", "replace"), seconds, usage.ru_maxrss * 1024)


def test_corpus_matches_table() -> None:
    files = {path.name for path in CASES.glob("*.yaml")} - {"expected.yaml"}
    listed = {name for name, entry in EXPECTED.items() if not entry.get("generated")}
    assert files == listed
    assert len(files) >= MIN_CASES
    assert set(GENERATORS) == {name for name, entry in EXPECTED.items() if entry.get("generated")}


def test_table_entries_are_complete() -> None:
    for name, entry in EXPECTED.items():
        assert entry.get("valid") or entry.get("problems"), name
        for problem in entry.get("problems", []):
            assert set(problem) == {"line", "column", "path", "message", "hint"}, name


@pytest.mark.parametrize("name", _cases())
def test_load_reports_exact_problems(name: str, tmp_path: Path) -> None:
    path = _case_path(name, tmp_path)
    file = str(path)
    if EXPECTED[name].get("valid"):
        scenario = load_scenario(path)
        assert list(scenario.notes) == EXPECTED[name]["notes"]
        return
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    found = [(p.file, p.line, p.column, p.path, p.message, p.hint) for p in caught.value.problems]
    assert found == _expected_problems(name, file)


@pytest.mark.parametrize("name", _cases(only_cli=True))
def test_cli_validate_prints_problems(name: str, tmp_path: Path) -> None:
    path = _case_path(name, tmp_path)
    file = str(path)
    result = run_lab("validate", file)
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == _expected_stderr(name, file)
    if EXPECTED[name].get("valid"):
        assert result.returncode == 0
        assert result.stdout.startswith(f"{file}: valid scenario ")
    else:
        assert result.returncode == 2
        assert result.stdout == ""


def test_cli_alias_bomb_is_bounded() -> None:
    result = run_lab("validate", str(CASES / "11-alias-bomb.yaml"))
    assert result.returncode == 2
    assert "alias expansion limit exceeded" in result.stderr
    assert result.seconds < CLI_TIMEOUT
    assert result.max_rss < ALIAS_BOMB_MAX_RSS


@pytest.mark.skipif(not Path("/dev/zero").is_char_device(), reason="needs /dev/zero")
def test_cli_rejects_endless_device() -> None:
    result = run_lab("validate", "/dev/zero")
    assert "Traceback" not in result.stderr
    assert result.returncode == 2
    assert "file too large" in result.stderr
