"""The HTTP request behind an RBAC request, and what its answer means.

The API server derives the authorizer's attributes from the URL and method: ``GET`` on a
collection is ``list``, on one object ``get``; ``POST`` is ``create``; ``PUT`` ``update``; ``PATCH``
``patch``; ``DELETE`` ``delete``. Going the other way lets the lab make *real* requests as a
service account and watch the authorizer answer (403 Forbidden) — with ``dryRun=All`` on anything
that would change something, so an allowed request changes nothing.

>>> call_for(Request("delete", "pods", name="web-1", namespace="web"))
HttpCall(method='DELETE', path='/api/v1/namespaces/web/pods/web-1', query=(('dryRun', 'All'),), body=None)
>>> call_for(Request("list", "deployments", group="apps", namespace="web")).path
'/apis/apps/v1/namespaces/web/deployments'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kslab.errors import UsageError
from kslab.rbac.model import Request
from kslab.rbac.resources import ResourceCatalog, recorded
from kslab.text import brief

#: verb → HTTP method (``watch`` is a GET with ``?watch=true``; not used by the lab's probes).
METHODS = {"get": "GET", "list": "GET", "watch": "GET", "create": "POST", "update": "PUT",
           "patch": "PATCH", "delete": "DELETE", "deletecollection": "DELETE"}
MUTATING = {"create", "update", "patch", "delete", "deletecollection"}


@dataclass(frozen=True)
class HttpCall:
    """One HTTP request: method, path, query parameters and JSON body."""

    method: str
    path: str
    query: tuple[tuple[str, str], ...] = ()
    body: dict[str, Any] | None = None

    def describe(self) -> str:
        query = "?" + "&".join(f"{k}={v}" for k, v in self.query) if self.query else ""
        return f"{self.method} {self.path}{query}"


def call_for(request: Request, *, body: dict[str, Any] | None = None,
             catalog: ResourceCatalog | None = None) -> HttpCall:
    """The HTTP call that makes the API server authorize exactly ``request``."""
    if not request.is_resource:
        return HttpCall(METHODS.get(request.verb, request.verb.upper()), request.path or "/")
    if request.verb not in METHODS:
        raise UsageError(f"verb {brief(request.verb)} has no HTTP request of its own",
                         hint="use get, list, watch, create, update, patch or delete")
    catalog = catalog or recorded()
    found = catalog.find(request.resource, request.group)
    version = "v1"
    if found and found.versions and "v1" not in found.versions:
        version = found.versions[0]
    base = f"/apis/{request.group}/{version}" if request.group else "/api/v1"
    parts = [base]
    if request.namespace and (found is None or found.namespaced):
        parts.append(f"/namespaces/{request.namespace}")
    parts.append(f"/{request.resource}")
    if request.name and request.verb not in ("list", "watch", "create", "deletecollection"):
        parts.append(f"/{request.name}")
    if request.subresource:
        parts.append(f"/{request.subresource}")
    query: tuple[tuple[str, str], ...] = ()
    if request.verb in MUTATING:
        query += (("dryRun", "All"),)
    if request.verb == "watch":
        query += (("watch", "true"), ("timeoutSeconds", "1"))
    return HttpCall(METHODS[request.verb], "".join(parts), query, body)


def outcome(status: int) -> str:
    """What an HTTP status says about authorization.

    >>> outcome(403), outcome(404)
    ('forbidden', 'allowed (then not found)')
    """
    if 200 <= status < 300:
        return "allowed"
    if status == 401:
        return "not authenticated"
    if status == 403:
        return "forbidden"
    if status == 404:
        return "allowed (then not found)"
    if 400 <= status < 500:  # authorization runs before validation and storage
        return f"allowed (then refused with HTTP {status})"
    return f"HTTP {status}"
