"""Class progress: the mirror ConfigMap's contents, the merge that loses nothing, the write that retries
on conflicts, the mirror that never breaks a notebook, and the instructor's table."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from kslab.classroom import progress as model
from kslab.cluster import class_progress
from kslab.cluster.lab import Lab
from kslab.cluster.modes import ModeChoice
from kslab.errors import ApiError
from kslab.exercises import ExerciseSession, all_exercises, mirror
from kslab.exercises.progress import ProgressStore


# ---- what the copy holds --------------------------------------------------------------------------
def test_the_copy_holds_only_the_counts_never_an_answer_or_token() -> None:
    local = {"03.stop-the-hack": {"attempts": 2, "passed": False, "hints": 1, "solution_seen": False,
                                  "updated": "2026-12-01T10:00:00+0000", "answer": "eyJhbGciOi.secret",
                                  "token": "abc"}}
    cm = model.configmap("ada", "kslab-ada", local)
    text = json.dumps(cm)
    assert "secret" not in text and "abc" not in text and "answer" not in text
    assert set(json.loads(cm["data"]["03.stop-the-hack"])) == set(model.FIELDS)
    assert cm["metadata"]["labels"]["kslab.dev/student"] == "ada"
    assert cm["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "kslab"


def test_decode_skips_what_is_not_the_mirrors_own_and_bounds_counts() -> None:
    data = {"01.ports": json.dumps({"attempts": 10**30, "passed": "yes", "hints": -4}),
            "Bad Key": "{}", "02.x": "[1, 2]", "02.y": "x" * (model.MAX_VALUE + 1), "02.z": "{not json"}
    got = model.decode(data)
    assert list(got) == ["01.ports"]
    assert got["01.ports"]["attempts"] == model.MAX_COUNT and got["01.ports"]["hints"] == 0
    assert got["01.ports"]["passed"] is True  # a non-empty value reads as true, as bool() does
    assert model.decode(None) == {}


def test_encode_then_decode_round_trips_every_mirrored_field() -> None:
    rec = {"passed": True, "attempts": 4, "hints": 2, "solution_seen": True,
           "started": "2026-12-01T09:00:00+0000", "updated": "2026-12-01T10:00:00+0000"}
    assert model.decode(model.encode({"04.least-privilege": rec})) == {"04.least-privilege": rec}


@pytest.mark.parametrize("a,b", [
    ({"attempts": 3, "hints": 0, "passed": False, "updated": "2026-12-01T10:00"},
     {"attempts": 1, "hints": 2, "passed": True, "updated": "2026-12-01T09:00"}),
    ({"attempts": 0, "solution_seen": True, "updated": "2026-12-01T08:00"},
     {"attempts": 5, "updated": "2026-12-01T11:00"}),
])
def test_merge_keeps_the_most_of_everything_whatever_the_order(a: dict[str, Any], b: dict[str, Any]) -> None:
    one, two = model.merge({"x.y": a}, {"x.y": b}), model.merge({"x.y": b}, {"x.y": a})
    assert one == two
    m = one["x.y"]
    assert m["attempts"] == max(a.get("attempts", 0), b.get("attempts", 0))
    assert m["hints"] == max(a.get("hints", 0), b.get("hints", 0))
    assert m["passed"] == (a.get("passed", False) or b.get("passed", False))
    assert m["solution_seen"] == (a.get("solution_seen", False) or b.get("solution_seen", False))
    assert m["updated"] == max(a["updated"], b["updated"]) and m["started"] == min(a["updated"], b["updated"])


# ---- the write, against a store that enforces resourceVersion like the API server --------------------
class Refused(Exception):
    def __init__(self, status: int, reason: str = "") -> None:
        super().__init__(reason or f"({status})")
        self.status = status
        self.reason = reason


class ConfigMaps:
    """ConfigMaps by (namespace, name) with the API server's optimistic concurrency: a replace whose
    resourceVersion is not the stored one is a 409, a create of an existing name is a 409."""

    def __init__(self, forbidden: set[str] = frozenset()) -> None:  # type: ignore[assignment]
        self.items: dict[tuple[str, str], Any] = {}
        self.version = 0
        self.lock = threading.Lock()
        self.forbidden = forbidden
        self.conflicts = 0

    def _check(self, ns: str) -> None:
        if ns in self.forbidden:
            raise Refused(403, f'configmaps is forbidden in the namespace "{ns}"')

    def read_namespaced_config_map(self, name: str, ns: str, **kw: Any) -> Any:
        assert "_request_timeout" in kw
        self._check(ns)
        with self.lock:
            if (ns, name) not in self.items:
                raise Refused(404)
            return copy.deepcopy(self.items[(ns, name)])

    def create_namespaced_config_map(self, ns: str, body: Any, **kw: Any) -> Any:
        assert "_request_timeout" in kw
        self._check(ns)
        with self.lock:
            if (ns, body.metadata.name) in self.items:
                self.conflicts += 1
                raise Refused(409, "already exists")
            self.version += 1
            body.metadata.resource_version = str(self.version)
            self.items[(ns, body.metadata.name)] = copy.deepcopy(body)
            return body

    def replace_namespaced_config_map(self, name: str, ns: str, body: Any, **kw: Any) -> Any:
        assert "_request_timeout" in kw
        self._check(ns)
        with self.lock:
            stored = self.items[(ns, name)]
            if body.metadata.resource_version != stored.metadata.resource_version:
                self.conflicts += 1
                raise Refused(409, "the object has been modified")
            self.version += 1
            body.metadata.resource_version = str(self.version)
            self.items[(ns, name)] = copy.deepcopy(body)
            return body

    def list_config_map_for_all_namespaces(self, **kw: Any) -> Any:
        if "*" in self.forbidden:
            raise Refused(403, "cannot list configmaps at the cluster scope")
        with self.lock:
            items = [copy.deepcopy(v) for v in self.items.values()]
        return type("L", (), {"items": items})()


class FakeLab(Lab):
    """A live Lab whose CoreV1Api is the store above: the verbs run for real, against it."""

    def __init__(self, core: ConfigMaps) -> None:
        super().__init__(ModeChoice("live", "kslab-classroom", True, "a test"))
        self.__dict__["_core"] = core


def test_two_kernels_writing_at_once_lose_no_attempt() -> None:
    store = ConfigMaps()
    lab: Any = FakeLab(store)
    rounds = 60

    def kernel(ex_id: str) -> None:
        for n in range(1, rounds + 1):
            local = {ex_id: {"attempts": n, "passed": n == rounds, "updated": f"2026-12-01T10:{n:02d}"},
                     "00.shared": {"attempts": n, "hints": n // 10, "updated": f"2026-12-01T10:{n:02d}"}}
            class_progress.push(lab, local, student="ada", namespace="kslab-ada", attempts=1000)

    threads = [threading.Thread(target=kernel, args=(e,)) for e in ("01.ports", "03.stop-the-hack")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    got = model.decode(store.items[("kslab-ada", model.CONFIGMAP)].data)
    assert got["01.ports"]["attempts"] == rounds and got["01.ports"]["passed"]
    assert got["03.stop-the-hack"]["attempts"] == rounds and got["03.stop-the-hack"]["passed"]
    assert got["00.shared"]["attempts"] == rounds and got["00.shared"]["hints"] == rounds // 10


def test_a_refused_write_is_an_api_error_with_the_servers_reason() -> None:
    lab: Any = FakeLab(ConfigMaps(forbidden={"kslab-bob"}))
    with pytest.raises(ApiError, match="forbidden"):
        class_progress.push(lab, {"01.ports": {"attempts": 1}}, student="ada", namespace="kslab-bob")


# ---- the mirror never breaks the notebook, and catches up -------------------------------------------
def test_a_failing_mirror_never_breaks_a_check_and_catches_up_later(tmp_path: Path) -> None:
    store = ProgressStore(tmp_path / "p.json")
    cms = ConfigMaps(forbidden={"kslab-ada"})
    lab: Any = FakeLab(cms)
    m = mirror.Mirror(mirror.Identity("ada", "kslab-ada"),
                      lambda records, **kw: class_progress.push(lab, records, **kw), store)
    mirror._current = m
    try:
        session = ExerciseSession(next(iter(all_exercises().values())), store)
        session.check("surely not the answer")
        session.hint()
        assert not m.flush(10)
        assert "forbidden" in m.status.last_error and m.status.failures >= 1
        assert store.load()[session.exercise.id]["attempts"] == 1  # the local store has it all the same
        cms.forbidden = set()  # the instructor fixed the role
        session.check("still not")
        assert m.flush(10), m.status
        copy_ = model.decode(cms.items[("kslab-ada", model.CONFIGMAP)].data)[session.exercise.id]
        assert copy_["attempts"] == 2 and copy_["hints"] == 1
        assert "mirrored to ConfigMap kslab-ada/kslab-progress" in mirror.status().text()
    finally:
        mirror.detach()


def test_no_mirror_offline_or_outside_a_classroom(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    offline = Lab(ModeChoice("offline", None, False, "no cluster"))
    assert mirror.classroom_identity(offline) is None
    kubeconfig = tmp_path / "config"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: kind-kslab\n"
        "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\n"
        "users: [{name: ada, user: {}}, {name: admin, user: {}}]\n"
        "contexts:\n- {name: kslab-classroom, context: {cluster: c, user: ada, namespace: kslab-ada}}\n"
        "- {name: kind-kslab, context: {cluster: c, user: admin}}\n")
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
    student = Lab(ModeChoice("live", "kslab-classroom", True, "named"))
    assert mirror.classroom_identity(student) == mirror.Identity("ada", "kslab-ada")
    admin = Lab(ModeChoice("live", "kind-kslab", True, "the course cluster"))
    assert mirror.classroom_identity(admin) is None
    assert mirror.attach(admin) is None
    assert "this machine only" in mirror.status().text()


# ---- the instructor's view ---------------------------------------------------------------------------
def _classroom(cms: ConfigMaps) -> None:
    ex = list(all_exercises())
    for student, recs in {
        "ada": {ex[0]: {"passed": True, "attempts": 1}, ex[1]: {"attempts": 4, "hints": 2}},
        "alan": {ex[1]: {"attempts": 2}},
    }.items():
        class_progress.push(FakeLab(cms), recs, student=student, namespace=f"kslab-{student}")  # type: ignore[arg-type]


@pytest.mark.parametrize("forbidden", [set(), {"*"}])
def test_the_instructor_sees_every_student_and_who_is_stuck(forbidden: set[str]) -> None:
    cms = ConfigMaps()
    _classroom(cms)
    cms.forbidden = forbidden  # with "*": listing across namespaces is forbidden, one read per student
    ex = all_exercises()
    view = class_progress.read_class(FakeLab(cms), ["ada", "alan", "grace"],  # type: ignore[arg-type]
                                     {e.id: e.title for e in ex.values()})
    assert [(s.student, s.state) for s in view.students] == [
        ("ada", model.FOUND), ("alan", model.FOUND), ("grace", model.NOT_STARTED)]
    first, second = list(ex)[:2]
    stuck = view.stuck()
    assert stuck[0].exercise == second and stuck[0].students == ("ada", "alan") and stuck[0].attempts == 6
    lab0 = first.split(".")[0]
    done = sum(1 for e in ex if e.startswith(lab0 + "."))
    assert view.lab_completion("ada")[lab0] == f"1/{done}"
    text = view.text()
    assert "grace" in text and "not started" in text and "stuck" in text
    assert ("listing across namespaces is forbidden" in text) == bool(forbidden)
    html = view._repr_html_()
    assert "background:" in html and "ada" in html  # colour where it helps; the words carry the meaning
    detail = view.text(lab0)
    assert "PASS 1" in detail and "try 4 h2" in detail
    assert json.loads(json.dumps(view.as_dict()))["stuck"][0]["students"] == ["ada", "alan"]


def test_a_label_forged_in_ones_own_namespace_counts_for_oneself_only() -> None:
    cms = ConfigMaps()
    body = class_progress._body(model.configmap("alan", "kslab-ada", {"01.ports": {"passed": True, "attempts": 1}}))
    cms.create_namespaced_config_map("kslab-ada", body, _request_timeout=1)  # ada labels her copy "alan"
    view = class_progress.read_class(FakeLab(cms), ["ada", "alan"], {"01.ports": "Ports"})  # type: ignore[arg-type]
    assert [(s.student, s.state) for s in view.students] == [("ada", model.FOUND), ("alan", model.NOT_STARTED)]


def test_cli_progress_needs_a_context_and_a_known_lab() -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "kslab", "classroom", "progress", *args],
                              capture_output=True, text=True, timeout=60)

    no_ctx = run("--students", "3")
    assert no_ctx.returncode == 2 and "--context" in no_ctx.stderr and "Traceback" not in no_ctx.stderr
    bad_lab = run("--students", "3", "--context", "x", "--lab", "9")
    assert bad_lab.returncode == 2 and "no lab '9'" in bad_lab.stderr
    bad_interval = run("--students", "3", "--context", "x", "--watch", "--interval", "0")
    assert bad_interval.returncode == 2 and "--interval" in bad_interval.stderr


def test_terminal_colour_keeps_the_columns_and_the_words() -> None:
    import re

    from kslab.cli.classroom import _colour

    cms = ConfigMaps()
    _classroom(cms)
    view = class_progress.read_class(FakeLab(cms), ["ada", "alan"],  # type: ignore[arg-type]
                                     {e.id: e.title for e in all_exercises().values()})
    lab0 = next(iter(all_exercises())).split(".")[0]
    plain = view.text(lab0)
    coloured = _colour(plain)
    assert "\x1b[32mPASS 1\x1b[0m" in coloured and "\x1b[33mtry 4\x1b[0m" in coloured
    assert re.sub(r"\x1b\[\d+m", "", coloured) == plain


def test_a_notebook_shows_one_labs_exercises_with_for_lab() -> None:
    cms = ConfigMaps()
    _classroom(cms)
    view = class_progress.read_class(FakeLab(cms), ["ada", "alan"],  # type: ignore[arg-type]
                                     {e.id: e.title for e in all_exercises().values()})
    lab0 = next(iter(all_exercises())).split(".")[0]
    detail = view.for_lab(lab0)
    assert repr(detail) == view.text(lab0) and "PASS 1" in detail._repr_html_()
    assert "LAB " in view._repr_html_() and "PASS 1" not in view._repr_html_()


def test_progress_says_where_the_instructors_copy_stands(tmp_path: Path) -> None:
    from kslab.exercises import progress

    store = ProgressStore(tmp_path / "p.json")
    assert "mirrored" not in progress(store=store).text()  # outside a classroom: nothing to say
    cms = ConfigMaps()
    lab: Any = FakeLab(cms)
    mirror._current = mirror.Mirror(mirror.Identity("ada", "kslab-ada"),
                                    lambda records, **kw: class_progress.push(lab, records, **kw), store)
    try:
        assert mirror._current.sync()
        assert "mirrored to ConfigMap kslab-ada/kslab-progress" in progress(store=store).text()
    finally:
        mirror.detach()
