"""Exercises with checks, progressive hints, solutions, and progress that persists.

Layer: top, beside :mod:`kslab.widgets`; exercises check answers with the lessons' pure functions and read live state only through a ``Lab``.

In a notebook::

    ex = kslab.exercise("01.control-plane")
    ex                      # shows the title, the question and the form of the answer
    ex.check(...)           # "not answered yet": a placeholder is not an attempt
    ex.check({"etcd", ...}) # PASS/FAIL with the reason; the attempt is recorded
    ex.hint()               # the next hint, one at a time
    ex.solution()           # the solution, as a cell to run (after the hints, or when asked)
    kslab.progress()        # a table of every exercise: passed, attempts, hints used

A notebook shows the exercise in one cell and checks the answer in the next, so the question is
always on the page before any verdict.

Each notebook's exercises live in ``kslab/exercises/nbNN.py`` as a list named ``EXERCISES``.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from kslab.errors import KslabError, UsageError
from kslab.exercises import mirror
from kslab.exercises.catalog import NOTEBOOK_MODULES, all_exercises
from kslab.exercises.model import CheckResult, Exercise, Shown, SolutionText, is_blank, not_answered
from kslab.exercises.progress import ProgressStore
from kslab.exercises.progress import _count  # noqa: PLC2701 - one rule for counts read back from the file
from kslab.text import brief
from kslab.views.styles import CSS_BORDER, CSS_MUTED_TEXT

if TYPE_CHECKING:
    from kslab.views.tables import Table

__all__ = ["NOTEBOOK_MODULES", "CheckResult", "Exercise", "ExerciseSession", "all_exercises", "exercise", "progress"]


class ExerciseSession:
    """An exercise bound to the student's progress file."""

    def __init__(self, ex: Exercise, store: ProgressStore | None = None) -> None:
        self.exercise = ex
        self.store = store or ProgressStore()

    @property
    def record(self) -> dict[str, Any]:
        return self.store.load().get(self.exercise.id, {})

    def check(self, answer: Any, *, against: Any = None) -> CheckResult:
        """Check an answer, record the attempt, and return the verdict with its reason.

        A placeholder (``...``, an empty answer, or the cell's unchanged starting answer) is
        "not answered yet" and is not recorded. A hands-on exercise reads what the student did from
        ``against`` (its ``reads`` says what that is); with nothing there to read it is not an attempt.
        """
        ex = self.exercise
        if ex.is_unanswered(answer):
            what = f": {ex.answer_form}" if ex.answer_form else ""
            where = ("replace the ... with your answer" if is_blank(answer)
                     else "this is the cell's starting answer: change it")
            return CheckResult(False, f"{where}{what}. Then run the cell again.", answered=False)
        if ex.reads and against is None:
            return not_answered(f"this check reads {ex.reads}: ex.check(answer, against=...)")
        try:
            result = ex.checker(answer, against) if ex.reads else ex.checker(answer)
        except KslabError as exc:  # the cluster could not be read: say why; no attempt is lost
            result = not_answered(f"could not read what happened: {exc}")
        except Exception as exc:  # noqa: BLE001 - a malformed answer is a FAIL with a reason, not a traceback
            result = CheckResult(False, f"could not check that answer ({type(exc).__name__}: {exc})")
        if result.answered:
            self.store.record(ex.id, passed=result.passed)
            mirror.changed(self.store)
        return result

    def hint(self) -> Shown:
        """The next hint (each call reveals one more); then points at the solution."""
        used = int(self.record.get("hints", 0))
        hints = self.exercise.hints
        if used >= len(hints):
            return Shown(f"No more hints ({len(hints)} shown). `ex.solution()` shows the solution.")
        self.store.update(self.exercise.id, hints=used + 1)
        mirror.changed(self.store)
        return Shown(f"Hint {used + 1}/{len(hints)}: {hints[used]}")

    def solution(self) -> SolutionText:
        """The solution, shown as the cell to run. Recorded, so the progress table can say it was seen."""
        self.store.update(self.exercise.id, solution_seen=True)
        mirror.changed(self.store)
        text = SolutionText(self.exercise.solution)
        text.explanation = self.exercise.explanation
        text.against = self.exercise.against
        return text

    def _state(self) -> str:
        rec = self.record
        if rec.get("passed"):
            return "passed"
        return f"{rec['attempts']} attempt(s)" if rec.get("attempts") else "not answered yet"

    def __repr__(self) -> str:
        ex = self.exercise
        lines = [f"Exercise {ex.id}: {ex.title} [{self._state()}]", ex.task]
        if ex.answer_form:
            lines.append(f"Answer with: {ex.answer_form}")
        lines.append(f"Check it in the next cell: ex.check(answer). Stuck? ex.hint() ({_hints(ex)}), "
                     "then ex.solution().")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        ex = self.exercise
        form = (f'<div><b>Answer with:</b> {html.escape(ex.answer_form)}</div>' if ex.answer_form else "")
        return (f'<div class="kslab-exercise" style="border:1px solid {CSS_BORDER};border-radius:6px;'
                f'padding:6px 10px;max-width:100%">'
                f'<div><b>Exercise {html.escape(ex.id)} — {html.escape(ex.title)}</b> '
                f'<i>({html.escape(self._state())})</i></div>'
                f'<div class="kslab-question" style="margin:4px 0">{html.escape(ex.task)}</div>{form}'
                f'<div style="color:{CSS_MUTED_TEXT}">Check it in the next cell: <code>ex.check(answer)</code>. '
                f'Stuck? <code>ex.hint()</code> ({_hints(ex)}), then <code>ex.solution()</code>.'
                f'</div></div>')


def _hints(ex: Exercise) -> str:
    return f"{len(ex.hints)} hint" + ("" if len(ex.hints) == 1 else "s")


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


def progress(notebook: str | None = None, *, store: ProgressStore | None = None,
             as_frame: bool = False) -> Table | Any:
    """The progress summary, one row per exercise, as the course's table (HTML in a notebook, aligned
    text elsewhere); ``.rows`` holds the rows as dicts (see :func:`progress_rows`). ``as_frame=True``
    gives a pandas DataFrame instead: pandas is imported only then (a third of a second to most of a
    second of a kernel's start otherwise).
    """
    from kslab.views.tables import Table  # noqa: PLC0415

    if as_frame:
        import pandas as pd  # noqa: PLC0415 - heavy, only when asked

        return pd.DataFrame(progress_rows(store, notebook),
                            columns=["id", "title", "status", "attempts", "hints", "solution seen"])
    rows = [{**r, "solution seen": "yes" if r["solution seen"] else "no"} for r in progress_rows(store, notebook)]
    # In a classroom, say where the instructor's copy stands (nothing is said outside one).
    copy = mirror.status().text() if mirror.current() is not None else ""
    return Table(rows, ["id", "title", "status", "attempts", "hints", "solution seen"],
                 ["ID", "TITLE", "STATUS", "ATTEMPTS", "HINTS", "SOLUTION SEEN"], note=copy)
