"""Lab's verbs for Deployments and ReplicaSets (``AppsV1Api``).
"""

from __future__ import annotations

from typing import Any

from kslab.cluster.api_errors import api_call
from kslab.cluster.lab_base import LabBase


class AppsVerbs(LabBase):
    """Deployments and the ReplicaSets they make."""

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
