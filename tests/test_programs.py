"""kslab.programs: the one way kslab runs a program (argument lists, time limits, no shell)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from kslab import programs
from kslab.errors import ToolMissing


def test_stdin_null_gives_the_program_nothing_to_read() -> None:
    done = programs.run([sys.executable, "-c", "import sys; print(repr(sys.stdin.read()))"], stdin="null",
                        timeout=30)
    assert done.stdout.strip() == "''"


def test_input_wins_over_stdin() -> None:
    done = programs.run([sys.executable, "-c", "import sys; print(sys.stdin.read().upper())"], input="hi",
                        stdin="null", timeout=30)
    assert done.stdout.strip() == "HI"


def test_a_program_past_its_time_limit_is_timed_out() -> None:
    with pytest.raises(programs.TimedOut, match="did not finish within 1s") as info:
        programs.run([sys.executable, "-c", "import time; time.sleep(30)"], timeout=1)
    assert info.value.timeout == 1
    assert isinstance(info.value, programs.ToolFailed)


def test_run_into_files_writes_both_streams(tmp_path: Path) -> None:
    out, err = tmp_path / "out", tmp_path / "err"
    code = programs.run_into_files([sys.executable, "-c", "import sys; print('o'); print('e', file=sys.stderr); "
                                    "sys.exit(3)"], stdout=out, stderr=err, timeout=30)
    assert (code, out.read_text(), err.read_text()) == (3, "o\n", "e\n")


def test_run_into_files_times_out(tmp_path: Path) -> None:
    with pytest.raises(programs.TimedOut):
        programs.run_into_files([sys.executable, "-c", "import time; time.sleep(30)"], stdout=tmp_path / "o",
                                stderr=tmp_path / "e", timeout=0.5)


def test_interactive_returns_the_exit_code_and_times_out() -> None:
    assert programs.interactive([sys.executable, "-c", "raise SystemExit(7)"], timeout=30) == 7
    with pytest.raises(programs.TimedOut):
        programs.interactive([sys.executable, "-c", "import time; time.sleep(30)"], timeout=0.5)


def test_start_with_stdin_null() -> None:
    proc = programs.start([sys.executable, "-c", "import sys; sys.stderr.write(repr(sys.stdin.read()))"],
                          stdin="null")
    assert proc.stderr is not None
    assert proc.stderr.read() == "''"
    assert proc.wait(timeout=30) == 0
    proc.stderr.close()


def test_a_missing_program_is_tool_missing() -> None:
    with pytest.raises(ToolMissing):
        programs.run_into_files(["no-such-program-kslab"], stdout=Path("/dev/null"), stderr=Path("/dev/null"),
                                timeout=1)
