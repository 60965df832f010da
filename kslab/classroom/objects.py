"""The objects a classroom is made of, as pure builders: what ``kslab classroom create`` applies.

Once per cluster:

* a **ClusterRole** ``kslab-classroom-student`` — what the labs need inside one namespace. It is
  derived from :data:`kslab.course.needs.NEEDS` (the permissions each lab needs) and from the
  kinds labs create and clean up (:data:`kslab.course.cleanup.CLEANUP_KINDS`), so the two cannot drift.
  It is only ever bound by RoleBindings, and a ClusterRole bound by a RoleBinding grants only inside
  that binding's namespace.

Per student, in a namespace of their own (``kslab-<student>``):

* the **Namespace**, labelled for Pod Security admission: ``enforce: baseline`` (known privilege
  escalations are refused) and ``warn``/``audit: restricted`` (the labs' attacks stay visible as
  warnings), each with its ``-version``;
* a **ResourceQuota** and a **LimitRange** — one student cannot starve the class, and pods without
  resources get defaults (a quota on CPU and memory requires every pod to state them);
* **NetworkPolicies**: deny everything by default, then allow traffic between the student's own
  pods, DNS, and the Istio control plane (lab 05);
* a **ServiceAccount** ``student`` and a **RoleBinding** that gives it the course role there.

Every object carries ``app.kubernetes.io/managed-by: kslab``, ``kslab.dev/lab: classroom`` and
(per student) ``kslab.dev/student: <name>``, so ``delete`` removes exactly what ``create`` made.

>>> objs = student_objects("student-01")
>>> [o["kind"] for o in objs]  # doctest: +NORMALIZE_WHITESPACE
['Namespace', 'ResourceQuota', 'LimitRange', 'NetworkPolicy', 'NetworkPolicy', 'NetworkPolicy',
 'NetworkPolicy', 'ServiceAccount', 'RoleBinding']
>>> objs[0]["metadata"]["labels"]["pod-security.kubernetes.io/enforce"]
'baseline'
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from kslab import settings
from kslab.classroom.roster import MAX_NAME
from kslab.course.cleanup import CLEANUP_KINDS
from kslab.course.needs import NEEDS, Need
from kslab.errors import UsageError
from kslab.manifests.namespace import psa_labels

#: The lab name classroom objects are labelled with (``kslab.dev/lab: classroom``).
LAB = "classroom"
STUDENT_LABEL = "kslab.dev/student"
NAMESPACE_PREFIX = "kslab-"
COURSE_ROLE = "kslab-classroom-student"
SERVICE_ACCOUNT = "student"
ROLE_BINDING = "kslab-student"
#: The Secret holding a student's kubeconfig (for JupyterHub to mount): ``<prefix>kubeconfig-<student>``.
SECRET_KEY = "config"
#: The context name inside every student's kubeconfig: the same for all, so one KSLAB_CONTEXT fits all.
STUDENT_CONTEXT = "kslab-classroom"

RBAC = "rbac.authorization.k8s.io"
RBAC_V1 = f"{RBAC}/v1"
NETPOL_V1 = "networking.k8s.io/v1"

#: Pod Security levels per mode: enforce baseline, warn and audit restricted.
PSA_LEVELS = {"enforce": "baseline", "warn": "restricted", "audit": "restricted"}

#: Per-namespace quota: room for every lab, not for mining. Storage, NodePorts and load balancers are
#: shared cluster resources a lab never needs (the webapp is reached with port-forward).
QUOTA: dict[str, str] = {
    "pods": "20", "services": "10", "configmaps": "30", "secrets": "30",
    "requests.cpu": "2", "requests.memory": "2Gi", "limits.cpu": "4", "limits.memory": "4Gi",
    "persistentvolumeclaims": "0", "services.nodeports": "0", "services.loadbalancers": "0",
}
#: Defaults for containers that state no resources, and the most one container may ask for.
CONTAINER_LIMITS: dict[str, dict[str, str]] = {
    "defaultRequest": {"cpu": "50m", "memory": "64Mi"},
    "default": {"cpu": "500m", "memory": "256Mi"},
    "max": {"cpu": "1", "memory": "1Gi"},
}

# ---- the course role, derived from what the labs need -----------------------------------------
#: Verbs on the kinds the labs make: create, read, change (server-side apply is a patch), delete.
WORK_VERBS = ("get", "list", "watch", "create", "update", "patch", "delete", "deletecollection")
#: Subresources get exactly the verbs their requests use. exec and portforward: POST is create; over a
#: WebSocket (the Python client, kubectl ≥ 1.30) the request is a GET, and newer servers check create too.
SUBRESOURCE_VERBS: dict[str, tuple[str, ...]] = {
    "exec": ("create", "get"), "portforward": ("create", "get"), "log": ("get",),
    "token": ("create",), "ephemeralcontainers": ("get", "patch", "update"),
}
#: Namespaced kinds the course owns: students may read them (to see their limits), never change them —
#: otherwise a student could lift their own quota or open their namespace to others.
COURSE_OWNED: tuple[tuple[str, str], ...] = (
    ("", "resourcequotas"), ("", "limitranges"), ("networking.k8s.io", "networkpolicies"))
#: Beyond NEEDS: reads the labs' live paths make, and the namespaced stand-in for a cluster-wide need
#: (a LocalSubjectAccessReview asks "may X do Y here?" without the cluster-wide SubjectAccessReview).
EXTRA: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("", "pods/log", SUBRESOURCE_VERBS["log"]),
    ("", "pods/portforward", SUBRESOURCE_VERBS["portforward"]),
    ("", "events", ("get", "list", "watch")),
    ("", "endpoints", ("get", "list", "watch")),
    ("authorization.k8s.io", "localsubjectaccessreviews", ("create",)),
    # The progress mirror (kslab.classroom.progress): the student's kernel reads, creates and
    # replaces one ConfigMap in their namespace, for the instructor's view.
    ("", "configmaps", ("get", "create", "update")),
)
#: Never in the course role, whatever a need says: a RoleBinding that grants ``namespaces`` lets the
#: student change *their own Namespace object* (the API server gives that request the namespace's
#: name as its namespace) — and with it the Pod Security labels.
NEVER = frozenset({("", "namespaces")})


def _plural(kind: str) -> str:
    """The resource name of a kind (``NetworkPolicy`` → ``networkpolicies``).

    >>> _plural("Deployment"), _plural("NetworkPolicy"), _plural("Gateway")
    ('deployments', 'networkpolicies', 'gateways')
    """
    low = kind.lower()
    return low[:-1] + "ies" if low.endswith("y") and low[-2:-1] not in "aeiou" else low + "s"


def _group(api_version: str) -> str:
    return api_version.split("/", 1)[0] if "/" in api_version else ""


def lab_permissions(needs: Sequence[Need] = NEEDS,
                    kinds: Iterable[tuple[str, str, bool]] = CLEANUP_KINDS) -> dict[tuple[str, str], set[str]]:
    """``{(group, resource[/subresource]): verbs}`` the labs need in the student's own namespace.

    Cluster-scoped needs and needs in a fixed namespace (kube-system) are left out on purpose: a
    student gets neither, and the labs fall back to recorded or predicted facts for them.

    >>> perms = lab_permissions()
    >>> sorted(perms[("", "pods/exec")]), ("", "nodes") in perms
    (['create', 'get'], False)
    """
    wanted: dict[tuple[str, str], set[str]] = {}

    def add(group: str, resource: str, verbs: Iterable[str]) -> None:
        if (group, resource.split("/")[0]) not in NEVER:
            wanted.setdefault((group, resource), set()).update(verbs)

    owned = set(COURSE_OWNED)
    for need in needs:
        if not need.namespaced or need.fixed_namespace:
            continue
        if need.subresource:
            add(need.group, f"{need.resource}/{need.subresource}",
                (*SUBRESOURCE_VERBS.get(need.subresource, ()), need.verb))
        elif (need.group, need.resource) not in owned:
            add(need.group, need.resource, WORK_VERBS)
    for api_version, kind, namespaced in kinds:
        key = (_group(api_version), _plural(kind))
        if namespaced and key not in owned:
            add(*key, WORK_VERBS)
    for group, resource in COURSE_OWNED:
        add(group, resource, ("get", "list", "watch"))
    for group, resource, verbs in EXTRA:
        add(group, resource, verbs)
    return wanted


def labels(student: str | None = None) -> dict[str, str]:
    """The labels of classroom objects (``student`` adds ``kslab.dev/student``).

    >>> labels("student-01")["kslab.dev/student"]
    'student-01'
    """
    out = {**settings.MANAGED_BY, settings.LAB_LABEL: LAB}
    if student:
        out[STUDENT_LABEL] = student
    return out


def _meta(name: str, student: str | None, namespace: str | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "labels": labels(student)}
    if namespace:
        meta["namespace"] = namespace
    return meta


def course_role(permissions: Mapping[tuple[str, str], set[str]] | None = None) -> dict[str, Any]:
    """The ClusterRole every student is bound to inside their namespace (one rule per group and verbs)."""
    permissions = lab_permissions() if permissions is None else permissions
    grouped: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for (group, resource), verbs in permissions.items():
        ordered = tuple(v for v in WORK_VERBS if v in verbs) + tuple(sorted(set(verbs) - set(WORK_VERBS)))
        grouped.setdefault((group, ordered), []).append(resource)
    # Per group, the rules with the most verbs first: the role reads from "full control" down to "read".
    order = sorted(grouped, key=lambda key: (key[0], -len(key[1]), key[1]))
    rules = [{"apiGroups": [group], "resources": sorted(grouped[(group, verbs)]), "verbs": list(verbs)}
             for group, verbs in order]
    return {"apiVersion": RBAC_V1, "kind": "ClusterRole", "metadata": _meta(COURSE_ROLE, None),
            "rules": rules}


def check_prefix(prefix: str) -> str:
    """The namespace prefix, if every student's namespace made with it is a valid name.

    >>> check_prefix("Class A")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    kslab.errors.UsageError: namespace prefix 'Class A' must be lower-case letters, digits and '-', at most 15 ...
    """
    if not re.fullmatch(r"[a-z][-a-z0-9]{0,14}", prefix):
        raise UsageError(f"namespace prefix {prefix!r} must be lower-case letters, digits and '-', at most "
                         f"{63 - MAX_NAME} characters, starting with a letter",
                         hint=f"e.g. --prefix {NAMESPACE_PREFIX} (namespaces are <prefix><student>)")
    return prefix


def namespace_for(student: str, prefix: str = NAMESPACE_PREFIX) -> str:
    """The student's namespace.

    >>> namespace_for("ada")
    'kslab-ada'
    """
    return f"{prefix}{student}"


def namespace(student: str, *, prefix: str = NAMESPACE_PREFIX, psa_version: str = "latest") -> dict[str, Any]:
    """The student's Namespace with its Pod Security labels (enforce baseline, warn/audit restricted)."""
    meta = _meta(namespace_for(student, prefix), student)
    meta["labels"].update(psa_labels(**PSA_LEVELS, version=psa_version))
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": meta}


def resource_quota(student: str, ns: str, hard: Mapping[str, str] = QUOTA) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": _meta("kslab-quota", student, ns),
            "spec": {"hard": dict(hard)}}


def limit_range(student: str, ns: str, limits: Mapping[str, Mapping[str, str]] = CONTAINER_LIMITS) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "LimitRange", "metadata": _meta("kslab-limits", student, ns),
            "spec": {"limits": [{"type": "Container", **{k: dict(v) for k, v in limits.items()}}]}}


def _netpol(name: str, student: str, ns: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": NETPOL_V1, "kind": "NetworkPolicy", "metadata": _meta(name, student, ns),
            "spec": {"podSelector": {}, **spec}}


def _in_namespace(name: str, pods: dict[str, str] | None = None) -> dict[str, Any]:
    # kubernetes.io/metadata.name is set on every namespace by the API server (since 1.21).
    peer: dict[str, Any] = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": name}}}
    if pods:
        peer["podSelector"] = {"matchLabels": pods}
    return peer


def network_policies(student: str, ns: str) -> list[dict[str, Any]]:
    """Default deny, then: the student's own pods talk to each other, DNS, and Istio's control plane.

    NetworkPolicies add up (a connection is allowed if any policy allows it), so the deny-all policy
    stays and each allow policy opens one thing.
    """
    same: dict[str, Any] = {"podSelector": {}}
    dns_ports = [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]
    return [
        _netpol("kslab-default-deny", student, ns, {"policyTypes": ["Ingress", "Egress"]}),
        _netpol("kslab-allow-same-namespace", student, ns,
                {"policyTypes": ["Ingress", "Egress"], "ingress": [{"from": [same]}], "egress": [{"to": [same]}]}),
        _netpol("kslab-allow-dns", student, ns,
                {"policyTypes": ["Egress"],
                 "egress": [{"to": [_in_namespace("kube-system", {"k8s-app": "kube-dns"})], "ports": dns_ports}]}),
        # Lab 05: sidecars fetch config and certificates from istiod (15012); the ingress gateway calls in.
        _netpol("kslab-allow-istio", student, ns,
                {"policyTypes": ["Ingress", "Egress"],
                 "ingress": [{"from": [_in_namespace("istio-system")]}],
                 "egress": [{"to": [_in_namespace("istio-system")], "ports": [{"protocol": "TCP", "port": 15012}]}]}),
    ]


def service_account(student: str, ns: str) -> dict[str, Any]:
    # Its token is for the student's kubeconfig only: pods running as it do not get it mounted.
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _meta(SERVICE_ACCOUNT, student, ns),
            "automountServiceAccountToken": False}


def role_binding(student: str, ns: str) -> dict[str, Any]:
    """Binds the course ClusterRole to the student's service account — in this namespace only."""
    return {"apiVersion": RBAC_V1, "kind": "RoleBinding", "metadata": _meta(ROLE_BINDING, student, ns),
            "roleRef": {"apiGroup": RBAC, "kind": "ClusterRole", "name": COURSE_ROLE},
            "subjects": [{"kind": "ServiceAccount", "name": SERVICE_ACCOUNT, "namespace": ns}]}


def student_objects(student: str, *, prefix: str = NAMESPACE_PREFIX,
                    psa_version: str = "latest") -> list[dict[str, Any]]:
    """Everything one student gets, namespace first (the rest lives in it)."""
    ns = namespace_for(student, prefix)
    return [namespace(student, prefix=prefix, psa_version=psa_version), resource_quota(student, ns),
            limit_range(student, ns), *network_policies(student, ns), service_account(student, ns),
            role_binding(student, ns)]


def classroom_objects(students: Iterable[str], *, prefix: str = NAMESPACE_PREFIX,
                      psa_version: str = "latest") -> list[dict[str, Any]]:
    """The course role, then every student's objects: what ``kslab classroom create --dry-run`` prints.

    >>> objs = classroom_objects(["ada", "alan"])
    >>> objs[0]["kind"], len(objs)
    ('ClusterRole', 19)
    """
    objs = [course_role()]
    for student in students:
        objs += student_objects(student, prefix=prefix, psa_version=psa_version)
    return objs


def secret_name(student: str, prefix: str = NAMESPACE_PREFIX) -> str:
    """The Secret that holds a student's kubeconfig; JupyterHub mounts it by this name.

    >>> secret_name("ada")
    'kslab-kubeconfig-ada'
    """
    return f"{prefix}kubeconfig-{student}"


def kubeconfig_secret(student: str, namespace: str, kubeconfig: str, *,
                      prefix: str = NAMESPACE_PREFIX) -> dict[str, Any]:
    """The Secret holding a student's kubeconfig under key ``config``, in the hub's namespace."""
    data = base64.b64encode(kubeconfig.encode("utf-8")).decode("ascii")
    return {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": _meta(secret_name(student, prefix), student, namespace), "data": {SECRET_KEY: data}}
