"""The fuzz runner (tools/fuzz.py) finds every fuzz target of the three fuzz files and counts what it ran."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path

import pytest
from hypothesis import is_hypothesis_test

ROOT = Path(__file__).resolve().parent.parent


def _runner():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("kslab_fuzz_runner", ROOT / "tools" / "fuzz.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_runner_finds_every_hypothesis_test_of_every_fuzz_file() -> None:
    runner = _runner()
    found = {(t.suite, t.name) for t in runner.targets()}
    expected = set()
    for suite, filename in runner.SUITES.items():
        module = importlib.import_module(filename.removesuffix(".py"))
        expected |= {(suite, name) for name, value in vars(module).items()
                     if name.startswith("test_") and is_hypothesis_test(value)}
    assert found == expected
    assert {suite for suite, _ in found} == {"inputs", "yaml", "pcap"}


def test_the_runner_counts_the_generate_phase_only() -> None:
    statistics = """tests/test_pcap_fuzz.py::test_decode_any_frame:

  - during generate phase (0.59 seconds):
    - Typical runtimes: ~ 0-9 ms, of which ~ 0-3 ms in data generation
    - 1234 passing, 1 failing, and 7 invalid test cases

  - during shrink phase (0.20 seconds):
    - 3 passing, 9 failing, and 0 invalid test cases
  - Stopped because nothing left to do
"""
    assert _runner().examples_run(statistics) == 1235


def test_the_runner_refuses_an_unknown_suite(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        _runner().main(["--list", "nosuch"])
    assert info.value.code == 2
    assert "unknown suite 'nosuch'" in capsys.readouterr().err


def test_the_runner_lists_a_suite_and_a_word(capsys: pytest.CaptureFixture[str]) -> None:
    assert _runner().main(["--list", "pcap", "-k", "tls"]) == 0
    assert capsys.readouterr().out.split() == ["tests/test_pcap_fuzz.py::test_tls_connection"]
