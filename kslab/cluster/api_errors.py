"""The one place where the Kubernetes client's ``ApiException`` becomes a kslab error.

:func:`api_error` keeps the server's status and its own words (the ``message`` of the Status object
it sent back), adds what the status usually means, and is raised ``from None`` so a student sees one
line, not the client's traceback. :func:`api_call` wraps the client calls of one step in it::

    with api_call("listing nodes"):
        nodes = core.list_node().items

>>> class Fake(Exception):
...     status, reason, body = 403, "Forbidden", '{"message": "pods is forbidden"}'
>>> err = api_error(Fake(), "listing pods")
>>> err.status, err.server_message, err.hint
(403, 'pods is forbidden', 'your identity is not allowed to do this (RBAC or admission said no)')
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from kslab.errors import ApiError, KslabError
from kslab.settings import request_timeout


def status_of(exc: BaseException) -> int | None:
    """The HTTP status of a client error (``ApiException.status``, or an :class:`ApiError`'s), else None."""
    status = getattr(exc, "status", None)
    return status if isinstance(status, int) else None


def api_error(exc: BaseException, doing: str) -> ApiError:
    """Turn a client ``ApiException`` into an :class:`ApiError` carrying the server's message; any
    other failure (no answer, a timeout) into one saying so in its first line."""
    status = status_of(exc)
    reason = str(getattr(exc, "reason", "") or "")
    message = reason
    body = getattr(exc, "body", None)
    if body:
        try:
            message = json.loads(body).get("message") or message
        except (ValueError, AttributeError):
            message = str(body)[:300]
    if status is None and not message:  # not an HTTP answer: the connection's own words
        message = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
    hints = {401: "your credentials were not accepted; check the kubeconfig",
             403: "your identity is not allowed to do this (RBAC or admission said no)",
             404: "it does not exist (yet)", 409: "it already exists or changed meanwhile"}
    said = f"{status} {message}" if status is not None else message
    hint = hints.get(status or 0) or (_timeout_hint() if status is None and _is_timeout(exc) else None)
    return ApiError(f"{doing}: {said}".strip(), status=status, reason=reason, hint=hint, server_message=message)


def _is_timeout(exc: BaseException) -> bool:
    """Whether a failure was a request running out of time: the socket's ``TimeoutError`` or urllib3's
    read/connect timeouts, raised directly or as the ``reason`` of its retry error. By class name, so
    this module needs no urllib3 import to say so."""
    seen: BaseException | None = exc
    for _ in range(4):  # the client wraps a timeout at most a few levels deep
        if seen is None:
            return False
        if isinstance(seen, TimeoutError) or any(c.__name__ in _TIMEOUT_CLASSES for c in type(seen).__mro__):
            return True
        reason = getattr(seen, "reason", None)
        seen = reason if isinstance(reason, BaseException) else (seen.__cause__ or seen.__context__)
    return False


#: urllib3's timeout classes ("TimeoutError" is its own base class, not the builtin one).
_TIMEOUT_CLASSES = frozenset({"ReadTimeoutError", "ConnectTimeoutError", "TimeoutError"})


def _timeout_hint() -> str:
    return (f"the API server did not answer within KSLAB_REQUEST_TIMEOUT={request_timeout():g} s; "
            "check the cluster is up (`kslab doctor`), or allow a slow one more time, "
            "e.g. KSLAB_REQUEST_TIMEOUT=120")


@contextmanager
def api_call(doing: str) -> Iterator[None]:
    """Run Kubernetes client calls; whatever fails becomes one :class:`ApiError` saying what was being
    done (``doing``, e.g. ``"listing nodes"``) and what the server said. A kslab error passes unchanged.

    >>> with api_call("reading the server version"):
    ...     raise ConnectionRefusedError("connection refused")
    Traceback (most recent call last):
    ...
    kslab.errors.ApiError: reading the server version: connection refused
    """
    try:
        yield
    except KslabError:
        raise
    except Exception as exc:  # noqa: BLE001 - HTTP statuses, refused connections, timeouts, TLS: all one line
        raise api_error(exc, doing) from None


#: One RFC 7234 warning value as the API server writes it: ``299 - "text"`` (text with ``\"`` escapes).
_WARNING = re.compile(r'\s*\d{3}\s+\S+\s+"((?:[^"\\]|\\.)*)"')


def warning_texts(values: Iterable[str]) -> tuple[str, ...]:
    """The texts of the ``Warning`` headers an API server answered with, as kubectl shows them.

    >>> warning_texts(['299 - "would violate PodSecurity \\\\"restricted:latest\\\\": runAsNonRoot != true"'])
    ('would violate PodSecurity "restricted:latest": runAsNonRoot != true',)
    """
    texts = []
    for value in values:
        match = _WARNING.match(value)
        texts.append(re.sub(r"\\(.)", r"\1", match.group(1)) if match else value.strip())
    return tuple(t for t in texts if t)
