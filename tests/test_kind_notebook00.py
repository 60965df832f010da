"""Notebook 00's exercises are checked against the cluster configuration, and clean-up behaves per mode."""

from __future__ import annotations

from typing import Any

import pytest

import kslab
from kslab.cluster import cleanup
from kslab.cluster.lab import Lab
from kslab.cluster.modes import ModeChoice
from kslab.errors import NotALabContext
from kslab.exercises.nb00 import (EXERCISES, SITUATIONS, check_psa_default, check_read_only_port,
                                  check_three_ways, check_webapp_address)


def test_ids_and_hints() -> None:
    assert [e.id for e in EXERCISES] == ["00.three-ways", "00.psa-default", "00.read-only-port",
                                         "00.webapp-address"]
    assert all(e.hints and e.solution for e in EXERCISES)
    assert kslab.exercise("00.psa-default").exercise.title == "The default Pod Security level"


@pytest.mark.parametrize(("checker", "answer", "passed", "reason"), [
    (check_three_ways, dict(zip(SITUATIONS, ["kind", "existing", "offline"])), True, "each situation"),
    (check_three_ways, dict(zip(SITUATIONS, ["kind", "offline", "existing"])), False, "a cloud cluster"),
    (check_three_ways, "kind", False, "answer with a dict"),
    (check_psa_default, " baseline", True, "refused"),
    (check_psa_default, "restricted", False, "warns and audits about"),
    (check_psa_default, "privileged", False, "enforce"),
    (check_read_only_port, "10255", True, "readOnlyPort: 0"),
    (check_read_only_port, 10250, False, "authenticated API"),
    (check_read_only_port, "port", False, "port number"),
    (check_webapp_address, "http://127.0.0.1:30080/", True, "only programs on this laptop"),
    (check_webapp_address, "0.0.0.0:30080", False, "right port"),
    (check_webapp_address, "", False, "ports on the laptop"),
])
def test_checkers(checker: Any, answer: Any, passed: bool, reason: str) -> None:
    result = checker(answer)
    assert result.passed is passed and reason in result.reason


def test_each_solution_passes_its_own_check() -> None:
    from kslab.exercises.model import solution_answer

    for ex in EXERCISES:
        assert ex.checker(solution_answer(ex)).passed, ex.id


class _RecordingLab(Lab):
    """A Lab that records what clean-up asked it to delete instead of calling an API server."""

    asked: list[str | None]

    def delete_lab(self, lab: str | None) -> list[str]:  # type: ignore[override]
        self.asked = [*getattr(self, "asked", []), lab]
        return [f"Namespace//kslab-{lab}"]


def test_clean_refuses_a_context_that_is_not_a_lab_context_and_deletes_nothing() -> None:
    lab = _RecordingLab(ModeChoice("live", "prod", False, "context prod answered"))
    with pytest.raises(NotALabContext) as info:
        cleanup.clean(lab, "03")
    assert "cleaning up lab 03" in info.value.message and "'prod' is not a lab context" in info.value.message
    assert "kslab.connect(context='prod')" in info.value.hint
    assert getattr(lab, "asked", []) == []


def test_clean_deletes_on_a_context_the_caller_opted_in_to() -> None:
    lab = _RecordingLab(ModeChoice("live", "prod", True, "KSLAB_CONTEXT names it"))
    report = cleanup.clean(lab, "03")
    assert lab.asked == ["03"] and report.deleted == ["Namespace//kslab-03"]
