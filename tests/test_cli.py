"""The command-line contract shared by every subcommand: exit codes and one-line errors."""

from __future__ import annotations

import subprocess
import sys

from kslab.cli.main import COMMANDS, build_parser


def kslab(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kslab", *args], capture_output=True, text=True,
                          check=False)


def test_unknown_subcommand_is_one_line_exit_2() -> None:
    proc = kslab("frobnicate")
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr


def test_bad_option_is_one_line_exit_2() -> None:
    proc = kslab("doctor", "--bogus")
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1


def _leaves(parser, prefix=""):
    """Every runnable (sub)command parser, e.g. ``audit apiserver``, with its name."""
    subs = [a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction"]
    if not subs:
        yield prefix.strip(), parser
        return
    for sub in subs:
        for name, child in sub.choices.items():
            yield from _leaves(child, f"{prefix} {name}")


def test_every_installed_subcommand_takes_json() -> None:
    parser = build_parser()
    top = next(a for a in parser._actions if a.dest == "command")
    assert set(top.choices) <= set(COMMANDS)
    leaves = dict(_leaves(parser))
    assert "doctor" in leaves and "progress" in leaves
    for name, p in leaves.items():
        assert any("--json" in a.option_strings for a in p._actions), name


def test_kslab_error_becomes_one_line_and_exit_2() -> None:
    proc = kslab("progress", "--reset", "no-such-exercise")
    assert proc.returncode == 2
    assert proc.stderr.startswith("kslab progress: error: no exercise") and "hint:" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
