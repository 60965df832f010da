"""The one place where the Kubernetes client's ``ApiException`` becomes a kslab error.

:func:`api_error` keeps the server's status and its own words (the ``message`` of the Status object
it sent back), adds what the status usually means, and is raised ``from None`` so a student sees one
line, not the client's traceback.

>>> class Fake(Exception):
...     status, reason, body = 403, "Forbidden", '{"message": "pods is forbidden"}'
>>> err = api_error(Fake(), "listing pods")
>>> err.status, err.server_message, err.hint
(403, 'pods is forbidden', 'your identity is not allowed to do this (RBAC or admission said no)')
"""

from __future__ import annotations

import json

from kslab.errors import ApiError


def status_of(exc: BaseException) -> int | None:
    """The HTTP status of a client error (``ApiException.status``, or an :class:`ApiError`'s), else None."""
    status = getattr(exc, "status", None)
    return status if isinstance(status, int) else None


def api_error(exc: Exception, doing: str) -> ApiError:
    """Turn a client ``ApiException`` into an :class:`ApiError` carrying the server's message."""
    status = status_of(exc)
    reason = str(getattr(exc, "reason", "") or "")
    message = reason
    body = getattr(exc, "body", None)
    if body:
        try:
            message = json.loads(body).get("message") or message
        except (ValueError, AttributeError):
            message = str(body)[:300]
    hints = {401: "your credentials were not accepted; check the kubeconfig",
             403: "your identity is not allowed to do this (RBAC or admission said no)",
             404: "it does not exist (yet)", 409: "it already exists or changed meanwhile"}
    return ApiError(f"{doing}: {status} {message}".strip(), status=status, reason=reason,
                    hint=hints.get(status or 0), server_message=message)
