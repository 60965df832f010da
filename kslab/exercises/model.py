"""What an exercise is: a task, progressive hints, a solution, and a check that explains itself.

Exercises are data: each notebook's module (``kslab.exercises.nb03`` ...) builds a list of
:class:`Exercise` objects whose ``checker`` is a pure function from the student's answer to a
:class:`CheckResult`.

>>> ex = Exercise("99.demo", "Say yes", "Return the string 'yes'.", hints=("It is three letters.",),
...               solution="'yes'", checker=lambda a: CheckResult(a == "yes", "that is 'yes'"
...                                                                if a == "yes" else f"{a!r} is not 'yes'"))
>>> ex.checker("no")
CheckResult(passed=False, reason="'no' is not 'yes'")
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


def names_in(answer: Any) -> set[str]:
    """A student's "set of names" answer, read generously: a set/list, or a string split on commas/spaces.

    >>> sorted(names_in("etcd, Kube-Scheduler"))
    ['etcd', 'kube-scheduler']
    """
    if isinstance(answer, str):
        answer = answer.replace(",", " ").split()
    return {str(a).strip().lower() for a in (answer or [])}


@dataclass(frozen=True)
class CheckResult:
    """The verdict of a check: passed or not, and why (always a full sentence for the student)."""

    passed: bool
    reason: str

    @property
    def verdict(self) -> str:
        return "PASS" if self.passed else "FAIL"

    def __str__(self) -> str:
        return f"{self.verdict}: {self.reason}"

    def _repr_html_(self) -> str:
        # Colour helps, the word PASS/FAIL carries the meaning.
        colour = "#1a7f37" if self.passed else "#cf222e"
        mark = "&#10004;" if self.passed else "&#10008;"
        return (f'<div style="border-left:4px solid {colour};padding:2px 8px">'
                f'<b style="color:{colour}">{mark} {self.verdict}</b> {html.escape(self.reason)}</div>')


@dataclass(frozen=True)
class Exercise:
    """One exercise: ``id`` is ``"<notebook>.<slug>"``, e.g. ``"03.fewest-changes"``."""

    id: str
    title: str
    task: str
    hints: tuple[str, ...]
    solution: str
    checker: Callable[[Any], CheckResult]

    @property
    def notebook(self) -> str:
        return self.id.split(".", 1)[0]
