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
from dataclasses import dataclass, field
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
    """The verdict of a check: passed or not, and why (always a full sentence for the student).

    ``answered=False``: there was nothing to judge (no answer yet, or a check that reads a cluster
    and has none): shown as NOT ANSWERED and not counted as an attempt.
    """

    passed: bool
    reason: str
    answered: bool = field(default=True, repr=False)  # repr as before: stored notebook outputs show it

    @property
    def verdict(self) -> str:
        if not self.answered:
            return "NOT ANSWERED YET"
        return "PASS" if self.passed else "FAIL"

    def __str__(self) -> str:
        return f"{self.verdict}: {self.reason}"

    def _repr_html_(self) -> str:
        # Colour helps, the word PASS/FAIL carries the meaning.
        colour = "#1a7f37" if self.passed else ("#cf222e" if self.answered else "#6e7781")
        mark = "&#10004;" if self.passed else ("&#10008;" if self.answered else "&#8230;")
        return (f'<div style="border-left:4px solid {colour};padding:2px 8px">'
                f'<b style="color:{colour}">{mark} {self.verdict}</b> {html.escape(self.reason)}</div>')


#: What a notebook's exercise cell passes before the student answers: ``ex.check(...)``.
NOT_ANSWERED = ...


def not_answered(what: str = "replace the ... with your answer and run the cell again") -> CheckResult:
    """The result for an exercise with no answer yet (not an attempt)."""
    return CheckResult(False, what, answered=False)


@dataclass(frozen=True)
class Exercise:
    """One exercise: ``id`` is ``"<notebook>.<slug>"``, e.g. ``"03.fewest-changes"``.

    A hands-on exercise (``reads`` names what) checks what the student did, so its checker takes a
    second argument: the live thing it reads (a Lab, a target pod, an identity), given as
    ``ex.check(answer, against=...)``.
    """

    id: str
    title: str
    task: str
    hints: tuple[str, ...]
    solution: str
    checker: Callable[..., CheckResult]
    reads: str = ""

    @property
    def notebook(self) -> str:
        return self.id.split(".", 1)[0]
