"""The permission check against a real API server, as a service account with a narrow Role."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from kslab import settings
from kslab.cluster.permissions import check_permissions

pytestmark = pytest.mark.live


def _kubeconfig_for_token(admin_context: str, token: str, path: Path) -> str:
    """A kubeconfig with one context: the admin context's cluster, authenticated by ``token``."""
    merged: dict[str, Any] = {"clusters": [], "contexts": []}
    for p in settings.kubeconfig_paths():
        if p.is_file():
            data = yaml.safe_load(p.read_text()) or {}
            merged["clusters"] += data.get("clusters") or []
            merged["contexts"] += data.get("contexts") or []
    ctx = next(c["context"] for c in merged["contexts"] if c["name"] == admin_context)
    cluster = next(c for c in merged["clusters"] if c["name"] == ctx["cluster"])
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "student",
        "clusters": [cluster],
        "users": [{"name": "student", "user": {"token": str.__str__(token)}}],
        "contexts": [{"name": "student", "context": {"cluster": cluster["name"], "user": "student"}}]}))
    path.chmod(0o600)
    return "student"


def test_a_narrow_role_is_reported_exactly(live_lab: Any, live_namespace: str, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    import kslab

    ns = live_namespace
    live_lab.apply([
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "student", "namespace": ns}},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "lab03", "namespace": ns},
         "rules": [{"apiGroups": [""], "resources": ["pods", "pods/exec", "services"], "verbs": ["create"]},
                   {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["create"]}]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "lab03", "namespace": ns},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "lab03"},
         "subjects": [{"kind": "ServiceAccount", "name": "student", "namespace": ns}]},
    ], lab_id="permissions-test")
    token, _expiry = live_lab.create_token("student", ns, expiration_seconds=600)
    context = _kubeconfig_for_token(os.environ["KSLAB_CONTEXT"], token, tmp_path / "student.kubeconfig")
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "student.kubeconfig"))

    report = check_permissions(kslab.connect(mode="live", context=context), namespace=ns)
    allowed = sorted(r.permission for r in report.rows if r.allowed)
    assert allowed == ["create deployments.apps", "create pods", "create pods/exec", "create services"]
    assert not report.ok
    assert report.labs()["03"] == "missing 1"  # patch namespaces is cluster-wide: not in a Role
    assert "kubectl auth can-i patch namespaces    # lab 03" in str(report)
    assert token not in str(report) and token not in repr(report.as_dict())

    # The admin identity on the same cluster has everything.
    assert check_permissions(live_lab, namespace=ns).ok
