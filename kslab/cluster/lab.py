"""The one interface between the labs and a cluster.

A :class:`Lab` knows its mode (live or offline), its context and whether labs may change that
context. Its methods are the only cluster I/O in kslab: apply, delete by label, wait, exec, tokens,
access reviews, and verbs named as the Kubernetes client names them (``list_nodes``, ``read_pod``,
``create_namespace``, ``list_config_maps`` …) that return the client's models (``V1Pod`` …), or dicts
for kinds read through API discovery. Each request has a time limit (the client's default, see
:func:`kslab.cluster.client.with_default_timeout`, or the call's own) and any failure becomes one
:class:`~kslab.errors.ApiError` (:func:`~kslab.cluster.api_errors.api_call`). The client object is
private to ``kslab/cluster/`` (``_client``, ``_core``, ``_apps``, ``_dynamic``): no verb hands it out.

Guard rails live here: anything that creates or attacks calls :meth:`Lab.require_lab` (the progress
mirror's ConfigMap writes, which a student's kernel makes, only :meth:`Lab.require_live`), anything
that needs a cluster calls :meth:`Lab.require_live`.

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
from kslab.cluster.modes import ModeChoice
from kslab.course.cleanup import CLEANUP_KINDS
from kslab.errors import ApiError, NotALabContext, OfflineOnly
from kslab.rbac.model import UserInfo
from kslab.rbac.tokens import Token
from kslab.views.styles import GOOD, NEUTRAL

if TYPE_CHECKING:
    from kslab.cluster.components import Visible

__all__ = ["CLEANUP_KINDS", "ExecResult", "Lab", "Token", "api_error"]

#: Seconds to wait for a namespace that an earlier clean-up is still deleting.
NAMESPACE_DELETE_WAIT = 180.0


def _timeout(seconds: float | tuple[float, float] | None) -> dict[str, Any]:
    """The client's per-call timeout argument, when a call wants its own instead of the usual one.

    >>> _timeout(None), _timeout(5), _timeout((3, 5))
    ({}, {'_request_timeout': (5, 5)}, {'_request_timeout': (3, 5)})
    """
    if seconds is None:
        return {}
    return {"_request_timeout": seconds if isinstance(seconds, tuple) else (seconds, seconds)}


@dataclass(frozen=True)
class ExecResult:
    """What a command run in a container returned."""

    returncode: int
    stdout: str
    stderr: str


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


class Lab:
    """The student's lab: mode, context and every cluster operation the course performs."""

    def __init__(self, choice: ModeChoice, api_client: Any = None) -> None:
        self.choice = choice
        self._api = api_client
        self._forwards: list[Any] = []  # PortForwards this lab opened; close_port_forwards() ends them

    # ---- what we are connected to -------------------------------------------------------------
    @property
    def mode(self) -> str:
        return self.choice.mode

    @property
    def live(self) -> bool:
        return self.choice.mode == "live"

    @property
    def context(self) -> str | None:
        return self.choice.context

    @property
    def lab_context(self) -> bool:
        return self.choice.lab_context

    @property
    def reason(self) -> str:
        return self.choice.reason

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

    # ---- guard rails ----------------------------------------------------------------------------
    def require_live(self, what: str) -> None:
        """Raise :class:`OfflineOnly` unless live."""
        if not self.live:
            raise OfflineOnly(f"{what} needs a live cluster; kslab is offline ({self.reason})")

    def require_lab(self, what: str) -> None:
        """Raise unless live *and* on a lab context (the course's cluster, or one named explicitly)."""
        self.require_live(what)
        if not self.lab_context:
            raise NotALabContext(
                f"{what} creates, deletes or attacks things, and context {self.context!r} is not a lab context",
                hint=f"if {self.context!r} is a cluster you may break, opt in with "
                     f"KSLAB_CONTEXT={self.context} or kslab.connect(context={self.context!r})")

    # ---- the client (only kslab/cluster/ reaches it; everything else calls the verbs below) ----------
    @property
    def _client(self) -> Any:
        """The ApiClient for this context (live only). Private: the labs use Lab's verbs."""
        self.require_live("talking to the API server")
        if self._api is None:
            from kslab.cluster.client import api_client_for

            self._api = api_client_for(self.context or "")
        return self._api

    @cached_property
    def _core(self) -> Any:
        from kubernetes import client

        return client.CoreV1Api(self._client)

    @cached_property
    def _apps(self) -> Any:
        from kubernetes import client

        return client.AppsV1Api(self._client)

    @cached_property
    def _dynamic(self) -> Any:
        from kubernetes.dynamic import DynamicClient

        return DynamicClient(self._client)

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

    def raw(self, path: str, *, method: str = "GET", query: tuple[tuple[str, str], ...] = (),
            body: Any = None, timeout: float = 10) -> tuple[int, Any]:
        """One HTTP request to the API server with this Lab's credentials (``kubectl get --raw PATH``);
        returns ``(status, decoded JSON or text)`` — a refusal is an answer here, not an error."""
        self.require_live(f"{method} {path}")
        api = self._client
        with api_call(f"{method} {path}"):
            serialized = api.param_serialize(method, path, query_params=list(query),
                                             header_params={"Accept": "application/json",
                                                            "Content-Type": "application/json"},
                                             body=body, auth_settings=["BearerToken"])
            resp = api.call_api(*serialized, _request_timeout=timeout)
            data = resp.read() or b""
        try:
            return resp.status, json.loads(data)
        except ValueError:
            return resp.status, data.decode("utf-8", "replace")

    def self_subject_review(self) -> UserInfo | None:
        """Who the API server thinks this Lab is (SelfSubjectReview, ``kubectl auth whoami``), or None
        when it cannot say (servers before Kubernetes 1.28)."""
        from kubernetes import client

        self.require_live("asking who this identity is")
        try:
            with api_call("SelfSubjectReview"):
                res = client.AuthenticationV1Api(self._client).create_self_subject_review(client.V1SelfSubjectReview())
                info = res.status.user_info
                return UserInfo(info.username or "", tuple(info.groups or ()))
        except ApiError:  # older servers lack the API; the caller says "you"
            return None

    # ---- reading the cluster ----------------------------------------------------------------------
    def list_nodes(self) -> list[Any]:
        """The cluster's nodes (``V1Node``); :class:`ApiError` with status 403 for an identity that may
        not list them (a classroom student)."""
        self.require_live("listing nodes")
        with api_call("listing nodes"):
            return list(self._core.list_node().items)

    def node_proxy(self, node: str, path: str, *, timeout: float | tuple[float, float] | None = (5, 10)) -> bytes:
        """What a node's kubelet answers at ``path`` through the API server's node proxy (``kubectl get
        --raw /api/v1/nodes/NODE/proxy/PATH``), e.g. ``lab.node_proxy("kind-control-plane", "configz")``."""
        self.require_live(f"reading /{path} of node {node}")
        with api_call(f"reading /{path} of node {node}"):
            resp = self._core.connect_get_node_proxy_with_path(node, path, _preload_content=False,
                                                               **_timeout(timeout))
            return bytes(resp.data)

    def list_pods(self, namespace: str, *, label_selector: str = "") -> list[Any]:
        """The pods of one namespace (``V1Pod``), optionally only those matching ``label_selector``."""
        self.require_live("listing pods")
        with api_call(f"listing pods in {namespace}"):
            return list(self._core.list_namespaced_pod(namespace, label_selector=label_selector).items)

    def create_pod(self, namespace: str, body: Any) -> Any:
        """Create a pod from a ``V1Pod`` or its manifest as a dict; returns it as stored (``V1Pod``)."""
        self.require_lab("creating a pod")
        with api_call(f"creating a pod in {namespace}"):
            return self._core.create_namespaced_pod(namespace, body)

    def read_pod(self, namespace: str, name: str) -> Any:
        """One pod (``V1Pod``); :class:`ApiError` with status 404 when there is none."""
        self.require_live(f"reading pod {name}")
        with api_call(f"reading pod {namespace}/{name}"):
            return self._core.read_namespaced_pod(name, namespace)

    def read_pod_log(self, namespace: str, name: str, *, container: str | None = None,
                     limit_bytes: int | None = None, timeout: float | tuple[float, float] | None = None) -> str:
        """A pod's log (``kubectl logs``), at most ``limit_bytes`` of it."""
        self.require_live(f"reading the log of pod {namespace}/{name}")
        kwargs: dict[str, Any] = _timeout(timeout)
        if container:
            kwargs["container"] = container
        if limit_bytes is not None:
            kwargs["limit_bytes"] = limit_bytes
        with api_call(f"reading the log of pod {namespace}/{name}"):
            return str(self._core.read_namespaced_pod_log(name, namespace, **kwargs))

    def delete_pod(self, namespace: str, name: str, *, grace_period_seconds: int | None = None) -> None:
        """Delete one pod (``kubectl delete pod --grace-period``); its controller makes the next one."""
        self.require_lab(f"deleting pod {name}")
        kwargs: dict[str, Any] = {}
        if grace_period_seconds is not None:
            kwargs["grace_period_seconds"] = grace_period_seconds
        with api_call(f"deleting pod {namespace}/{name}"):
            self._core.delete_namespaced_pod(name, namespace, **kwargs)

    def patch_pod_ephemeral_containers(self, namespace: str, name: str, body: Mapping[str, Any]) -> Any:
        """Add ephemeral containers to a running pod (its ``ephemeralcontainers`` subresource, what
        ``kubectl debug`` patches); returns the pod (``V1Pod``)."""
        self.require_lab("adding an ephemeral container")
        with api_call(f"adding an ephemeral container to pod {namespace}/{name}"):
            return self._core.patch_namespaced_pod_ephemeralcontainers(name, namespace, body)

    # ---- namespaces -------------------------------------------------------------------------------
    def create_namespace(self, name: str, *, labels: Mapping[str, str] | None = None) -> Any:
        """Create a namespace with these labels; returns it (``V1Namespace``)."""
        self.require_lab(f"creating namespace {name}")
        body = {"apiVersion": "v1", "kind": "Namespace",
                "metadata": {"name": name, "labels": dict(labels or {})}}
        with api_call(f"creating namespace {name}"):
            return self._core.create_namespace(body)

    def read_namespace(self, name: str) -> Any:
        """One namespace (``V1Namespace``); :class:`ApiError` with status 404 when there is none."""
        self.require_live(f"reading namespace {name}")
        with api_call(f"reading namespace {name}"):
            return self._core.read_namespace(name)

    def list_namespaces(self, *, label_selector: str = "", field_selector: str = "") -> list[Any]:
        """The namespaces (``V1Namespace``) matching the selectors."""
        self.require_live("listing namespaces")
        with api_call("listing namespaces"):
            return list(self._core.list_namespace(label_selector=label_selector,
                                                  field_selector=field_selector).items)

    def patch_namespace(self, name: str, patch: Mapping[str, Any]) -> Any:
        """Apply a strategic-merge patch to a namespace (e.g. its Pod Security labels); returns it."""
        self.require_lab(f"changing namespace {name}")
        with api_call(f"changing namespace {name}"):
            return self._core.patch_namespace(name, dict(patch))

    def delete_namespace(self, name: str) -> None:
        """Delete a namespace and everything in it (the API server finishes in the background)."""
        self.require_lab(f"deleting namespace {name}")
        with api_call(f"deleting namespace {name}"):
            self._core.delete_namespace(name)

    # ---- config maps, secrets, service accounts, quotas, deployments -------------------------------
    def read_config_map(self, namespace: str, name: str, *, timeout: float | tuple[float, float] | None = None) -> Any:
        """One ConfigMap (``V1ConfigMap``); ``timeout`` seconds instead of the usual request timeout."""
        self.require_live(f"reading configmap {name}")
        with api_call(f"reading configmap {namespace}/{name}"):
            return self._core.read_namespaced_config_map(name, namespace, **_timeout(timeout))

    def list_config_maps(self, namespace: str | None = None, *, label_selector: str = "",
                         timeout: float | tuple[float, float] | None = None) -> list[Any]:
        """The ConfigMaps (``V1ConfigMap``) of one namespace, or of all with ``namespace=None``."""
        self.require_live("listing configmaps")
        with api_call(f"listing configmaps in {namespace or 'every namespace'}"):
            if namespace is None:
                found = self._core.list_config_map_for_all_namespaces(label_selector=label_selector,
                                                                      **_timeout(timeout))
            else:
                found = self._core.list_namespaced_config_map(namespace, label_selector=label_selector,
                                                              **_timeout(timeout))
            return list(found.items)

    def create_config_map(self, namespace: str, body: Any, *, timeout: float | tuple[float, float] | None = None) -> Any:
        """Create a ConfigMap (``V1ConfigMap`` or a dict); returns it as stored."""
        self.require_live("creating a configmap")
        with api_call(f"creating a configmap in {namespace}"):
            return self._core.create_namespaced_config_map(namespace, body, **_timeout(timeout))

    def replace_config_map(self, namespace: str, name: str, body: Any, *, timeout: float | tuple[float, float] | None = None) -> Any:
        """Replace a ConfigMap (an update: 409 when its resourceVersion moved meanwhile)."""
        self.require_live("writing a configmap")
        with api_call(f"writing configmap {namespace}/{name}"):
            return self._core.replace_namespaced_config_map(name, namespace, body, **_timeout(timeout))

    def delete_config_map(self, namespace: str, name: str) -> None:
        """Delete one ConfigMap."""
        self.require_lab(f"deleting configmap {name}")
        with api_call(f"deleting configmap {namespace}/{name}"):
            self._core.delete_namespaced_config_map(name, namespace)

    def list_secrets(self, namespace: str | None, *, label_selector: str = "") -> list[Any]:
        """The secrets (``V1Secret``) of one namespace, or of all with ``namespace=None``;
        :class:`ApiError` with status 403 for an identity that may not list them."""
        self.require_live("listing secrets")
        with api_call(f"listing secrets in {namespace or 'every namespace'}"):
            if namespace is None:
                return list(self._core.list_secret_for_all_namespaces(label_selector=label_selector).items)
            return list(self._core.list_namespaced_secret(namespace, label_selector=label_selector).items)

    def read_secret(self, namespace: str, name: str) -> Any:
        """One secret (``V1Secret``; its data stays base64, shown nowhere by kslab)."""
        self.require_live(f"reading secret {name}")
        with api_call(f"reading secret {namespace}/{name}"):
            return self._core.read_namespaced_secret(name, namespace)

    def delete_secret(self, namespace: str, name: str) -> None:
        """Delete one secret."""
        self.require_lab(f"deleting secret {name}")
        with api_call(f"deleting secret {namespace}/{name}"):
            self._core.delete_namespaced_secret(name, namespace)

    def read_service_account(self, namespace: str, name: str) -> Any:
        """One service account (``V1ServiceAccount``)."""
        self.require_live(f"reading serviceaccount {name}")
        with api_call(f"reading serviceaccount {namespace}/{name}"):
            return self._core.read_namespaced_service_account(name, namespace)

    def create_service_account(self, namespace: str, body: Any) -> Any:
        """Create a service account (``V1ServiceAccount`` or a dict); returns it as stored."""
        self.require_lab("creating a serviceaccount")
        with api_call(f"creating a serviceaccount in {namespace}"):
            return self._core.create_namespaced_service_account(namespace, body)

    def read_resource_quota(self, namespace: str, name: str) -> Any:
        """One ResourceQuota (``V1ResourceQuota``)."""
        self.require_live(f"reading resourcequota {name}")
        with api_call(f"reading resourcequota {namespace}/{name}"):
            return self._core.read_namespaced_resource_quota(name, namespace)

    def read_deployment(self, namespace: str, name: str) -> Any:
        """One Deployment (``V1Deployment``); :class:`ApiError` with status 404 when there is none."""
        self.require_live(f"reading deployment {name}")
        with api_call(f"reading deployment {namespace}/{name}"):
            return self._apps.read_namespaced_deployment(name, namespace)

    def list_replica_sets(self, namespace: str, *, label_selector: str = "") -> list[Any]:
        """The ReplicaSets (``V1ReplicaSet``) of one namespace matching ``label_selector``."""
        self.require_live("listing replicasets")
        with api_call(f"listing replicasets in {namespace}"):
            return list(self._apps.list_namespaced_replica_set(namespace, label_selector=label_selector).items)

    def delete_deployment(self, namespace: str, name: str) -> None:
        """Delete a Deployment; its ReplicaSets and pods follow in the background."""
        self.require_lab(f"deleting deployment {name}")
        with api_call(f"deleting deployment {namespace}/{name}"):
            self._apps.delete_namespaced_deployment(name, namespace, propagation_policy="Background")

    def delete_replica_set(self, namespace: str, name: str) -> None:
        """Delete a ReplicaSet; its pods follow in the background."""
        self.require_lab(f"deleting replicaset {name}")
        with api_call(f"deleting replicaset {namespace}/{name}"):
            self._apps.delete_namespaced_replica_set(name, namespace, propagation_policy="Background")

    def read_custom_resource_definition(self, name: str) -> Any:
        """One CRD (``V1CustomResourceDefinition``), e.g. ``peerauthentications.security.istio.io``."""
        self.require_live(f"reading CRD {name}")
        with api_call(f"reading CRD {name}"):
            from kubernetes import client

            return client.ApiextensionsV1Api(self._client).read_custom_resource_definition(name)

    def list_custom_objects(self, group: str, version: str, plural: str, *,
                            namespace: str | None = None) -> list[dict[str, Any]]:
        """Custom objects (dicts, as the API server sends them) of one namespace, or of all with
        ``namespace=None``; e.g. ``lab.list_custom_objects("security.istio.io", "v1", "peerauthentications")``."""
        self.require_live(f"listing {plural}")
        with api_call(f"listing {plural} in {namespace or 'every namespace'}"):
            from kubernetes import client

            api = client.CustomObjectsApi(self._client)
            if namespace is None:
                found = api.list_cluster_custom_object(group, version, plural)
            else:
                found = api.list_namespaced_custom_object(group, version, namespace, plural)
            return list(found["items"])

    def create_custom_object(self, group: str, version: str, plural: str, namespace: str,
                             body: Mapping[str, Any]) -> dict[str, Any]:
        """Create a custom object in a namespace; returns it as stored."""
        self.require_lab(f"creating a {plural} object")
        with api_call(f"creating a {plural} object in {namespace}"):
            from kubernetes import client

            return dict(client.CustomObjectsApi(self._client).create_namespaced_custom_object(
                group, version, namespace, plural, dict(body)))

    def serves(self, api_version: str, kind: str) -> bool:
        """Whether the API server serves this kind (API discovery, which every identity may ask), e.g.
        ``lab.serves("security.istio.io/v1", "PeerAuthentication")`` once Istio's CRDs are installed.

        Asked afresh every time: the dynamic client's discovery cache is a file shared by every process
        on the machine and keeps a kind for a while after its CRD was deleted."""
        path = f"/apis/{api_version}" if "/" in api_version else f"/api/{api_version}"
        status, body = self.raw(path, timeout=settings.request_timeout())
        if status == 404:
            return False
        if status != 200 or not isinstance(body, dict):
            raise ApiError(f"API discovery of {api_version}: HTTP {status}", status=status,
                           hint="check the API server with: kubectl api-versions")
        return any(isinstance(r, dict) and r.get("kind") == kind and "/" not in str(r.get("name", ""))
                   for r in body.get("resources") or [])

    # ---- RBAC objects ----------------------------------------------------------------------------
    @cached_property
    def _rbac(self) -> Any:
        from kubernetes import client

        return client.RbacAuthorizationV1Api(self._client)

    def list_roles(self, namespace: str | None = None) -> list[Any]:
        """The Roles (``V1Role``) of one namespace, or of all with ``namespace=None``."""
        self.require_live("listing roles")
        with api_call(f"listing Roles in {namespace or 'every namespace'}"):
            if namespace is None:
                return list(self._rbac.list_role_for_all_namespaces().items)
            return list(self._rbac.list_namespaced_role(namespace).items)

    def list_role_bindings(self, namespace: str | None = None) -> list[Any]:
        """The RoleBindings (``V1RoleBinding``) of one namespace, or of all with ``namespace=None``."""
        self.require_live("listing rolebindings")
        with api_call(f"listing RoleBindings in {namespace or 'every namespace'}"):
            if namespace is None:
                return list(self._rbac.list_role_binding_for_all_namespaces().items)
            return list(self._rbac.list_namespaced_role_binding(namespace).items)

    def list_cluster_roles(self) -> list[Any]:
        """The ClusterRoles (``V1ClusterRole``)."""
        self.require_live("listing clusterroles")
        with api_call("listing ClusterRoles"):
            return list(self._rbac.list_cluster_role().items)

    def list_cluster_role_bindings(self) -> list[Any]:
        """The ClusterRoleBindings (``V1ClusterRoleBinding``)."""
        self.require_live("listing clusterrolebindings")
        with api_call("listing ClusterRoleBindings"):
            return list(self._rbac.list_cluster_role_binding().items)

    # ---- any kind, through API discovery ------------------------------------------------------------
    def list_objects(self, api_version: str, kind: str, *, namespace: str | None = None,
                     label_selector: str = "") -> list[Any]:
        """Objects of any kind (the dynamic client's, read as attributes: ``item.metadata.name``), in one
        namespace or, with ``namespace=None``, in all."""
        self.require_live(f"listing {kind}s")
        with api_call(f"listing {kind}s in {namespace or 'every namespace'}"):
            found = self._resource(api_version, kind).get(label_selector=label_selector, namespace=namespace)
            return list(found.items)

    def create(self, obj: Mapping[str, Any], *, namespace: str | None = None) -> dict[str, Any]:
        """Create one object of any kind as it is (no lab labels: :meth:`apply` is the labs' way);
        returns it as stored. In ``namespace`` for a namespaced kind."""
        body = json.loads(json.dumps(obj))
        self.require_lab(f"creating {body.get('kind')} {(body.get('metadata') or {}).get('name')!r}")
        with api_call(f"creating {body.get('kind')} {(body.get('metadata') or {}).get('name')!r}"):
            res = self._resource(body["apiVersion"], body["kind"])
            created = res.create(body=body, namespace=namespace) if res.namespaced else res.create(body=body)
            return dict(created.to_dict())

    def delete_object(self, api_version: str, kind: str, name: str, *, namespace: str | None = None) -> None:
        """Delete one object of any kind; what it owns goes in the background."""
        self.require_lab(f"deleting {kind} {name}")
        with api_call(f"deleting {kind} {name}"):
            self._resource(api_version, kind).delete(name=name, namespace=namespace,
                                                     propagation_policy="Background")

    def serialize(self, model: Any) -> Any:
        """A client model (``V1Pod``, ``V1SecurityContext`` ...) as the API's JSON: camelCase keys, unset
        fields left out, as ``kubectl get -o json`` shows it; e.g.
        ``lab.serialize(lab.read_pod("kslab-03", "webapp").spec.containers[0].security_context)``."""
        return self._client.sanitize_for_serialization(model)

    def read(self, api_version: str, kind: str, name: str, *, namespace: str | None = None) -> dict[str, Any]:
        """One object as the API server stores it, as a dict (``ApiError`` with status 404 when absent)."""
        self.require_live(f"reading {kind} {name}")
        where = f"{namespace}/{name}" if namespace else name
        with api_call(f"reading {kind} {where}"):
            res = self._resource(api_version, kind)
            obj = res.get(name=name, namespace=namespace) if res.namespaced else res.get(name=name)
            return dict(obj.to_dict())

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

    # ---- objects --------------------------------------------------------------------------------
    @staticmethod
    def labels_for(lab_id: str) -> dict[str, str]:
        """The labels every object lab ``lab_id`` creates carries (clean-up deletes by them)."""
        return {**settings.MANAGED_BY, settings.LAB_LABEL: lab_id}

    def _resource(self, api_version: str, kind: str) -> Any:
        return self._dynamic.resources.get(api_version=api_version, kind=kind)

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
                with api_call(f"reading namespace {name}"):
                    ns = self._core.read_namespace(name)
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

    # ---- pods -------------------------------------------------------------------------------------
    def wait_for_pod(self, namespace: str, label_selector: str, *, timeout: int = 120) -> str:
        """Wait until a pod matching the selector is Ready; returns its name."""
        from kubernetes import watch

        self.require_live("waiting for a pod")

        def ready(pod: Any) -> bool:
            conds = (pod.status and pod.status.conditions) or []
            return pod.metadata.deletion_timestamp is None and \
                any(c.type == "Ready" and c.status == "True" for c in conds)

        with api_call(f"listing pods {label_selector!r} in {namespace}"):
            pods = self._core.list_namespaced_pod(namespace, label_selector=label_selector)
        for pod in pods.items:
            if ready(pod):
                return str(pod.metadata.name)
        w = watch.Watch()
        try:
            # The server ends the watch after timeout_seconds; the client's read timeout bounds a stall.
            with api_call(f"watching pods {label_selector!r} in {namespace}"):
                for event in w.stream(self._core.list_namespaced_pod, namespace,
                                      label_selector=label_selector, timeout_seconds=timeout,
                                      _request_timeout=timeout + 5,
                                      resource_version=pods.metadata.resource_version):
                    if ready(event["object"]):
                        return str(event["object"].metadata.name)
        finally:
            w.stop()
        raise ApiError(f"no pod matching {label_selector!r} in {namespace} became Ready in {timeout}s",
                       hint=f"kubectl -n {namespace} describe pods -l {label_selector}")

    def exec(self, namespace: str, pod: str, command: list[str], *, container: str | None = None,
             timeout: int = 30) -> ExecResult:
        """Run a command in a container (no shell unless the command is one); returns its result."""
        from kubernetes import client
        from kubernetes.stream import stream

        from kslab.cluster.client import api_client_for

        self.require_lab("exec into a pod")
        api = api_client_for(self.context or "")  # stream() swaps the client's request method
        import websocket  # the exec stream's transport: its connection and handshake get the request timeout

        websocket.setdefaulttimeout(settings.request_timeout())
        try:
            kwargs: dict[str, Any] = {"command": command, "stdin": False, "stdout": True,
                                      "stderr": True, "tty": False, "_preload_content": False}
            if container:
                kwargs["container"] = container
            resp = stream(client.CoreV1Api(api).connect_get_namespaced_pod_exec, pod, namespace,
                          **kwargs)
            out, err = [], []
            resp.run_forever(timeout=timeout)
            out.append(resp.read_stdout() or "")
            err.append(resp.read_stderr() or "")
            code = resp.returncode
            resp.close()
            return ExecResult(int(code if code is not None else -1), "".join(out), "".join(err))
        except Exception as exc:  # noqa: BLE001 - the stream's failures (HTTP or websocket) become one line
            raise api_error(exc, f"exec in pod {pod}") from None
        finally:
            api.close()

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

    # ---- identities -------------------------------------------------------------------------------
    def create_token(self, service_account: str, namespace: str, *, expiration_seconds: int = 3600,
                     audiences: list[str] | None = None) -> tuple[Token, str]:
        """A bound token for a service account (TokenRequest); returns ``(token, expires_at)``."""
        from kubernetes import client

        self.require_lab("requesting a service account token")
        spec = client.V1TokenRequestSpec(audiences=audiences or [],
                                          expiration_seconds=expiration_seconds)
        with api_call(f"TokenRequest for {namespace}/{service_account}"):
            res = self._core.create_namespaced_service_account_token(
                service_account, namespace, client.AuthenticationV1TokenRequest(spec=spec))
        return Token(res.status.token), str(res.status.expiration_timestamp)

    def access_review(self, verb: str, resource: str = "", *, group: str = "", namespace: str = "",
                      name: str = "", subresource: str = "", path: str = "", user: str | None = None,
                      groups: list[str] | None = None) -> tuple[bool, str]:
        """Ask the API server's authorizer: may this identity do this? Returns ``(allowed, reason)``.

        With ``user``/``groups`` it is a SubjectAccessReview about someone else; without, a
        SelfSubjectAccessReview about the identity this Lab connects as.
        """
        from kubernetes import client

        self.require_live("an access review")
        if path:
            attrs: dict[str, Any] = {"non_resource_attributes": client.V1NonResourceAttributes(
                path=path, verb=verb)}
        else:
            attrs = {"resource_attributes": client.V1ResourceAttributes(
                verb=verb, group=group, resource=resource, subresource=subresource or None,
                name=name or None, namespace=namespace or None)}
        authz = client.AuthorizationV1Api(self._client)
        with api_call("access review"):
            if user is None and not groups:
                res = authz.create_self_subject_access_review(
                    client.V1SelfSubjectAccessReview(spec=client.V1SelfSubjectAccessReviewSpec(**attrs)))
            else:
                res = authz.create_subject_access_review(client.V1SubjectAccessReview(
                    spec=client.V1SubjectAccessReviewSpec(user=user, groups=groups, **attrs)))
        return bool(res.status.allowed), str(res.status.reason or res.status.evaluation_error or "")
