"""Lab's verbs for the core API's cluster objects: nodes, namespaces, config maps, secrets,
service accounts and quotas (pods have :mod:`kslab.cluster.verbs.pods`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kslab.cluster.api_errors import api_call
from kslab.cluster.lab_base import LabBase, call_timeout


class CoreVerbs(LabBase):
    """Nodes, namespaces, ConfigMaps, Secrets, ServiceAccounts and ResourceQuotas (``CoreV1Api``)."""

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
                                                               **call_timeout(timeout))
            return bytes(resp.data)

    # ---- namespaces ----------------------------------------------------------------------------------
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

    # ---- config maps ---------------------------------------------------------------------------------
    def read_config_map(self, namespace: str, name: str, *, timeout: float | tuple[float, float] | None = None) -> Any:
        """One ConfigMap (``V1ConfigMap``); ``timeout`` seconds instead of the usual request timeout."""
        self.require_live(f"reading configmap {name}")
        with api_call(f"reading configmap {namespace}/{name}"):
            return self._core.read_namespaced_config_map(name, namespace, **call_timeout(timeout))

    def list_config_maps(self, namespace: str | None = None, *, label_selector: str = "",
                         timeout: float | tuple[float, float] | None = None) -> list[Any]:
        """The ConfigMaps (``V1ConfigMap``) of one namespace, or of all with ``namespace=None``."""
        self.require_live("listing configmaps")
        with api_call(f"listing configmaps in {namespace or 'every namespace'}"):
            if namespace is None:
                found = self._core.list_config_map_for_all_namespaces(label_selector=label_selector,
                                                                      **call_timeout(timeout))
            else:
                found = self._core.list_namespaced_config_map(namespace, label_selector=label_selector,
                                                              **call_timeout(timeout))
            return list(found.items)

    def create_config_map(self, namespace: str, body: Any, *, timeout: float | tuple[float, float] | None = None) -> Any:
        """Create a ConfigMap (``V1ConfigMap`` or a dict); returns it as stored."""
        self.require_live("creating a configmap")
        with api_call(f"creating a configmap in {namespace}"):
            return self._core.create_namespaced_config_map(namespace, body, **call_timeout(timeout))

    def replace_config_map(self, namespace: str, name: str, body: Any, *, timeout: float | tuple[float, float] | None = None) -> Any:
        """Replace a ConfigMap (an update: 409 when its resourceVersion moved meanwhile)."""
        self.require_live("writing a configmap")
        with api_call(f"writing configmap {namespace}/{name}"):
            return self._core.replace_namespaced_config_map(name, namespace, body, **call_timeout(timeout))

    def delete_config_map(self, namespace: str, name: str) -> None:
        """Delete one ConfigMap."""
        self.require_lab(f"deleting configmap {name}")
        with api_call(f"deleting configmap {namespace}/{name}"):
            self._core.delete_namespaced_config_map(name, namespace)

    # ---- secrets, service accounts, quotas -----------------------------------------------------------
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
