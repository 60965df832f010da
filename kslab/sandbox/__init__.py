"""``kslab sandbox``: the webapp under a real OCI runtime (runc or crun), so lab 03's hack runs on a real
kernel without a cluster.

The pod's securityContext is translated into the runtime's ``config.json`` the way the kubelet and
containerd translate it (:mod:`kslab.sandbox.spec`), the webapp's filesystem is built from ``webapp/``
(:mod:`kslab.sandbox.rootfs`), and every run is bounded and cleaned up (:mod:`kslab.sandbox.runtime`).
What it shows is *observed in a local sandbox, not a Kubernetes node*: a third kind of fact beside
predicted and observed on a cluster. Where no faithful sandbox can run, :func:`available` says why.

>>> from kslab.sandbox import available
>>> isinstance(available(probe=False).reason, str)
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - for the type checker only: the command line imports lazily
    from kslab.sandbox.hack import Observation
    from kslab.sandbox.host import Availability

__all__ = ["available", "observe"]


def available(*, probe: bool = True) -> Availability:
    """Whether the sandbox can run here (an :class:`~kslab.sandbox.host.Availability` with the reason)."""
    from kslab.sandbox.host import check

    return check(probe=probe)


def observe(obj: Mapping[str, Any], commands: Sequence[Sequence[str]], container: str | None = None) -> Observation:
    """Run commands in the pod's container in the sandbox (an :class:`~kslab.sandbox.hack.Observation`);
    :func:`kslab.hack.sandboxed` runs the hack's steps with it."""
    from kslab.sandbox.hack import observe as run

    return run(obj, commands, container)
