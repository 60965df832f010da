"""What the API server changes in a pod before Pod Security admission sees it.

A manifest is not judged as written: the API server first applies defaults, and for a new Pod its
create strategy syncs deprecated annotations into fields. Three of those changes matter to the
checks, so kslab makes them too (without touching the caller's dict):

1. every volume with no source at all becomes ``emptyDir: {}`` (Pods and pod templates);
2. a Pod with ``hostNetwork: true`` gets ``hostPort = containerPort`` for every port that sets no
   hostPort (containers and init containers; Pods only, not templates);
3. a new non-Windows Pod whose container has a deprecated AppArmor annotation
   (``container.apparmor.security.beta.kubernetes.io/<name>``) and no ``appArmorProfile`` field gets
   the field from the annotation, unless the pod-level profile already says the same (Pods only).

>>> spec = apply_defaults({}, {"volumes": [{"name": "scratch"}]}, is_pod=False)[1]
>>> spec["volumes"]
[{'name': 'scratch', 'emptyDir': {}}]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kslab.pss.checks.restricted_volumes import ALLOWED, FORBIDDEN
from kslab.pss.pod import CONTAINER_FIELDS, EMPTY

#: Every source a volume can name; a volume naming none of them is defaulted to emptyDir.
VOLUME_SOURCES = frozenset(ALLOWED + FORBIDDEN)
APPARMOR_ANNOTATION_PREFIX = "container.apparmor.security.beta.kubernetes.io/"


def _has_source(volume: Mapping[str, Any]) -> bool:
    # Over the volume's few keys, not the thirty sources: this runs for every volume of every pod
    # (a plain loop: a generator for any() costs more than the two keys it looks at).
    for key, value in volume.items():
        if value is not None and key in VOLUME_SOURCES:
            return True
    return False


def _default_volumes(spec: dict[str, Any]) -> None:
    volumes = spec.get("volumes")
    if not volumes or all(map(_has_source, volumes)):
        return
    spec["volumes"] = [v if _has_source(v) else {**v, "emptyDir": {}} for v in volumes]


def _default_host_network_ports(spec: dict[str, Any]) -> None:
    for field in ("initContainers", "containers"):
        containers = spec.get(field)
        if not containers or not any(not p.get("hostPort") for c in containers for p in c.get("ports") or ()):
            continue
        spec[field] = [{**c, "ports": [p if p.get("hostPort") else {**p, "hostPort": p.get("containerPort")}
                                       for p in c["ports"]]} if c.get("ports") else c
                       for c in containers]


def apparmor_field_for_annotation(value: str) -> dict[str, Any] | None:
    """The ``appArmorProfile`` the API server derives from an annotation value (None if none).

    >>> apparmor_field_for_annotation("localhost/my-profile")
    {'type': 'Localhost', 'localhostProfile': 'my-profile'}
    """
    if value == "unconfined":
        return {"type": "Unconfined"}
    if value == "runtime/default":
        return {"type": "RuntimeDefault"}
    if value.startswith("localhost/") and value != "localhost/":
        return {"type": "Localhost", "localhostProfile": value[len("localhost/"):]}
    return None


def _same_profile(a: Mapping[str, Any] | None, b: Mapping[str, Any] | None) -> bool:
    if a is None or b is None:
        return a is b
    return (a.get("type") or "") == (b.get("type") or "") and a.get("localhostProfile") == b.get("localhostProfile")


def _sync_apparmor(metadata: Mapping[str, Any], spec: dict[str, Any]) -> None:
    annotations = metadata.get("annotations") or EMPTY
    for key in annotations:
        if str(key).startswith(APPARMOR_ANNOTATION_PREFIX):
            break
    else:
        return  # no AppArmor annotation: nothing to sync (the usual case)
    if (spec.get("os") or EMPTY).get("name") == "windows":
        return
    pod_profile = (spec.get("securityContext") or EMPTY).get("appArmorProfile")
    for field in CONTAINER_FIELDS:
        containers = spec.get(field)
        if not containers:
            continue
        # A list is copied only when one of its containers changes: most have no annotation of their own.
        updated: list[Any] | None = None
        for i, c in enumerate(containers):
            value = annotations.get(APPARMOR_ANNOTATION_PREFIX + str(c.get("name") or ""))
            if value is None:
                continue
            context = c.get("securityContext") or EMPTY
            profile = apparmor_field_for_annotation(str(value))
            if profile is not None and context.get("appArmorProfile") is None \
                    and not _same_profile(profile, pod_profile):
                if updated is None:
                    updated = list(containers)
                updated[i] = {**c, "securityContext": {**context, "appArmorProfile": profile}}
        if updated is not None:
            spec[field] = updated


def apply_defaults(metadata: Mapping[str, Any], spec: Mapping[str, Any], *,
                   is_pod: bool) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    """``(metadata, spec)`` as the API server would hand them to Pod Security admission.

    ``is_pod`` is True for a Pod being created, False for a workload's pod template. The input is
    never modified; a changed spec is a shallow copy.
    """
    new = dict(spec)
    _default_volumes(new)
    if is_pod:
        if new.get("hostNetwork") is True:
            _default_host_network_ports(new)
        _sync_apparmor(metadata, new)
    return metadata, new
