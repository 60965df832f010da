"""Which resource types a cluster serves, and which are namespaced: API discovery, live.

Offline :func:`catalog` returns the recorded list (:func:`kslab.rbac.resources.recorded`) and says
so; live it asks the API server (``/api/v1`` and the preferred version of every group under
``/apis``), exactly what ``kubectl api-resources`` shows.
"""

from __future__ import annotations

from kslab.cluster.api_errors import api_call
from kslab.cluster.lab import Lab
from kslab.errors import ApiError
from kslab.rbac.resources import ApiResource, ResourceCatalog, recorded


def discover(lab: Lab) -> ResourceCatalog:
    """The cluster's resource types from API discovery (live)."""
    lab.require_live("API discovery")
    found: list[ApiResource] = []
    with api_call("API discovery"):
        groups: list[tuple[str, str]] = [("", "/api/v1")]
        status, data = lab.raw("/apis")
        if status != 200:
            raise ApiError(f"API discovery: GET /apis answered {status}", status=status)
        for group in data.get("groups", []):
            preferred = (group.get("preferredVersion") or {}).get("groupVersion")
            if preferred:
                groups.append((group["name"], f"/apis/{preferred}"))
        for name, path in groups:
            status, data = lab.raw(path)
            if status != 200:
                continue  # an aggregated API that is down: skip it, as kubectl warns and goes on
            version = path.rsplit("/", 1)[1]
            subs: dict[str, list[str]] = {}
            for res in data.get("resources", []):
                if "/" in res["name"]:
                    base, sub = res["name"].split("/", 1)
                    subs.setdefault(base, []).append(sub)
            for res in data.get("resources", []):
                if "/" not in res["name"]:
                    found.append(ApiResource(name, res["name"], bool(res.get("namespaced")), (version,),
                                             tuple(sorted(subs.get(res["name"], [])))))
    found.sort(key=lambda r: (r.group, r.resource))
    return ResourceCatalog(found, f"context {lab.context}, server {lab.server_version()}", observed=True)


def catalog(lab: Lab) -> ResourceCatalog:
    """Live: what the cluster serves (discovery). Offline: the recorded list, labelled as recorded."""
    return discover(lab) if lab.live else recorded()
