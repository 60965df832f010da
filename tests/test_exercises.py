"""Exercises: checks with reasons, progressive hints, solutions, and progress that persists."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import kslab
import kslab.exercises as exercises
from kslab.errors import UsageError
from kslab.exercises import ExerciseSession, all_exercises, progress_rows
from kslab.exercises.model import CheckResult, Exercise, solution_answer, solution_cell
from kslab.exercises.progress import ProgressStore, ProgressWarning

DEMO = Exercise("99.demo", "Say yes", "Return 'yes'.", hints=("three letters", "starts with y"),
                solution="'yes'", checker=lambda a: CheckResult(a == "yes", f"you said {a!r}"))


@pytest.fixture()
def store(tmp_path: Path) -> ProgressStore:
    return ProgressStore(tmp_path / "state" / "progress.json")


def test_check_records_attempts_and_passing_sticks(store: ProgressStore) -> None:
    ex = ExerciseSession(DEMO, store)
    assert ex.check("no").passed is False
    assert ex.check("yes").passed is True
    assert ex.check("no").passed is False  # a later wrong answer does not un-pass it
    rec = store.load()["99.demo"]
    assert rec["attempts"] == 3 and rec["passed"] is True


def test_progress_survives_a_new_store_on_the_same_file(store: ProgressStore) -> None:
    ExerciseSession(DEMO, store).check("yes")
    again = ProgressStore(store.path)  # as after a kernel restart
    assert again.load()["99.demo"]["passed"] is True


def test_hints_come_one_at_a_time_then_point_to_the_solution(store: ProgressStore) -> None:
    ex = ExerciseSession(DEMO, store)
    assert ex.hint().startswith("Hint 1/2: three letters")
    assert ex.hint().startswith("Hint 2/2: starts with y")
    assert "solution" in ex.hint()
    assert ex.solution() == "'yes'" and store.load()["99.demo"]["solution_seen"] is True
    assert repr(ex.solution()) == "ex.check('yes')"  # shown as the cell to run, not as a quoted string


def test_a_checker_that_raises_is_a_fail_with_a_reason(store: ProgressStore) -> None:
    bad = Exercise("99.bad", "t", "t", (), "s", checker=lambda a: a["missing"])
    result = ExerciseSession(bad, store).check({"x": 1})
    assert result.passed is False and "could not check" in result.reason


def test_unreadable_progress_file_is_kept_aside_not_overwritten(store: ProgressStore) -> None:
    store.path.parent.mkdir(parents=True)
    store.path.write_text("{not json")
    with pytest.warns(ProgressWarning, match="it is kept as progress.json.unreadable-"):
        ExerciseSession(DEMO, store).check("yes")
    aside = list(store.path.parent.glob("progress.json.unreadable-*"))
    assert len(aside) == 1 and aside[0].read_text() == "{not json"
    assert json.loads(store.path.read_text())["99.demo"]["passed"] is True


def test_progress_file_lives_outside_the_repo_under_kslab_home(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KSLAB_HOME", str(tmp_path / "home"))
    assert ProgressStore().path.parent == tmp_path / "home"


def test_check_result_shows_pass_fail_in_text_not_only_colour() -> None:
    assert ">&#10004; PASS<" in CheckResult(True, "ok")._repr_html_().replace("</b>", "<")
    assert "FAIL" in CheckResult(False, "no")._repr_html_()


def test_unknown_exercise_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        exercises.exercise("nope")


def test_every_registered_exercise_is_well_formed() -> None:
    for ex_id, ex in all_exercises().items():
        assert ex_id == ex.id and ex.id[:2].isdigit() and ex.id[2] == "."
        assert ex.title and ex.task and ex.solution and ex.hints, ex_id
        # A blank answer must fail, with a reason (a hands-on check also with nothing live to read).
        result = ex.checker(None, kslab.connect(mode="offline")) if ex.reads else ex.checker(None)
        assert isinstance(result, CheckResult) and not result.passed and result.reason, ex_id


def test_progress_rows_cover_every_exercise(store: ProgressStore) -> None:
    rows = progress_rows(store)
    assert [r["id"] for r in rows] == list(all_exercises())
    assert all(r["status"] == "not started" for r in rows)


@pytest.mark.parametrize("ex_id", list(all_exercises()))
def test_every_solution_as_written_passes_its_own_checker(ex_id: str, store: ProgressStore, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The solution text is what ``ex.solution()`` shows; run it (only kslab imported) and check it.

    A hands-on check reads the offline lab here: it judges what can be judged offline, and one that only
    a cluster can answer (a pod's served page) says so and counts no attempt."""
    monkeypatch.setenv("KSLAB_MODE", "offline")
    monkeypatch.setenv("KSLAB_HOME", str(tmp_path / "home"))
    ex = all_exercises()[ex_id]
    session = ExerciseSession(ex, store)
    shown = session.solution()
    assert shown == ex.solution and shown.cell() == solution_cell(ex.solution, ex.against)
    compile(shown.cell(), ex_id, "exec")  # the cell a student would run is valid Python
    against = kslab.connect(mode="offline") if ex.reads else None
    result = session.check(solution_answer(ex), against=against)
    if ex.reads and not result.answered:
        assert "offline" in result.reason and store.load()[ex_id]["attempts"] == 0, f"{ex_id}: {result.reason}"
        return
    assert result.answered and result.passed, f"{ex_id}: {result.reason}"
    assert store.load()[ex_id]["attempts"] == 1


@pytest.mark.parametrize("ex_id", list(all_exercises()))
def test_the_starting_answer_is_not_an_attempt(ex_id: str, store: ProgressStore) -> None:
    ex = all_exercises()[ex_id]
    session = ExerciseSession(ex, store)
    for placeholder in (..., ex.starting_answer()):
        result = session.check(placeholder)
        assert not result.answered and not result.passed and str(result).startswith("not answered yet")
    assert ex_id not in store.load()  # nothing recorded: Run All counts no attempt
    if ex.starting_answer() is not ...:  # a starting answer is a real, wrong answer to the checker
        assert not ex.checker(ex.starting_answer()).passed, ex_id


def test_every_exercise_says_what_form_its_answer_takes() -> None:
    for ex_id, ex in all_exercises().items():
        assert ex.answer_form, ex_id
        shown = ExerciseSession(ex, ProgressStore()).__repr__()
        assert ex.title in shown and ex.task in shown and f"Answer with: {ex.answer_form}" in shown


def test_a_placeholder_dict_is_blank_but_a_partly_filled_one_is_an_attempt(store: ProgressStore) -> None:
    ex = ExerciseSession(all_exercises()["01.ports"], store)
    assert not ex.check({6443: ..., 2379: ..., 10250: ..., 10259: ...}).answered
    partly = ex.check({6443: "kube-apiserver", 2379: ..., 10250: ..., 10259: ...})
    assert partly.answered and not partly.passed and store.load()["01.ports"]["attempts"] == 1


def test_the_exercise_shows_its_question_and_form_in_html(store: ProgressStore) -> None:
    ex = ExerciseSession(all_exercises()["00.psa-default"], store)
    shown = ex._repr_html_()
    assert "kslab-question" in shown and "Answer with:" in shown and "not answered yet" in shown
    assert "ex.hint()" in shown and "ex.solution()" in shown
