"""``kslab.connect()``: choose live or offline, and return the :class:`~kslab.cluster.lab.Lab`.

Live mode builds an isolated client for exactly one kubeconfig context (never the client's global
default, never the silent in-cluster fallback), with a short connect timeout and one retry, so an
unreachable cluster costs seconds, not minutes.
"""

from __future__ import annotations

import os
from typing import Any

from kslab import settings
from kslab.cluster.kubeconfig import read_kubeconfig
from kslab.cluster.lab import Lab
from kslab.cluster.modes import choose

#: Seconds to wait for a cluster to answer when probing it.
PROBE_TIMEOUT = 3.0

_last: Lab | None = None


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
    api.kslab_timeout = timeout  # type: ignore[attr-defined]
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
    except Exception as exc:  # any failure means "not reachable"; say which briefly
        text = str(exc).splitlines()[0] if str(exc) else ""
        return f"{type(exc).__name__}: {text}"[:200]
    return None


def connect(mode: str | None = None, context: str | None = None, *,
            timeout: float = PROBE_TIMEOUT) -> Lab:
    """Connect to the lab: live when a cluster answers, offline otherwise.

    ``mode`` ("auto", "live", "offline") defaults to ``KSLAB_MODE``; ``context`` defaults to
    ``KSLAB_CONTEXT``. Naming a context opts it in as a lab context.

    >>> lab = connect(mode="offline")
    >>> lab.mode, lab.live
    ('offline', False)
    """
    requested_mode = mode or settings.requested_mode()
    requested_context = context or settings.requested_context()
    info = read_kubeconfig(settings.kubeconfig_paths()) if requested_mode != "offline" else None
    choice = choose(
        requested_mode=requested_mode,
        requested_context=requested_context,
        contexts=info.contexts if info else [],
        current_context=info.current_context if info else None,
        binder=settings.on_binder(),
        probe=lambda ctx: probe(ctx, timeout=timeout),
    )
    global _last
    _last = Lab(choice)
    return _last


def last_connected() -> Lab | None:
    """The Lab :func:`connect` returned last in this process (None before the first call).

    The classroom progress mirror (:mod:`kslab.exercises.mirror`) asks, so that a notebook's
    ``lab = kslab.connect()`` is all it takes.
    """
    return _last
