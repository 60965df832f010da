"""Start the webapp of a pod manifest in the sandbox: check, build, translate, run, always clean up.

A pod a cluster would refuse is refused first, in the cluster's words, before anything runs:

>>> from kslab.manifests.webapp import webapp_pod
>>> prepare(webapp_pod({"runAsNonRoot": True}))
Traceback (most recent call last):
kslab.errors.InputError: container has runAsNonRoot and image will run as root (container: webapp)
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any

from kslab.errors import InputError
from kslab.sandbox import host, runtime, security
from kslab.sandbox.launch import started, userns_plan


def prepare(obj: Mapping[str, Any], container: str | None = None) -> tuple[security.Effective, runtime.Runtime]:
    """Everything that decides whether the pod may run here, before anything runs.

    Raises :class:`~kslab.errors.InputError` with the API server's or the kubelet's words when a cluster
    would refuse the pod, and :class:`~kslab.sandbox.security.SandboxRefused` when the sandbox cannot
    run it faithfully or safely on this machine."""
    refusal = security.refusal(obj, container)
    if refusal:
        raise InputError(refusal, hint="a cluster would refuse this pod too; fix its securityContext")
    eff = security.effective(obj, container)
    problems = security.sandbox_problems(eff)
    if problems:
        raise security.SandboxRefused("the sandbox will not run this pod: " + "; ".join(problems))
    available = host.check()
    if not available.ok or available.runtime is None:
        raise security.SandboxRefused(f"no local sandbox here: {available.reason}")
    userns_plan(eff)
    return eff, available.runtime


@contextlib.contextmanager
def webapp(obj: Mapping[str, Any], container: str | None = None, *,
           args: tuple[str, ...] | None = None) -> Iterator[runtime.Running]:
    """The pod's container running in the sandbox, removed with its bundle when the block ends."""
    eff, rt = prepare(obj, container)
    runtime.reap(rt)
    with started(eff, rt, args) as running:
        yield running
