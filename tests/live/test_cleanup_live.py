"""Label-based clean-up against a real API server: exactly the lab's objects go, twice is harmless.

Needs only the API (no node, no scheduler): pods stay Pending, which is fine for deleting them.
"""

from __future__ import annotations

import time

import json
import uuid
from typing import Any

import pytest

from kslab.cli.main import main
from kslab.cluster.cleanup import clean

pytestmark = pytest.mark.live


def _objects(ns: str, extra_ns: str, cluster_role: str) -> list[dict[str, Any]]:
    meta = {"namespace": ns}
    pod_spec = {"containers": [{"name": "c", "image": "registry.invalid/none:1"}]}
    return [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm", **meta}, "data": {"k": "v"}},
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", **meta}, "stringData": {"k": "v"}},
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "sa", **meta}},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "r", **meta},
         "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "rb", **meta},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r"},
         "subjects": [{"kind": "ServiceAccount", "name": "sa", "namespace": ns}]},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "svc", **meta},
         "spec": {"selector": {"app": "x"}, "ports": [{"port": 80, "targetPort": 3000}]}},
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", **meta}, "spec": pod_spec},
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", **meta},
         "spec": {"selector": {"matchLabels": {"app": "x"}},
                  "template": {"metadata": {"labels": {"app": "x"}}, "spec": pod_spec}}},
        {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j", **meta},
         "spec": {"template": {"spec": {**pod_spec, "restartPolicy": "Never"}}}},
        {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "np", **meta},
         "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": cluster_role},
         "rules": [{"apiGroups": [""], "resources": ["nodes"], "verbs": ["get"]}]},
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": extra_ns}},
    ]


def test_clean_removes_exactly_the_labs_objects_and_is_idempotent(live_lab: Any, live_namespace: str,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    from kslab.errors import ApiError

    suffix = uuid.uuid4().hex[:6]
    lab_name = f"cleanup-{suffix}"
    extra_ns, cluster_role = f"kslab-t-extra-{suffix}", f"kslab-t-cleanup-{suffix}"
    try:
        live_lab.apply(_objects(live_namespace, extra_ns, cluster_role), lab_id=lab_name)
        # Not ours: an object without labels, and one that another lab made.
        live_lab.create_config_map(live_namespace, {"apiVersion": "v1", "kind": "ConfigMap",
                                                    "metadata": {"name": "made-by-hand"}})
        live_lab.apply({"apiVersion": "v1", "kind": "ConfigMap",
                        "metadata": {"name": "other-lab", "namespace": live_namespace}}, lab_id=f"other-{suffix}")

        report = clean(live_lab, lab_name)
        ns = live_namespace
        assert sorted(report.deleted) == sorted([
            f"ConfigMap/{ns}/cm", f"Secret/{ns}/s", f"ServiceAccount/{ns}/sa", f"Role/{ns}/r",
            f"RoleBinding/{ns}/rb", f"Service/{ns}/svc", f"Pod/{ns}/p", f"Deployment/{ns}/d", f"Job/{ns}/j",
            f"NetworkPolicy/{ns}/np", f"ClusterRole/{cluster_role}", f"Namespace/{extra_ns}"])

        remaining = {cm.metadata.name for cm in live_lab.list_config_maps(ns)}
        assert {"made-by-hand", "other-lab"} <= remaining and "cm" not in remaining
        # Pods go gracefully: a deleted pod is Terminating for its grace period, and the Deployment's
        # pods are removed by the garbage collector in the background. None may stay alive.
        deadline = time.monotonic() + 90
        while (alive := [p.metadata.name for p in live_lab.list_pods(ns)
                         if p.metadata.deletion_timestamp is None]) and time.monotonic() < deadline:
            time.sleep(1)
        assert not alive
        assert not live_lab.list_objects("v1", "ServiceAccount", namespace=ns, label_selector=f"kslab.dev/lab={lab_name}")
        assert not live_lab.list_objects("rbac.authorization.k8s.io/v1", "ClusterRole",
                                         label_selector=f"kslab.dev/lab={lab_name}")
        # A namespace's deletion finishes in the background (never, without a controller-manager).
        left = live_lab.list_namespaces(field_selector=f"metadata.name={extra_ns}")
        assert not left or left[0].metadata.deletion_timestamp is not None

        # Twice in a row: nothing left, no error — also through the command line.
        assert clean(live_lab, lab_name).deleted == []
        assert main(["cluster", "clean", lab_name, "--context", str(live_lab.context), "--json"]) == 0
        assert json.loads(capsys.readouterr().out) == {"lab": lab_name, "live": True, "deleted": []}
        assert {"made-by-hand", "other-lab"} <= {cm.metadata.name for cm in live_lab.list_config_maps(ns)}
    finally:
        for delete in (lambda: live_lab.delete_object("rbac.authorization.k8s.io/v1", "ClusterRole", cluster_role),
                       lambda: live_lab.delete_namespace(extra_ns)):
            try:
                delete()
            except ApiError:
                pass
