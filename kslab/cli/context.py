"""The kube context a live subcommand talks to, exactly as every ``--context`` help says:
``--context``, else ``KSLAB_CONTEXT``, else the course's kind context ``kind-kslab`` — never silently
the kubeconfig's current context (that may be a production cluster).

>>> context_for(None, env={"KSLAB_CONTEXT": "lab-b"}), context_for("lab-a", env={}), context_for(None, env={})
('lab-b', 'lab-a', 'kind-kslab')
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from kslab import settings

if TYPE_CHECKING:  # pragma: no cover - for the type checker only: the command line imports lazily
    from kslab.cluster.lab import Lab


def context_for(given: str | None, *, env: Mapping[str, str] | None = None) -> str:
    """The context named by ``--context``, else ``KSLAB_CONTEXT``, else ``kind-kslab``."""
    return given or settings.requested_context(env) or settings.LAB_CONTEXT


def live_lab(given: str | None, command: str) -> Lab:
    """A live :class:`~kslab.cluster.lab.Lab` on :func:`context_for`; a one-line error saying how to
    name another context when that one is not in the kubeconfig or does not answer."""
    from kslab.cluster.connect import connect
    from kslab.cluster.kubeconfig import read_kubeconfig
    from kslab.errors import ClusterUnreachable, UsageError

    context = context_for(given)
    if not read_kubeconfig(settings.kubeconfig_paths()).contexts:
        raise ClusterUnreachable("live mode was asked for, but no kube context is configured",
                                 hint="create the course cluster with `kslab cluster up`, or set KUBECONFIG")
    try:
        return connect(mode="live", context=context)
    except UsageError as err:  # not in the kubeconfig
        where = "--context" if given else ("KSLAB_CONTEXT" if settings.requested_context() else "the default")
        raise UsageError(f"{err.message} (from {where})",
                         hint=f"name the context: `{command} --context NAME` or KSLAB_CONTEXT=NAME; "
                              "`kubectl config get-contexts` lists them, `kslab cluster up` makes kind-kslab") \
            from None
