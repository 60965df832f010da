"""The isolation proof offline: kslab's RBAC evaluator on the generated objects, and deliberately
leaky policies that the proof must catch."""

from __future__ import annotations

import copy
from typing import Any

from kslab.classroom import objects as build
from kslab.classroom import verify
from kslab.classroom.roster import numbered

STUDENTS = [s.name for s in numbered(4)]
RBAC_V1 = "rbac.authorization.k8s.io/v1"


def objects() -> list[dict[str, Any]]:
    return build.classroom_objects(STUDENTS)


def leaky_role(extra_rule: dict[str, Any]) -> list[dict[str, Any]]:
    objs = copy.deepcopy(objects())
    objs[0]["rules"].append(extra_rule)
    return objs


def test_generated_classroom_is_isolated() -> None:
    report = verify.predicted(STUDENTS, hub_namespace="jhub")
    assert report.ok and not report.leaks and not report.missing
    assert report.source.startswith("predicted")
    rows = report.summary_rows()
    assert [r["student"] for r in rows] == STUDENTS and {r["verdict"] for r in rows} == {"isolated"}
    own = [p for p in verify.PROBES if p.where == verify.OWN]
    assert rows[0]["own"] == f"{len(own)}/{len(own)} allowed"
    assert rows[0]["cluster"].startswith("0/") and rows[0]["others"].startswith("0/")
    assert "No leak" in report.text()


def test_every_student_is_checked_at_home_and_against_two_others() -> None:
    questions = verify.plan(STUDENTS, hub_namespace="jhub")
    for i, student in enumerate(STUDENTS):
        mine = [q for q in questions if q.student == student]
        own_ns = build.namespace_for(student)
        assert {q.target for q in mine if q.probe.where == verify.OWN} == {own_ns}
        others = {q.target for q in mine if q.probe.where == verify.OTHER}
        assert len(others) == 2 and own_ns not in others
        assert others <= {build.namespace_for(s) for s in STUDENTS}
        assert {q.target for q in mine if q.probe.where == verify.FIXED} == {"kube-system", "default", "jhub"}
        assert {q.target for q in mine if q.probe.where == verify.CLUSTER} == {""}
        assert all(q.user.name == f"system:serviceaccount:{own_ns}:student" for q in mine)


def test_own_namespace_questions_are_the_labs_needs() -> None:
    from kslab.cluster.permissions import NEEDS

    def keys(where: str) -> set[tuple[str, ...]]:
        return {(p.need.verb, p.need.group, p.need.resource, p.need.subresource, p.namespace)
                for p in verify.PROBES if p.where == where}

    for need in NEEDS:
        key = (need.verb, need.group, need.resource, need.subresource, need.fixed_namespace)
        if need.namespaced and not need.fixed_namespace:
            assert key in keys(verify.OWN) and key in keys(verify.OTHER)
        elif need.namespaced:
            assert key in keys(verify.FIXED)  # kube-system reads: denied on purpose, the labs fall back
        else:
            assert key in keys(verify.CLUSTER)


def test_a_role_that_grants_namespaces_is_caught() -> None:
    # A RoleBinding-granted rule on "namespaces" lets a student patch their own Namespace (its PSA labels).
    objs = leaky_role({"apiGroups": [""], "resources": ["namespaces"], "verbs": ["get", "patch"]})
    report = verify.predicted(STUDENTS, objs)
    assert not report.ok
    leaks = {(o.question.student, o.question.probe.what) for o in report.leaks}
    assert ("student-01", "patch namespaces") in leaks
    # Only the own Namespace object: the cluster-wide "patch namespaces" stays denied.
    assert all(o.question.probe.where == verify.GUARD for o in report.leaks)
    assert {r["verdict"] for r in report.summary_rows()} == {"LEAK"}
    assert "LEAKS (allowed, must be denied)" in report.text()


def test_bind_and_escalate_verbs_are_caught() -> None:
    objs = leaky_role({"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["clusterroles", "roles"],
                       "verbs": ["bind", "escalate"]})
    leaks = {o.question.probe.what for o in verify.predicted(STUDENTS, objs).leaks}
    assert leaks == {"bind clusterroles.rbac.authorization.k8s.io", "escalate roles.rbac.authorization.k8s.io"}


def test_a_cluster_role_binding_leaks_everywhere_and_is_caught() -> None:
    objs = objects() + [{
        "apiVersion": RBAC_V1, "kind": "ClusterRoleBinding", "metadata": {"name": "oops"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": build.COURSE_ROLE},
        "subjects": [{"kind": "Group", "name": "system:serviceaccounts", "apiGroup": "rbac.authorization.k8s.io"}]}]
    report = verify.predicted(STUDENTS, objs)
    scopes = {o.question.probe.where for o in report.leaks}
    assert {verify.OTHER, verify.FIXED, verify.CLUSTER} <= scopes
    assert ("list", "pods", "") in {(o.question.request.verb, o.question.request.resource,
                                      o.question.request.namespace) for o in report.leaks}
    assert not report.ok and report.as_dict()["leaks"] == len(report.leaks)


def test_a_binding_into_another_students_namespace_is_caught() -> None:
    ns2 = build.namespace_for("student-02")
    objs = objects() + [{
        "apiVersion": RBAC_V1, "kind": "RoleBinding", "metadata": {"name": "shared", "namespace": ns2},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": build.COURSE_ROLE},
        "subjects": [{"kind": "ServiceAccount", "name": "student", "namespace": build.namespace_for("student-01")}]}]
    report = verify.predicted(STUDENTS, objs)
    assert {o.question.student for o in report.leaks} == {"student-01"}
    assert {o.question.target for o in report.leaks} == {ns2}
    row = next(r for r in report.summary_rows() if r["student"] == "student-01")
    assert row["verdict"] == "LEAK" and not row["others"].startswith("0/")


def test_a_role_missing_exec_blocks_a_lab_and_is_reported() -> None:
    objs = copy.deepcopy(objects())
    for rule in objs[0]["rules"]:
        rule["resources"] = [r for r in rule["resources"] if r != "pods/exec"]
    objs[0]["rules"] = [r for r in objs[0]["rules"] if r["resources"]]
    report = verify.predicted(STUDENTS, objs)
    assert not report.leaks and not report.ok
    assert {o.question.probe.what for o in report.missing} == {"create pods/exec"}
    assert {r["verdict"] for r in report.summary_rows()} == {"labs blocked"}


def test_one_student_has_no_others_and_says_so() -> None:
    report = verify.predicted(["solo"])
    assert report.ok
    assert not [o for o in report.outcomes if o.question.probe.where == verify.OTHER]
    assert any("three or more" in n for n in report.notes)


def test_observed_answers_win_and_disagreements_are_listed() -> None:
    questions = verify.plan(STUDENTS[:3])
    ask = verify.policy_ask(build.classroom_objects(STUDENTS[:3]))
    predicted = [ask(q) for q in questions]
    # Pretend the server also allowed one cluster-wide question (another binding in the cluster).
    target = next(i for i, q in enumerate(questions) if q.probe.where == verify.CLUSTER)
    observed = [(a, "server") for a, _ in predicted]
    observed[target] = (True, "RBAC: allowed by ClusterRoleBinding \"x\"")
    report = verify.judge(questions, predicted, observed, students=STUDENTS[:3], source="observed")
    assert [o.question for o in report.leaks] == [questions[target]]
    assert [o.question for o in report.disagreements] == [questions[target]]
    assert "answered otherwise than predicted" in report.text()
    check = report.as_dict()["checks"][target]
    assert check["observed"] is True and check["predicted"] is False and check["verdict"] == "LEAK"
