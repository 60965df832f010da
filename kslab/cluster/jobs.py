"""Run a Job once and read what its pod printed: what lab 02's kube-bench needs from a cluster.

:func:`run_job` applies the Job, waits (bounded) until it completes or fails, and returns a
:class:`JobRun` with its pod's log. A pod that cannot start for a reason the cluster will not fix
by itself — its image cannot be pulled, no node will take it — is given a grace period (a pull may
fail once and then succeed) and then reported, not waited on until the deadline: ``JobRun.stuck``
says why, and the caller decides (the lab says so; a live test skips with that reason).

>>> JobRun("kube-bench", "kslab-02", "", False, False, "", "ImagePullBackOff: Back-off pulling image").stuck
'ImagePullBackOff: Back-off pulling image'
>>> pod_stuck({"status": {"conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
...                                       "message": "0/1 nodes are available"}]}})
'Unschedulable: 0/1 nodes are available'
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kslab.cluster.waiting import poll, wait_until
from kslab.errors import ApiError

if TYPE_CHECKING:
    from kslab.cluster.lab import Lab

#: Waiting reasons that mean the image is not there to run (the cluster may retry; we stop waiting).
IMAGE_REASONS = frozenset({"ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull"})
#: The most of a pod's log kslab reads (kube-bench's JSON for both targets is a few hundred KiB).
MAX_LOG_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class JobRun:
    """How a Job ended: its pod, whether it finished and succeeded, its log, and — when it never
    ran — why (``stuck``: the image, the scheduler; ``reason``: anything else, e.g. the deadline)."""

    name: str
    namespace: str
    pod: str
    finished: bool
    succeeded: bool
    log: str
    stuck: str = ""
    reason: str = ""

    def __str__(self) -> str:
        if self.stuck:
            return f"Job {self.namespace}/{self.name} never ran: {self.stuck}"
        if not self.finished:
            return f"Job {self.namespace}/{self.name} did not finish: {self.reason}"
        state = "completed" if self.succeeded else "failed"
        return f"Job {self.namespace}/{self.name} {state} (pod {self.pod}, {len(self.log)} characters of log)"


def pod_stuck(pod: Mapping[str, Any]) -> str:
    """Why a pod (as a dict) cannot start without outside help, or '' (see :data:`IMAGE_REASONS`)."""
    status = pod.get("status") or {}
    for container in [*(status.get("initContainerStatuses") or []), *(status.get("containerStatuses") or [])]:
        waiting = (container.get("state") or {}).get("waiting") or {}
        if waiting.get("reason") in IMAGE_REASONS:
            return f"{waiting['reason']}: {waiting.get('message') or ''}".strip().rstrip(":")
    for cond in status.get("conditions") or []:
        if cond.get("type") == "PodScheduled" and cond.get("status") == "False" and cond.get("reason") == "Unschedulable":
            return f"Unschedulable: {cond.get('message') or ''}".strip().rstrip(":")
    return ""


def _finished(job: Mapping[str, Any]) -> tuple[bool, bool]:
    """(finished, succeeded) from a Job's conditions."""
    for cond in (job.get("status") or {}).get("conditions") or []:
        if cond.get("status") == "True" and cond.get("type") in ("Complete", "Failed"):
            return True, cond["type"] == "Complete"
    return False, False


def _job_pod(lab: Lab, namespace: str, name: str) -> dict[str, Any] | None:
    """The Job's newest pod, as a dict (``job-name`` is the label the Job controller sets)."""
    pods = lab.list_pods(namespace, label_selector=f"job-name={name}")
    if not pods:
        return None
    newest = max(pods, key=lambda p: p.metadata.creation_timestamp)
    return dict(lab.serialize(newest))


def pod_log(lab: Lab, namespace: str, pod: str, *, container: str | None = None, timeout: float = 30.0) -> str:
    """A pod's log (at most :data:`MAX_LOG_BYTES`), through the API server."""
    return lab.read_pod_log(namespace, pod, container=container, limit_bytes=MAX_LOG_BYTES, timeout=timeout)


def run_job(lab: Lab, job: Mapping[str, Any], *, lab_name: str, timeout: float = 300,
            stuck_grace: float = 90, interval: float = 2.0) -> JobRun:
    """Apply ``job`` (a batch/v1 Job with its namespace set), wait until it finishes, read its pod's log.

    Bounded: ``timeout`` seconds in all, and a pod stuck (:func:`pod_stuck`) for ``stuck_grace``
    seconds ends the wait early with ``JobRun.stuck`` set. A Job of the same name is replaced (a
    finished Job cannot run again).
    """
    lab.require_lab(f"running Job {job['metadata']['name']}")
    name, namespace = str(job["metadata"]["name"]), str(job["metadata"]["namespace"])
    _delete_previous(lab, namespace, name)
    lab.apply(job, lab_id=lab_name)
    stuck_since: list[float] = []  # when the pod was first seen stuck, while it stays stuck

    def check() -> tuple[JobRun | None, str]:
        finished, succeeded = _finished(lab.read("batch/v1", "Job", name, namespace=namespace))
        pod = _job_pod(lab, namespace, name)
        pod_name = str(((pod or {}).get("metadata") or {}).get("name") or "")
        if finished:
            log = pod_log(lab, namespace, pod_name) if pod_name else ""
            return JobRun(name, namespace, pod_name, True, succeeded, log), "finished"
        why = pod_stuck(pod) if pod else ""
        if not why:
            stuck_since.clear()
            return None, f"pod {pod_name} is {(pod.get('status') or {}).get('phase')}" if pod else "no pod yet"
        stuck_since[:] = stuck_since or [time.monotonic()]
        if time.monotonic() - stuck_since[0] >= stuck_grace:
            return JobRun(name, namespace, pod_name, False, False, "", stuck=why), why
        return None, why

    waited = poll(check, timeout=timeout, interval=interval)
    return waited.value or JobRun(name, namespace, "", False, False, "",
                                  reason=f"not finished after {timeout:.0f}s ({waited.state})")


def _delete_previous(lab: Lab, namespace: str, name: str, timeout: float = 60) -> None:
    """Delete an earlier run's Job (and its pods) and wait until it is gone."""
    try:
        lab.delete_object("batch/v1", "Job", name, namespace=namespace)  # in the background: its pods go too
    except ApiError as err:
        if err.status == 404:
            return
        raise

    def gone() -> tuple[bool | None, str]:
        try:
            lab.read("batch/v1", "Job", name, namespace=namespace)
        except ApiError as err:
            if err.status == 404:
                return True, "deleted"
            raise
        return None, "still being deleted"

    wait_until(gone, timeout=timeout, interval=1, what=f"the previous Job {namespace}/{name} was not deleted",
               hint=f"kubectl -n {namespace} delete job {name}")
