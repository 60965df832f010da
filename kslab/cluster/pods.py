"""Live side of notebook 03: deploy the webapp into a lab namespace, wait for its newest pod, admit-check pods.

Every function takes a :class:`~kslab.cluster.lab.Lab` and uses its primitives (apply, exec,
admit); manifests are schema-validated before anything is sent.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kslab.errors import ApiError

#: Container states that mean "this pod will not start without a change": report them, do not wait.
STUCK_REASONS = frozenset({"CreateContainerConfigError", "CreateContainerError", "CrashLoopBackOff",
                           "ErrImagePull", "ImagePullBackOff", "InvalidImageName", "RunContainerError"})


#: How long to let the API server's namespace cache catch up after labels change.
NAMESPACE_SETTLE_SECONDS = 1.0


@dataclass(frozen=True)
class Started:
    """The webapp's newest pod (None if it did not start) and, if not, the kubelet's reason."""

    pod: str | None
    reason: str = ""


def nodes_ready(lab: Any) -> bool:
    """Whether any node is Ready (an API server without nodes can admit pods but never run them)."""
    lab.require_live("listing nodes")
    try:
        nodes = lab.core.list_node().items
    except Exception:  # noqa: BLE001 - not allowed to list nodes: assume pods can run
        return True
    return any(c.type == "Ready" and c.status == "True" for n in nodes for c in (n.status.conditions or []))


def ensure_service_account(lab: Any, namespace: str, name: str = "default") -> None:
    """Create the namespace's ServiceAccount if missing (without a controller-manager nobody does,
    and pod admission refuses pods whose ServiceAccount does not exist)."""
    from kubernetes import client

    try:
        lab.core.read_namespaced_service_account(name, namespace)
    except Exception as exc:  # noqa: BLE001
        if getattr(exc, "status", None) != 404:
            raise
        try:
            lab.core.create_namespaced_service_account(
                namespace, client.V1ServiceAccount(metadata=client.V1ObjectMeta(name=name)))
        except Exception as exc2:  # noqa: BLE001
            if getattr(exc2, "status", None) != 409:
                raise


def lab_namespace(lab: Any, namespace: str, *, lab_name: str, enforce: str | None = None,
                  warn: str | None = "restricted", version: str = "latest") -> None:
    """Create (or relabel) a lab namespace with Pod Security labels, and its default ServiceAccount."""
    from kslab.manifests.namespace import psa_namespace

    lab.apply(psa_namespace(namespace, enforce=enforce, warn=warn, version=version), lab=lab_name)
    ensure_service_account(lab, namespace)


def _newest_pods(lab: Any, namespace: str, deployment: Mapping[str, Any], generation: int = 0) -> list[Any]:
    """Pods of the Deployment's newest ReplicaSet (same revision as the Deployment), not being deleted.

    Until the deployment controller has seen ``generation`` (the spec just applied), the revision
    annotation still names the previous ReplicaSet, whose pods must not be mistaken for the new ones.
    """
    from kubernetes import client

    apps = client.AppsV1Api(lab.api)
    revision_key = "deployment.kubernetes.io/revision"
    live = apps.read_namespaced_deployment(deployment["metadata"]["name"], namespace)
    if (live.status.observed_generation or 0) < generation:
        return []
    revision = (live.metadata.annotations or {}).get(revision_key)
    selector = ",".join(f"{k}={v}" for k, v in deployment["spec"]["selector"]["matchLabels"].items())
    newest = {rs.metadata.name for rs in apps.list_namespaced_replica_set(namespace, label_selector=selector).items
              if revision and (rs.metadata.annotations or {}).get(revision_key) == revision}
    pods = lab.core.list_namespaced_pod(namespace, label_selector=selector).items
    return [p for p in pods if p.metadata.deletion_timestamp is None and
            any(o.kind == "ReplicaSet" and o.name in newest for o in (p.metadata.owner_references or []))]


def _pod_state(pod: Any) -> tuple[bool, str]:
    """(ready, why not) for one pod."""
    conditions = (pod.status and pod.status.conditions) or []
    if any(c.type == "Ready" and c.status == "True" for c in conditions):
        return True, ""
    for status in (pod.status and pod.status.container_statuses) or []:
        waiting = status.state and status.state.waiting
        if waiting and waiting.reason in STUCK_REASONS:
            return False, f"{waiting.reason}: {waiting.message or ''}".strip().rstrip(":")
    return False, ""


def _remove_previous(lab: Any, namespace: str, deployment: Mapping[str, Any]) -> None:
    """Delete the Deployment's previous version and its pods at once, as the seed did between steps.

    A rolling update would start the new pod before stopping the old one, and with the seed's
    ``hostPort`` both cannot share a node; the webapp (httpd as PID 1) also ignores SIGTERM, so a
    graceful stop would cost its full grace period. Lab pods hold nothing worth a graceful stop.
    """
    from kubernetes import client

    name = deployment["metadata"]["name"]
    selector = ",".join(f"{k}={v}" for k, v in deployment["spec"]["selector"]["matchLabels"].items())
    try:
        client.AppsV1Api(lab.api).delete_namespaced_deployment(name, namespace, propagation_policy="Background")
    except Exception as exc:  # noqa: BLE001
        if getattr(exc, "status", None) != 404:
            raise
    for pod in lab.core.list_namespaced_pod(namespace, label_selector=selector).items:
        try:
            lab.core.delete_namespaced_pod(pod.metadata.name, namespace, grace_period_seconds=0)
        except Exception as exc:  # noqa: BLE001
            if getattr(exc, "status", None) != 404:
                raise


def deploy_and_wait(lab: Any, obj: Mapping[str, Any], *, namespace: str, lab_name: str,
                    timeout: int = 120) -> Started:
    """Apply a webapp Deployment (schema-validated first) and wait for its newest pod to be Ready.

    Returns the pod's name, or None with the reason when the pod cannot start (e.g. runAsNonRoot
    with a root image) or the rollout is rejected. Raises if nothing happens within ``timeout``.
    """
    from kslab.manifests.validate import require_valid

    lab.require_lab(f"deploying the webapp in {namespace}")
    body = {**obj, "metadata": {**obj["metadata"], "namespace": namespace}}
    require_valid(body)
    # The hack is about the security context, not admission (the next section): this namespace admits
    # the 2019 manifests (hostPort) even where the cluster's default enforces baseline, and warns.
    lab_namespace(lab, namespace, lab_name=lab_name, enforce="privileged")
    _remove_previous(lab, namespace, body)
    applied = lab.apply(body, lab=lab_name)[0]
    generation = int((applied.get("metadata") or {}).get("generation") or 0)
    deadline = time.monotonic() + timeout
    last = "no pod yet"
    while time.monotonic() < deadline:
        for pod in _newest_pods(lab, namespace, body, generation):
            ready, why = _pod_state(pod)
            if ready:
                return Started(pod.metadata.name)
            if why:
                return Started(None, f"pod {pod.metadata.name} did not start: {why}")
            last = f"pod {pod.metadata.name} is {pod.status.phase}"
        time.sleep(1)
    raise ApiError(f"the webapp in {namespace} was not Ready after {timeout}s ({last})",
                   hint=f"kubectl -n {namespace} describe pods -l app=webapp")


def admit_pod(lab: Any, pod: Mapping[str, Any], *, namespace: str) -> tuple[bool, str]:
    """Server-side dry-run create of a Pod in ``namespace``: ``(admitted, the server's message)``."""
    ensure_service_account(lab, namespace, (pod.get("spec") or {}).get("serviceAccountName") or "default")
    return lab.admit(pod, namespace=namespace)


def server_minor(lab: Any) -> str | None:
    """The API server's minor version as a policy version (``v1.33``): its ``latest`` means this."""
    import re

    match = re.match(r"v1\.(\d+)", lab.server_version())
    return f"v1.{match.group(1)}" if match else None


def admission(lab: Any, obj: Mapping[str, Any], labels: Mapping[str, str], *, namespace: str = "kslab-03-psa",
              lab_name: str = "03") -> Any:
    """What the API server answers to creating ``obj`` in a namespace labelled ``labels``.

    Offline: kslab's evaluator, labelled as a prediction. Live: the namespace is created with those
    labels and the real API server is asked with a server-side dry run (nothing is stored).
    """
    from kslab.pss.admission import OBSERVED, Answer, answer

    if not lab.live:
        return answer(obj, labels)
    lab.require_lab("creating a lab namespace with Pod Security labels")
    lab.apply({"apiVersion": "v1", "kind": "Namespace",
               "metadata": {"name": namespace, "labels": dict(labels)}}, lab=lab_name)
    # Pod Security reads namespaces from the API server's cache: give it a moment to see new labels.
    time.sleep(NAMESPACE_SETTLE_SECONDS)
    allowed, message = admit_pod(lab, obj, namespace=namespace)
    start = message.find("pods \"")
    return Answer(allowed, "" if allowed else message[start if start >= 0 else 0:], (), OBSERVED)
