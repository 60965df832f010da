"""Live side of notebook 03: deploy the webapp into a lab namespace, wait for its newest pod, admit-check pods.

Every function takes a :class:`~kslab.cluster.lab.Lab` and uses its primitives (apply, exec,
admit); manifests are schema-validated before anything is sent.

The lab would like namespaces of its own (``kslab-03``, and ``kslab-03-psa`` labelled for each Pod
Security level). An identity that may not create namespaces — a student in a classroom — works in
the namespace its kubeconfig names instead (:meth:`Lab.namespace_for
<kslab.cluster.lab.Lab.namespace_for>`), and kslab never relabels that namespace: the webapp runs
under the Pod Security level the instructor set there, and other levels are predicted.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kslab import settings
from kslab.cluster.waiting import wait_until
from kslab.errors import ApiError

if TYPE_CHECKING:
    from kslab.cluster.lab import DryRun, Lab

#: Container states that mean "this pod will not start without a change": report them, do not wait.
STUCK_REASONS = frozenset({"CreateContainerConfigError", "CreateContainerError", "CrashLoopBackOff",
                           "ErrImagePull", "ImagePullBackOff", "InvalidImageName", "RunContainerError"})


#: How long to let the API server's namespace cache catch up after labels change.
NAMESPACE_SETTLE_SECONDS = 1.0


#: The namespaces the lab would like: one for the hack, one to label for each Pod Security level.
HACK_NAMESPACE = "kslab-03"
PSA_NAMESPACE = "kslab-03-psa"


@dataclass(frozen=True)
class Started:
    """The webapp's newest pod (None if it did not start) and, if not, why; ``note``: what kslab changed;
    ``admitted``: False when admission refused the pod, so nothing about the pod itself was observed."""

    pod: str | None
    reason: str = ""
    note: str = ""
    admitted: bool = True


def owns_namespaces(lab: Lab) -> bool:
    """Whether the lab may make (and label) namespaces of its own; a classroom student may not."""
    return not lab.live or bool(lab.may_create_namespaces)


def nodes_ready(lab: Lab) -> bool:
    """Whether any node is Ready (an API server without nodes can admit pods but never run them)."""
    lab.require_live("listing nodes")
    try:
        nodes = lab.list_nodes()
    except ApiError:  # not allowed to list nodes: assume pods can run
        return True
    return any(c.type == "Ready" and c.status == "True" for n in nodes for c in (n.status.conditions or []))


def ensure_service_account(lab: Lab, namespace: str, name: str = "default") -> None:
    """Create the namespace's ServiceAccount if missing (without a controller-manager nobody does,
    and pod admission refuses pods whose ServiceAccount does not exist). It may create, so only on a
    lab context."""
    lab.require_lab(f"making sure ServiceAccount {namespace}/{name} exists")
    try:
        lab.read_service_account(namespace, name)
    except ApiError as err:
        if err.status != 404:
            raise
        try:
            lab.create_service_account(namespace, {"apiVersion": "v1", "kind": "ServiceAccount",
                                                   "metadata": {"name": name}})
        except ApiError as err2:
            if err2.status != 409:  # made meanwhile by someone else: fine
                raise


def lab_namespace(lab: Lab, namespace: str, *, lab_name: str, enforce: str | None = None,
                  warn: str | None = "restricted", version: str = "latest") -> None:
    """Create (or relabel) a lab namespace with Pod Security labels, and its default ServiceAccount."""
    from kslab.manifests.namespace import psa_namespace

    lab.apply(psa_namespace(namespace, enforce=enforce, warn=warn, version=version), lab_id=lab_name)
    ensure_service_account(lab, namespace)


def _selector(deployment: Mapping[str, Any]) -> str:
    return ",".join(f"{k}={v}" for k, v in deployment["spec"]["selector"]["matchLabels"].items())


def _owned_by(obj: Any, kind: str, names: set[str]) -> bool:
    return any(o.kind == kind and o.name in names for o in (obj.metadata.owner_references or []))


def _newest_pods(lab: Lab, namespace: str, deployment: Mapping[str, Any],
                 generation: int = 0) -> tuple[list[Any], str]:
    """Pods of the Deployment's newest ReplicaSet (same revision as the Deployment), not being deleted,
    and — when that ReplicaSet could not create its pod (admission refused it) — the server's reason.

    Until the deployment controller has seen ``generation`` (the spec just applied), the revision
    annotation still names the previous ReplicaSet, whose pods must not be mistaken for the new ones.
    """
    revision_key = "deployment.kubernetes.io/revision"
    name = deployment["metadata"]["name"]
    live = lab.read_deployment(namespace, name)
    if (live.status.observed_generation or 0) < generation:
        return [], ""
    revision = (live.metadata.annotations or {}).get(revision_key)
    newest = [rs for rs in lab.list_replica_sets(namespace, label_selector=_selector(deployment))
              if revision and (rs.metadata.annotations or {}).get(revision_key) == revision
              and _owned_by(rs, "Deployment", {name})]
    refused = next((c.message or c.reason for rs in newest for c in (rs.status.conditions or [])
                    if c.type == "ReplicaFailure" and c.status == "True"), "")
    names = {rs.metadata.name for rs in newest}
    pods = lab.list_pods(namespace, label_selector=_selector(deployment))
    return [p for p in pods if p.metadata.deletion_timestamp is None and _owned_by(p, "ReplicaSet", names)], refused


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


def _remove_previous(lab: Lab, namespace: str, deployment: Mapping[str, Any], lab_name: str) -> None:
    """Delete this lab's previous version of the Deployment and its pods at once, as the seed did between steps.

    A rolling update would start the new pod before stopping the old one, and with the seed's
    ``hostPort`` both cannot share a node; the webapp (httpd as PID 1) also ignores SIGTERM, so a
    graceful stop would cost its full grace period. Lab pods hold nothing worth a graceful stop.
    Only the lab's own Deployment goes, and only the pods of its ReplicaSets: a namespace shared with
    other labs (a classroom student's) may hold other pods with the same labels. A Deployment of that
    name that another lab (or a person) made is left alone, and this says so.
    """
    name = deployment["metadata"]["name"]
    try:
        previous = lab.read_deployment(namespace, name)
    except ApiError as err:
        if err.status != 404:
            raise
        return
    made_by = (previous.metadata.labels or {}).get(settings.LAB_LABEL)
    if made_by != lab_name:
        who = f"lab {made_by}" if made_by else "someone else (it has no kslab lab label)"
        raise ApiError(f"namespace {namespace} already has a Deployment {name} made by {who}; lab {lab_name} "
                       "will not replace it", hint=(f"clean that lab up first: clean(lab, {made_by!r})" if made_by
                                                    else f"kubectl -n {namespace} delete deployment {name}"))
    sets = {rs.metadata.name for rs in lab.list_replica_sets(namespace, label_selector=_selector(deployment))
            if _owned_by(rs, "Deployment", {name})}
    old_pods = [pod.metadata.name for pod in
                lab.list_pods(namespace, label_selector=_selector(deployment))
                if _owned_by(pod, "ReplicaSet", sets)]
    # Deployment, then its ReplicaSets explicitly, then their pods at once. Left to the garbage
    # collector, a ReplicaSet would replace a pod we delete (taking the hostPort again) in the moment
    # before it goes itself.
    deletions = [(lab.delete_deployment, name)] + [(lab.delete_replica_set, rs) for rs in sorted(sets)]
    for delete, obj_name in deletions:
        try:
            delete(namespace, obj_name)
        except ApiError as err:
            if err.status != 404:
                raise
    for pod_name in old_pods:
        try:
            lab.delete_pod(namespace, pod_name, grace_period_seconds=0)
        except ApiError as err:
            if err.status != 404:
                raise


def _without_host_ports(body: Mapping[str, Any]) -> tuple[dict[str, Any], list[int]]:
    """The Deployment with no ``hostPort`` (and the ports removed): baseline forbids them, and the hack needs none."""
    import copy

    out = copy.deepcopy(dict(body))
    removed = []
    for container in out["spec"]["template"]["spec"].get("containers") or []:
        for port in container.get("ports") or []:
            if "hostPort" in port:
                removed.append(int(port.pop("hostPort")))
    return out, removed


def deploy_and_wait(lab: Lab, obj: Mapping[str, Any], *, namespace: str, lab_name: str,
                    timeout: int = 120) -> Started:
    """Apply a webapp Deployment (schema-validated first) and wait for its newest pod to be Ready.

    Returns the pod's name, or None with the reason when the pod cannot start (e.g. runAsNonRoot
    with a root image) or the rollout is rejected. Raises if nothing happens within ``timeout``.
    """
    from kslab.manifests.validate import require_valid

    lab.require_lab(f"deploying the webapp in {namespace}")
    body = {**obj, "metadata": {**obj["metadata"], "namespace": namespace}}
    require_valid(body)
    note = ""
    if owns_namespaces(lab):
        # The hack is about the security context, not admission (the next section): this namespace admits
        # the 2019 manifests (hostPort) even where the cluster's default enforces baseline, and warns.
        lab_namespace(lab, namespace, lab_name=lab_name, enforce="privileged")
    else:
        # The student's own namespace: not ours to relabel, and a classroom's enforces baseline.
        body, removed = _without_host_ports(body)
        if removed:
            note = (f"hostPort {', '.join(map(str, removed))} left out: your namespace {namespace} is not "
                    "kslab's to relabel, and Pod Security baseline forbids host ports; the hack needs none.")
        ensure_service_account(lab, namespace)
    _remove_previous(lab, namespace, body, lab_name)
    applied = lab.apply(body, lab_id=lab_name)[0]
    generation = int((applied.get("metadata") or {}).get("generation") or 0)

    def started() -> tuple[Started | None, str]:
        pods, refused = _newest_pods(lab, namespace, body, generation)
        last = "no pod yet"
        for pod in pods:
            ready, why = _pod_state(pod)
            if ready:
                return Started(pod.metadata.name, note=note), "Ready"
            if why:
                return Started(None, f"pod {pod.metadata.name} did not start: {why}", note), why
            last = f"pod {pod.metadata.name} is {pod.status.phase}"
        if refused and not pods:
            return Started(None, f"admission refused the pod: {refused}", note, admitted=False), refused
        return None, last

    return wait_until(started, timeout=timeout, what=f"the webapp in {namespace} was not Ready",
                      hint=f"kubectl -n {namespace} describe pods -l app=webapp")


def admit_pod(lab: Lab, pod: Mapping[str, Any], *, namespace: str) -> tuple[bool, str]:
    """Server-side dry-run create of a Pod (or workload) in ``namespace``: ``(admitted, the server's message)``.

    In a namespace shared with the other labs an object of that name may exist (the hack's Deployment
    ``webapp``): the server then answers 409 — *after* admission let it through — so the dry run is
    asked again under another name, to get the answer itself. It may create the pod's ServiceAccount,
    so only on a lab context.
    """
    answer = _dry_run(lab, pod, namespace=namespace)
    return answer.allowed, answer.message


def _dry_run(lab: Lab, pod: Mapping[str, Any], *, namespace: str) -> DryRun:
    """:func:`admit_pod`, with the server's warnings."""
    lab.require_lab(f"a dry run of {pod.get('kind') or 'an object'} in namespace {namespace}")
    ensure_service_account(lab, namespace, (pod.get("spec") or {}).get("serviceAccountName") or "default")
    try:
        return lab.dry_run(pod, namespace=namespace)
    except ApiError as err:
        if err.status != 409:
            raise
    meta = pod.get("metadata") or {}
    return lab.dry_run({**pod, "metadata": {**meta, "name": f"{meta.get('name', 'kslab')}-dry-run"}},
                       namespace=namespace)


def server_minor(lab: Lab) -> str | None:
    """The API server's minor version as a policy version (``v1.33``): its ``latest`` means this."""
    import re

    match = re.match(r"v1\.(\d+)", lab.server_version())
    return f"v1.{match.group(1)}" if match else None


def _describe_labels(labels: Mapping[str, str]) -> str:
    """``enforce=restricted, warn=restricted`` (versions shown when not latest)."""
    from kslab.pss.levels import LEVEL_LABELS, VERSION_LABELS

    parts = []
    for mode, key in LEVEL_LABELS.items():
        if key in labels:
            version = labels.get(VERSION_LABELS[mode], "latest")
            parts.append(f"{mode}={labels[key]}" + ("" if version == "latest" else f" ({version})"))
    return ", ".join(parts) or "no Pod Security labels (the cluster's default: privileged, unless configured)"


def namespace_psa_labels(lab: Lab, namespace: str) -> tuple[dict[str, str], str]:
    """The namespace's Pod Security labels and where they come from: read from the namespace, or —
    when this identity may not read it (a classroom student) — those ``kslab classroom create`` sets."""
    from kslab.classroom.objects import PSA_LEVELS
    from kslab.manifests.namespace import psa_labels

    try:
        labels = dict(lab.read_namespace(namespace).metadata.labels or {})
    except ApiError as err:  # a 403 is an answer
        if err.status != 403:
            raise
        return psa_labels(**PSA_LEVELS), ("as `kslab classroom create` sets them; your identity may not read "
                                          "the namespace to confirm")
    return {k: v for k, v in labels.items() if k.startswith("pod-security.kubernetes.io/")}, "read from the namespace"


@dataclass(frozen=True)
class InYourNamespace:
    """Pod Security for an identity that may not label namespaces: kslab's prediction for the labels
    asked about, and the API server's real answer in the identity's own namespace — each labelled."""

    asked: str
    predicted: Any  # kslab.pss.admission.Answer
    namespace: str
    enforced: str
    observed: Any

    @property
    def allowed(self) -> bool:
        """The answer to the question asked (the labels asked about): predicted."""
        return bool(self.predicted.allowed)

    def __str__(self) -> str:
        return "\n".join([f"In a namespace labelled {self.asked}:", str(self.predicted), "",
                          f"In your namespace {self.namespace} ({self.enforced}):", str(self.observed)])

    __repr__ = __str__


def admission(lab: Lab, obj: Mapping[str, Any], labels: Mapping[str, str], *, namespace: str | None = None,
              lab_name: str = "03") -> Any:
    """What the API server answers to creating ``obj`` in a namespace labelled ``labels``.

    Offline: kslab's evaluator, labelled as a prediction. Live: the namespace (``kslab-03-psa``) is
    created with those labels and the real API server is asked with a server-side dry run (nothing is
    stored). An identity that may not create or label namespaces (a classroom student) gets an
    :class:`InYourNamespace`: the evaluator's prediction for ``labels``, and the API server's dry-run
    answer in their own namespace under the labels it already has.
    """
    from dataclasses import replace

    from kslab.pss.admission import answer

    if not lab.live:
        return answer(obj, labels)
    lab.require_lab("creating a lab namespace with Pod Security labels")
    namespace = namespace or lab.namespace_for(PSA_NAMESPACE)
    if not owns_namespaces(lab):
        own, where = namespace_psa_labels(lab, namespace)
        seen = _dry_run(lab, obj, namespace=namespace)
        predicted = replace(answer(obj, labels), source="predicted by kslab's evaluator: your identity may not "
                                                        "label a namespace to ask the API server")
        return InYourNamespace(_describe_labels(labels), predicted, namespace, f"{_describe_labels(own)}; {where}",
                               _observed(seen))
    lab.apply({"apiVersion": "v1", "kind": "Namespace",
               "metadata": {"name": namespace, "labels": dict(labels)}}, lab_id=lab_name)
    # Pod Security reads namespaces from the API server's cache: give it a moment to see new labels.
    time.sleep(NAMESPACE_SETTLE_SECONDS)
    return _observed(_dry_run(lab, obj, namespace=namespace))


def _observed(seen: DryRun) -> Any:
    """The API server's dry-run answer as an :class:`~kslab.pss.admission.Answer`, warnings kept."""
    from kslab.pss.admission import OBSERVED, Answer

    return Answer(seen.allowed, "" if seen.allowed else _from_pods(seen.message), seen.warnings, OBSERVED)


def _from_pods(message: str) -> str:
    """The server's refusal from ``pods "name" is forbidden: …`` on (what kubectl prints after "Error from server")."""
    start = message.find("pods \"")
    return message[start if start >= 0 else 0:]
