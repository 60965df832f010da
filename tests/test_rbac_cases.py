"""The RBAC evaluator against every upstream case in reference/rbac/cases.json.

One parametrised test per section: request-level cases (TestAuthorizer, TestRuleMatches, the
non-resource URL cases), effective rules (TestDefaultRuleResolver), subject matching
(TestAppliesTo), the escalation "covers" check (TestCovers*) and ClusterRole aggregation
(TestSyncClusterRole). The fixtures are used exactly as transcribed (groups [""], rules that mix
resources and URLs), so the policy is built without API-server validation.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from kslab.rbac import (Policy, Request, Role, Rule, Subject, UserInfo, applies_to, covers,
                        rules_allow, sync_cluster_role)
from kslab.rbac.aggregation import aggregate

UPSTREAM = Path(__file__).resolve().parent / "upstream"
CASES = json.loads((UPSTREAM / "rbac" / "cases.json").read_text(encoding="utf-8"))
GROUP = "rbac.authorization.k8s.io/v1"


def _ids(cases: list[dict[str, Any]]) -> list[str]:
    return [c["id"] for c in cases]


def objects_from_case(policy: dict[str, Any]) -> list[dict[str, Any]]:
    """The case's policy as Kubernetes objects (bindings without a name get a made-up one)."""
    objs: list[dict[str, Any]] = []
    for role in policy.get("roles", []):
        objs.append({"apiVersion": GROUP, "kind": "Role", "rules": role["rules"],
                     "metadata": {"name": role["name"], "namespace": role["namespace"]}})
    for role in policy.get("clusterRoles", []):
        objs.append({"apiVersion": GROUP, "kind": "ClusterRole", "rules": role["rules"],
                     "metadata": {"name": role["name"]}})
    for i, b in enumerate(policy.get("roleBindings", [])):
        objs.append({"apiVersion": GROUP, "kind": "RoleBinding", "roleRef": b["roleRef"],
                     "subjects": b["subjects"],
                     "metadata": {"name": b.get("name", f"rb-{i}"), "namespace": b["namespace"]}})
    for i, b in enumerate(policy.get("clusterRoleBindings", [])):
        objs.append({"apiVersion": GROUP, "kind": "ClusterRoleBinding", "roleRef": b["roleRef"],
                     "subjects": b["subjects"], "metadata": {"name": b.get("name", f"crb-{i}")}})
    return objs


def request_from_case(r: dict[str, Any]) -> Request:
    if not r["resourceRequest"]:
        return Request(r["verb"], path=r["nonResourceURL"])
    return Request(r["verb"], r["resource"], r["apiGroup"], r["subresource"], r["name"], r["namespace"])


def test_every_section_is_present() -> None:
    kinds = Counter(c["kind"] for c in CASES["cases"])
    assert kinds == {"authorizer": 34, "rule_match": 84}
    assert [len(CASES[k]) for k in ("rules_for_cases", "applies_to_cases", "covers_cases",
                                    "aggregation_cases")] == [4, 9, 23, 6]


@pytest.mark.parametrize("case", CASES["cases"], ids=_ids(CASES["cases"]))
def test_request_case(case: dict[str, Any]) -> None:
    request = request_from_case(case["request"])
    if case["kind"] == "rule_match":
        rules = [Rule.from_dict(r) for r in case["rules"]]
        assert rules_allow(rules, request) is case["allowed"]
        return
    policy = Policy.from_objects(objects_from_case(case["policy"]), validate=False)
    user = UserInfo(case["user"]["name"], tuple(case["user"]["groups"]))
    decision = policy.authorize(user, request)
    assert decision.allowed is case["allowed"], decision.text()
    if decision.allowed:
        assert decision.reason.startswith("RBAC: allowed by ")
        assert decision.grant is not None


@pytest.mark.parametrize("case", CASES["rules_for_cases"], ids=_ids(CASES["rules_for_cases"]))
def test_rules_for(case: dict[str, Any]) -> None:
    policy = Policy.from_objects(objects_from_case(case["policy"]), validate=False)
    user = UserInfo(case["user"]["name"], tuple(case["user"]["groups"]))
    got = Counter(policy.rules_for(user, case["namespace"]))
    assert got == Counter(Rule.from_dict(r) for r in case["effectiveRules"])


@pytest.mark.parametrize("case", CASES["applies_to_cases"], ids=_ids(CASES["applies_to_cases"]))
def test_applies_to(case: dict[str, Any]) -> None:
    subjects = [Subject.from_dict(s) for s in case["subjects"]]
    user = UserInfo(case["user"]["name"], tuple(case["user"]["groups"]))
    assert applies_to(subjects, user, case["namespace"]) == (case["index"], case["appliesTo"])


@pytest.mark.parametrize("case", CASES["covers_cases"], ids=_ids(CASES["covers_cases"]))
def test_covers(case: dict[str, Any]) -> None:
    owner = [Rule.from_dict(r) for r in case["ownerRules"]]
    servant = [Rule.from_dict(r) for r in case["servantRules"]]
    ok, uncovered = covers(owner, servant)
    assert ok is case["covers"]
    assert Counter(uncovered) == Counter(Rule.from_dict(r) for r in case["uncoveredRules"])


def _cluster_role(data: dict[str, Any]) -> Role:
    agg = data.get("aggregationRule")
    return Role(data["name"], tuple(Rule.from_dict(r) for r in data.get("rules") or []),
                labels=data.get("labels") or {},
                aggregation=tuple(agg["clusterRoleSelectors"]) if agg else None)


@pytest.mark.parametrize("case", CASES["aggregation_cases"], ids=_ids(CASES["aggregation_cases"]))
def test_aggregation(case: dict[str, Any]) -> None:
    roles = [_cluster_role(r) for r in case["startingClusterRoles"]]
    target = next(r for r in roles if r.name == case["clusterRoleToSync"])
    rules, update = sync_cluster_role(target, roles)
    expected = tuple(Rule.from_dict(r) for r in case["expectedClusterRole"].get("rules") or [])
    assert rules == expected  # order matters: selectors in order, roles by name
    assert update is case["expectUpdate"]


@pytest.mark.parametrize("case", CASES["aggregation_cases"], ids=_ids(CASES["aggregation_cases"]))
def test_aggregation_through_policy_loading(case: dict[str, Any]) -> None:
    objs = []
    for r in case["startingClusterRoles"]:
        obj = {"apiVersion": GROUP, "kind": "ClusterRole", "rules": r.get("rules") or [],
               "metadata": {"name": r["name"], "labels": r.get("labels") or {}}}
        if r.get("aggregationRule"):
            obj["aggregationRule"] = r["aggregationRule"]
        objs.append(obj)
    policy = Policy.from_objects(objs, validate=False)
    role = policy.get_role("", case["clusterRoleToSync"])
    assert role is not None
    expected = tuple(Rule.from_dict(r) for r in case["expectedClusterRole"].get("rules") or [])
    assert role.rules == expected
    assert any("aggregated" in n for n in policy.notes)
    # aggregate() reaches the same fixed point
    roles, _ = aggregate([_cluster_role(r) for r in case["startingClusterRoles"]])
    assert next(r for r in roles if r.name == case["clusterRoleToSync"]).rules == expected
