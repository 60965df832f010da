"""Exercises with checks, progressive hints, solutions, and progress that persists.

In a notebook::

    ex = kslab.exercise("01.control-plane")
    ex                      # shows the task
    ex.check({"etcd", ...}) # PASS/FAIL with the reason; the attempt is recorded
    ex.hint()               # the next hint, one at a time
    ex.solution()           # the solution (after the hints, or when asked)
    kslab.progress()        # a table of every exercise: passed, attempts, hints used

Each notebook's exercises live in ``kslab/exercises/nbNN.py`` as a list named ``EXERCISES``.
"""

from __future__ import annotations

import html
import importlib
from typing import Any

from kslab.errors import UsageError
from kslab.exercises.model import CheckResult, Exercise
from kslab.exercises.progress import ProgressStore
from kslab.exercises.progress import _count  # noqa: PLC2701 - one rule for counts read back from the file
from kslab.text import brief

__all__ = ["CheckResult", "Exercise", "ExerciseSession", "all_exercises", "exercise", "progress"]

#: Notebook number -> module holding its exercises.
NOTEBOOK_MODULES = {f"{n:02d}": f"kslab.exercises.nb{n:02d}" for n in range(6)}


def all_exercises() -> dict[str, Exercise]:
    """Every exercise of the course, by id, in notebook order."""
    found: dict[str, Exercise] = {}
    for module_name in NOTEBOOK_MODULES.values():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue
            raise
        for ex in module.EXERCISES:
            found[ex.id] = ex
    return found


class ExerciseSession:
    """An exercise bound to the student's progress file."""

    def __init__(self, ex: Exercise, store: ProgressStore | None = None) -> None:
        self.exercise = ex
        self.store = store or ProgressStore()

    @property
    def record(self) -> dict[str, Any]:
        return self.store.load().get(self.exercise.id, {})

    def check(self, answer: Any) -> CheckResult:
        """Check an answer, record the attempt, and return the verdict with its reason."""
        try:
            result = self.exercise.checker(answer)
        except Exception as exc:  # a malformed answer is a FAIL with a reason, not a traceback
            result = CheckResult(False, f"could not check that answer ({type(exc).__name__}: {exc})")
        self.store.record(self.exercise.id, passed=result.passed)
        return result

    def hint(self) -> str:
        """The next hint (each call reveals one more); then points at the solution."""
        used = int(self.record.get("hints", 0))
        hints = self.exercise.hints
        if used >= len(hints):
            return f"No more hints ({len(hints)} shown). `.solution()` shows the solution."
        self.store.update(self.exercise.id, hints=used + 1)
        return f"Hint {used + 1}/{len(hints)}: {hints[used]}"

    def solution(self) -> str:
        """The solution. Recorded, so the progress table can say it was seen."""
        self.store.update(self.exercise.id, solution_seen=True)
        return self.exercise.solution

    def __repr__(self) -> str:
        rec = self.record
        state = "passed" if rec.get("passed") else f"{rec.get('attempts', 0)} attempt(s)"
        return f"Exercise {self.exercise.id}: {self.exercise.title} [{state}]\n{self.exercise.task}"

    def _repr_html_(self) -> str:
        rec = self.record
        state = "PASSED" if rec.get("passed") else "not passed yet"
        return (f"<div><b>Exercise {html.escape(self.exercise.id)} — {html.escape(self.exercise.title)}"
                f"</b> <i>({state})</i><br>{html.escape(self.exercise.task)}</div>")


def exercise(exercise_id: str, *, store: ProgressStore | None = None) -> ExerciseSession:
    """The exercise with this id, ready to check, hint and solve.

    >>> exercise("00.nope")
    Traceback (most recent call last):
    ...
    kslab.errors.UsageError: no exercise '00.nope'
    """
    known = all_exercises()
    if exercise_id not in known:
        raise UsageError(f"no exercise {brief(exercise_id)}",
                         hint="kslab.progress() lists every exercise id")
    return ExerciseSession(known[exercise_id], store)


def progress_rows(store: ProgressStore | None = None, notebook: str | None = None) -> list[dict[str, Any]]:
    """One row per exercise: id, title, status (PASS / tried / not started), attempts, hints used."""
    data = (store or ProgressStore()).load()
    rows = []
    for ex_id, ex in all_exercises().items():
        if notebook is not None and ex.notebook != notebook:
            continue
        rec = data.get(ex_id, {})
        status = "PASS" if rec.get("passed") else ("tried" if rec.get("attempts") else "not started")
        rows.append({"id": ex_id, "title": ex.title, "status": status,
                     "attempts": _count(rec.get("attempts")), "hints": _count(rec.get("hints")),
                     "solution seen": bool(rec.get("solution_seen"))})
    return rows


def progress(notebook: str | None = None, *, store: ProgressStore | None = None) -> Any:
    """The progress summary as a pandas DataFrame (one row per exercise)."""
    import pandas as pd  # noqa: PLC0415 - heavy, only when asked

    rows = progress_rows(store, notebook)
    return pd.DataFrame(rows, columns=["id", "title", "status", "attempts", "hints", "solution seen"])
