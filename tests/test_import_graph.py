"""The import graph has no circle and no import runs up a layer (function-level imports count).

import-linter's contracts in pyproject.toml say the same for ``make lint``; this keeps ``make test``
honest on its own, with the circles named so they can be untied.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tools"))

import import_graph  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph.graph()


def test_no_import_circle(graph: dict[str, set[str]]) -> None:
    assert import_graph.cycles(graph) == []


def test_no_import_runs_up_a_layer(graph: dict[str, set[str]]) -> None:
    up = [(a, b) for a in sorted(graph) for b in sorted(graph[a])
          if (la := import_graph.layer_of(a)) is not None and (lb := import_graph.layer_of(b)) is not None and lb > la]
    assert up == []


def test_the_graph_sees_function_level_imports(graph: dict[str, set[str]]) -> None:
    # kslab.sandbox.__init__ imports kslab.sandbox.host only inside available(): it must still count.
    assert "kslab.sandbox.host" in graph["kslab.sandbox"]
