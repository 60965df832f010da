"""Notebook 02's exercises: the checks accept the solutions and refuse the starting points."""

from __future__ import annotations

from kslab.exercises.nb02 import (EXERCISES, check_disagreement, check_first_occurrence, check_harden,
                                  check_open_port, kubeadm_manifest)
from kslab.exercises.model import solution_answer


def test_ids_and_hints_before_solutions():
    assert [e.id for e in EXERCISES] == ["02.harden-manifest", "02.kube-bench-disagrees", "02.first-occurrence",
                                         "02.open-port", "02.harden-file", "02.kube-bench-import"]
    assert all(e.hints and e.solution for e in EXERCISES)


def test_harden_manifest():
    start = kubeadm_manifest()
    result = check_harden(start)
    assert not result.passed and "7 scored check(s) still FAIL" in result.reason
    m = solution_answer(EXERCISES[0])  # the solution text, run as written
    assert check_harden(m).passed
    assert kubeadm_manifest() == start  # a fresh copy each time
    # a removed flag is refused even when every CIS check passes
    m["spec"]["containers"][0]["command"].append("--insecure-port=0")
    assert not check_harden(m).passed
    assert not check_harden(42).passed


def test_other_exercises():
    assert check_disagreement({"1.2.6"}).passed and not check_disagreement({"1.2.6", "1.2.7"}).passed
    assert check_first_occurrence("kube-apiserver --profiling=false --profiling=true").passed
    assert not check_first_occurrence("kube-apiserver --profiling=false").passed
    assert not check_first_occurrence("kube-apiserver --profiling=true").passed  # kube-bench says FAIL too
    assert check_open_port((10255, "4.2.4")).passed and check_open_port(("10255", "4.2.4")).passed
    assert not check_open_port((10250, "4.2.4")).passed and not check_open_port((10255, "4.2.1")).passed
