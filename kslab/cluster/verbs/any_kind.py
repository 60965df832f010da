"""Lab's verbs for objects of any kind, found through API discovery (the dynamic client): list, create,
read, delete, and a client model turned back into the API's JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from kslab.cluster.api_errors import api_call
from kslab.cluster.lab_base import LabBase


class AnyKindVerbs(LabBase):
    """Any kind by ``apiVersion`` and ``kind``, as ``kubectl get/create/delete`` reach them."""

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

    def read(self, api_version: str, kind: str, name: str, *, namespace: str | None = None) -> dict[str, Any]:
        """One object as the API server stores it, as a dict (``ApiError`` with status 404 when absent)."""
        self.require_live(f"reading {kind} {name}")
        where = f"{namespace}/{name}" if namespace else name
        with api_call(f"reading {kind} {where}"):
            res = self._resource(api_version, kind)
            obj = res.get(name=name, namespace=namespace) if res.namespaced else res.get(name=name)
            return dict(obj.to_dict())

    def serialize(self, model: Any) -> Any:
        """A client model (``V1Pod``, ``V1SecurityContext`` ...) as the API's JSON: camelCase keys, unset
        fields left out, as ``kubectl get -o json`` shows it; e.g.
        ``lab.serialize(lab.read_pod("kslab-03", "webapp").spec.containers[0].security_context)``."""
        return self._client.sanitize_for_serialization(model)
