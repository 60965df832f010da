"""What an exercise is: a question, the form its answer takes, progressive hints, a solution that
runs, and a check that explains itself.

Exercises are data: each notebook's module (``kslab.exercises.nb03`` ...) builds a list of
:class:`Exercise` objects whose ``checker`` is a pure function from the student's answer to a
:class:`CheckResult`.

The ``solution`` is Python, written as the student would type it: an expression, or statements whose
last one is an expression; that last value is the answer (:func:`solution_answer` evaluates it with
only ``kslab`` imported, so a test can run every solution as written through its own checker). The
``start`` is the answer the notebook's answer cell begins with (``...`` when it begins empty):
checking it unchanged is "not answered yet", and is not counted as an attempt, so Run All on a fresh
notebook records nothing.

>>> ex = Exercise("99.demo", "Say yes", "Return the string 'yes'.", hints=("It is three letters.",),
...               solution="'yes'", checker=lambda a: CheckResult(a == "yes", "that is 'yes'"
...                                                                if a == "yes" else f"{a!r} is not 'yes'"),
...               answer_form="a string")
>>> ex.checker("no")
CheckResult(passed=False, reason="'no' is not 'yes'")
>>> ex.is_unanswered(...), ex.is_unanswered("no")
(True, False)
>>> ex.checker(solution_answer(ex)).passed
True
"""

from __future__ import annotations

import ast
import html
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kslab.views.styles import BAD, GOOD, MUTED_BORDER

#: The placeholder an answer cell starts with when it gives no starting answer.
PLACEHOLDER = ...


def names_in(answer: Any) -> set[str]:
    """A student's "set of names" answer, read generously: a set/list, or a string split on commas/spaces.

    >>> sorted(names_in("etcd, Kube-Scheduler"))
    ['etcd', 'kube-scheduler']
    """
    if isinstance(answer, str):
        answer = answer.replace(",", " ").split()
    return {str(a).strip().lower() for a in (answer or [])}


def is_blank(answer: Any) -> bool:
    """Whether an answer is still a placeholder: ``...``, None, an empty string or collection, or a
    collection of nothing but placeholders (``{6443: ..., 2379: ...}``).

    >>> is_blank(...), is_blank({6443: ..., 2379: ""}), is_blank((0, ...)), is_blank(set())
    (True, True, False, True)
    """
    if answer is PLACEHOLDER or answer is None:
        return True
    if isinstance(answer, str):
        return not answer.strip()
    if isinstance(answer, dict):
        return all(is_blank(v) for v in answer.values())
    if isinstance(answer, (list, tuple, set, frozenset)):
        return all(is_blank(v) for v in answer)
    return False


@dataclass(frozen=True)
class CheckResult:
    """The verdict of a check: passed or not, and why (always a full sentence for the student).

    ``answered`` is False for a placeholder answer: it reads "not answered yet" and is no attempt.
    """

    passed: bool
    reason: str
    answered: bool = field(default=True, repr=False)

    @property
    def verdict(self) -> str:
        if not self.answered:
            return "not answered yet"
        return "PASS" if self.passed else "FAIL"

    def __str__(self) -> str:
        return f"{self.verdict}: {self.reason}"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))  # the notebook's text/plain: "FAIL: why", not the dataclass

    def _repr_html_(self) -> str:
        # Colour helps, the word PASS/FAIL carries the meaning.
        if not self.answered:
            return (f'<div style="border-left:4px solid {MUTED_BORDER};padding:2px 8px">'
                    f'<b>&#9675; not answered yet</b> — {html.escape(self.reason)}</div>')
        colour = GOOD if self.passed else BAD
        mark = "&#10004;" if self.passed else "&#10008;"
        return (f'<div style="border-left:4px solid {colour};padding:2px 8px">'
                f'<b style="color:{colour}">{mark} {self.verdict}</b> {html.escape(self.reason)}</div>')


class Shown(str):
    """A string that a notebook shows as text (not as a quoted repr); equal to the plain string."""

    def __repr__(self) -> str:
        return str(self)


class SolutionText(Shown):
    """A solution: Python, shown as a code block a student can run (see :func:`solution_cell`)."""

    explanation: str = ""
    against: str = ""  # a hands-on check's live argument, as the notebook names it

    def __repr__(self) -> str:
        return self.cell() + (f"\n# {self.explanation}" if self.explanation else "")

    def cell(self) -> str:
        return solution_cell(str(self), self.against)

    def _repr_markdown_(self) -> str:
        tail = f"\n\n{self.explanation}" if self.explanation else ""
        return f"```python\n{self.cell()}\n```{tail}"


def not_answered(why: str) -> CheckResult:
    """Nothing to judge (e.g. a hands-on check with no cluster to read): said so, and no attempt."""
    return CheckResult(False, why, answered=False)


@dataclass(frozen=True)
class Exercise:
    """One exercise: ``id`` is ``"<notebook>.<slug>"``, e.g. ``"03.fewest-changes"``.

    ``answer_form`` says what the answer looks like ("a set of check ids"); ``start`` is the answer the
    notebook's answer cell starts with (a value, or a function making it); ``explanation`` says why the
    solution is right, in a sentence.

    A hands-on exercise checks what the student did: ``reads`` names the live thing its check reads (a
    Lab, a target pod, an identity), passed as ``ex.check(answer, against=...)``, and its checker
    takes it as a second argument.
    """

    id: str
    title: str
    task: str
    hints: tuple[str, ...]
    solution: str
    checker: Callable[..., CheckResult]
    answer_form: str = ""
    start: Any = field(default=PLACEHOLDER, compare=False, repr=False)
    explanation: str = ""
    reads: str = ""
    against: str = ""  # the notebook's name for what ``reads`` names, e.g. "you" or "lab"

    @property
    def notebook(self) -> str:
        return self.id.split(".", 1)[0]

    def starting_answer(self) -> Any:
        """The answer the notebook's answer cell starts with (``...`` for none)."""
        return self.start() if callable(self.start) else self.start

    def is_unanswered(self, answer: Any) -> bool:
        """Whether ``answer`` is a placeholder or the unchanged starting answer."""
        if is_blank(answer):
            return True
        start = self.starting_answer()
        if start is PLACEHOLDER:
            return False
        if isinstance(answer, str) and isinstance(start, str):
            return answer.strip() == start.strip()
        try:
            return bool(answer == start)
        except Exception:  # noqa: BLE001 - an answer that cannot be compared is an answer
            return False


def _split_solution(code: str) -> tuple[str, str]:
    """(statements before, the last expression) of a solution's source."""
    tree = ast.parse(code)
    if not tree.body or not isinstance(tree.body[-1], ast.Expr):
        raise ValueError("a solution must end with an expression: the answer")
    last = tree.body[-1]
    lines = code.splitlines()
    before = "\n".join(lines[:last.lineno - 1])
    expr = ast.get_source_segment(code, last) or ast.unparse(last)
    return before, expr


def solution_cell(code: str, against: str = "") -> str:
    """The solution as the answer cell a student would run: its statements, then ``ex.check(answer)``
    (with ``against=`` the live thing a hands-on check reads).

    >>> print(solution_cell("x = {'a'}\\nx | {'b'}"))
    x = {'a'}
    ex.check(x | {'b'})
    >>> solution_cell("'<h1>hacked</h1>'", "you")
    "ex.check('<h1>hacked</h1>', against=you)"
    """
    before, expr = _split_solution(code)
    tail = f", against={against}" if against else ""
    return (before + "\n" if before else "") + f"ex.check({expr}{tail})"


def solution_answer(ex: Exercise) -> Any:
    """Run an exercise's solution as written (only ``kslab`` imported) and return the answer it makes."""
    import kslab  # noqa: PLC0415 - the notebooks' only given import

    before, expr = _split_solution(ex.solution)
    namespace: dict[str, Any] = {"kslab": kslab}
    exec(compile(before, f"<solution {ex.id}>", "exec"), namespace)  # noqa: S102 - our own solution text
    return eval(compile(expr, f"<solution {ex.id}>", "eval"), namespace)  # noqa: S307
