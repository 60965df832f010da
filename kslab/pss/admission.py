"""What the API server answers when a Pod or workload is created in a namespace with Pod Security labels.

Pods are *enforced*: a violation of the namespace's ``enforce`` level is a 403 with the
violations; otherwise a violation of its ``warn`` level comes back as a warning. Workloads (a
Deployment, …) are never rejected by Pod Security, only warned about — their pods are what gets
rejected later, one by one, when the controller creates them.

>>> pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
...        "spec": {"containers": [{"name": "web", "image": "nginx"}]}}
>>> print(answer(pod, {"pod-security.kubernetes.io/enforce": "baseline",
...                    "pod-security.kubernetes.io/warn": "restricted"}).warnings[0][:55])
would violate PodSecurity "restricted:latest": allowPri
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kslab.pss.evaluate import evaluate
from kslab.pss.levels import Version, namespace_policy
from kslab.pss.workloads import pod_parts

PREDICTED = "predicted by kslab's evaluator (offline)"
OBSERVED = "the API server's answer (server-side dry run)"


@dataclass(frozen=True)
class Answer:
    """Admitted or not, the error message when not, warnings, and where the answer comes from."""

    allowed: bool
    message: str = ""
    warnings: tuple[str, ...] = ()
    source: str = PREDICTED

    def __str__(self) -> str:
        head = ("ADMITTED" if self.allowed else "REJECTED") + f" — {self.source}"
        lines = [head] + ([f"Error from server (Forbidden): {self.message}"] if self.message else [])
        lines += [f"Warning: {w}" for w in self.warnings]
        return "\n".join(lines)

    __repr__ = __str__


def answer(obj: Mapping[str, Any], labels: Mapping[str, str] | None, *,
           emulation_version: str | Version | None = None) -> Answer:
    """The API server's answer to creating ``obj`` in a namespace with these labels (computed offline)."""
    policy = namespace_policy(labels)
    parts = pod_parts(obj)
    name = str((obj.get("metadata") or {}).get("name") or "")
    is_pod = parts is not None and parts[2]
    if is_pod and policy.enforce.level != "privileged":
        verdict = evaluate(obj, policy.enforce.level, policy.enforce.version, emulation_version=emulation_version)
        if not verdict.allowed:
            return Answer(False, verdict.forbidden(name))
    warnings: tuple[str, ...] = ()
    if parts is not None and policy.warn.level != "privileged":
        verdict = evaluate(obj, policy.warn.level, policy.warn.version, emulation_version=emulation_version)
        warnings = (verdict.warning(),) if not verdict.allowed else ()
    return Answer(True, "", warnings)
