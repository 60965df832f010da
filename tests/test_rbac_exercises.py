"""Notebook 04's exercises: each solution passes, and typical wrong answers fail with a useful reason."""

from __future__ import annotations

from typing import Any

import pytest

from kslab.exercises import nb04
from kslab.exercises.model import solution_answer
from kslab.rbac import scenario

NS = scenario.NAMESPACE


def _solution(ex: Any) -> Any:
    return solution_answer(ex)  # the solution, run as written


@pytest.mark.parametrize("ex", nb04.EXERCISES, ids=[e.id for e in nb04.EXERCISES])
def test_solutions_pass(ex: Any) -> None:
    import kslab

    # A hands-on check reads an identity; offline, the evaluator's prediction for the lab's own.
    result = ex.checker(_solution(ex), kslab.connect(mode="offline")) if ex.reads else ex.checker(_solution(ex))
    assert result.passed, result.reason
    assert ex.hints and ex.id.startswith("04.")


def cfg_role(rules: list[dict[str, Any]], namespace: str = NS) -> dict[str, Any]:
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
            "metadata": {"name": "config-reader", "namespace": namespace}, "rules": rules}


@pytest.mark.parametrize("answer, reason", [
    (cfg_role([{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}]), "(any name)"),
    (cfg_role([{"apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["webapp-config"],
                "verbs": ["get", "update"]}]), "grants more"),
    (cfg_role([{"apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["other"], "verbs": ["get"]}]),
     "cannot read its ConfigMap"),
    (cfg_role([{"apiGroups": ["*"], "resources": ["configmaps"], "resourceNames": ["webapp-config"],
                "verbs": ["get"]}]), "grants more"),
    (cfg_role([{"apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["webapp-config"],
                "verbs": ["get"]}], namespace="default"), "namespace"),
    (cfg_role([{"resources": ["configmaps"], "verbs": ["get"]}]), "would refuse"),
])
def test_config_reader_rejects_too_much_or_too_little(answer: Any, reason: str) -> None:
    result = nb04.check_config_reader(answer)
    assert not result.passed and reason in result.reason


def test_config_reader_accepts_yaml_and_watch_by_name() -> None:
    text = (f"apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {{name: r, namespace: {NS}}}\n"
            "rules:\n- apiGroups: ['']\n  resources: [configmaps]\n  resourceNames: [webapp-config]\n"
            "  verbs: [get, watch]\n")
    assert nb04.check_config_reader(text).passed


def test_narrow_binding_rejects_wrong_namespace_and_cluster_binding() -> None:
    assert "every namespace" in nb04.check_narrow_binding(nb04.TOO_BROAD).reason
    wrong_ns = {**nb04.TOO_BROAD, "kind": "RoleBinding", "metadata": {"name": "b", "namespace": "default"}}
    result = nb04.check_narrow_binding(wrong_ns)
    assert not result.passed and "would allow this in namespace 'default' only" in result.reason


def test_secret_readers_and_namespaced_explain_mistakes() -> None:
    assert nb04.expected_readers() == {"serviceaccount:ci", "user:alice", "group:auditors"}
    assert "group:ops" in nb04.check_secret_readers({"Group:ops", "User:alice"}).reason
    result = nb04.check_namespaced("pods secrets nodes")
    assert not result.passed and "nodes" in result.reason


@pytest.mark.parametrize("answer", [None, 42, "kind: [", "kind: ConfigMap\nmetadata: {name: x}\n", {"kind": "Pod"}])
def test_bad_answers_fail_with_a_reason(answer: Any) -> None:
    for checker in (nb04.check_config_reader, nb04.check_narrow_binding):
        result = checker(answer)
        assert not result.passed and result.reason
