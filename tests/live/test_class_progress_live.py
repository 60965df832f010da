"""Class progress against a real API server: three students' kernels record exercise checks at the same
time with their own kubeconfigs, the instructor's view shows every one of them, no student may read
or write another's copy, and deleting the classroom leaves nothing.

API-level only (ConfigMaps, RBAC, TokenRequest): no node is needed. The very last check — the copies
gone with their namespaces — needs the namespace controller, and skips saying so without one.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_classroom_live import Classroom  # the same classroom handle (namespaces, kubeconfigs, student Labs)

from kslab.classroom import objects as build
from kslab.classroom import progress as model
from kslab.classroom.roster import numbered
from kslab.cluster import class_progress, classroom
from kslab.errors import ApiError
from kslab.exercises import ExerciseSession, all_exercises, mirror
from kslab.exercises.progress import ProgressStore

pytestmark = pytest.mark.live


def view_of(room: Classroom) -> model.ClassProgress:
    """The instructor's view of this classroom, read with the admin context."""
    return class_progress.read_class(room.lab, room.students,
                                     {e.id: e.title for e in all_exercises().values()}, prefix=room.prefix)


@pytest.fixture(scope="module")
def room(live_lab: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Classroom]:
    prefix = f"kp{uuid.uuid4().hex[:6]}-"
    students = [s.name for s in numbered(3)]
    out = tmp_path_factory.mktemp("kubeconfigs")
    try:
        created = classroom.create(live_lab, students, prefix=prefix, out=out, expiration_seconds=3600)
        yield Classroom(live_lab, students, prefix, "", out, created)
    finally:
        classroom.delete(live_lab, students, prefix=prefix)


def test_three_students_record_at_once_and_the_instructor_sees_it(room: Classroom, tmp_path: Path) -> None:
    exercises = list(all_exercises().values())[:2]
    stores = [ProgressStore(tmp_path / f"{s}.json") for s in room.students]
    errors: list[BaseException] = []

    def kernel(i: int, k: int) -> None:
        """Student i's kernel k: its own client and mirror, the student's one progress file."""
        try:
            lab = room.as_student(i)
            m = mirror.Mirror(mirror.Identity(room.students[i], room.ns(i)),
                              lambda records, **kw: class_progress.push(lab, records, **kw), stores[i])
            session = ExerciseSession(exercises[k], stores[i])
            for n in range(i + 2):
                session.check(f"not the answer {n}")
                m.notify(stores[i])
            if k == 0:
                session.hint()
                m.notify(stores[i])
            assert m.flush(60), m.status
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=kernel, args=(i, k)) for i in range(3) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    # No extra write: each kernel's last write read the file after its own last change, and a write never
    # takes anything away, so the copies hold everything every kernel recorded.
    view = view_of(room)
    assert [s.state for s in view.students] == [model.FOUND] * 3
    for i, sp in enumerate(view.students):
        local = stores[i].load()
        assert set(sp.records) == {e.id for e in exercises} == set(local)
        for ex_id, rec in local.items():
            assert sp.records[ex_id]["attempts"] == rec["attempts"] == i + 2
        assert sp.records[exercises[0].id]["hints"] == 1
    assert room.students[2] in view.text() and view.stuck()


def test_a_notebook_connected_as_a_student_mirrors_by_itself(room: Classroom, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import kslab

    monkeypatch.setenv("KUBECONFIG", str(room.kubeconfig(1)))
    monkeypatch.setenv("KSLAB_HOME", str(tmp_path / "home"))
    mirror.detach()
    try:
        lab = kslab.connect(mode="live", context=build.STUDENT_CONTEXT)  # what every notebook's first cell does
        assert mirror.classroom_identity(lab) == mirror.Identity(room.students[1], room.ns(1))
        ex = kslab.exercise(list(all_exercises())[-1])
        ex.check("not the answer")
        active = mirror.current()
        assert active is not None and active.flush(60), active and active.status
        seen = view_of(room).students[1].records[ex.exercise.id]
        assert seen["attempts"] >= 1
    finally:
        mirror.detach()


def test_no_student_may_read_or_write_anothers_progress(room: Classroom) -> None:
    me = room.as_student(0)
    with pytest.raises(ApiError, match="(?i)forbidden"):
        class_progress.push(me, {"01.ports": {"passed": True, "attempts": 1}},
                            student=room.students[1], namespace=room.ns(1))
    with pytest.raises(Exception) as refused:
        me.read_config_map(room.ns(2), model.CONFIGMAP, timeout=(3, 5))
    assert getattr(refused.value, "status", None) == 403
    report = classroom.verify(room.lab, room.students, prefix=room.prefix)
    assert report.ok, report.text()


def test_z_deleting_the_classroom_deletes_the_progress(room: Classroom) -> None:
    report = classroom.delete(room.lab, room.students, prefix=room.prefix, wait=90)
    if report.terminating:
        pytest.skip(f"namespaces still Terminating after 90s ({', '.join(report.terminating)}): this API server "
                    "has no namespace controller, so their ConfigMaps stay until it has one")
    view = view_of(room)
    assert [s.state for s in view.students] == [model.NOT_STARTED] * 3
    left = room.lab.list_config_maps(None, label_selector=f"app.kubernetes.io/component={model.COMPONENT}")
    assert [c for c in left if c.metadata.namespace in {room.ns(i) for i in range(3)}] == []
