"""windowsHostProcess (baseline, v1.0+): no Windows HostProcess containers (they run on the host).

The standard: ``securityContext.windowsOptions.hostProcess`` of the pod and of every container
false or unset.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kslab.pss.check import Check, Forbidden, VersionedCheck, since
from kslab.pss.levels import BASELINE
from kslab.pss.pod import EMPTY, PodView, setters_phrase


def _host_process(options: Mapping[str, Any] | None) -> bool:
    """``windowsOptions.hostProcess: true`` (given the ``windowsOptions`` of a security context)."""
    return (options or EMPTY).get("hostProcess") is True


def run_1_0(pod: PodView) -> Forbidden | None:
    # Only options that are set are looked into (most pods set none).
    bad = [name for name, context in pod.contexts
           if (options := context.get("windowsOptions")) and _host_process(options)]
    pod_bad = _host_process(pod.security_context.get("windowsOptions"))
    if not (pod_bad or bad):
        return None
    return Forbidden("hostProcess",
                     f"{setters_phrase(pod_bad, bad)} must not set securityContext.windowsOptions.hostProcess=true")


CHECK = Check("windowsHostProcess", BASELINE, (VersionedCheck(since(0), run_1_0),))
