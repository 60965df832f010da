"""Notebook 03's exercises: solutions pass, near misses fail with a reason."""

from __future__ import annotations

from kslab.exercises.nb03 import (EXERCISES, check_fewest_changes, check_seed_checks, check_stop_the_hack, fewest_pod)


def test_ids_and_hints() -> None:
    assert [e.id for e in EXERCISES] == ["03.deface", "03.seed-checks", "03.stop-the-hack", "03.fewest-changes",
                                         "03.modernize-2019", "03.deploy-restricted"]
    assert all(e.hints and e.solution for e in EXERCISES)


def test_seed_checks() -> None:
    assert check_seed_checks({"hostPorts", "capabilities_restricted", "runAsNonRoot", "seccompProfile_restricted"}).passed
    # as the verdict prints them (what the notebook shows)
    assert check_seed_checks({"hostPort", "unrestricted capabilities", "runAsNonRoot != true",
                              "seccompProfile"}).passed
    assert "3 missing" in check_seed_checks({"hostPort"}).reason
    result = check_seed_checks({"hostPorts", "allowPrivilegeEscalation"})
    assert not result.passed and "not failed: allowPrivilegeEscalation" in result.reason


def test_stop_the_hack() -> None:
    assert check_stop_the_hack({"runAsUser": 1000, "readOnlyRootFilesystem": True,
                                "allowPrivilegeEscalation": False}).passed
    assert "become root" in check_stop_the_hack({"runAsUser": 1000, "readOnlyRootFilesystem": True}).reason
    assert "would not even run" in check_stop_the_hack({"runAsNonRoot": True}).reason
    assert not check_stop_the_hack("runAsUser").passed


def test_fewest_changes() -> None:
    pod = fewest_pod()
    sc = pod["spec"]["containers"][0]["securityContext"]
    sc.update(allowPrivilegeEscalation=False, capabilities={"drop": ["ALL"]}, runAsNonRoot=True,
              seccompProfile={"type": "RuntimeDefault"})
    assert check_fewest_changes(pod).passed
    pod["spec"]["containers"][0]["securityContext"]["privileged"] = False  # one change too many
    assert "5 changes" in check_fewest_changes(pod).reason
    half = fewest_pod()
    half["spec"]["containers"][0]["securityContext"]["allowPrivilegeEscalation"] = False
    assert check_fewest_changes(half).reason.startswith('not yet: violates PodSecurity "restricted:latest"')
    other = fewest_pod()
    other["spec"]["containers"][0]["image"] = "nginx"
    other["spec"]["containers"][0]["securityContext"].update(
        allowPrivilegeEscalation=False, capabilities={"drop": ["ALL"]}, runAsNonRoot=True,
        seccompProfile={"type": "RuntimeDefault"})
    assert "keep the same container" in check_fewest_changes(other).reason
