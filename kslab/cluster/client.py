"""The one way kslab builds a Kubernetes API client: for exactly one kubeconfig context.

Never the client library's global default, never the silent in-cluster fallback; a short connect
timeout and one retry, so an unreachable cluster costs seconds, not minutes. :class:`~kslab.cluster.lab.Lab`,
``kslab.connect()`` and ``kslab doctor`` all come through here.
"""

from __future__ import annotations

import os
from typing import Any

from kslab import settings

#: Seconds to wait for a cluster to answer when probing it.
PROBE_TIMEOUT = 3.0


def api_client_for(context: str, *, timeout: float = PROBE_TIMEOUT) -> Any:
    """An ApiClient for one context of the kubeconfig (``$KUBECONFIG`` or ``~/.kube/config``).

    Uses ``load_kube_config(client_configuration=...)`` so the library's global default client is
    left alone, and never falls back to in-cluster credentials.
    """
    from kubernetes import client, config

    cfg = client.Configuration()
    paths = os.pathsep.join(str(p) for p in settings.kubeconfig_paths())
    config.load_kube_config(config_file=paths, context=context, client_configuration=cfg,
                            persist_config=False)
    cfg.retries = 1  # urllib3's default (3 retries) quadruples the wait on a dead server
    api = client.ApiClient(cfg)
    api.kslab_timeout = timeout
    with_default_timeout(api, connect=timeout, read=settings.request_timeout())
    return api


def with_default_timeout(api: Any, *, connect: float, read: float) -> Any:
    """Give every request of this client a timeout unless the call names its own.

    The client library sends requests without any timeout unless each call passes
    ``_request_timeout``: a server that answered the probe and then stalls would hang the student
    forever. Here every request gets ``(connect, read)`` seconds; a call that needs longer (a watch)
    still says so itself.
    """
    rest = api.rest_client
    original = rest.request

    def request(*args: Any, **kwargs: Any) -> Any:
        if not kwargs.get("_request_timeout"):
            kwargs["_request_timeout"] = (connect, read)
        return original(*args, **kwargs)

    rest.request = request
    api.kslab_request_timeout = (connect, read)
    return api


def probe(context: str, *, timeout: float = PROBE_TIMEOUT) -> str | None:
    """None if the context's API server answers ``/version`` within ``timeout``, else why not."""
    try:
        from kubernetes import client

        api = api_client_for(context, timeout=timeout)
        try:
            client.VersionApi(api).get_code(_request_timeout=(timeout, timeout))
        finally:
            api.close()
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"; say which briefly
        text = str(exc).splitlines()[0] if str(exc) else ""
        return f"{type(exc).__name__}: {text}"[:200]
    return None


def server_version(context: str, *, timeout: float = PROBE_TIMEOUT) -> str | None:
    """The API server's version for a context (``v1.36.0``), or None when it does not say."""
    try:
        from kubernetes import client

        api = api_client_for(context, timeout=timeout)
        try:
            return str(client.VersionApi(api).get_code(_request_timeout=(timeout, timeout + 2)).git_version)
        finally:
            api.close()
    except Exception:  # noqa: BLE001 - asked for a report (kslab doctor), not a failure
        return None
