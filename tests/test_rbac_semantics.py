"""RBAC semantics the upstream tables do not cover, checked against the rules in CASES.md, plus
policy loading (bad input, notes) and the explanations."""

from __future__ import annotations

from typing import Any

import pytest

from kslab.errors import InputError, UsageError
from kslab.rbac import Policy, Request, Rule, Subject, UserInfo, impersonate, rule_allows, why_not
from kslab.rbac.matrix import allowed_subjects
from kslab.rbac.subjects import split_service_account_user

RBAC = "rbac.authorization.k8s.io/v1"


def role(name: str, rules: list[dict[str, Any]], namespace: str = "web", kind: str = "Role") -> dict[str, Any]:
    meta = {"name": name, **({"namespace": namespace} if kind == "Role" else {})}
    return {"apiVersion": RBAC, "kind": kind, "metadata": meta, "rules": rules}


def binding(name: str, ref_kind: str, ref_name: str, subjects: list[dict[str, Any]],
            namespace: str | None = "web") -> dict[str, Any]:
    kind = "RoleBinding" if namespace else "ClusterRoleBinding"
    meta = {"name": name, **({"namespace": namespace} if namespace else {})}
    return {"apiVersion": RBAC, "kind": kind, "metadata": meta, "subjects": subjects,
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": ref_kind, "name": ref_name}}


SA = {"kind": "ServiceAccount", "name": "app"}
APP = "system:serviceaccount:web:app"


# ---- rule matching -----------------------------------------------------------------------------
@pytest.mark.parametrize("names, name, allowed", [
    ([], "", True), ([], "x", True), (["x"], "x", True), (["x"], "y", False),
    (["x"], "", False),  # list/create carry no name: a named rule does not grant them
    (["", "x"], "", True),  # ...unless the list literally holds ""
])
def test_resource_names(names: list[str], name: str, allowed: bool) -> None:
    rule = Rule(verbs=("get", "list"), api_groups=("",), resources=("configmaps",), resource_names=tuple(names))
    assert rule_allows(rule, Request("get", "configmaps", name=name, namespace="web")) is allowed


def test_verbs_are_case_sensitive_and_explained() -> None:
    rule = Rule(verbs=("get",), api_groups=("",), resources=("pods",))
    request = Request("GET", "pods")
    assert not rule_allows(rule, request)
    assert "case-sensitive" in (why_not(rule, request) or "")


@pytest.mark.parametrize("rule_resource, resource, sub, allowed", [
    ("pods", "pods", "log", False), ("pods/log", "pods", "", False), ("pods/log", "pods", "log", True),
    ("*/log", "pods", "log", True), ("*/log", "pods", "", False), ("*", "pods", "exec", True),
    ("*/scale", "deployments", "status", False), ("pods/*", "pods", "log", False),
])
def test_subresources(rule_resource: str, resource: str, sub: str, allowed: bool) -> None:
    rule = Rule(verbs=("*",), api_groups=("*",), resources=(rule_resource,))
    assert rule_allows(rule, Request("get", resource, subresource=sub)) is allowed


def test_resource_rule_never_matches_urls_and_url_rule_never_matches_resources() -> None:
    url_rule = Rule(verbs=("get",), non_resource_urls=("*",))
    res_rule = Rule(verbs=("get",), api_groups=("*",), resources=("*",))
    assert not rule_allows(url_rule, Request("get", "pods"))
    assert not rule_allows(res_rule, Request("get", path="/healthz"))
    assert why_not(url_rule, Request("get", "pods")) and why_not(res_rule, Request("get", path="/x"))


# ---- bindings and subjects ---------------------------------------------------------------------
def test_cluster_role_via_role_binding_grants_only_in_that_namespace() -> None:
    policy = Policy.from_objects([
        role("reader", [{"verbs": ["get"], "apiGroups": [""], "resources": ["pods", "nodes"],
                         "nonResourceURLs": []}], kind="ClusterRole"),
        binding("b", "ClusterRole", "reader", [SA])])
    user = impersonate(APP)
    assert policy.authorize(user, Request("get", "pods", namespace="web")).allowed
    assert not policy.authorize(user, Request("get", "pods", namespace="other")).allowed
    assert not policy.authorize(user, Request("get", "nodes")).allowed  # cluster-scoped: namespace ""
    denied = policy.authorize(user, Request("get", "pods", namespace="other"))
    assert any("would allow this in namespace 'web' only" in line for line in denied.explanation)


def test_service_account_namespace_defaults_only_in_role_bindings() -> None:
    cr = role("all", [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}], kind="ClusterRole")
    crb = binding("c", "ClusterRole", "all", [{"kind": "ServiceAccount", "name": "app", "namespace": "web"}],
                  namespace=None)
    policy = Policy.from_objects([cr, crb])
    assert policy.can_i(APP, verb="list", resource="nodes").allowed
    # A ClusterRoleBinding subject without a namespace is refused by the API server...
    with pytest.raises(InputError, match="namespace: Required value"):
        Policy.from_objects([cr, binding("c", "ClusterRole", "all", [SA], namespace=None)])
    # ...and never matches even when it gets through (no default namespace at cluster scope).
    loose = Policy.from_objects([cr, binding("c", "ClusterRole", "all", [SA], namespace=None)], validate=False)
    assert not loose.can_i(APP, verb="list", resource="nodes").allowed


def test_user_star_is_not_a_wildcard() -> None:
    cr = role("all", [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}], kind="ClusterRole")
    policy = Policy.from_objects([cr, binding("c", "ClusterRole", "all", [{"kind": "User", "name": "*"}],
                                              namespace=None)])
    assert not policy.can_i("alice", verb="get", resource="pods", namespace="web").allowed
    assert policy.can_i("*", verb="get", resource="pods", namespace="web").allowed


def test_groups_from_the_server_grant_through_group_subjects() -> None:
    policy = Policy.from_objects([
        role("r", [{"verbs": ["get"], "apiGroups": [""], "resources": ["pods"]}]),
        binding("b", "Role", "r", [{"kind": "Group", "name": "system:serviceaccounts:web"}])])
    assert not policy.can_i(APP, verb="get", resource="pods", namespace="web").allowed  # no groups given
    decision = policy.can_i(APP, verb="get", resource="pods", namespace="web", assume_groups=True)
    assert decision.allowed
    assert any("Assumed groups" in line for line in decision.explanation)


# ---- impersonation (kubectl --as) --------------------------------------------------------------
@pytest.mark.parametrize("user, groups, expected", [
    ("system:serviceaccount:web:app", [], ("system:serviceaccounts", "system:serviceaccounts:web",
                                           "system:authenticated")),
    ("system:serviceaccount:web:app", ["x"], ("x", "system:authenticated")),  # given groups win
    ("alice", [], ("system:authenticated",)),
    ("alice", ["system:unauthenticated"], ("system:unauthenticated",)),
    ("alice", ["system:authenticated", "a"], ("system:authenticated", "a")),
    ("system:anonymous", [], ("system:unauthenticated",)),
    ("system:serviceaccount:Web:app", [], ("system:authenticated",)),  # invalid namespace: a plain user
    ("system:serviceaccount:web:app:x", [], ("system:authenticated",)),
])
def test_impersonation_groups(user: str, groups: list[str], expected: tuple[str, ...]) -> None:
    info = impersonate(user, groups)
    assert info.groups == expected
    assert set(info.assumed) == set(expected) - set(groups)


def test_groups_without_user_are_refused() -> None:
    with pytest.raises(UsageError):
        impersonate("", ["devs"])


def test_split_service_account_user_validates_names() -> None:
    assert split_service_account_user("system:serviceaccount:kube-system:default") == ("kube-system", "default")
    assert split_service_account_user("system:serviceaccount:a:b.c") == ("a", "b.c")
    assert split_service_account_user("system:serviceaccount::b") is None
    assert split_service_account_user("system:serviceaccounts:a:b") is None


# ---- explanations ------------------------------------------------------------------------------
def test_allowed_decision_names_binding_rule_and_subject() -> None:
    policy = Policy.from_objects([
        role("r", [{"verbs": ["list"], "apiGroups": [""], "resources": ["secrets"]},
                   {"verbs": ["get"], "apiGroups": [""], "resources": ["pods"]}]),
        binding("b", "Role", "r", [{"kind": "User", "name": "x"}, SA])])
    decision = policy.can_i(APP, verb="get", resource="pods", namespace="web")
    assert decision.reason == ('RBAC: allowed by RoleBinding "b/web" of Role "r" to ServiceAccount "app/web"')
    assert decision.grant is not None and decision.grant.index == 1
    assert "rule 2 of Role" in decision.explanation[1]
    assert str(decision) == "yes" and decision.to_dict()["grantedBy"]["ruleIndex"] == 1


def test_denied_decision_says_which_rule_part_failed() -> None:
    policy = Policy.from_objects([role("r", [{"verbs": ["get"], "apiGroups": [""], "resources": ["pods"]}]),
                                  binding("b", "Role", "r", [SA])])
    decision = policy.can_i(APP, verb="get", resource="secrets", namespace="web")
    assert not decision.allowed and decision.reason == ""
    assert any('resource "secrets" not in [pods]' in line for line in decision.explanation)


def test_first_match_in_evaluation_order_cluster_bindings_first() -> None:
    policy = Policy.from_objects([
        role("r", [{"verbs": ["get"], "apiGroups": [""], "resources": ["pods"]}]),
        role("c", [{"verbs": ["get"], "apiGroups": [""], "resources": ["pods"]}], kind="ClusterRole"),
        binding("rb", "Role", "r", [SA]),
        binding("crb", "ClusterRole", "c", [{"kind": "ServiceAccount", "name": "app", "namespace": "web"}],
                namespace=None)])
    decision = policy.can_i(APP, verb="get", resource="pods", namespace="web")
    assert decision.grant is not None and decision.grant.binding.kind == "ClusterRoleBinding"


# ---- loading: bad input, notes -----------------------------------------------------------------
def test_binding_to_missing_role_grants_nothing_and_is_reported() -> None:
    policy = Policy.from_objects([binding("b", "Role", "ghost", [SA])])
    assert any('grants nothing: role.rbac.authorization.k8s.io "ghost" not found' in n for n in policy.notes)
    decision = policy.can_i(APP, verb="get", resource="pods", namespace="web")
    assert not decision.allowed
    assert decision.reason == 'RBAC: role.rbac.authorization.k8s.io "ghost" not found'
    assert any("grants nothing" in line for line in decision.explanation)


def test_unknown_kinds_and_old_versions_are_notes() -> None:
    old = role("r", [{"verbs": ["get"], "apiGroups": [""], "resources": ["pods"]}])
    old["apiVersion"] = "rbac.authorization.k8s.io/v1beta1"
    policy = Policy.from_objects([{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}},
                                  old, {"apiVersion": "v1", "kind": "Role", "metadata": {"name": "x"}}])
    assert any('Deployment "d" ignored' in n for n in policy.notes)
    assert any("not served since Kubernetes 1.22" in n for n in policy.notes)
    assert any("is not the RBAC API" in n for n in policy.notes)
    assert policy.get_role("web", "r") is not None and policy.get_role("web", "x") is None


@pytest.mark.parametrize("obj, message", [
    (role("r", [{"verbs": [], "apiGroups": [""], "resources": ["pods"]}]), "verbs must contain at least one value"),
    (role("r", [{"verbs": ["get"], "resources": ["pods"]}]), "resource rules must supply at least one api group"),
    (role("r", [{"verbs": ["get"], "nonResourceURLs": ["/x"]}]), "namespaced rules cannot apply to non-resource URLs"),
    (role("r", [{"verbs": ["get"], "apiGroups": [""], "resources": ["p"], "nonResourceURLs": ["/x"]}],
          kind="ClusterRole"), "cannot apply to both regular resources and non-resource URLs"),
    (role("r", [{"verbs": "get", "apiGroups": [""], "resources": ["pods"]}]), "must be a list of strings"),
    (role("r", "oops"), "rules must be a list"),  # type: ignore[arg-type]
    (binding("b", "Group", "r", [SA]), "roleRef.kind: Unsupported value 'Group'"),
    (binding("b", "ClusterRole", "r", [{"kind": "Robot", "name": "x"}]), "kind: Unsupported value 'Robot'"),
    (binding("b", "Role", "r", [SA], namespace=None), "roleRef.kind: Unsupported value 'Role'"),
    ({"apiVersion": RBAC, "kind": "Role", "metadata": {"namespace": "web"}}, "name or generateName is required"),
    ({"apiVersion": RBAC, "kind": "RoleBinding", "metadata": {"name": "b", "namespace": "web"}},
     "roleRef is missing"),
])
def test_malformed_objects_are_input_errors(obj: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Policy.from_objects([obj])


def test_missing_namespace_defaults_with_a_note() -> None:
    obj = role("r", [{"verbs": ["get"], "apiGroups": [""], "resources": ["pods"]}])
    del obj["metadata"]["namespace"]
    policy = Policy.from_objects([obj])
    assert policy.get_role("default", "r") is not None
    assert any("has no namespace" in n for n in policy.notes)


def test_files_with_line_numbers_in_errors(tmp_path: Any) -> None:
    path = tmp_path / "rbac.yaml"
    path.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\n"
                    "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: r, namespace: w}\n"
                    "rules:\n- verbs: []\n  apiGroups: ['']\n  resources: [pods]\n")
    with pytest.raises(InputError, match=r"rbac\.yaml:5: Role \"r\": rules\[0\]\.verbs"):
        Policy.from_files([path])


def test_aggregated_role_gets_selected_rules_and_a_note() -> None:
    objs = [
        {"apiVersion": RBAC, "kind": "ClusterRole", "metadata": {"name": "view-widgets",
                                                                  "labels": {"agg": "view"}},
         "rules": [{"verbs": ["get"], "apiGroups": ["example.com"], "resources": ["widgets"]}]},
        {"apiVersion": RBAC, "kind": "ClusterRole", "metadata": {"name": "viewer"},
         "aggregationRule": {"clusterRoleSelectors": [{"matchExpressions": [
             {"key": "agg", "operator": "In", "values": ["view"]}]}]}},
        binding("b", "ClusterRole", "viewer", [SA])]
    policy = Policy.from_objects(objs)
    assert policy.can_i(APP, verb="get", resource="widgets", group="example.com", namespace="web").allowed
    assert any('"viewer" is aggregated' in n and "view-widgets" in n for n in policy.notes)
    # Without a controller-manager nothing aggregates: the stored (empty) rules are what counts.
    stored = Policy.from_objects(objs, aggregate_roles=False)
    assert not stored.can_i(APP, verb="get", resource="widgets", group="example.com", namespace="web").allowed


def test_bad_label_selector_is_input_error() -> None:
    with pytest.raises(InputError, match="not a valid label selector operator"):
        Policy.from_objects([{"apiVersion": RBAC, "kind": "ClusterRole", "metadata": {"name": "v"},
                              "aggregationRule": {"clusterRoleSelectors": [{"matchExpressions": [
                                  {"key": "a", "operator": "Near"}]}]}}])


def test_rules_for_lists_effective_rules_per_namespace() -> None:
    policy = Policy.from_objects([role("r", [{"verbs": ["get"], "apiGroups": [""], "resources": ["pods"]}]),
                                  binding("b", "Role", "r", [SA])])
    assert policy.rules_for(UserInfo(APP), "web") == [Rule(("get",), ("",), ("pods",))]
    assert policy.rules_for(UserInfo(APP), "") == []


# ---- the subject locator (upstream TestSubjectLocator, plugin/pkg/auth/authorizer/rbac) ----------
def _subjects(*specs: str) -> list[Subject]:
    return [Subject(kind, name, api_group="rbac.authorization.k8s.io")
            for kind, name in (s.split(":", 1) for s in specs)]


STAR = [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"], "nonResourceURLs": ["*"]}]


@pytest.mark.parametrize("super_user, local_role, request_, expected", [
    ("", False, Request("get", "Pods", namespace="ns1"),
     ["Group:system:masters", "User:super-admin", "Group:super-admins", "User:admin", "Group:admins"]),
    ("", False, Request("*", "Pods", namespace="*"), ["Group:system:masters", "User:super-admin", "Group:super-admins"]),
    ("", False, Request("*", "Pods"), ["Group:system:masters", "User:super-admin", "Group:super-admins"]),
    ("foo", True, Request("get", "Pods", namespace="ns1"),
     ["Group:system:masters", "User:foo", "User:super-admin", "Group:super-admins", "User:admin", "Group:admins"]),
    ("foo", True, Request("create", "Pods", namespace="ns1"),
     ["Group:system:masters", "User:foo", "User:super-admin", "Group:super-admins"]),
    ("foo", True, Request("get", "Pods", namespace="ns2"),
     ["Group:system:masters", "User:foo", "User:super-admin", "Group:super-admins"]),
])
def test_allowed_subjects_like_the_subject_locator(super_user: str, local_role: bool, request_: Request,
                                                   expected: list[str]) -> None:
    objs = [role("admin", STAR, kind="ClusterRole"),
            binding("crb", "ClusterRole", "admin", [{"kind": "User", "name": "super-admin"},
                                                    {"kind": "Group", "name": "super-admins"}], namespace=None)]
    admins = [{"kind": "User", "name": "admin"}, {"kind": "Group", "name": "admins"}]
    if local_role:
        objs += [role("admin", [{"verbs": ["get"], "apiGroups": ["*"], "resources": ["Pods"],
                                 "nonResourceURLs": ["*"]}], namespace="ns1"),
                 binding("rb", "Role", "admin", admins, namespace="ns1")]
    else:
        objs += [binding("rb", "ClusterRole", "admin", admins, namespace="ns1")]
    policy = Policy.from_objects(objs, validate=False)
    assert allowed_subjects(policy, request_, super_user=super_user) == _subjects(*expected)
