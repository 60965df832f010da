"""What every :class:`~kslab.cluster.lab.Lab` verb stands on: the mode, the guard rails and the private client.

A verb (``read_pod``, ``list_roles`` ...) first says what it needs — :meth:`LabBase.require_live` to read,
:meth:`LabBase.require_lab` to create, delete or attack — then makes one client call inside
:func:`~kslab.cluster.api_errors.api_call`. The client objects (``_client``, ``_core``, ``_apps``,
``_dynamic``) are private to ``kslab/cluster/``: the labs call verbs, never the client.
"""

from __future__ import annotations

import json
from functools import cached_property
from typing import Any

from kslab.cluster.api_errors import api_call
from kslab.cluster.modes import ModeChoice
from kslab.errors import NotALabContext, OfflineOnly


def call_timeout(seconds: float | tuple[float, float] | None) -> dict[str, Any]:
    """The client's per-call timeout argument, when a call wants its own instead of the usual one.

    >>> call_timeout(None), call_timeout(5), call_timeout((3, 5))
    ({}, {'_request_timeout': (5, 5)}, {'_request_timeout': (3, 5)})
    """
    if seconds is None:
        return {}
    return {"_request_timeout": seconds if isinstance(seconds, tuple) else (seconds, seconds)}


class LabBase:
    """A Lab's mode and context, its guard rails and its (private) connection to the API server."""

    def __init__(self, choice: ModeChoice, api_client: Any = None) -> None:
        self.choice = choice
        self._api = api_client
        self._forwards: list[Any] = []  # PortForwards this lab opened; close_port_forwards() ends them

    # ---- what we are connected to -------------------------------------------------------------
    @property
    def mode(self) -> str:
        return self.choice.mode

    @property
    def live(self) -> bool:
        return self.choice.mode == "live"

    @property
    def context(self) -> str | None:
        return self.choice.context

    @property
    def lab_context(self) -> bool:
        return self.choice.lab_context

    @property
    def reason(self) -> str:
        return self.choice.reason

    # ---- guard rails ----------------------------------------------------------------------------
    def require_live(self, what: str) -> None:
        """Raise :class:`OfflineOnly` unless live."""
        if not self.live:
            raise OfflineOnly(f"{what} needs a live cluster; kslab is offline ({self.reason})")

    def require_lab(self, what: str) -> None:
        """Raise unless live *and* on a lab context (the course's cluster, or one named explicitly)."""
        self.require_live(what)
        if not self.lab_context:
            raise NotALabContext(
                f"{what} creates, deletes or attacks things, and context {self.context!r} is not a lab context",
                hint=f"if {self.context!r} is a cluster you may break, opt in with "
                     f"KSLAB_CONTEXT={self.context} or kslab.connect(context={self.context!r})")

    # ---- the client (only kslab/cluster/ reaches it; everything else calls the verbs) ------------
    @property
    def _client(self) -> Any:
        """The ApiClient for this context (live only). Private: the labs use Lab's verbs."""
        self.require_live("talking to the API server")
        if self._api is None:
            from kslab.cluster.client import api_client_for

            self._api = api_client_for(self.context or "")
        return self._api

    @cached_property
    def _core(self) -> Any:
        from kubernetes import client

        return client.CoreV1Api(self._client)

    @cached_property
    def _apps(self) -> Any:
        from kubernetes import client

        return client.AppsV1Api(self._client)

    @cached_property
    def _dynamic(self) -> Any:
        from kubernetes.dynamic import DynamicClient

        return DynamicClient(self._client)

    def _resource(self, api_version: str, kind: str) -> Any:
        return self._dynamic.resources.get(api_version=api_version, kind=kind)

    def raw(self, path: str, *, method: str = "GET", query: tuple[tuple[str, str], ...] = (),
            body: Any = None, timeout: float = 10) -> tuple[int, Any]:
        """One HTTP request to the API server with this Lab's credentials (``kubectl get --raw PATH``);
        returns ``(status, decoded JSON or text)`` — a refusal is an answer here, not an error."""
        self.require_live(f"{method} {path}")
        api = self._client
        with api_call(f"{method} {path}"):
            serialized = api.param_serialize(method, path, query_params=list(query),
                                             header_params={"Accept": "application/json",
                                                            "Content-Type": "application/json"},
                                             body=body, auth_settings=["BearerToken"])
            resp = api.call_api(*serialized, _request_timeout=timeout)
            data = resp.read() or b""
        try:
            return resp.status, json.loads(data)
        except ValueError:
            return resp.status, data.decode("utf-8", "replace")
