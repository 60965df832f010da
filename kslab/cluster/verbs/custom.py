"""Lab's verbs for kinds a cluster may or may not serve: CustomResourceDefinitions, custom objects (Istio's
PeerAuthentication ...) and asking API discovery whether a kind is served.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kslab import settings
from kslab.cluster.api_errors import api_call
from kslab.cluster.lab_base import LabBase
from kslab.errors import ApiError


class CustomVerbs(LabBase):
    """CRDs and custom objects (``ApiextensionsV1Api``, ``CustomObjectsApi``, API discovery)."""

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
