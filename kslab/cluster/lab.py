"""The one interface between the labs and a cluster.

A :class:`Lab` knows its mode (live or offline), its context and whether labs may change that
context. Its methods are the only cluster I/O in kslab. What a lab does as a whole lives here (apply
labelled objects, dry runs, delete by label, port-forwards, the component configurations); the verbs
named as the Kubernetes client names them (``list_nodes``, ``read_pod``, ``create_namespace`` …), which
return the client's models (``V1Pod`` …) or dicts, live in :mod:`kslab.cluster.verbs`, one module per
part of the API; the mode, the guard rails and the client in :mod:`kslab.cluster.lab_base`. Each
request has a time limit (the client's default, see :func:`kslab.cluster.client.with_default_timeout`,
or the call's own) and any failure becomes one :class:`~kslab.errors.ApiError`
(:func:`~kslab.cluster.api_errors.api_call`). The client object is private to ``kslab/cluster/``
(``_client``, ``_core``, ``_apps``, ``_dynamic``): no verb hands it out.

Guard rails: anything that creates or attacks calls :meth:`Lab.require_lab` (the progress mirror's
ConfigMap writes, which a student's kernel makes, only :meth:`Lab.require_live`), anything that needs
a cluster calls :meth:`Lab.require_live`.

Offline, a Lab does no I/O at all; the labs use the same pure functions and label their results
as *predicted*.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kslab import settings
from kslab.cluster.api_errors import api_call, api_error, status_of, warning_texts
from kslab.cluster.verbs.any_kind import AnyKindVerbs
from kslab.cluster.verbs.apps import AppsVerbs
from kslab.cluster.verbs.auth import AuthVerbs
from kslab.cluster.verbs.core import CoreVerbs
from kslab.cluster.verbs.custom import CustomVerbs
from kslab.cluster.verbs.pods import ExecResult, PodVerbs
from kslab.cluster.verbs.rbac import RbacVerbs
from kslab.course.cleanup import CLEANUP_KINDS
from kslab.errors import ApiError, NotALabContext
from kslab.rbac.tokens import Token
from kslab.views.styles import GOOD, NEUTRAL

if TYPE_CHECKING:
    from kslab.cluster.components import Visible

__all__ = ["CLEANUP_KINDS", "ExecResult", "Lab", "Token", "api_error"]

#: Seconds to wait for a namespace that an earlier clean-up is still deleting.
NAMESPACE_DELETE_WAIT = 180.0


@dataclass(frozen=True)
class Connection:
    """Where a Lab's client connects and what it trusts (never its credentials): what a kubeconfig made
    for someone else on the same cluster needs."""

    server: str
    #: The CA the kubeconfig names (PEM), or None when it relies on the system's trust store.
    ca_pem: bytes | None
    insecure: bool = False
    tls_server_name: str | None = None


@dataclass(frozen=True)
class DryRun:
    """The API server's answer to a server-side dry run: admitted or not, its message, its warnings."""

    allowed: bool
    message: str
    warnings: tuple[str, ...] = ()


class Lab(CoreVerbs, PodVerbs, AppsVerbs, RbacVerbs, CustomVerbs, AnyKindVerbs, AuthVerbs):
    """The student's lab: mode, context and every cluster operation the course performs.

    What a lab does as a whole is here; the per-kind verbs it inherits are in :mod:`kslab.cluster.verbs`.
    """

    @cached_property
    def namespace(self) -> str | None:
        """The namespace the kubeconfig context names (in a classroom: the student's own), or None."""
        from kslab.cluster.kubeconfig import read_kubeconfig

        if not self.context:
            return None
        details = read_kubeconfig(settings.kubeconfig_paths()).details.get(self.context, {})
        return details.get("namespace") or None

    @cached_property
    def may_create_namespaces(self) -> bool:
        """Whether this identity may create namespaces (a classroom student may not)."""
        return self.access_review("create", "namespaces")[0]

    def namespace_for(self, wanted: str) -> str:
        """Where a lab works that would like a namespace of its own named ``wanted``.

        There, when this identity may create namespaces; otherwise in the context's namespace (a
        classroom student works in theirs). Offline, ``wanted``.

        >>> from kslab.cluster.modes import ModeChoice
        >>> Lab(ModeChoice("offline", None, False, "offline")).namespace_for("kslab-03")
        'kslab-03'
        """
        if not self.live or self.may_create_namespaces:
            return wanted
        if self.namespace:
            return self.namespace
        raise NotALabContext(
            f"this lab needs a namespace, and your identity on {self.context} may not create one "
            "and your kubeconfig names none",
            hint="ask your instructor for a kubeconfig whose context names your namespace")

    def describe(self) -> str:
        """One sentence: the mode, the context and why."""
        if self.live:
            kind = "a lab context" if self.lab_context else "read-only for labs (not a lab context)"
            return f"live on context {self.context} ({kind}): {self.reason}"
        return (f"offline: {self.reason}. Results are computed locally; what only a cluster can show "
                "is marked as predicted.")

    def __repr__(self) -> str:
        return f"Lab({self.describe()})"

    def _repr_html_(self) -> str:
        colour = GOOD if self.live else NEUTRAL
        return (f'<div style="border-left:4px solid {colour};padding:2px 8px"><b>kslab: '
                f"{self.mode.upper()}</b> — {html.escape(self.describe())}</div>")

    def server_version(self) -> str:
        """The API server's version, e.g. ``v1.34.0``."""
        from kubernetes import client

        with api_call("reading the server version"):
            return str(client.VersionApi(self._client).get_code().git_version)

    @property
    def connection(self) -> Connection:
        """Where this Lab connects (server URL, the CA it trusts, TLS settings), without its credentials."""
        cfg = self._client.configuration
        ca: bytes | None = None
        if getattr(cfg, "ca_cert_data", None):
            data = cfg.ca_cert_data
            ca = data.encode() if isinstance(data, str) else bytes(data)
        elif cfg.ssl_ca_cert and Path(cfg.ssl_ca_cert).is_file():
            ca = Path(cfg.ssl_ca_cert).read_bytes()
        return Connection(str(cfg.host), ca, not cfg.verify_ssl, getattr(cfg, "tls_server_name", None))

    def pooled(self, workers: int) -> Lab:
        """This Lab with a connection pool as large as ``workers`` (the client keeps 5 per CPU by
        default; threads beyond that would each open and drop a TLS connection); itself when it has one."""
        import copy

        from kubernetes import client

        from kslab.cluster.client import PROBE_TIMEOUT, with_default_timeout

        cfg = copy.deepcopy(self._client.configuration)
        if cfg.connection_pool_maxsize >= workers:
            return self
        cfg.connection_pool_maxsize = workers
        api = with_default_timeout(client.ApiClient(cfg), connect=PROBE_TIMEOUT, read=settings.request_timeout())
        return Lab(self.choice, api_client=api)

    def apiserver_config(self, *, namespace: str = "kube-system") -> Visible:
        """The live kube-apiserver's command line, or why it cannot be seen (see
        :func:`kslab.cluster.components.apiserver_input`)."""
        from kslab.cluster.components import apiserver_input

        return apiserver_input(self, namespace=namespace)

    def kubelet_config(self, node: str | None = None) -> Visible:
        """A live kubelet's ``/configz``, or why it cannot be read (see
        :func:`kslab.cluster.components.kubelet_input`)."""
        from kslab.cluster.components import kubelet_input

        return kubelet_input(self, node)

    # ---- a lab's objects --------------------------------------------------------------------------------
    @staticmethod
    def labels_for(lab_id: str) -> dict[str, str]:
        """The labels every object lab ``lab_id`` creates carries (clean-up deletes by them)."""
        return {**settings.MANAGED_BY, settings.LAB_LABEL: lab_id}

    def apply(self, objects: Mapping[str, Any] | Iterable[Mapping[str, Any]], *, lab_id: str,
              dry_run: bool = False) -> list[dict[str, Any]]:
        """Server-side apply objects, labelled as lab ``lab_id``'s; returns the objects as stored."""
        self.require_lab(f"lab {lab_id!r}")
        items = [objects] if isinstance(objects, Mapping) else list(objects)
        applied = []
        for obj in items:
            body = json.loads(json.dumps(obj))  # a deep copy we may label
            meta = body.setdefault("metadata", {})
            meta["labels"] = {**(meta.get("labels") or {}), **self.labels_for(lab_id)}
            what = f"applying {body.get('kind')} {meta.get('name')!r}"
            if body.get("kind") == "Namespace" and not dry_run:
                self._wait_namespace_gone_if_terminating(str(meta.get("name")))
            with api_call(what):
                res = self._resource(body["apiVersion"], body["kind"])
                kwargs: dict[str, Any] = {"body": body, "field_manager": settings.FIELD_MANAGER,
                                          "force_conflicts": True}
                if res.namespaced:
                    kwargs["namespace"] = meta.get("namespace") or "default"
                if dry_run:
                    kwargs["dry_run"] = "All"
                applied.append(res.server_side_apply(**kwargs).to_dict())
        return applied

    def _wait_namespace_gone_if_terminating(self, name: str, timeout: float = NAMESPACE_DELETE_WAIT) -> None:
        """A lab run again right after its clean-up finds its namespace still being deleted: wait.

        Nothing can be created in a terminating namespace, and applying it again does not stop the
        deletion, so the only way to re-create it is to let the deletion finish first.
        """
        from kslab.cluster.waiting import wait_until

        def gone() -> tuple[bool | None, str]:
            try:
                ns = self.read_namespace(name)
            except ApiError as err:
                if err.status in (403, 404):
                    return True, "gone"  # gone (or not ours to see): create it
                raise
            if ns.metadata.deletion_timestamp is None:
                return True, "not being deleted"
            return None, "an earlier clean-up; it cannot be re-created until that finishes"

        wait_until(gone, timeout=timeout, what=f"namespace {name} is still being deleted",
                   hint=f"try again in a minute; `kubectl get ns {name} -o yaml` shows what it waits for")

    def admit(self, obj: Mapping[str, Any], *, namespace: str) -> tuple[bool, str]:
        """Ask the API server whether it would admit an object (server-side dry-run create).

        Returns ``(allowed, message)``; the message is the server's, e.g. the Pod Security
        violations. Nothing is stored, so this needs no lab context. :meth:`dry_run` also returns
        the server's warnings.
        """
        answer = self.dry_run(obj, namespace=namespace)
        return answer.allowed, answer.message

    def dry_run(self, obj: Mapping[str, Any], *, namespace: str) -> DryRun:
        """The API server's answer to creating ``obj`` (server-side dry run, nothing stored): admitted or
        not, its message, and the warnings it sent back (``Warning`` headers, what kubectl prints as
        ``Warning: would violate PodSecurity "restricted:latest": ...``)."""
        self.require_live("a server-side dry run")
        body = json.loads(json.dumps(obj))
        body.setdefault("metadata", {})["namespace"] = namespace
        try:
            with api_call(f"dry-run create of {body.get('kind')}"):
                resp = self._resource(body["apiVersion"], body["kind"]).create(
                    body=body, namespace=namespace, dry_run="All", serialize=False)
        except ApiError as err:
            if err.status in (400, 403, 422):
                return DryRun(False, err.server_message)
            raise
        headers: Any = getattr(resp, "headers", None)
        values = headers.getlist("Warning") if hasattr(headers, "getlist") else []
        return DryRun(True, "admitted", warning_texts(values))

    def delete_lab(self, lab_id: str | None, *, namespaces_only: bool = False) -> list[str]:
        """Delete everything carrying lab ``lab_id``'s labels (idempotent); returns what was deleted.

        ``lab_id=None`` deletes what every lab created (all objects labelled managed-by kslab), except a
        classroom's own objects (``kslab classroom delete`` removes those). An identity that may not
        list across namespaces (a classroom student) cleans up in its context's namespace.
        Objects already being deleted (a Terminating namespace) are left to finish, not counted.
        """
        from kubernetes.dynamic.exceptions import ResourceNotFoundError

        from kslab.cluster.cleanup import selector as cleanup_selector

        self.require_lab(f"cleaning up lab {lab_id!r}" if lab_id else "cleaning up every lab")
        selector = cleanup_selector(lab_id)
        deleted = []
        kinds = [k for k in CLEANUP_KINDS if k[1] == "Namespace"] if namespaces_only else CLEANUP_KINDS
        for api_version, kind, namespaced in kinds:
            try:
                with api_call(f"listing {kind}s of lab {lab_id!r}"):
                    try:
                        res = self._resource(api_version, kind)
                    except ResourceNotFoundError:
                        continue  # not served here (e.g. Istio not installed): nothing of ours can exist
                    found = self._list_labelled(res, selector, namespaced)
            except ApiError as err:
                if err.status in (403, 404):
                    continue  # not allowed to list that kind: it cannot be ours
                raise
            for item in found.items:
                if item.metadata.deletionTimestamp:
                    continue
                ns = item.metadata.namespace
                try:
                    with api_call(f"deleting {kind} {item.metadata.name}"):
                        # Background: dependents (a Job's pods, a Deployment's ReplicaSets) go too.
                        res.delete(name=item.metadata.name, namespace=ns if namespaced else None,
                                   propagation_policy="Background")
                    deleted.append(f"{kind}/{ns + '/' if ns else ''}{item.metadata.name}")
                except ApiError as err:
                    # 404: gone meanwhile; 409: already being deleted. Either way not ours to do.
                    if err.status not in (404, 409):
                        raise
        return deleted

    def _list_labelled(self, res: Any, selector: str, namespaced: bool) -> Any:
        """Objects of one kind with these labels: in every namespace, or — when that is forbidden —
        in the context's namespace (all a namespace-scoped identity can have created)."""
        try:
            return res.get(label_selector=selector, namespace=None)
        except Exception as exc:  # noqa: BLE001 - re-raised unless a 403 for a namespaced kind
            if not (namespaced and self.namespace and status_of(exc) == 403):
                raise
        return res.get(label_selector=selector, namespace=self.namespace)

    # ---- port-forwards: open until the lab's clean-up ------------------------------------------
    def port_forward(self, namespace: str, pod: str, port: int, *, timeout: float = 10.0) -> Any:
        """Forward a port of a pod to 127.0.0.1 (like ``kubectl port-forward``); open until
        :meth:`close_port_forwards` (the lab's clean-up). Returns a
        :class:`~kslab.cluster.portforward.PortForward` whose ``url`` the browser can open."""
        from kslab.cluster.portforward import to_pod

        self.require_lab("a port-forward to a pod")
        forward = to_pod(self, namespace, pod, port, timeout=timeout)
        self._forwards.append(forward)
        return forward

    def close_port_forwards(self) -> list[str]:
        """Close every port-forward this lab opened; returns their URLs."""
        closed = []
        while self._forwards:
            forward = self._forwards.pop()
            forward.close()
            closed.append(forward.url)
        return closed
