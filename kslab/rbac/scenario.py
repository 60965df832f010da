"""The objects of the RBAC lab, as data: a namespace, a service account for the webapp, a Role that
may only read pods and their logs, the RoleBinding that gives it to the service account, and the
webapp Deployment running as that service account.

The same objects are applied to a live cluster and fed to the offline evaluator, so what the
evaluator predicts and what the API server answers are about exactly the same policy.

>>> [o["kind"] for o in lab_objects()]
['Namespace', 'ServiceAccount', 'Role', 'RoleBinding']
>>> policy().can_i(user(), verb="list", resource="pods", namespace=NAMESPACE).allowed
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kslab import settings
from kslab.rbac.model import RBAC_GROUP, Request, UserInfo
from kslab.rbac.policy import Policy
from kslab.rbac.subjects import impersonate, service_account_user

NAMESPACE = "webapp-rbac"
SERVICE_ACCOUNT = "webapp"
ROLE = "pod-reader"
ROLE_BINDING = "webapp-reads-pods"
RBAC_API = f"{RBAC_GROUP}/v1"

#: The 2019 workshop's Role, kept: read pods and their logs, nothing else.
POD_READER_RULES: list[dict[str, Any]] = [
    {"apiGroups": [""], "resources": ["pods", "pods/log"], "verbs": ["get", "list", "watch"]},
]


def namespace_object(namespace: str = NAMESPACE) -> dict[str, Any]:
    """The namespace, enforcing the restricted Pod Security Standard (labs 03 and 04 agree)."""
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": namespace, "labels": {
                "pod-security.kubernetes.io/enforce": "restricted",
                "pod-security.kubernetes.io/enforce-version": "latest"}}}


def service_account(namespace: str = NAMESPACE, name: str = SERVICE_ACCOUNT) -> dict[str, Any]:
    """A service account: an identity for processes in pods, living in one namespace."""
    return {"apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": {"name": name, "namespace": namespace}}


def role(namespace: str = NAMESPACE, name: str = ROLE,
         rules: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A Role: rules that only ever apply inside its namespace."""
    return {"apiVersion": RBAC_API, "kind": "Role", "metadata": {"name": name, "namespace": namespace},
            "rules": rules if rules is not None else POD_READER_RULES}


def role_binding(namespace: str = NAMESPACE, name: str = ROLE_BINDING, *, role_name: str = ROLE,
                 service_account_name: str = SERVICE_ACCOUNT, role_kind: str = "Role") -> dict[str, Any]:
    """A RoleBinding giving the role to the service account, in this namespace only."""
    return {"apiVersion": RBAC_API, "kind": "RoleBinding",
            "metadata": {"name": name, "namespace": namespace},
            "subjects": [{"kind": "ServiceAccount", "name": service_account_name, "namespace": namespace}],
            "roleRef": {"apiGroup": RBAC_GROUP, "kind": role_kind, "name": role_name}}


def lab_objects(namespace: str = NAMESPACE, name: str = SERVICE_ACCOUNT) -> list[dict[str, Any]]:
    """Namespace, service account, Role and RoleBinding, in the order they must be created."""
    return [namespace_object(namespace), service_account(namespace, name), role(namespace),
            role_binding(namespace, service_account_name=name)]


def webapp_deployment(namespace: str = NAMESPACE, name: str = SERVICE_ACCOUNT, *,
                      image: str | None = None, pull_policy: str | None = None) -> dict[str, Any]:
    """The webapp, running as the service account, hardened enough for the restricted standard.

    Unlike 2019 it uses no ``hostPort`` (that violates even the baseline standard); reach it with
    ``kubectl port-forward`` instead.
    """
    labels = {"app": "webapp"}
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "webapp", "namespace": namespace, "labels": labels},
        "spec": {"replicas": 1, "selector": {"matchLabels": labels}, "template": {
            "metadata": {"labels": labels},
            "spec": {
                "serviceAccountName": name,
                "securityContext": {"runAsNonRoot": True, "runAsUser": 1000,
                                    "seccompProfile": {"type": "RuntimeDefault"}},
                "containers": [{
                    "name": "webapp", "image": image or settings.webapp_image(),
                    "imagePullPolicy": pull_policy or settings.image_pull_policy(),
                    "ports": [{"containerPort": 3000}],
                    "securityContext": {"allowPrivilegeEscalation": False,
                                        "capabilities": {"drop": ["ALL"]}},
                }],
            }}},
    }


def user(namespace: str = NAMESPACE, name: str = SERVICE_ACCOUNT) -> UserInfo:
    """The service account's identity as the API server sees it (user name and groups)."""
    return impersonate(service_account_user(namespace, name))


def policy(namespace: str = NAMESPACE, name: str = SERVICE_ACCOUNT) -> Policy:
    """The lab's policy, ready for the offline evaluator."""
    return Policy.from_objects(lab_objects(namespace, name))


@dataclass(frozen=True)
class Probe:
    """A real request the lab makes as the service account, to watch the authorizer answer."""

    action: str
    request: Request
    body: dict[str, Any] | None = None


def probes(namespace: str = NAMESPACE, other_namespace: str = "default") -> list[Probe]:
    """What the webapp's identity tries: one thing its Role allows, then things it does not.

    Requests that would change something are sent with ``dryRun=All``: if one were allowed,
    nothing would still change.
    """
    probe_cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "kslab-probe"}}
    return [
        Probe(f"list pods in {namespace}", Request("list", "pods", namespace=namespace)),
        Probe(f"delete a pod in {namespace}", Request("delete", "pods", name="webapp-probe",
                                                     namespace=namespace)),
        Probe(f"list secrets in {namespace}", Request("list", "secrets", namespace=namespace)),
        Probe(f"create a ConfigMap in {namespace}", Request("create", "configmaps", namespace=namespace),
              probe_cm),
        Probe(f"list pods in {other_namespace}", Request("list", "pods", namespace=other_namespace)),
        Probe("list nodes", Request("list", "nodes")),
    ]
