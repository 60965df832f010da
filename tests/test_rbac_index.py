"""The indexed policy answers exactly as the authorizer's plain walk over every binding would.

The walk (upstream ``VisitRulesFor``): every ClusterRoleBinding, then every RoleBinding of the
request's namespace, each asked whether it names the user. The index looks only at bindings filed
under the user's name and groups; these tests build random policies (seeded, so every run is the
same) and compare the two for many identities and requests, including the explanations.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from kslab.rbac import Policy, Request, UserInfo, applies_to, rule_allows
from kslab.rbac.matrix import who_can

GROUP = "rbac.authorization.k8s.io/v1"
NAMESPACES = ["web", "db", "ops"]
VERBS = ["get", "list", "delete"]
RESOURCES = ["pods", "secrets", "configmaps"]


def _subject(rng: random.Random, cluster: bool) -> dict[str, Any]:
    kind = rng.choice(["User", "Group", "ServiceAccount"])
    if kind == "ServiceAccount":
        s: dict[str, Any] = {"kind": kind, "name": rng.choice(["app", "job"])}
        if cluster or rng.random() < 0.5:
            s["namespace"] = rng.choice(NAMESPACES)
        return s
    name = rng.choice(["alice", "bob", "system:serviceaccount:web:app"]) if kind == "User" else rng.choice(
        ["devs", "ops", "system:serviceaccounts", "system:authenticated"])
    return {"kind": kind, "name": name, "apiGroup": "rbac.authorization.k8s.io"}


def random_policy(seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    objs: list[dict[str, Any]] = []
    for ns in NAMESPACES:
        for r in range(3):
            objs.append({"apiVersion": GROUP, "kind": "Role", "metadata": {"name": f"r{r}", "namespace": ns},
                         "rules": [{"apiGroups": [""], "resources": [rng.choice(RESOURCES)],
                                    "verbs": rng.sample(VERBS, 2)}]})
    for c in range(3):
        objs.append({"apiVersion": GROUP, "kind": "ClusterRole", "metadata": {"name": f"c{c}"},
                     "rules": [{"apiGroups": [""], "resources": [rng.choice(RESOURCES)], "verbs": [rng.choice(VERBS)]}]})
    for b in range(40):
        cluster = rng.random() < 0.3
        ref = {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole" if cluster or rng.random() < 0.3 else "Role",
               "name": rng.choice(["r0", "r1", "r2", "c0", "c1", "c2", "missing"])}
        meta: dict[str, Any] = {"name": f"b{b % 30}"}  # some are defined twice: the later one wins
        if not cluster:
            meta["namespace"] = rng.choice(NAMESPACES)
        objs.append({"apiVersion": GROUP, "kind": "ClusterRoleBinding" if cluster else "RoleBinding",
                     "metadata": meta, "roleRef": ref,
                     "subjects": [_subject(rng, cluster) for _ in range(rng.randrange(1, 4))]})
    return objs


USERS = [UserInfo("alice", ("devs",)), UserInfo("bob", ("ops", "system:authenticated")),
         UserInfo("system:serviceaccount:web:app", ("system:serviceaccounts", "system:serviceaccounts:web")),
         UserInfo("system:serviceaccount:db:job", ("system:serviceaccounts",)), UserInfo("carol")]


def walk(policy: Policy, user: UserInfo, namespace: str) -> list[tuple[str, str, int]]:
    """The bindings that apply, by the plain walk: (kind, namespace/name, subject index)."""
    scopes = [("", [b for b in policy.bindings if not b.namespace])]
    if namespace:
        scopes.append((namespace, [b for b in policy.bindings if b.namespace == namespace]))
    out = []
    for scope, bindings in scopes:
        for b in bindings:
            at, applies = applies_to(b.subjects, user, scope)
            if applies:
                out.append((b.kind, f"{b.namespace}/{b.name}", at))
    return out


@pytest.mark.parametrize("seed", range(8))
def test_indexed_resolutions_are_the_walk(seed: int) -> None:
    policy = Policy.from_objects(random_policy(seed))
    assert any("defined twice" in n for n in policy.notes)
    for user in USERS:
        for ns in ["", *NAMESPACES]:
            got = [(r.binding.kind, f"{r.binding.namespace}/{r.binding.name}", r.binding.subjects.index(r.subject))
                   for r in policy.resolutions(user, ns)]
            assert got == walk(policy, user, ns), (user, ns)


@pytest.mark.parametrize("seed", range(8))
def test_decisions_and_who_can_agree_with_the_walk(seed: int) -> None:
    policy = Policy.from_objects(random_policy(seed))
    answers = set()
    for user in USERS:
        for ns in NAMESPACES:
            for verb in VERBS:
                for resource in RESOURCES:
                    request = Request(verb, resource, namespace=ns)
                    applied = walk(policy, user, ns)
                    keys = {(k, n) for k, n, _ in applied}
                    expected = any(rule_allows(rule, request)
                                   for b in policy.bindings if (b.kind, f"{b.namespace}/{b.name}") in keys
                                   for role in [policy.resolve(b)[0]] if role is not None for rule in role.rules)
                    decision = policy.authorize(user, request)
                    assert decision.allowed is expected
                    answers.add(decision.allowed)
                    if not decision.allowed:  # the explanation, written when read, names every applying binding
                        text = "\n".join(decision.explanation)
                        assert decision.explanation is decision.explanation  # written once, then kept
                        for kind, ident, _ in applied:
                            ns_, name = ident.split("/")
                            shown = f'{kind} "{name}/{ns_}"' if ns_ else f'{kind} "{name}"'
                            assert shown in text
    assert answers == {True, False}  # the random policies allow some things and not others
    for ns in NAMESPACES:
        request = Request("get", "pods", namespace=ns)
        expected_bindings = []
        for b in [x for x in policy.bindings if not x.namespace] + [x for x in policy.bindings if x.namespace == ns]:
            role = policy.resolve(b)[0]
            if role is not None and any(rule_allows(r, request) for r in role.rules):
                expected_bindings.append(b.describe().split(" of ")[0])
        got = list(dict.fromkeys(r.binding for r in who_can(policy, "get", "pods", namespace=ns).rows))
        assert got == list(dict.fromkeys(expected_bindings))


def test_duplicate_keeps_first_place_and_later_content() -> None:
    role = {"apiVersion": GROUP, "kind": "Role", "metadata": {"name": "r", "namespace": "web"}}
    objs = [dict(role, rules=[{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]),
            {"apiVersion": GROUP, "kind": "Role", "metadata": {"name": "other", "namespace": "web"}},
            dict(role, rules=[{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}])]
    policy = Policy.from_objects(objs)
    assert [r.name for r in policy.roles] == ["r", "other"]
    assert policy.roles[0].rules[0].resources == ("secrets",)
    assert policy.get_role("web", "r") is policy.roles[0]


def test_index_follows_bindings_added_after_building() -> None:
    policy = Policy.from_objects(random_policy(0))
    user = UserInfo("dave")
    assert not list(policy.resolutions(user, "web"))
    extra = Policy.from_objects([{"apiVersion": GROUP, "kind": "RoleBinding",
                                  "metadata": {"name": "x", "namespace": "web"},
                                  "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r0"},
                                  "subjects": [{"kind": "User", "name": "dave",
                                                "apiGroup": "rbac.authorization.k8s.io"}]}])
    policy.bindings.append(extra.bindings[0])
    assert [r.binding.name for r in policy.resolutions(user, "web")] == ["x"]
