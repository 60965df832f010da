"""Which resources live in a namespace and which are cluster-wide.

This matters for RBAC: a RoleBinding grants only inside its namespace, so it can never grant
access to a cluster-scoped resource (nodes, namespaces, persistent volumes, ClusterRoles …), and a
request for one carries no namespace. A live cluster says which is which through API discovery
(:func:`kslab.cluster.api_resources.discover`); offline kslab uses a list recorded from the
official Python client's API paths (``kslab/data/rbac/api-resources.json``; regenerate it with
``python tools/record_api_resources.py``) and labels it as recorded.

>>> catalog = recorded()
>>> catalog.scope("pods"), catalog.scope("nodes"), catalog.scope("deployments", "apps")
('Namespaced', 'Cluster', 'Namespaced')
>>> catalog.scope("frobnicators") is None
True
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources as importlib_resources
from typing import Any

from kslab.views.tables import Table

DATA_FILE = "api-resources.json"
# /api/v1/... (core) or /apis/<group>/<version>/...
_PATH = re.compile(r"^/(?:api/(?P<cv>v1)|apis/(?P<group>[^/]+)/(?P<version>[^/]+))/(?P<rest>.*)$")


@dataclass(frozen=True)
class ApiResource:
    """One resource type: its API group, plural name, scope and subresources."""

    group: str
    resource: str
    namespaced: bool
    versions: tuple[str, ...] = ()
    subresources: tuple[str, ...] = ()

    @property
    def scope(self) -> str:
        return "Namespaced" if self.namespaced else "Cluster"

    @property
    def name(self) -> str:
        """``resource.group`` as kubectl writes it (``deployments.apps``; core: ``pods``)."""
        return f"{self.resource}.{self.group}" if self.group else self.resource


@dataclass
class ResourceCatalog:
    """The resource types of a cluster (or of a recording), and where that knowledge came from."""

    resources: list[ApiResource]
    source: str
    observed: bool = False  # True when read from a live API server's discovery
    details: dict[str, Any] = field(default_factory=dict)

    def find(self, resource: str, group: str = "") -> ApiResource | None:
        for res in self.resources:
            if res.resource == resource and res.group == group:
                return res
        return None

    def scope(self, resource: str, group: str = "") -> str | None:
        """``"Namespaced"``, ``"Cluster"``, or None when the type is unknown here."""
        found = self.find(resource, group)
        return found.scope if found else None

    def namespaced(self) -> list[ApiResource]:
        return [r for r in self.resources if r.namespaced]

    def cluster_scoped(self) -> list[ApiResource]:
        return [r for r in self.resources if not r.namespaced]

    def label(self) -> str:
        kind = "observed (API discovery)" if self.observed else "recorded"
        return f"{kind}: {self.source}"

    def table(self, names: Iterable[str] | None = None) -> Table:
        """A table of resource, API group and scope (all, or the ``resource[.group]`` names given)."""
        chosen = self.resources
        if names is not None:
            wanted = list(names)
            by_name = {r.name: r for r in self.resources}
            chosen = [by_name[n] for n in wanted if n in by_name]
        rows = [{"resource": r.resource, "group": r.group or '"" (core)', "scope": r.scope} for r in chosen]
        return Table(rows, ["resource", "group", "scope"], note=f"({self.label()})")

    def __repr__(self) -> str:
        return (f"ResourceCatalog({len(self.namespaced())} namespaced, {len(self.cluster_scoped())} "
                f"cluster-scoped; {self.label()})")


def _from_entries(entries: list[dict[str, Any]]) -> list[ApiResource]:
    return [ApiResource(e["group"], e["resource"], bool(e["namespaced"]), tuple(e.get("versions", ())),
                        tuple(e.get("subresources", ()))) for e in entries]


@lru_cache(maxsize=1)
def recorded() -> ResourceCatalog:
    """The recorded list bundled with kslab (offline)."""
    text = importlib_resources.files("kslab.data").joinpath("rbac").joinpath(DATA_FILE).read_text(encoding="utf-8")
    data = json.loads(text)
    return ResourceCatalog(_from_entries(data["resources"]), data["source"], False,
                           {k: v for k, v in data.items() if k != "resources"})


def scope_from_paths(paths: Iterable[str]) -> list[dict[str, Any]]:
    """Resource types, their scope and subresources, from REST paths such as
    ``/api/v1/namespaces/{namespace}/pods/{name}/log``.

    A type is namespaced when it has a path under ``namespaces/{namespace}/``; the cluster-wide
    list paths that namespaced types also have (``/api/v1/pods``) do not make them cluster-scoped.

    >>> scope_from_paths(["/api/v1/namespaces/{namespace}/pods/{name}/log", "/api/v1/pods", "/api/v1/nodes"])
    [{'group': '', 'resource': 'nodes', 'namespaced': False, 'versions': ['v1'], 'subresources': []}, \
{'group': '', 'resource': 'pods', 'namespaced': True, 'versions': ['v1'], 'subresources': ['log']}]
    """
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for path in paths:
        m = _PATH.match(path)
        if not m:
            continue
        group, version = (m["group"] or ""), (m["cv"] or m["version"])
        parts = [p for p in m["rest"].split("/") if p]
        if parts[:1] == ["watch"]:
            parts = parts[1:]  # deprecated watch paths mirror the others
        namespaced = len(parts) >= 3 and parts[0] == "namespaces" and parts[1] == "{namespace}"
        if namespaced:
            parts = parts[2:]
        if not parts or parts[0].startswith("{"):
            continue
        entry = found.setdefault((group, parts[0]), {"group": group, "resource": parts[0],
                                                      "namespaced": False, "versions": [],
                                                      "subresources": []})
        entry["namespaced"] |= namespaced
        if version not in entry["versions"]:
            entry["versions"].append(version)
        # .../<resource>/{name}/<subresource>[/{path}]
        if len(parts) >= 3 and parts[1] == "{name}" and not parts[2].startswith("{"):
            if parts[2] not in entry["subresources"]:
                entry["subresources"].append(parts[2])
    for entry in found.values():
        entry["subresources"].sort()
    return [found[k] for k in sorted(found)]
