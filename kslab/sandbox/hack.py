"""Run commands in the sandboxed webapp, in order, as a hack does: each exec'd in the one running container.

The steps and the reading of their output are :mod:`kslab.hack`'s (which calls :func:`observe`), so a
sandbox run and a cluster run print the same table. This module knows only commands and their results.

>>> LABEL_KIND
'observed in a local sandbox'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kslab.sandbox.runtime import ExecResult

LABEL_KIND = "observed in a local sandbox"


@dataclass(frozen=True)
class Observation:
    """What each command did in the sandbox, and where that was (runtime and version)."""

    runtime: str
    results: tuple[ExecResult, ...]

    @property
    def where(self) -> str:
        return f"a local sandbox ({self.runtime}), not a Kubernetes node"


def observe(obj: Mapping[str, Any], commands: Sequence[Sequence[str]], container: str | None = None) -> Observation:
    """Run ``commands`` one after the other in the pod's container in the sandbox; raises where it cannot run
    (see :func:`kslab.sandbox.session.prepare`)."""
    from kslab.sandbox import session

    with session.webapp(obj, container) as running:
        results = tuple(running.exec(list(command)) for command in commands)
        return Observation(running.runtime.label, results)
