"""What a check is: an id, a level, and its rules per policy version — data the registry reads.

Each check lives in its own module under :mod:`kslab.pss.checks` and defines ``CHECK``. A check's
versions are functions named after the release that introduced them (``run_1_25``); the registry
uses, for policy version ``v1.N``, the newest one whose ``since`` is not after ``v1.N``. A
restricted check may *override* baseline checks (restricted replaces them at that version).

A check function takes a :class:`~kslab.pss.pod.PodView` and returns ``None`` when the pod is
allowed, or a :class:`Forbidden` with the API server's terse ``reason`` and full-sentence ``detail``.
Checks never raise for a pod; they only read it.

>>> Forbidden("hostPort", 'container "web" uses hostPort 3000').message
'hostPort (container "web" uses hostPort 3000)'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from kslab.pss.levels import Version
from kslab.pss.pod import PodView


class Forbidden(NamedTuple):
    """Why a check rejects a pod: ``reason`` (e.g. ``hostPort``) and ``detail`` (who and what).

    A named tuple: the cheapest immutable record to build, and a failing check builds one per pod.
    """

    reason: str
    detail: str = ""

    @property
    def message(self) -> str:
        """``reason (detail)``, as one item of the API server's list."""
        return f"{self.reason} ({self.detail})" if self.detail else self.reason


CheckFn = Callable[[PodView], "Forbidden | None"]


@dataclass(frozen=True)
class VersionedCheck:
    """One version of a check's rules: in force from ``since`` until the next version."""

    since: Version
    run: CheckFn
    overrides: tuple[str, ...] = ()


@dataclass(frozen=True)
class Check:
    """A Pod Security Standards check: ``id``, ``level`` (baseline or restricted), its versions."""

    id: str
    level: str
    versions: tuple[VersionedCheck, ...]


def since(minor: int) -> Version:
    """The policy version ``v1.<minor>`` (reads well in a check's table of versions)."""
    return Version(minor)
