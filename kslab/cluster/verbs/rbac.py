"""Lab's verbs for RBAC objects: Roles, ClusterRoles and their bindings, read as the API server stores them.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from kslab.cluster.api_errors import api_call
from kslab.cluster.lab_base import LabBase


class RbacVerbs(LabBase):
    """Roles, ClusterRoles, RoleBindings and ClusterRoleBindings (``RbacAuthorizationV1Api``)."""

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
