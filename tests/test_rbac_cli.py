"""``kslab rbac``: the kubectl auth can-i grammar, exit codes, JSON, and bad input as one line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from kslab.rbac import scenario

SA = "system:serviceaccount:webapp-rbac:webapp"
EXTRA = """
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: cm-reader}
rules:
- {apiGroups: [""], resources: [configmaps], resourceNames: [webapp-config], verbs: [get]}
- {apiGroups: [apps], resources: ["*/scale"], verbs: [update]}
- {nonResourceURLs: ["/logs/*"], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: devs-read-cm}
subjects: [{kind: Group, name: devs, apiGroup: rbac.authorization.k8s.io}]
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cm-reader}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: dangling, namespace: webapp-rbac}
subjects: [{kind: User, name: eve, apiGroup: rbac.authorization.k8s.io}]
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: does-not-exist}
"""


@pytest.fixture(scope="module")
def policy_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("rbac") / "lab.yaml"
    docs = yaml.safe_dump_all(scenario.lab_objects() + [scenario.webapp_deployment()], sort_keys=False)
    path.write_text(docs + "---" + EXTRA, encoding="utf-8")
    return path


def kslab(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kslab", "rbac", *args], capture_output=True, text=True,
                          input=stdin, check=False)


@pytest.mark.parametrize("args, answer", [
    (["list", "pods", "-n", "webapp-rbac", "--as", SA], "yes"),
    (["get", "pods/webapp-1", "-n", "webapp-rbac", "--as", SA], "yes"),  # a name after the first /
    (["get", "pods", "--subresource", "log", "-n", "webapp-rbac", "--as", SA], "yes"),
    (["get", "pods", "--subresource", "exec", "-n", "webapp-rbac", "--as", SA], "no"),
    (["delete", "pods", "-n", "webapp-rbac", "--as", SA], "no"),
    (["list", "pods", "--as", SA], "no"),  # default namespace is "default"
    (["list", "pods", "-A", "--as", SA], "no"),  # cluster-wide: RoleBindings never count
    (["LIST", "pods", "-n", "webapp-rbac", "--as", SA], "no"),  # verbs are case-sensitive
    (["get", "configmaps/webapp-config", "-n", "x", "--as", "bob", "--as-group", "devs"], "yes"),
    (["get", "configmaps", "-n", "x", "--as", "bob", "--as-group", "devs"], "no"),  # no name: not granted
    (["update", "deployments.apps", "--subresource", "scale", "-n", "x", "--as", "bob", "--as-group", "devs"], "yes"),
    (["update", "deployments", "--subresource", "scale", "-n", "x", "--as", "bob", "--as-group", "devs"], "no"),
    (["get", "/logs/kube-apiserver.log", "--as", "bob", "--as-group", "devs"], "yes"),
    (["get", "/logs", "--as", "bob", "--as-group", "devs"], "no"),
    (["get", "pods", "-n", "webapp-rbac", "--as", "eve"], "no"),
])
def test_can_i(policy_file: Path, args: list[str], answer: str) -> None:
    proc = kslab("can-i", *args, "-f", str(policy_file))
    assert proc.stdout.strip() == answer, proc.stderr
    assert proc.returncode == (0 if answer == "yes" else 1)


def test_json_carries_the_explanation(policy_file: Path) -> None:
    proc = kslab("can-i", "list", "pods", "-n", "webapp-rbac", "--as", SA, "-f", str(policy_file), "--json")
    data = json.loads(proc.stdout)
    assert data["allowed"] is True and data["answer"] == "yes"
    assert data["grantedBy"]["binding"] == {"kind": "RoleBinding", "name": "webapp-reads-pods",
                                            "namespace": "webapp-rbac"}
    assert data["user"]["assumedGroups"] == ["system:serviceaccounts", "system:serviceaccounts:webapp-rbac",
                                             "system:authenticated"]
    assert data["source"].startswith("predicted")


def test_notes_go_to_stderr(policy_file: Path) -> None:
    proc = kslab("can-i", "get", "pods", "-n", "webapp-rbac", "--as", "eve", "-f", str(policy_file))
    assert 'Deployment "webapp" ignored' in proc.stderr
    assert 'RoleBinding "dangling/webapp-rbac" of Role "does-not-exist"' in proc.stderr
    assert "grants nothing" in proc.stderr


def test_explain_for_a_no(policy_file: Path) -> None:
    proc = kslab("can-i", "list", "pods", "-n", "default", "--as", SA, "-f", str(policy_file), "--explain")
    assert proc.returncode == 1
    assert "would allow this in namespace 'webapp-rbac' only" in proc.stdout


def test_stdin_policy() -> None:
    text = yaml.safe_dump_all(scenario.lab_objects())
    proc = kslab("can-i", "watch", "pods", "-n", "webapp-rbac", "--as", SA, "-f", "-", stdin=text)
    assert (proc.returncode, proc.stdout.strip()) == (0, "yes")


@pytest.mark.parametrize("args, fragment", [
    (["can-i", "list", "pods"], "give -f FILE"),
    (["can-i", "list", "pods", "-f", "{f}"], "--as"),
    (["can-i", "list", "pods", "-f", "{f}", "--as-group", "devs"], "--as-group needs --as"),
    (["can-i", "list", "pods", "-f", "{f}", "--as", "x", "-n", "a", "-A"], "-n and -A"),
    (["can-i", "get", "/healthz", "--subresource", "x", "-f", "{f}", "--as", "x"], "--subresource can not"),
    (["can-i", "list", "pods", "-f", "/no/such/file.yaml", "--as", "x"], "no such file"),
    (["can-i", "list", ".apps", "-f", "{f}", "--as", "x"], "no resource type"),
    (["matrix", "-f", "{f}"], "--as"),
    (["who-can", "list", "pods"], "give -f FILE"),
])
def test_bad_usage_is_one_line_exit_2(policy_file: Path, args: list[str], fragment: str) -> None:
    proc = kslab(*[a.replace("{f}", str(policy_file)) for a in args])
    assert proc.returncode == 2
    assert fragment in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr


def test_malformed_policy_file_is_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: r, namespace: a}\n"
                   "rules:\n- {verbs: [get], resources: [pods]}\n")
    proc = kslab("can-i", "get", "pods", "-f", str(bad), "--as", "x")
    assert proc.returncode == 2 and "resource rules must supply at least one api group" in proc.stderr
    yaml_error = tmp_path / "broken.yaml"
    yaml_error.write_text("kind: Role\nmetadata: {name: [\n")
    proc = kslab("can-i", "get", "pods", "-f", str(yaml_error), "--as", "x")
    assert proc.returncode == 2 and "not valid YAML" in proc.stderr


def test_matrix_text_and_json(policy_file: Path) -> None:
    proc = kslab("matrix", "-f", str(policy_file), "-n", "webapp-rbac", "--as", SA,
                 "--verbs", "get,delete", "--resources", "pods,secrets,nodes")
    assert proc.returncode == 0
    lines = proc.stdout.splitlines()
    assert lines[1].split() == ["RESOURCE", "GET", "DELETE"]
    assert lines[2].split() == ["pods", "yes", "no"] and lines[3].split() == ["secrets", "no", "no"]
    proc = kslab("matrix", "-f", str(policy_file), "-n", "webapp-rbac", "--as", SA, "--json",
                 "--verbs", "list", "--resources", "pods,nodes")
    data = json.loads(proc.stdout)
    cells = {(c["resource"], c["verb"]): c for c in data["predicted"]["cells"]}
    assert cells[("pods", "list")]["allowed"] and cells[("nodes", "list")]["namespace"] == ""
    assert data["observed"] is None


def test_who_can(policy_file: Path) -> None:
    proc = kslab("who-can", "get", "configmaps/webapp-config", "-n", "webapp-rbac", "-f", str(policy_file))
    assert proc.returncode == 0 and "devs" in proc.stdout and "ClusterRoleBinding" in proc.stdout
    proc = kslab("who-can", "delete", "secrets", "-n", "webapp-rbac", "-f", str(policy_file), "--json")
    assert proc.returncode == 1 and json.loads(proc.stdout)["subjects"] == []


def test_matrix_from_files_beside_the_server_needs_as(policy_file: Path) -> None:
    # The file cannot know who "me" is: refused before any cluster is asked (no context exists here).
    proc = kslab("matrix", "-f", str(policy_file), "--live", "--context", "no-such-context")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "a prediction from files there is no 'me'" in proc.stderr and "--as" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) <= 2 and "Traceback" not in proc.stderr
