"""The progress store under concurrent writers, with unreadable files, and its command line (issue #15)."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import pytest

from kslab.cli.main import main
from kslab.exercises.progress import ProgressStore, ProgressWarning

UPDATES = 200


def _hammer(path: str, exercise_id: str, count: int) -> None:
    store = ProgressStore(Path(path))
    for _ in range(count):
        store.record(exercise_id, passed=False)
        store.update("shared", hints=1)


def test_two_processes_writing_at_once_lose_no_update(tmp_path: Path) -> None:
    path = tmp_path / "progress.json"
    ctx = multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() \
        else multiprocessing.get_context()
    workers = [ctx.Process(target=_hammer, args=(str(path), f"{n}.ex", UPDATES)) for n in (1, 2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
        assert w.exitcode == 0
    data = json.loads(path.read_text())
    assert data["1.ex"]["attempts"] == UPDATES and data["2.ex"]["attempts"] == UPDATES
    assert "shared" in data
    assert not list(tmp_path.glob(".progress-*"))  # no temporary file left behind


def test_one_key_incremented_from_two_processes_counts_every_attempt(tmp_path: Path) -> None:
    path = tmp_path / "progress.json"
    ctx = multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() \
        else multiprocessing.get_context()
    workers = [ctx.Process(target=_hammer, args=(str(path), "same.ex", UPDATES)) for _ in (1, 2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    assert json.loads(path.read_text())["same.ex"]["attempts"] == 2 * UPDATES


def test_a_reader_never_sets_a_corrupt_file_aside_but_says_so(tmp_path: Path) -> None:
    store = ProgressStore(tmp_path / "progress.json")
    store.path.write_text('{"01.x": {"passed": tru')
    with pytest.warns(ProgressWarning, match="cannot be read .* left as it is"):
        assert store.load() == {}
    assert store.path.read_text() == '{"01.x": {"passed": tru'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["progress.json"]


@pytest.mark.parametrize("content", [b"{not json", b"\xff\xfe", b"[1, 2]", b'{"a": 3}', b"[" * 100_000],
                         ids=["broken", "not-utf8", "a-list", "not-records", "deep"])
def test_a_writer_sets_the_file_aside_with_a_warning(content: bytes, tmp_path: Path) -> None:
    store = ProgressStore(tmp_path / "progress.json")
    store.path.write_bytes(content)
    with pytest.warns(ProgressWarning, match="is kept as progress.json.unreadable-"):
        store.record("01.x", passed=True)
    kept = list(tmp_path.glob("progress.json.unreadable-*"))
    assert len(kept) == 1 and kept[0].read_bytes() == content
    assert store.warning and kept[0].name in store.warning
    assert json.loads(store.path.read_text())["01.x"]["passed"] is True


def test_two_set_asides_in_the_same_second_keep_both_files(tmp_path: Path) -> None:
    store = ProgressStore(tmp_path / "progress.json")
    for content in ("{first", "{second"):
        store.path.write_text(content)
        with pytest.warns(ProgressWarning):
            store.record("01.x", passed=False)
    kept = sorted(p.read_text() for p in tmp_path.glob("progress.json.unreadable-*"))
    assert kept == ["{first", "{second"]


def test_kslab_progress_reads_without_moving_and_warns_on_stderr(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("KSLAB_HOME", str(tmp_path))
    store = ProgressStore()
    store.path.write_text("{garbage")
    assert main(["progress"]) == 0
    out, err = capsys.readouterr()
    assert "kslab progress: warning: progress file" in err and "left as it is" in err
    assert store.path.read_text() == "{garbage"
    assert not list(tmp_path.glob("*.unreadable-*"))


@pytest.mark.parametrize("notebook", ["99", "6", "abc"])
def test_kslab_progress_of_an_unknown_notebook_is_exit_2(notebook: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["progress", notebook]) == 2
    assert "no notebook" in capsys.readouterr().err


def test_kslab_progress_of_a_known_notebook_lists_only_its_exercises(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["progress", "3", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows and all(row["id"].startswith("03.") for row in rows)
