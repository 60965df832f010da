"""The course's webapp as Kubernetes objects: a Deployment (or a bare Pod) with any security context.

Every webapp manifest in the course comes from here, so the image is always the one setting
``KSLAB_WEBAPP_IMAGE`` names and the pull policy the one ``KSLAB_IMAGE_PULL_POLICY`` names.

>>> d = webapp_deployment({"runAsUser": 1000}, image="registry.local/webapp:1.0")
>>> d["spec"]["template"]["spec"]["containers"][0]["securityContext"]
{'runAsUser': 1000}
>>> webapp_deployment(host_port=3000, image="x")["spec"]["template"]["spec"]["containers"][0]["ports"]
[{'name': 'http', 'containerPort': 3000, 'hostPort': 3000}]
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from kslab import settings
from kslab.text import brief

NAME = "webapp"
PORT = 3000  # the webapp image serves /www on this port (see webapp/README.md)
LABELS = {"app": NAME}

#: The seed's sequence of container security contexts, step by step (2019: one at a time, then all three).
SEED_STEPS: dict[str, dict[str, Any]] = {
    "as deployed": {},
    "runAsUser": {"runAsUser": 1000},
    "readOnlyRootFilesystem": {"readOnlyRootFilesystem": True},
    "allowPrivilegeEscalation": {"allowPrivilegeEscalation": False},
    "all three": {"runAsUser": 1000, "readOnlyRootFilesystem": True, "allowPrivilegeEscalation": False},
}

#: Steps whose 2019 manifest also indented ``ports`` one level too far out (under the pod, not the container).
SEED_PORTS_AT_POD_LEVEL = frozenset({"as deployed", "runAsUser", "allowPrivilegeEscalation"})

#: Today's answer: everything Pod Security "restricted" asks for, plus the seed's three settings.
RESTRICTED_CONTEXT: dict[str, Any] = {
    "runAsNonRoot": True,
    "runAsUser": 1000,
    "readOnlyRootFilesystem": True,
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}


def webapp_container(security_context: Mapping[str, Any] | None = None, *, image: str | None = None,
                     host_port: int | None = None, tmp_volume: bool = False) -> dict[str, Any]:
    """The webapp container: the image, port 3000 (optionally bound to the node: ``host_port``)."""
    port: dict[str, Any] = {"name": "http", "containerPort": PORT}
    if host_port:
        port["hostPort"] = int(host_port)
    container: dict[str, Any] = {
        "name": NAME,
        "image": image or settings.webapp_image(),
        "imagePullPolicy": settings.image_pull_policy(),
        "ports": [port],
    }
    if security_context:
        container["securityContext"] = copy.deepcopy(dict(security_context))
    if tmp_volume:
        container["volumeMounts"] = [{"name": "tmp", "mountPath": "/tmp"}]
    return container


def webapp_pod_spec(security_context: Mapping[str, Any] | None = None, *,
                    pod_security_context: Mapping[str, Any] | None = None, image: str | None = None,
                    host_port: int | None = None, tmp_volume: bool = False) -> dict[str, Any]:
    """The pod spec shared by the Deployment's template and the bare Pod."""
    spec: dict[str, Any] = {"containers": [webapp_container(security_context, image=image, host_port=host_port,
                                                            tmp_volume=tmp_volume)]}
    if pod_security_context:
        spec["securityContext"] = copy.deepcopy(dict(pod_security_context))
    if tmp_volume:
        spec["volumes"] = [{"name": "tmp", "emptyDir": {}}]
    # The webapp never talks to the API server: no token in the pod (least privilege).
    spec["automountServiceAccountToken"] = False
    return spec


def _metadata(name: str, namespace: str | None, labels: Mapping[str, str] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "labels": {**LABELS, **(labels or {})}}
    if namespace:
        meta["namespace"] = namespace
    return meta


def webapp_deployment(security_context: Mapping[str, Any] | None = None, *,
                      pod_security_context: Mapping[str, Any] | None = None, name: str = NAME,
                      namespace: str | None = None, image: str | None = None, host_port: int | None = None,
                      tmp_volume: bool = False, replicas: int = 1) -> dict[str, Any]:
    """The webapp Deployment with the given container (and pod) security context."""
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _metadata(name, namespace),
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": dict(LABELS)},
            "template": {"metadata": {"labels": dict(LABELS)},
                         "spec": webapp_pod_spec(security_context, pod_security_context=pod_security_context,
                                                 image=image, host_port=host_port, tmp_volume=tmp_volume)},
        },
    }


def webapp_pod(security_context: Mapping[str, Any] | None = None, *,
               pod_security_context: Mapping[str, Any] | None = None, name: str = NAME,
               namespace: str | None = None, image: str | None = None, host_port: int | None = None,
               tmp_volume: bool = False) -> dict[str, Any]:
    """The webapp as a bare Pod — what Pod Security admission *enforces* on (workloads only get warnings)."""
    return {"apiVersion": "v1", "kind": "Pod", "metadata": _metadata(name, namespace),
            "spec": webapp_pod_spec(security_context, pod_security_context=pod_security_context, image=image,
                                    host_port=host_port, tmp_volume=tmp_volume)}


def webapp_service(*, name: str = NAME, namespace: str | None = None, node_port: int | None = None) -> dict[str, Any]:
    """A Service in front of the webapp: today's replacement for the seed's ``hostPort: 3000``."""
    port: dict[str, Any] = {"name": "http", "port": 80, "targetPort": "http"}
    if node_port:
        port["nodePort"] = int(node_port)
    return {"apiVersion": "v1", "kind": "Service", "metadata": _metadata(name, namespace),
            "spec": {"type": "NodePort" if node_port else "ClusterIP", "selector": dict(LABELS), "ports": [port]}}


def seed_deployment(step: str = "as deployed", *, as_written: bool = False, image: str | None = None) -> dict[str, Any]:
    """The 2019 workshop's webapp Deployment at one step of its sequence, in our words and image.

    The seed put ``hostPort: 3000`` on every Deployment. ``as_written=True`` keeps its indentation
    slips too: the security context at pod level (where ``readOnlyRootFilesystem`` and
    ``allowPrivilegeEscalation`` do not exist) and, in three steps, ``ports`` at pod level. Schema
    validation catches them; a lenient API server would silently drop such fields.
    """
    if step not in SEED_STEPS:
        from kslab.errors import UsageError

        raise UsageError(f"unknown step {brief(step)}", hint=f"one of: {', '.join(SEED_STEPS)}")
    deployment = webapp_deployment(SEED_STEPS[step], image=image, host_port=PORT)
    spec = deployment["spec"]["template"]["spec"]
    del spec["automountServiceAccountToken"]  # 2019 did not know this one
    if as_written:
        container = spec["containers"][0]
        if step in SEED_PORTS_AT_POD_LEVEL:
            spec["ports"] = container.pop("ports")
        if "securityContext" in container:
            spec["securityContext"] = container.pop("securityContext")
    return deployment
