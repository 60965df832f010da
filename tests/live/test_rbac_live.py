"""RBAC against a real API server: a service account's kubeconfig from TokenRequest, its access seen
through access reviews and through real requests (403s), the 2019 token Secret, and the evaluator
compared with SubjectAccessReview on a generated policy.

Everything here is API-level: it needs no node and no controller-manager (the legacy token Secret
is then honestly reported as not populated).
"""

from __future__ import annotations

import json
import os
import random
import stat
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

from kslab import settings
from kslab.cluster import identities
from kslab.cluster.api_resources import catalog
from kslab.rbac import Policy, Request, UserInfo, scenario, sync_cluster_role
from kslab.rbac.resources import recorded

pytestmark = pytest.mark.live
RBAC = "rbac.authorization.k8s.io/v1"


def lab_objects(namespace: str) -> list[dict[str, Any]]:
    return scenario.lab_objects(namespace)[1:]  # the fixture made the namespace


def test_service_account_identity_end_to_end(live_lab: Any, live_namespace: str) -> None:
    ns = live_namespace
    setup = identities.set_up(live_lab, lab_objects(ns))
    assert setup.live and setup.applied == [f"ServiceAccount/{ns}/webapp", f"Role/{ns}/pod-reader",
                                            f"RoleBinding/{ns}/webapp-reads-pods"]

    ident = identities.service_account_identity(live_lab, ns, expiration_seconds=600)
    assert ident.live and ident.kubeconfig is not None and ident.client is not None
    # The kubeconfig: private, outside the repository, with the CA and the token.
    assert stat.S_IMODE(ident.kubeconfig.stat().st_mode) == 0o600
    assert ident.kubeconfig.is_relative_to(settings.state_dir())
    assert not ident.kubeconfig.is_relative_to(Path(__file__).resolve().parents[2])
    doc = yaml.safe_load(ident.kubeconfig.read_text())
    token = doc["users"][0]["user"]["token"]
    assert doc["clusters"][0]["cluster"].get("certificate-authority-data") or "system trust" in ident.ca_source
    # The token is never shown: not in the identity, its kubeconfig view, or the claims.
    for shown in (ident.text(), repr(ident), ident.kubeconfig_text(), ident.claims.text()):
        assert token not in shown and token.split(".")[2] not in shown
    # Its claims: who, for how long.
    assert ident.claims.subject == f"system:serviceaccount:{ns}:webapp"
    assert (ident.claims.namespace, ident.claims.service_account) == (ns, "webapp")
    assert ident.claims.lifetime is not None and ident.claims.lifetime.total_seconds() == 600
    assert not ident.claims.legacy and ident.claims.audiences

    # Access reviews as the service account itself (SelfSubjectAccessReview), next to the prediction.
    both = identities.access_matrix(ident, verbs=["get", "list", "delete"],
                                    resources=["pods", "pods/log", "secrets", "configmaps", "nodes"])
    assert both.observed is not None and both.differences == []
    seen = both.observed
    assert seen.allowed("pods", "list") and seen.allowed("pods/log", "get")
    assert not seen.allowed("pods", "delete") and not seen.allowed("secrets", "get")
    assert not seen.allowed("nodes", "list")
    elsewhere = identities.observed_matrix(ident.client, namespace="default", verbs=["list"], resources=["pods"])
    assert not elsewhere.allowed("pods", "list")

    # Real requests as the service account: one allowed, the rest 403 Forbidden, none raising.
    report = identities.try_requests(ident)
    statuses = {r.action: r.status for r in report.results}
    assert statuses[f"list pods in {ns}"] == 200
    for action in (f"delete a pod in {ns}", f"list secrets in {ns}", f"create a ConfigMap in {ns}",
                   "list pods in default", "list nodes"):
        assert statuses[action] == 403, action
    assert report.agree()
    assert "forbidden" in report.text() and token not in report.text()


def test_token_expiry_is_configurable_and_the_token_works_only_as_the_service_account(
        live_lab: Any, live_namespace: str) -> None:
    identities.set_up(live_lab, lab_objects(live_namespace))
    ident = identities.service_account_identity(live_lab, live_namespace, expiration_seconds=3600)
    assert ident.claims.lifetime is not None and ident.claims.lifetime.total_seconds() == 3600
    decision = identities.review(ident.client, Request("list", "pods", namespace=live_namespace))
    assert decision.allowed and decision.source.startswith("observed")
    assert "pod-reader" in decision.reason


def test_legacy_token_secret_is_reported_honestly(live_lab: Any, live_namespace: str) -> None:
    from kslab.errors import ApiError

    identities.set_up(live_lab, lab_objects(live_namespace))
    report = identities.legacy_token(live_lab, live_namespace, wait_seconds=10)
    assert report.live and report.deleted
    if report.populated:  # a controller-manager runs its token controller
        assert report.claims is not None and report.claims.legacy
        assert report.claims.expires_at is None and report.claims.audiences == ()
        assert report.claims.subject == f"system:serviceaccount:{live_namespace}:webapp"
    else:
        assert "not populated" in report.text()
    with pytest.raises(ApiError) as err:
        live_lab.read_secret(live_namespace, "webapp-legacy-token")
    assert err.value.status == 404


def test_cli_live(live_lab: Any, live_namespace: str) -> None:
    identities.set_up(live_lab, lab_objects(live_namespace))
    sa = f"system:serviceaccount:{live_namespace}:webapp"

    def kslab(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "kslab", "rbac", *args], capture_output=True, text=True,
                              check=False)

    yes = kslab("can-i", "list", "pods", "--live", "-n", live_namespace, "--as", sa)
    assert (yes.returncode, yes.stdout.strip()) == (0, "yes"), yes.stderr
    no = kslab("can-i", "get", "secrets", "--live", "-n", live_namespace, "--as", sa, "--json")
    assert no.returncode == 1 and json.loads(no.stdout)["source"].startswith("observed (SubjectAccessReview")
    who = kslab("who-can", "list", "pods", "--live", "-n", live_namespace, "--json")
    names = {(s["kind"], s["name"]) for s in json.loads(who.stdout)["subjects"]}
    assert ("ServiceAccount", "webapp") in names and ("Group", "system:masters") in names


def test_discovery_agrees_with_the_recorded_scopes(live_lab: Any) -> None:
    seen = catalog(live_lab)
    assert seen.observed and seen.scope("pods") == "Namespaced" and seen.scope("nodes") == "Cluster"
    rec = recorded()
    shared = [r for r in seen.resources if rec.find(r.resource, r.group)]
    assert len(shared) > 30
    for res in shared:
        assert rec.scope(res.resource, res.group) == res.scope, res.name


# ---- the evaluator against the API server ------------------------------------------------------
VERBS = ["get", "list", "watch", "create", "delete", "GET", "escalate"]
GROUPS = ["", "apps", "batch", "example.com"]
RESOURCES = ["pods", "deployments", "secrets", "configmaps", "jobs", "Pods", "widgets"]
SUBRESOURCES = ["log", "status", "scale", "exec"]
URLS = ["/healthz", "/apis", "/apis/v1", "/api", "/logs/a", "/logs", "/metrics", "/version"]


def _policy_objects(rnd: random.Random, tag: str, ns: list[str]) -> list[dict[str, Any]]:
    def rule(namespaced: bool) -> dict[str, Any]:
        if not namespaced and rnd.random() < 0.3:
            return {"verbs": rnd.sample(["get", "post", "*", "GET"], rnd.randint(1, 2)),
                    "nonResourceURLs": rnd.sample(["/healthz", "/apis/*", "/api", "*", "/logs/*", "/metrics"],
                                                  rnd.randint(1, 2))}
        r: dict[str, Any] = {
            "verbs": rnd.sample(["get", "list", "GET", "delete", "*", "watch", "create"], rnd.randint(1, 3)),
            "apiGroups": rnd.sample(["", "apps", "*", "batch"], rnd.randint(1, 2)),
            "resources": rnd.sample(["pods", "pods/log", "pods/status", "*/scale", "deployments", "*",
                                     "secrets", "configmaps", "Pods"], rnd.randint(1, 3))}
        names = rnd.choice([[], [], ["web"], ["web", "db"], [""]])
        if names:
            r["resourceNames"] = names
        return r

    def subject(binding_ns: str | None) -> dict[str, Any]:
        kind = rnd.choice(["User", "Group", "ServiceAccount", "ServiceAccount"])
        if kind == "User":
            return {"kind": "User", "name": rnd.choice(["alice", "bob", "*"]), "apiGroup": "rbac.authorization.k8s.io"}
        if kind == "Group":
            return {"kind": "Group", "apiGroup": "rbac.authorization.k8s.io",
                    "name": rnd.choice(["devs", "ops", "system:serviceaccounts", f"system:serviceaccounts:{ns[0]}"])}
        sub = {"kind": "ServiceAccount", "name": "app"}
        if binding_ns is None or rnd.random() < 0.5:
            sub["namespace"] = rnd.choice(ns)
        return sub

    objs: list[dict[str, Any]] = []
    cluster_roles = [f"{tag}-cr{i}" for i in range(3)] + [f"{tag}-agg"]
    for i, name in enumerate(cluster_roles[:3]):
        objs.append({"apiVersion": RBAC, "kind": "ClusterRole", "rules": [rule(False) for _ in range(rnd.randint(1, 3))],
                     "metadata": {"name": name, "labels": {"kslab-fz": tag, "agg": str(i % 2)}}})
    objs.append({"apiVersion": RBAC, "kind": "ClusterRole", "metadata": {"name": cluster_roles[3]}, "rules": [],
                 "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"kslab-fz": tag, "agg": "1"}}]}})
    for n in ns:
        for i in range(2):
            objs.append({"apiVersion": RBAC, "kind": "Role", "metadata": {"name": f"r{i}", "namespace": n},
                         "rules": [rule(True) for _ in range(rnd.randint(1, 3))]})
        for i in range(3):
            kind, name = rnd.choice([("Role", "r0"), ("Role", "r1"), ("Role", "missing"),
                                     ("ClusterRole", rnd.choice(cluster_roles))])
            objs.append({"apiVersion": RBAC, "kind": "RoleBinding", "metadata": {"name": f"rb{i}", "namespace": n},
                         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": name},
                         "subjects": [subject(n) for _ in range(rnd.randint(1, 2))]})
    for i in range(2):
        objs.append({"apiVersion": RBAC, "kind": "ClusterRoleBinding", "metadata": {"name": f"{tag}-crb{i}"},
                     "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                                 "name": rnd.choice(cluster_roles)},
                     "subjects": [subject(None) for _ in range(rnd.randint(1, 2))]})
    return objs


def _requests(rnd: random.Random, objs: list[dict[str, Any]], ns: list[str], count: int) -> list[tuple[UserInfo, Request]]:
    """Random requests; half are aimed: a subject of a binding asking for something near a rule of
    the role it is bound to, in the binding's namespace (so that many are allowed)."""
    roles = {(o["metadata"].get("namespace", ""), o["metadata"]["name"]): o for o in objs if "rules" in o}
    bindings = [o for o in objs if "roleRef" in o]
    all_rules = [r for o in roles.values() for r in o["rules"]]
    out = []
    for _ in range(count):
        aimed = rnd.random() < 0.5
        binding = rnd.choice(bindings)
        bns = binding["metadata"].get("namespace", "")
        ref = binding["roleRef"]
        role = roles.get((bns if ref["kind"] == "Role" else "", ref["name"]))
        rule = rnd.choice(role["rules"]) if aimed and role and role["rules"] else rnd.choice(all_rules)
        subj = rnd.choice(binding["subjects"]) if aimed else {"kind": "User", "name": rnd.choice(["alice", "eve"])}
        groups = list(rnd.sample(["devs", "ops", "system:authenticated"], rnd.randint(0, 2)))
        if subj["kind"] == "User":
            user = UserInfo(subj["name"], tuple(groups))
        elif subj["kind"] == "Group":
            user = UserInfo(rnd.choice(["carol", "dave"]), tuple(groups + [subj["name"]]))
        else:
            sa_ns = subj.get("namespace") or bns or rnd.choice(ns)
            user = UserInfo(f"system:serviceaccount:{sa_ns}:app",
                            tuple(rnd.choice([[], ["system:serviceaccounts", f"system:serviceaccounts:{sa_ns}"]])))
        if "nonResourceURLs" in rule:
            verb = rnd.choice(rule["verbs"] + ["get"])
            out.append((user, Request("get" if verb == "*" else verb, path=rnd.choice(URLS))))
            continue
        verb = rnd.choice(rule["verbs"]) if aimed else rnd.choice(VERBS)
        verb = rnd.choice(VERBS) if verb == "*" else verb
        group = rnd.choice(rule["apiGroups"]) if aimed else rnd.choice(GROUPS)
        group = rnd.choice(GROUPS) if group == "*" else group
        spec = rnd.choice(rule["resources"]) if aimed else rnd.choice(RESOURCES)
        resource, _, sub = spec.partition("/")
        resource = rnd.choice(RESOURCES) if resource == "*" else resource
        sub = rnd.choice(SUBRESOURCES) if sub == "*" else sub
        if rnd.random() < 0.2:
            sub = rnd.choice(["", *SUBRESOURCES])
        name = rnd.choice(rule.get("resourceNames") or ["", "web", "other"]) if aimed else rnd.choice(["", "web"])
        namespace = bns if aimed and bns and rnd.random() < 0.7 else rnd.choice([*ns, "", "default"])
        out.append((user, Request(verb, resource, group, sub, name, namespace)))
    return out


def test_evaluator_agrees_with_subject_access_review(live_lab: Any, live_namespace: str) -> None:
    seed = int(os.environ.get("KSLAB_RBAC_SEED", "20260"))  # another seed, another policy
    rnd = random.Random(seed)
    tag = f"kslab-fz-{uuid.uuid4().hex[:6]}"
    ns = [live_namespace, f"{tag}-b"]
    objs = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns[1]}},
            *_policy_objects(rnd, tag, ns)]
    Policy.from_objects(objs)  # the generator only makes objects the API server accepts
    live_lab.apply(objs, lab_id=tag)
    try:
        # Let the aggregation controller (if the cluster has one) settle before reading the policy.
        deadline = time.monotonic() + 10
        while True:
            policy = identities.live_policy(live_lab)
            clusters = [r for r in policy.roles if not r.namespace]
            agg = next(r for r in clusters if r.name == f"{tag}-agg")
            if not sync_cluster_role(agg, clusters)[1] or time.monotonic() > deadline:
                break
            time.sleep(1)
        mismatches, allowed = [], 0
        cases = _requests(rnd, objs, ns, 600)
        for user, request in cases:
            ours = policy.authorize(user, request)
            theirs, reason = live_lab.access_review(
                request.verb, request.resource, group=request.group, namespace=request.namespace,
                name=request.name, subresource=request.subresource, path=request.path or "",
                user=user.name, groups=list(user.groups))
            allowed += theirs
            if ours.allowed != theirs:
                mismatches.append(f"{user.describe()} {request.describe()}: kslab {ours.allowed}, "
                                  f"server {theirs} ({reason})")
        assert mismatches == [], f"seed {seed}:\n" + "\n".join(mismatches[:20])
        assert allowed >= len(cases) // 12, f"only {allowed} of {len(cases)} allowed: the test would prove little"
    finally:
        live_lab.delete_lab(tag)


def test_escalation_check_agrees_with_the_api_server(live_lab: Any, live_namespace: str) -> None:
    """A service account that may create Roles still cannot grant what it does not hold."""
    from kslab.rbac import Rule
    from kslab.rbac.escalation import may_grant

    ns = live_namespace
    objs = lab_objects(ns) + [
        scenario.role(ns, "role-maker", [{"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles"],
                                          "verbs": ["create"]}]),
        scenario.role_binding(ns, "webapp-makes-roles", role_name="role-maker")]
    identities.set_up(live_lab, objs)
    ident = identities.service_account_identity(live_lab, ns)
    policy = Policy.from_objects(objs)
    for rules, held in (([{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}], True),
                        ([{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}], False)):
        predicted = may_grant(policy, ident.user, [Rule.from_dict(r) for r in rules], namespace=ns)
        body = scenario.role(ns, "made-by-webapp", rules)
        status, data = ident.client.raw(f"/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/roles",
                                        method="POST", query=(("dryRun", "All"),), body=body)
        assert predicted.allowed is held and (status == 201) is held, (status, data)
        if not held:
            assert status == 403 and "attempting to grant RBAC permissions not currently held" in data["message"]
            assert predicted.missing[0] in data["message"]
            assert predicted.reason in data["message"]  # the same words, groups included
