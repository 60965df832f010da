"""Exercises of notebook 01 (architecture): checked against the component facts in
:mod:`kslab.architecture`, so the answers and the lesson come from the same data."""

from __future__ import annotations

from typing import Any

from kslab.architecture import COMPONENTS
from kslab.exercises.model import CheckResult, Exercise, names_in


def check_control_plane(answer: Any) -> CheckResult:
    """The answer must name exactly the control-plane components."""
    want = {c.name for c in COMPONENTS if c.plane == "control plane"}
    got = names_in(answer)
    if not got:
        return CheckResult(False, "give the names of the control-plane components, e.g. {'etcd', ...}")
    missing, extra = sorted(want - got), sorted(got - want)
    if not missing and not extra:
        return CheckResult(True, f"all {len(want)} control-plane components, and nothing else")
    parts = []
    if missing:
        parts.append(f"{len(missing)} missing")
    if extra:
        parts.append(f"not control plane: {', '.join(extra)}")
    return CheckResult(False, "; ".join(parts))


def check_etcd_client(answer: Any) -> CheckResult:
    """Which component is the only one that talks to etcd?"""
    got = names_in(answer)
    if got == {"kube-apiserver"}:
        return CheckResult(True, "only the API server reads and writes etcd; everything else goes through it")
    if not got:
        return CheckResult(False, "name one component")
    return CheckResult(False, f"{', '.join(sorted(got))}: no — every other component goes through one door")


def _port_owner() -> dict[int, str]:
    owners = {}
    for comp in COMPONENTS:
        for port in comp.ports:
            owners[int(port.split("/")[0])] = comp.name
    return owners


def check_ports(answer: Any) -> CheckResult:
    """A dict {port: component} for 6443, 2379, 10250 and 10259."""
    asked = (6443, 2379, 10250, 10259)
    if not isinstance(answer, dict) or not answer:
        return CheckResult(False, "answer with a dict like {6443: '...', 2379: '...', 10250: '...', 10259: '...'}")
    owners = _port_owner()
    wrong = [p for p in asked if str(answer.get(p, "")).strip().lower() != owners[p]]
    if not wrong:
        return CheckResult(True, "every port matched to the component that listens on it")
    return CheckResult(False, f"not right yet for port(s) {', '.join(map(str, wrong))}")


EXERCISES = [
    Exercise("01.control-plane", "Name the control plane",
             "Which components make up the control plane?",
             hints=("There are five; one of them only exists on clouds.",
                    "The scheduler and the controller manager are two of them."),
             solution="{'kube-apiserver', 'etcd', 'kube-scheduler', 'kube-controller-manager', "
                      "'cloud-controller-manager'}",
             checker=check_control_plane, answer_form="a set of component names, e.g. {'etcd', ...}",
             start={"kube-apiserver", "etcd", "kubelet"}),
    Exercise("01.etcd-client", "Who talks to etcd?",
             "Which single component reads and writes etcd? (Why does that matter for security?)",
             hints=("Every other component, and kubectl, talks to one component.",),
             solution="'kube-apiserver'",
             explanation="So protecting etcd means letting only the API server reach it, over mutual TLS.",
             checker=check_etcd_client, answer_form="a string, the component's name"),
    Exercise("01.ports", "Who listens where?",
             "Match the ports 6443, 2379, 10250 and 10259 to the components that listen on them.",
             hints=("6443 is the one kubectl talks to.", "10250 is on every node, not only the control plane."),
             solution="{6443: 'kube-apiserver', 2379: 'etcd', 10250: 'kubelet', 10259: 'kube-scheduler'}",
             checker=check_ports,
             answer_form="a dict {port: component name} for the four ports"),
]
