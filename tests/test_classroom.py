"""Classroom mode offline: the roster, the per-student objects and the course role built from the
labs' needs."""

from __future__ import annotations

import base64

import pytest
import yaml

from kslab import settings
from kslab.classroom import objects as build
from kslab.classroom.durations import describe, parse_duration
from kslab.classroom.output import check_out_dir, enclosing_repository
from kslab.classroom.roster import MAX_NAME, Student, choose, numbered, parse_roster, read_roster, to_label
from kslab.cluster.permissions import NEEDS, Need
from kslab.errors import InputError, UsageError
from kslab.rbac import Policy
from kslab.rbac.resources import recorded
from kslab.rbac.subjects import impersonate, service_account_user


# ---- roster ------------------------------------------------------------------------------------
def test_numbered_students_sort_as_text() -> None:
    names = [s.name for s in numbered(100)]
    assert names[0] == "student-001" and names[-1] == "student-100" and names == sorted(names)
    assert [s.name for s in numbered(9)][-1] == "student-09"
    for bad in (0, -1, 501):
        with pytest.raises(UsageError):
            numbered(bad)


def test_plain_roster_skips_blanks_and_comments_and_folds_names() -> None:
    text = "# class of 2026\n\nAda Lovelace\n  grace.hopper  \nJosé Núñez\nalan_turing\n"
    students = parse_roster(text)
    assert [s.name for s in students] == ["ada-lovelace", "grace-hopper", "jose-nunez", "alan-turing"]
    assert [s.line for s in students] == [3, 4, 5, 6]
    assert students[0].renamed and students[0].written == "Ada Lovelace"
    assert not parse_roster("ada\n")[0].renamed


def test_csv_roster_uses_the_name_column_or_the_first() -> None:
    with_header = "Email,Name,Group\nada@x.org,Ada,A\nalan@x.org,Alan,B\n"
    assert [s.name for s in parse_roster(with_header)] == ["ada", "alan"]
    preferred = "name,username\nAda Lovelace,ada\n"  # a login column wins over a display name
    assert [s.name for s in parse_roster(preferred)] == ["ada"]
    no_header = "ada,ada@x.org\nalan,alan@x.org\n"
    assert [s.name for s in parse_roster(no_header)] == ["ada", "alan"]
    quoted = 'name\n"Lovelace, Ada"\n'
    assert [s.name for s in parse_roster(quoted)] == ["lovelace-ada"]


def test_duplicates_after_folding_are_refused_with_both_lines() -> None:
    with pytest.raises(InputError) as err:
        parse_roster("ada\ngrace\nADA\n", source="r.txt")
    assert err.value.message == "r.txt: line 3: 'ADA' and line 1 'ada' are both the student 'ada'"


@pytest.mark.parametrize("text, fragment", [
    ("ok\n---\n", "line 2: '---' has no letters or digits"),
    ("x" * (MAX_NAME + 1) + "\n", f"at most {MAX_NAME} fit"),
    ("name,group\n\"\",A\n", "line 2: no name"),
    ("# only a comment\n", "no students"),
])
def test_bad_rosters_name_the_problem(text: str, fragment: str) -> None:
    with pytest.raises(InputError) as err:
        parse_roster(text)
    assert fragment in err.value.message


def test_labels_are_dns_labels_of_at_most_48() -> None:
    import re

    for raw in ("A", "a--b", "-a-", "Ünïcödé Name", "x" * MAX_NAME, "9lives"):
        label = to_label(raw)
        assert re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", label) and "--" not in label
        assert len(label) <= MAX_NAME


def test_read_roster_file(tmp_path) -> None:
    f = tmp_path / "class.csv"
    f.write_text("\ufeffname\nAda\nAlan\n", encoding="utf-8")  # a spreadsheet's byte-order mark
    assert [s.name for s in read_roster(f)] == ["ada", "alan"]
    with pytest.raises(InputError, match="no such roster file"):
        read_roster(tmp_path / "missing.txt")
    assert [s.name for s in choose(roster=f)] == ["ada", "alan"]
    for args in ({}, {"students": 2, "roster": f}):
        with pytest.raises(UsageError):
            choose(**args)


# ---- durations and output folder -----------------------------------------------------------------
def test_durations() -> None:
    assert parse_duration("24h") == 86400 and parse_duration("7d") == 7 * 86400
    assert parse_duration("1h30m") == 5400 and parse_duration("600s") == 600
    assert describe(parse_duration("2d3h")) == "2d3h"
    for bad in ("", "24", "h", "1.5h", "24 h", "5m", "-1h", "99999999999d"):
        with pytest.raises(UsageError):
            parse_duration(bad)


def test_out_dir_refuses_any_git_repository(tmp_path) -> None:
    from pathlib import Path

    repo = Path(__file__).resolve().parents[1]
    assert enclosing_repository(repo / "kslab") == repo
    with pytest.raises(UsageError, match="inside the git repository"):
        check_out_dir(repo / "not-yet" / "kubeconfigs")
    (tmp_path / "project" / ".git").mkdir(parents=True)
    with pytest.raises(UsageError):
        check_out_dir(tmp_path / "project" / "out")
    assert check_out_dir(tmp_path / "out") == (tmp_path / "out").resolve()
    (tmp_path / "file").write_text("x")
    with pytest.raises(UsageError, match="not a folder"):
        check_out_dir(tmp_path / "file")


# ---- the objects ---------------------------------------------------------------------------------
def test_every_object_is_labelled_and_in_the_students_namespace() -> None:
    objs = build.student_objects("ada")
    assert [o["kind"] for o in objs][:3] == ["Namespace", "ResourceQuota", "LimitRange"]
    for obj in objs:
        labels = obj["metadata"]["labels"]
        assert labels["app.kubernetes.io/managed-by"] == "kslab"
        assert labels[settings.LAB_LABEL] == "classroom" and labels["kslab.dev/student"] == "ada"
        if obj["kind"] != "Namespace":
            assert obj["metadata"]["namespace"] == "kslab-ada"
    role = build.course_role()
    assert role["metadata"]["labels"] == {"app.kubernetes.io/managed-by": "kslab", "kslab.dev/lab": "classroom"}


def test_namespace_enforces_baseline_and_warns_restricted_with_versions() -> None:
    labels = build.namespace("ada", psa_version="v1.24")["metadata"]["labels"]
    psa = {k: v for k, v in labels.items() if k.startswith("pod-security.kubernetes.io/")}
    assert psa == {"pod-security.kubernetes.io/enforce": "baseline",
                   "pod-security.kubernetes.io/enforce-version": "v1.24",
                   "pod-security.kubernetes.io/warn": "restricted",
                   "pod-security.kubernetes.io/warn-version": "v1.24",
                   "pod-security.kubernetes.io/audit": "restricted",
                   "pod-security.kubernetes.io/audit-version": "v1.24"}
    with pytest.raises(UsageError):
        build.namespace("ada", psa_version="1.24")


def test_objects_match_the_kubernetes_schemas() -> None:
    from kslab.manifests.validate import validate

    objs = build.classroom_objects(["ada", "alan"])
    objs.append(build.kubeconfig_secret("ada", "jhub", "apiVersion: v1\nkind: Config\n"))
    assert validate(objs) == []


def test_quota_and_limits_leave_room_for_the_labs_but_no_shared_resources() -> None:
    quota = build.resource_quota("ada", "kslab-ada")["spec"]["hard"]
    assert quota["services.nodeports"] == "0" and quota["persistentvolumeclaims"] == "0"
    assert int(quota["pods"]) >= 5
    limits = build.limit_range("ada", "kslab-ada")["spec"]["limits"][0]
    # The quota counts requests and limits, so every container must get defaults for both.
    assert {"cpu", "memory"} <= set(limits["defaultRequest"]) and {"cpu", "memory"} <= set(limits["default"])


def test_network_policies_deny_by_default_and_open_only_what_labs_need() -> None:
    pols = {p["metadata"]["name"]: p["spec"] for p in build.network_policies("ada", "kslab-ada")}
    deny = pols["kslab-default-deny"]
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    same = pols["kslab-allow-same-namespace"]
    assert same["ingress"] == [{"from": [{"podSelector": {}}]}] and same["egress"] == [{"to": [{"podSelector": {}}]}]
    dns = pols["kslab-allow-dns"]
    assert dns["policyTypes"] == ["Egress"]
    assert {(p["protocol"], p["port"]) for p in dns["egress"][0]["ports"]} == {("UDP", 53), ("TCP", 53)}
    peer = dns["egress"][0]["to"][0]
    assert peer["namespaceSelector"]["matchLabels"] == {"kubernetes.io/metadata.name": "kube-system"}
    # No policy lets another student's namespace in: every "from" peer is this namespace or istio-system.
    for spec in pols.values():
        for rule in spec.get("ingress", []):
            for peer in rule["from"]:
                ns = peer.get("namespaceSelector", {}).get("matchLabels", {}).get("kubernetes.io/metadata.name")
                assert peer == {"podSelector": {}} or ns == "istio-system"


def test_role_binding_grants_the_course_role_to_the_students_account_only() -> None:
    rb = build.role_binding("ada", "kslab-ada")
    assert rb["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                             "name": build.COURSE_ROLE}
    assert rb["subjects"] == [{"kind": "ServiceAccount", "name": "student", "namespace": "kslab-ada"}]
    assert build.service_account("ada", "kslab-ada")["automountServiceAccountToken"] is False


def test_kubeconfig_secret_round_trips() -> None:
    text = "apiVersion: v1\nkind: Config\nusers: []\n"
    secret = build.kubeconfig_secret("ada", "jhub", text)
    assert secret["metadata"]["name"] == "kslab-kubeconfig-ada" and secret["metadata"]["namespace"] == "jhub"
    assert base64.b64decode(secret["data"]["config"]).decode() == text
    assert build.secret_name("ada", "lab1-") == "lab1-kubeconfig-ada"


def test_prefix_keeps_every_name_valid() -> None:
    longest = "x" * MAX_NAME
    assert len(build.namespace_for(longest, build.check_prefix("abcdefghijklmno"))) == 63
    for bad in ("", "Kslab-", "-k", "k_", "abcdefghijklmnop"):
        with pytest.raises(UsageError):
            build.check_prefix(bad)


# ---- the course role: from the labs' needs, inside one namespace only --------------------------
def _rules() -> list[dict]:
    return build.course_role()["rules"]


def test_course_role_never_grants_wildcards_namespaces_or_escalation_verbs() -> None:
    for rule in _rules():
        assert "*" not in rule["verbs"] and "*" not in rule["resources"] and "*" not in rule["apiGroups"]
        assert "namespaces" not in rule["resources"]
        assert not {"bind", "escalate", "impersonate"} & set(rule["verbs"])
        assert "nonResourceURLs" not in rule


def test_course_role_names_only_namespaced_resources() -> None:
    catalog = recorded()
    for rule in _rules():
        for resource in rule["resources"]:
            scope = catalog.scope(resource.split("/")[0], rule["apiGroups"][0])
            assert scope in ("Namespaced", None), resource  # None: Istio's kinds, not in the recording


def test_course_role_covers_every_namespaced_need_of_the_labs() -> None:
    ns = "kslab-ada"
    policy = Policy.from_objects([build.course_role(), build.role_binding("ada", ns)])
    user = impersonate(service_account_user(ns, "student"))
    for need in NEEDS:
        if need.namespaced and not need.fixed_namespace:
            decision = policy.can_i(user, verb=need.verb, resource=need.resource, group=need.group,
                                    subresource=need.subresource, namespace=ns)
            assert decision.allowed, need
            # ... and the same request in another namespace is refused.
            assert not policy.can_i(user, verb=need.verb, resource=need.resource, group=need.group,
                                    subresource=need.subresource, namespace="kslab-alan").allowed


def test_course_role_follows_the_needs_list() -> None:
    extra = Need("06", "create", "widgets", "a future lab", group="example.dev")
    perms = build.lab_permissions((*NEEDS, extra))
    assert perms[("example.dev", "widgets")] == set(build.WORK_VERBS)
    cluster_wide = Need("06", "list", "gizmos", "cluster-wide", group="example.dev", namespaced=False)
    assert ("example.dev", "gizmos") not in build.lab_permissions((*NEEDS, cluster_wide))
    # Even a need that names namespaces is never turned into a namespaced grant.
    sneaky = Need("06", "patch", "namespaces", "a mistake")
    assert ("", "namespaces") not in build.lab_permissions((sneaky,))


def test_course_owned_kinds_are_read_only() -> None:
    perms = build.lab_permissions()
    for key in build.COURSE_OWNED:
        assert perms[key] == {"get", "list", "watch"}
    assert perms[("", "pods/exec")] == {"create", "get"}
    assert perms[("", "serviceaccounts/token")] == {"create"}


def test_dry_run_yaml_is_what_the_builders_make() -> None:
    objs = build.classroom_objects([s.name for s in numbered(3)])
    text = yaml.safe_dump_all(objs, sort_keys=False)
    assert list(yaml.safe_load_all(text)) == objs
    assert len(objs) == 1 + 3 * len(build.student_objects("x"))
    assert isinstance(Student("ada"), Student)
