"""``kslab.connect()``: choose live or offline, and return the :class:`~kslab.cluster.lab.Lab`.

Live mode builds its client with :func:`kslab.cluster.client.api_client_for`: exactly one kubeconfig
context, a short connect timeout and one retry, so an unreachable cluster costs seconds, not minutes.
"""

from __future__ import annotations

from kslab import settings
from kslab.cluster.client import PROBE_TIMEOUT, api_client_for, probe
from kslab.cluster.kubeconfig import read_kubeconfig
from kslab.cluster.lab import Lab
from kslab.cluster.modes import choose

_last: Lab | None = None

__all__ = ["PROBE_TIMEOUT", "api_client_for", "connect", "last_connected", "probe"]


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
