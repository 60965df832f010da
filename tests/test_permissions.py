"""The permission check's table and verdicts (the live test asks a real API server)."""

from __future__ import annotations


import pytest

from kslab.cluster import permissions
from kslab.cluster.permissions import NEEDS, Need, check_permissions


class AnsweringLab:
    """A live-looking Lab whose authorizer allows exactly the (verb, resource, subresource) given."""

    live = True
    context = "classroom"

    def __init__(self, allowed: set[tuple[str, str, str]]) -> None:
        self.allowed = allowed
        self.asked: list[tuple[str, str, str, str, str]] = []

    def require_live(self, what: str) -> None:
        pass

    def access_review(self, verb: str, resource: str, *, group: str, namespace: str,
                      subresource: str) -> tuple[bool, str]:
        self.asked.append((verb, group, resource, subresource, namespace))
        ok = (verb, resource, subresource) in self.allowed
        return ok, "RBAC: allowed by RoleBinding" if ok else ""


def test_every_need_is_asked_with_the_right_scope() -> None:
    lab = AnsweringLab(set())
    check_permissions(lab, namespace="student-7")
    assert len(lab.asked) == len(NEEDS)
    assert ("create", "", "pods", "exec", "student-7") in lab.asked
    assert ("create", "", "namespaces", "", "") in lab.asked  # cluster-scoped: no namespace
    assert ("get", "", "nodes", "proxy", "") in lab.asked
    assert ("list", "", "pods", "", "kube-system") in lab.asked  # lab 01 reads kube-system, not the student's


def test_report_says_per_lab_what_is_missing() -> None:
    granted = {(n.verb, n.resource, n.subresource) for n in NEEDS if n.lab in ("all", "03")}
    report = check_permissions(AnsweringLab(granted), namespace="student-7")
    assert not report.ok
    labs = report.labs()
    assert labs["all"] == labs["03"] == "ready"
    assert labs["04"] == "missing 7" and labs["05"] == "missing 5"
    text = str(report)
    assert "kubectl auth can-i create serviceaccounts/token -n student-7    # lab 04: a bound token" in text
    assert "kubectl auth can-i create customresourcedefinitions.apiextensions.k8s.io    # lab 05" in text
    assert report.as_dict()["labs"] == labs


def test_all_allowed() -> None:
    report = check_permissions(AnsweringLab({(n.verb, n.resource, n.subresource) for n in NEEDS}))
    assert report.ok and str(report).endswith("Every lab has what it needs.")


def test_offline_lists_the_needs_without_answers() -> None:
    import kslab

    report = check_permissions(kslab.connect(mode="offline"))
    assert not report.live and not report.ok and report.missing == []
    assert {r.allowed for r in report.rows} == {None} and len(report.rows) == len(NEEDS)
    assert set(report.labs().values()) == {"not checked (offline)"}
    text = str(report)
    assert text.startswith("Offline: nothing was asked.") and "ALLOWED" not in text
    assert "create  pods/exec" not in text and "create pods/exec" in text


@pytest.mark.parametrize(("need", "line"), [
    (Need("x", "get", "pods", "w", subresource="log"), "kubectl auth can-i get pods/log -n ns"),
    (Need("x", "create", "roles", "w", group="rbac.authorization.k8s.io"),
     "kubectl auth can-i create roles.rbac.authorization.k8s.io -n ns"),
    (Need("x", "list", "nodes", "w", namespaced=False), "kubectl auth can-i list nodes"),
    (Need("x", "get", "pods", "w", fixed_namespace="kube-system"), "kubectl auth can-i get pods -n kube-system"),
])
def test_can_i_lines(need: Need, line: str) -> None:
    assert need.can_i("ns") == line


def test_needs_are_unique() -> None:
    keys = [(n.verb, n.group, n.resource, n.subresource, n.namespaced) for n in permissions.NEEDS]
    assert len(keys) == len(set(keys))
