"""Class progress on the cluster: a student's kernel writes their mirror ConfigMap, the instructor reads all.

The shape of the ConfigMap and the merge are pure (:mod:`kslab.classroom.progress`); this module does
the requests:

* :func:`push` — as the student: read the ConfigMap in their namespace, merge it with their local
  progress (nothing is ever lost: counts only grow), and write it back with the ``resourceVersion``
  it was read at. A conflict (another kernel wrote meanwhile) means read, merge and write again.
* :func:`read_class` — as the instructor: every student's copy, with one label-selected list when
  the instructor may list ConfigMaps in all namespaces, else one read per student's namespace.

Every request has a timeout: a stalled API server costs a few seconds, never the student's notebook.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from kslab.classroom import progress as model
from kslab.classroom.objects import NAMESPACE_PREFIX, namespace_for
from kslab.classroom.roster import Student
from kslab.cluster.lab import Lab
from kslab.errors import ApiError

#: Seconds any one request may take (connect, read).
REQUEST_TIMEOUT = (3.0, 5.0)
#: Writes tried when other kernels keep winning the race: each retry reads their write first.
WRITE_ATTEMPTS = 6


def _body(obj: Mapping[str, Any], resource_version: str | None = None) -> Any:
    from kubernetes import client

    meta = obj["metadata"]
    return client.V1ConfigMap(api_version="v1", kind="ConfigMap", data=dict(obj["data"]),
                              metadata=client.V1ObjectMeta(name=meta["name"], namespace=meta["namespace"],
                                                           labels=dict(meta["labels"]),
                                                           resource_version=resource_version))


def push(lab: Lab, records: Mapping[str, Mapping[str, Any]], *, student: str, namespace: str,
         attempts: int = WRITE_ATTEMPTS) -> dict[str, dict[str, Any]]:
    """Merge ``records`` (the student's local progress) into their mirror ConfigMap; returns what it holds now.

    Raises :class:`~kslab.errors.ApiError` (with the server's message) when the server refuses or
    does not answer; the caller keeps the local store and tries again later.
    """
    lab.require_live("mirroring progress for the instructor")
    for _ in range(max(1, attempts)):
        try:
            current = lab.read_config_map(namespace, model.CONFIGMAP, timeout=REQUEST_TIMEOUT)
        except ApiError as err:
            if err.status != 404:
                raise
            merged = model.merge(records)
            try:
                lab.create_config_map(namespace, _body(model.configmap(student, namespace, merged)),
                                      timeout=REQUEST_TIMEOUT)
                return merged
            except ApiError as err2:
                if err2.status == 409:  # another kernel created it first: read theirs and merge
                    continue
                raise
        merged = model.merge(model.decode(current.data), records)
        version = current.metadata.resource_version
        try:
            lab.replace_config_map(namespace, model.CONFIGMAP,
                                   _body(model.configmap(student, namespace, merged), version),
                                   timeout=REQUEST_TIMEOUT)
            return merged
        except ApiError as err:
            if err.status == 409:  # written meanwhile (resourceVersion moved): merge theirs too
                continue
            raise
    raise ApiError(f"{namespace}/{model.CONFIGMAP} kept changing while it was written ({attempts} tries)",
                   hint="other kernels are writing at the same moment; the next check tries again")


def _names(students: Sequence[Student | str]) -> list[str]:
    return [s.name if isinstance(s, Student) else s for s in students]


def _read_all(lab: Lab) -> dict[str, Any] | None:
    """``{namespace: ConfigMap}`` of every mirror, in one request; None when listing is forbidden."""
    selector = f"app.kubernetes.io/component={model.COMPONENT},kslab.dev/lab=classroom"
    try:
        items = lab.list_config_maps(None, label_selector=selector, timeout=REQUEST_TIMEOUT)
    except ApiError as err:
        if err.status == 403:
            return None
        raise
    return {i.metadata.namespace: i for i in items if i.metadata.name == model.CONFIGMAP}


def _read_one(lab: Lab, namespace: str) -> tuple[Any, str]:
    try:
        return lab.read_config_map(namespace, model.CONFIGMAP, timeout=REQUEST_TIMEOUT), ""
    except ApiError as err:
        if err.status == 404:
            return None, ""
        return None, str(err).splitlines()[0][:200]


def read_class(lab: Lab, students: Sequence[Student | str], exercises: Mapping[str, str], *,
               prefix: str = NAMESPACE_PREFIX, workers: int = 16) -> model.ClassProgress:
    """Every student's mirrored progress, as the instructor's table (students in roster order).

    ``exercises`` is ``{id: title}`` of the course, in order (the table's columns).

    A student is keyed by their namespace, never by the labels on their ConfigMap (a student could
    write any label there, but only into their own namespace).
    """
    from kslab.cluster.classroom import parallel

    lab.require_live("reading the class's progress")
    names = _names(students)
    namespaces = [namespace_for(n, prefix) for n in names]
    listed = _read_all(lab)
    if listed is not None:
        found = [(listed.get(ns), "") for ns in namespaces]
        how = "one list of ConfigMaps across namespaces"
    else:
        found = parallel(lambda ns: _read_one(lab, ns), namespaces, workers)
        how = f"{len(namespaces)} reads, one per student's namespace (listing across namespaces is forbidden)"
    rows = []
    for name, ns, (item, error) in zip(names, namespaces, found):
        if error:
            rows.append(model.StudentProgress(name, ns, model.UNREADABLE, note=error))
        elif item is None:
            rows.append(model.StudentProgress(name, ns, model.NOT_STARTED))
        else:
            rows.append(model.StudentProgress(name, ns, model.FOUND, model.decode(item.data)))
    return model.class_progress(lab.context or "", rows, exercises,
                                read_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                                source=f"observed: each student's {model.CONFIGMAP} ConfigMap ({how})")


__all__ = ["REQUEST_TIMEOUT", "push", "read_class"]
