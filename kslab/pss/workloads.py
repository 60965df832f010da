"""Where the pod is, in each kind of object Pod Security admission judges.

A Pod is judged itself; a workload by its pod template. The API server enforces on Pods and only
warns (and audits) on workloads — but a workload whose template violates the namespace's level
will have every pod it creates rejected, so kslab judges templates the same way.

>>> kind_path("apps/v1", "Deployment")
('spec', 'template')
>>> kind_path("v1", "Service") is None
True
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kslab.pss.pod import EMPTY

#: (API group, kind) -> path from the object to its pod template; () is a Pod itself.
POD_PATHS: dict[tuple[str, str], tuple[str, ...]] = {
    ("", "Pod"): (),
    ("", "PodTemplate"): ("template",),
    ("", "ReplicationController"): ("spec", "template"),
    ("apps", "ReplicaSet"): ("spec", "template"),
    ("apps", "Deployment"): ("spec", "template"),
    ("apps", "StatefulSet"): ("spec", "template"),
    ("apps", "DaemonSet"): ("spec", "template"),
    ("batch", "Job"): ("spec", "template"),
    ("batch", "CronJob"): ("spec", "jobTemplate", "spec", "template"),
}
POD_KINDS = tuple(kind for _, kind in POD_PATHS)
NOT_A_POD = "not a pod or pod template"


def api_group(api_version: str) -> str:
    """``apps`` for ``apps/v1``, ``""`` for the core group's ``v1``."""
    return api_version.split("/", 1)[0] if "/" in api_version else ""


def kind_path(api_version: str | None, kind: str) -> tuple[str, ...] | None:
    """Path to the pod template of this kind, or None for kinds that hold no pod.

    Without an apiVersion the kind alone decides (a hand-written snippet); with one, the group
    must match too, so a custom resource that happens to be called ``Job`` is not mistaken.
    """
    if api_version:
        return POD_PATHS.get((api_group(api_version), kind))
    for (_, known), path in POD_PATHS.items():
        if known == kind:
            return path
    return None


def pod_parts(obj: Mapping[str, Any]) -> tuple[Mapping[str, Any], Mapping[str, Any], bool] | None:
    """``(metadata, spec, is_pod)`` of the pod an object holds, or None if it holds none."""
    path = kind_path(str(obj.get("apiVersion") or ""), str(obj.get("kind") or ""))
    if path is None:
        return None
    node: Any = obj
    for key in path:
        node = _mapping(node, ".".join(path[:path.index(key)]) or "the object").get(key)
    node = _mapping(node, ".".join(path) or "the object")
    return node.get("metadata") or EMPTY, node.get("spec") or EMPTY, path == ()


def _mapping(node: Any, where: str) -> Mapping[str, Any]:
    """``node`` when it is a mapping (or empty); a one-line error naming the field when the file holds
    something else there (``spec: {template: hello}``), as the API server refuses such an object."""
    if not node:
        return EMPTY
    if type(node) is not dict and not isinstance(node, Mapping):  # dict first: the ABC check is the slow one
        from kslab.errors import InputError  # noqa: PLC0415 - only on bad input
        from kslab.text import brief  # noqa: PLC0415

        raise InputError(f"{where} must be a mapping, not {brief(node)}",
                         hint="check the field types against the API (kubectl explain)")
    return node
