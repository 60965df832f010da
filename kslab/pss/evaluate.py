"""Judge a Pod (or a workload's pod template) against a Pod Security Standard, as the API server does.

>>> pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
...        "spec": {"containers": [{"name": "web", "image": "nginx",
...                                 "ports": [{"containerPort": 80, "hostPort": 80}]}]}}
>>> verdict = evaluate(pod, level="baseline")
>>> verdict.allowed
False
>>> print(verdict.message())
violates PodSecurity "baseline:latest": hostPort (container "web" uses hostPort 80)
>>> evaluate(pod, level="privileged").allowed
True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from kslab.errors import InputError
from kslab.pss.check import Forbidden
from kslab.pss.defaults import apply_defaults
from kslab.pss.levels import LevelVersion, Version, parse_level, parse_version
from kslab.pss.pod import PodView
from kslab.pss.registry import checks_for, effective_minor
from kslab.pss.workloads import NOT_A_POD, pod_parts
from kslab.text import brief

#: What the API server says when a check gives no reason (never happens with the built-in checks).
UNKNOWN_REASON = "unknown forbidden reason"


@dataclass(frozen=True)
class Violation:
    """One failed check: its id, the API server's reason and detail."""

    check: str
    reason: str
    detail: str = ""

    def __init__(self, check: str, reason: str, detail: str = "") -> None:
        # Straight into the instance dict: a frozen dataclass's own __init__ sets each field through
        # object.__setattr__, which costs more than most checks do (one Violation per failed check).
        # Still frozen: assigning a field afterwards raises.
        fields = self.__dict__
        fields["check"], fields["reason"], fields["detail"] = check, reason, detail

    @property
    def message(self) -> str:
        """``reason (detail)``, exactly one item of the API server's list."""
        return f"{self.reason} ({self.detail})" if self.detail else self.reason

    def as_dict(self) -> dict[str, str]:
        return {"check": self.check, "message": self.message}


@dataclass(frozen=True)
class Verdict:
    """The judgement of one object at one level and version."""

    policy: LevelVersion
    violations: tuple[Violation, ...] = ()
    kind: str = "Pod"
    name: str = ""
    notes: tuple[str, ...] = field(default=(), compare=False)

    def __init__(self, policy: LevelVersion, violations: tuple[Violation, ...] = (), kind: str = "Pod",
                 name: str = "", notes: tuple[str, ...] = ()) -> None:
        # Straight into the instance dict, as Violation's (same reason).
        fields = self.__dict__
        fields["policy"], fields["violations"], fields["kind"], fields["name"], fields["notes"] = \
            policy, violations, kind, name, notes

    @property
    def allowed(self) -> bool:
        return not self.violations

    @property
    def level(self) -> str:
        return self.policy.level

    @property
    def checks(self) -> list[str]:
        """Ids of the failed checks, in the API server's order."""
        return [v.check for v in self.violations]

    def detail(self) -> str:
        """The violations joined as the API server joins them: ``reason (detail), reason (detail)``."""
        return ", ".join(v.message for v in self.violations)

    def message(self) -> str:
        """The API server's sentence: ``violates PodSecurity "restricted:latest": …`` (empty if allowed)."""
        return f'violates PodSecurity "{self.policy}": {self.detail()}' if self.violations else ""

    def warning(self) -> str:
        """What the API server warns (warn mode, or any workload): ``would violate PodSecurity …``."""
        return f'would violate PodSecurity "{self.policy}": {self.detail()}' if self.violations else ""

    def forbidden(self, name: str | None = None, resource: str = "pods") -> str:
        """The full error of a rejected create: ``pods "web" is forbidden: violates PodSecurity …``."""
        return f'{resource} "{self.name if name is None else name}" is forbidden: {self.message()}' \
            if self.violations else ""

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "allowed": self.allowed,
                "violations": [v.as_dict() for v in self.violations]}

    def __str__(self) -> str:
        head = f"{self.kind} {self.name or '(unnamed)'} at {self.policy}: " + \
            ("PASS (allowed)" if self.allowed else f"FAIL ({len(self.violations)} "
                                                   f"violation{'s' if len(self.violations) != 1 else ''})")
        return "\n".join([head] + [f"  - {v.message}" for v in self.violations])

    def __repr__(self) -> str:
        return str(self)


@lru_cache(maxsize=256)
def _policy(level: str, version: str | Version, emulation: str | Version | None) -> tuple[LevelVersion, int]:
    """Parse (and remember) a level and version: ``(policy as labelled, minor whose rules apply)``."""
    wanted = parse_version(version)
    minor = effective_minor(wanted, parse_version(emulation) if emulation else None)
    return LevelVersion(parse_level(level), wanted), minor


def _run(pod: PodView, level: str, minor: int) -> tuple[Violation, ...]:
    found = []
    for check_id, run in checks_for(level, minor):
        result: Forbidden | None = run(pod)
        if result is not None:
            found.append(Violation(check_id, result.reason or UNKNOWN_REASON, result.detail))
    return tuple(found)


def evaluate_pod(metadata: Mapping[str, Any] | None, spec: Mapping[str, Any] | None,
                 level: str = "restricted", version: str | Version = "latest", *,
                 emulation_version: str | Version | None = None) -> tuple[Violation, ...]:
    """The violations of a pod given as ``(metadata, spec)`` — no defaulting, no object kinds.

    >>> evaluate_pod({}, {"hostPID": True}, "baseline")[0].message
    'host namespaces (hostPID=true)'
    """
    policy, minor = _policy(level, version, emulation_version)
    return _run(PodView.of(metadata, spec), policy.level, minor)


def evaluate(obj: Mapping[str, Any], level: str = "restricted", version: str | Version = "latest", *,
             emulation_version: str | Version | None = None, api_defaults: bool = True) -> Verdict:
    """Judge a Pod or any workload with a pod template, as Pod Security admission would.

    ``level``: privileged, baseline or restricted. ``version``: ``latest`` or ``v1.N`` (the
    namespace's ``…-version`` label). The object is first changed the way the API server changes
    it before admission (``api_defaults``, see :mod:`kslab.pss.defaults`). ``emulation_version``
    caps ``latest`` at an older API server's own version (a v1.33 server's latest is v1.33).

    Raises :class:`~kslab.errors.InputError` for an object that holds no pod (e.g. a Service), and
    :class:`~kslab.errors.UsageError` for an unknown level or version.
    """
    policy, minor = _policy(level, version, emulation_version)
    # ``type(...) is dict`` first: loaded YAML is dicts, and the Mapping ABC check costs more than a check does.
    if type(obj) is not dict and not isinstance(obj, Mapping):
        raise InputError(f"expected a Kubernetes object (a mapping), got {type(obj).__name__}",
                         hint="give a Pod or a workload such as a Deployment")
    kind = str(obj.get("kind") or "")
    meta = obj.get("metadata")
    name = str(meta.get("name") or "") if type(meta) is dict or isinstance(meta, Mapping) else ""
    try:
        parts = pod_parts(obj)
        if parts is None:
            raise InputError(f"{kind or 'object without a kind'} {brief(name)}: {NOT_A_POD}",
                             hint="Pod Security Standards judge Pods and workloads with a pod template")
        metadata, spec, is_pod = parts
        if api_defaults:
            metadata, spec = apply_defaults(metadata, spec, is_pod=is_pod)
        violations = _run(PodView.of(metadata, spec), policy.level, minor)
    except (AttributeError, TypeError, ValueError) as exc:
        # A field of the wrong type (a string where a list belongs ...): the API server would not
        # decode it either. Say so in one line instead of a traceback.
        raise InputError(f"{kind} {brief(name)}: not a valid pod spec ({type(exc).__name__}: {exc})",
                         hint="check the field types against the Pod API (kubectl explain pod.spec)") from None
    return Verdict(policy, violations, kind, name)
