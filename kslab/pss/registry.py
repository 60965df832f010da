"""Which checks run at each level and policy version, in the order the API server runs them.

For every version ``v1.0`` … ``v1.<newest>``, each check contributes the newest of its versions
that is not after it. Baseline runs the baseline checks; restricted runs the restricted checks
plus the baseline checks that no restricted check in force overrides. Within a level the order is
fixed: baseline check ids sorted, then restricted check ids sorted — so violations always come
out in the same order as the API server's.

>>> [c for c, _ in checks_for("restricted", 18)][:3]
['appArmorProfile', 'capabilities_baseline', 'hostNamespaces']
>>> "seccompProfile_baseline" in dict(checks_for("restricted", 19))
False
"""

from __future__ import annotations

from functools import cache

from kslab.pss.check import Check, CheckFn, VersionedCheck
from kslab.pss.checks import ALL_CHECKS
from kslab.pss.levels import BASELINE, PRIVILEGED, RESTRICTED, Version
from kslab.text import brief

Table = tuple[tuple[str, CheckFn], ...]


def validate(checks: tuple[Check, ...]) -> None:
    """Fail loudly (at import) if the check table is inconsistent: the rules are data, so test them."""
    ids = {}
    for check in checks:
        if check.id in ids:
            raise ValueError(f"two checks have the id {brief(check.id)}")
        ids[check.id] = check.level
        if check.level not in (BASELINE, RESTRICTED):
            raise ValueError(f"check {check.id}: level must be baseline or restricted, not {brief(check.level)}")
        if not check.versions:
            raise ValueError(f"check {check.id}: no versions")
        minors = [v.since.minor for v in check.versions]
        if None in minors or minors != sorted(set(minors)):  # type: ignore[type-var]
            raise ValueError(f"check {check.id}: versions must be concrete and strictly increasing")
    for check in checks:
        for version in check.versions:
            if version.overrides and check.level != RESTRICTED:
                raise ValueError(f"check {check.id}: only restricted checks may override")
            for other in version.overrides:
                if ids.get(other, BASELINE) != BASELINE:
                    raise ValueError(f"check {check.id}: overrides a non-baseline check {other}")


validate(ALL_CHECKS)

#: The newest policy version any check defines; newer versions (and ``latest``) evaluate as this one.
NEWEST_MINOR: int = max(v.since.minor or 0 for c in ALL_CHECKS for v in c.versions)


def _in_force(check: Check, minor: int) -> VersionedCheck | None:
    current: VersionedCheck | None = None
    for version in check.versions:
        if (version.since.minor or 0) <= minor:
            current = version
    return current


@cache
def checks_for(level: str, minor: int) -> Table:
    """``(check id, function)`` pairs run at ``level`` for policy version ``v1.<minor>``, in order."""
    if level == PRIVILEGED:
        return ()
    minor = min(minor, NEWEST_MINOR)
    baseline = {c.id: v for c in ALL_CHECKS if c.level == BASELINE and (v := _in_force(c, minor))}
    if level == BASELINE:
        chosen = baseline
    else:
        restricted = {c.id: v for c in ALL_CHECKS if c.level == RESTRICTED and (v := _in_force(c, minor))}
        overridden = {other for v in restricted.values() for other in v.overrides}
        chosen = {**{i: v for i, v in baseline.items() if i not in overridden}, **restricted}
    order = sorted(i for i in chosen if i in baseline) + sorted(i for i in chosen if i not in baseline)
    return tuple((i, chosen[i].run) for i in order)


def effective_minor(version: Version, emulation: Version | None = None) -> int:
    """The policy version whose rules apply: ``latest`` and future versions mean the newest known.

    ``emulation`` caps it, as an API server of that minor version does (its ``latest`` is itself).

    >>> effective_minor(Version(None)), effective_minor(Version(40)), effective_minor(Version(None), Version(33))
    (37, 37, 33)
    """
    newest = NEWEST_MINOR
    if emulation is not None and emulation.minor is not None and emulation.minor < newest:
        newest = emulation.minor
    return newest if version.minor is None else min(version.minor, newest)


def check_ids(level: str | None = None) -> list[str]:
    """Every check id (optionally of one level), sorted as the API server orders them."""
    return sorted(c.id for c in ALL_CHECKS if level is None or c.level == level)
