"""Class progress: what each student's exercise checks say, gathered for the instructor.

A student's progress lives in their own ``KSLAB_HOME`` (:mod:`kslab.exercises.progress`): that file is
the source of truth. In a classroom, kslab also keeps a small copy of it in the student's namespace —
one ConfigMap, :data:`CONFIGMAP` — so the instructor can see the whole class at once without reading
anyone's notebook. The copy holds only what the instructor needs: per exercise, passed or not, how
many attempts, how many hints, whether the solution was seen, and when. Never an answer, never a
token.

This module is pure: the ConfigMap's shape, how two copies merge, and the class table built from
the copies. Writing and reading the ConfigMaps is :mod:`kslab.cluster.class_progress`.

>>> mine = {"03.stop-the-hack": {"attempts": 2, "passed": False, "hints": 1, "updated": "2026-12-01T10:00:00+0000"}}
>>> cm = configmap("ada", "kslab-ada", mine)
>>> cm["metadata"]["name"], sorted(cm["data"])
('kslab-progress', ['03.stop-the-hack'])
>>> decode(cm["data"])["03.stop-the-hack"]["attempts"]
2
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from kslab import settings
from kslab.views.styles import PASSED_BACKGROUND, TRIED_BACKGROUND, tint

if TYPE_CHECKING:
    from kslab.views.tables import Table

#: The ConfigMap in each student's namespace that mirrors their progress.
CONFIGMAP = "kslab-progress"
#: ``app.kubernetes.io/component`` of the mirror: the instructor lists by it.
COMPONENT = "progress"
STUDENT_LABEL = "kslab.dev/student"
#: The fields copied for each exercise (and their types). Anything else in the local record stays local.
FIELDS: dict[str, type] = {"passed": bool, "attempts": int, "hints": int, "solution_seen": bool,
                           "started": str, "updated": str}
#: An exercise id as the course writes them (``03.stop-the-hack``); also a valid ConfigMap key.
EXERCISE_ID = re.compile(r"[0-9]{2}\.[a-z0-9][a-z0-9-]{0,62}")
#: Bounds on what is read back from a ConfigMap a student could have edited by hand.
MAX_EXERCISES = 200
MAX_VALUE = 512
MAX_COUNT = 1_000_000


def labels(student: str) -> dict[str, str]:
    """The mirror's labels: kslab's, the classroom's, the student's, and the component.

    >>> labels("ada")["app.kubernetes.io/component"]
    'progress'
    """
    return {**settings.MANAGED_BY, settings.LAB_LABEL: "classroom", STUDENT_LABEL: student,
            "app.kubernetes.io/component": COMPONENT}


def entry_for(record: Mapping[str, Any]) -> dict[str, Any]:
    """The part of a local progress record that is mirrored (nothing else leaves the student's home).

    >>> entry_for({"attempts": 3, "passed": True, "answer": "secret", "updated": "t"})
    {'passed': True, 'attempts': 3, 'hints': 0, 'solution_seen': False, 'started': 't', 'updated': 't'}
    """
    out: dict[str, Any] = {}
    for name, kind in FIELDS.items():
        value = record.get(name)
        if kind is bool:
            out[name] = bool(value)
        elif kind is int:
            out[name] = _count(value)
        else:
            out[name] = str(value)[:40] if isinstance(value, str) else ""
    out["started"] = out["started"] or out["updated"]
    return out


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        return 0
    return max(0, min(value, MAX_COUNT))


def encode(records: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """ConfigMap ``data``: one key per exercise, its mirrored fields as compact JSON.

    >>> encode({"01.ports": {"passed": True, "attempts": 1, "updated": "t"}})["01.ports"]
    '{"attempts":1,"hints":0,"passed":true,"solution_seen":false,"started":"t","updated":"t"}'
    """
    return {ex_id: json.dumps(entry_for(rec), sort_keys=True, separators=(",", ":"))
            for ex_id, rec in sorted(records.items()) if EXERCISE_ID.fullmatch(ex_id)}


def decode(data: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    """Records from ConfigMap ``data``; keys or values that are not the mirror's own are skipped.

    >>> decode({"01.ports": '{"passed": true, "attempts": 2}', "junk": "x", "02.x": "not json"})
    {'01.ports': {'passed': True, 'attempts': 2, 'hints': 0, 'solution_seen': False, 'started': '', 'updated': ''}}
    """
    out: dict[str, dict[str, Any]] = {}
    for ex_id, raw in list((data or {}).items())[:MAX_EXERCISES]:
        if not (isinstance(ex_id, str) and EXERCISE_ID.fullmatch(ex_id)):
            continue
        if not isinstance(raw, str) or len(raw) > MAX_VALUE:
            continue
        try:
            value = json.loads(raw)
        except ValueError:
            continue
        if isinstance(value, dict):
            out[ex_id] = entry_for(value)
    return out


def merge(*copies: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Several copies of one student's progress as one, losing nothing.

    Progress only grows: attempts and hints are counts that never go down, and passed or seen stays
    so. So the merge takes, per exercise, the largest count, any ``True``, the earliest start and the
    latest update — whichever kernel or machine wrote last, no attempt is lost.

    >>> a = {"01.ports": {"attempts": 3, "passed": False, "updated": "2026-12-01T10:00"}}
    >>> b = {"01.ports": {"attempts": 2, "passed": True, "updated": "2026-12-01T09:00"}}
    >>> m = merge(a, b)["01.ports"]
    >>> m["attempts"], m["passed"], m["updated"]
    (3, True, '2026-12-01T10:00')
    """
    out: dict[str, dict[str, Any]] = {}
    for copy in copies:
        for ex_id, rec in copy.items():
            new = entry_for(rec)
            old = out.get(ex_id)
            if old is None:
                out[ex_id] = new
                continue
            starts = [s for s in (old["started"], new["started"]) if s]
            out[ex_id] = {
                "passed": old["passed"] or new["passed"],
                "attempts": max(old["attempts"], new["attempts"]),
                "hints": max(old["hints"], new["hints"]),
                "solution_seen": old["solution_seen"] or new["solution_seen"],
                "started": min(starts) if starts else "",
                "updated": max(old["updated"], new["updated"]),
            }
    return out


def configmap(student: str, namespace: str, records: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The mirror ConfigMap for one student (``records``: their local progress)."""
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": CONFIGMAP, "namespace": namespace, "labels": labels(student)},
            "data": encode(records)}


# ---- the instructor's view -----------------------------------------------------------------------
#: How one student's copy was found.
FOUND, NOT_STARTED, UNREADABLE = "found", "not started", "unreadable"


@dataclass(frozen=True)
class StudentProgress:
    """One student's mirrored progress as the instructor read it."""

    student: str
    namespace: str
    state: str
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    note: str = ""

    def passed(self, exercise_ids: Iterable[str]) -> int:
        return sum(1 for e in exercise_ids if self.records.get(e, {}).get("passed"))

    @property
    def last_activity(self) -> str:
        return max((r["updated"] for r in self.records.values() if r.get("updated")), default="")


def cell(record: Mapping[str, Any] | None) -> str:
    """One student × exercise cell, readable without colour.

    >>> cell(None), cell({"passed": True, "attempts": 2, "hints": 0})
    ('·', 'PASS 2')
    >>> cell({"passed": False, "attempts": 4, "hints": 2, "solution_seen": True})
    'try 4 h2 S'
    """
    if not record or not (record.get("attempts") or record.get("hints") or record.get("passed")
                          or record.get("solution_seen")):
        return "·"
    parts = ["PASS" if record.get("passed") else "try", str(record.get("attempts", 0))]
    if record.get("hints"):
        parts.append(f"h{record['hints']}")
    if record.get("solution_seen"):
        parts.append("S")
    return " ".join(parts)


@dataclass(frozen=True)
class Stuck:
    """An exercise several students have tried without passing."""

    exercise: str
    title: str
    students: tuple[str, ...]
    attempts: int
    hints: int

    def as_dict(self) -> dict[str, Any]:
        return {"exercise": self.exercise, "title": self.title, "students": list(self.students),
                "attempts": self.attempts, "hints": self.hints}


@dataclass
class ClassProgress:
    """The class table: students × exercises, per-lab completion, and where students are stuck.

    ``exercises`` is ``{id: title}`` in course order (:func:`kslab.exercises.all_exercises`).

    >>> ex = {"01.ports": "Ports", "01.etcd": "etcd", "03.hack": "The hack"}
    >>> ada = StudentProgress("ada", "kslab-ada", FOUND, {"01.ports": {"passed": True, "attempts": 1},
    ...                       "03.hack": {"attempts": 5, "hints": 2}})
    >>> bob = StudentProgress("bob", "kslab-bob", NOT_STARTED)
    >>> view = ClassProgress("ctx", [ada, bob], ex)
    >>> view.lab_completion("ada")
    {'01': '1/2', '03': '0/1'}
    >>> [s.exercise for s in view.stuck()]
    ['03.hack']
    """

    context: str
    students: list[StudentProgress]
    exercises: dict[str, str]
    read_at: str = ""
    source: str = ""
    #: Shown by ``repr`` and in a notebook: None for the per-lab summary, or one lab's exercises.
    shown_lab: str | None = None

    def for_lab(self, lab_id: str) -> ClassProgress:
        """The same view, one column per exercise of lab ``lab_id`` (``view.for_lab("03")`` in a notebook)."""
        return replace(self, shown_lab=lab_id.zfill(2))

    @property
    def labs(self) -> list[str]:
        return sorted({e.split(".", 1)[0] for e in self.exercises})

    def of_lab(self, lab_id: str) -> list[str]:
        """The ids of lab ``lab_id``'s exercises."""
        return [e for e in self.exercises if e.startswith(f"{lab_id}.")]

    def lab_completion(self, student: str) -> dict[str, str]:
        sp = next(s for s in self.students if s.student == student)
        return {lab_id: f"{sp.passed(self.of_lab(lab_id))}/{len(self.of_lab(lab_id))}" for lab_id in self.labs}

    def stuck(self, *, at_least: int = 1) -> list[Stuck]:
        """Exercises tried and not passed, the most students first (then the most attempts)."""
        found = []
        for ex_id, title in self.exercises.items():
            who = [s for s in self.students
                   if (r := s.records.get(ex_id)) and not r.get("passed") and (r.get("attempts") or r.get("hints"))]
            if len(who) >= at_least:
                found.append(Stuck(ex_id, title, tuple(s.student for s in who),
                                   sum(s.records[ex_id].get("attempts", 0) for s in who),
                                   sum(s.records[ex_id].get("hints", 0) for s in who)))
        return sorted(found, key=lambda s: (-len(s.students), -s.attempts, s.exercise))

    # ---- views ------------------------------------------------------------------------------
    def summary_rows(self) -> list[dict[str, str]]:
        """One row per student: completion per lab, in total, and the last activity."""
        rows = []
        total = len(self.exercises)
        for sp in self.students:
            row = {"student": sp.student}
            if sp.state == FOUND:
                row.update(self.lab_completion(sp.student))
                row["total"] = f"{sp.passed(self.exercises)}/{total}"
                row["last"] = _short_time(sp.last_activity) or "—"
            else:
                row.update(dict.fromkeys(self.labs, "·"))
                row["total"] = f"0/{total}"
                row["last"] = sp.state if sp.state != UNREADABLE else f"unreadable: {sp.note}"[:60]
            rows.append(row)
        return rows

    def lab_rows(self, lab_id: str) -> list[dict[str, str]]:
        """One row per student, one column per exercise of lab ``lab_id``."""
        return [{"student": sp.student, **{e: cell(sp.records.get(e)) for e in self.of_lab(lab_id)}}
                for sp in self.students]

    def table(self, lab_id: str | None = None) -> tuple[str, Table, str]:
        """``(heading, table, notes)``: the class as the course's table, per lab (``lab_id=None``) or one
        column per exercise of lab ``lab_id``, with the legend and who is stuck below it.

        Colour helps the eye find who is done and who is stuck; the words carry the meaning, so the
        table reads without colour (a terminal, GitHub, a screen reader).
        """
        from kslab.views.tables import Table

        head = (f"class progress on context {self.context}: {len(self.students)} student(s), "
                f"{len(self.exercises)} exercises" + (f" (read {_short_time(self.read_at)})" if self.read_at else ""))
        if lab_id is None:
            columns = ["student", *self.labs, "total", "last"]
            headers = ["STUDENT", *(f"LAB {n}" for n in self.labs), "TOTAL", "LAST"]
            rows = self.summary_rows()
            legend = ("LAB NN: exercises passed, of the lab's. Each exercise: `kslab classroom progress --lab NN`, "
                      'or view.for_lab("NN") in a notebook.')
            style = dict.fromkeys([*self.labs, "total"], _completion_style)
        else:
            ids = self.of_lab(lab_id)
            columns, headers, rows = ["student", *ids], ["STUDENT", *ids], self.lab_rows(lab_id)
            legend = ("PASS n: passed after n attempts; try n: n attempts, not passed; hN: N hints; "
                      "S: solution seen; ·: not started.")
            style = dict.fromkeys(ids, _cell_style)
        notes = [legend]
        stuck = self.stuck()
        if stuck:
            notes += ["", "stuck (tried, not passed yet):"]
            notes += [f"  {s.exercise:<22} {len(s.students)} student(s): {', '.join(s.students[:8])}"
                      f"{' …' if len(s.students) > 8 else ''} — {s.attempts} attempts, {s.hints} hints"
                      for s in stuck[:10]]
        if self.source:
            notes += ["", self.source]
        return head, Table(rows, columns, headers, style=style), "\n".join(notes)

    def text(self, lab_id: str | None = None) -> str:
        head, table, notes = self.table(lab_id or self.shown_lab)
        return f"{head}\n\n{table.text()}\n\n{notes}"

    def __repr__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        from kslab.views.tables import html_block

        return html_block(*self.table(self.shown_lab))

    def as_dict(self) -> dict[str, Any]:
        return {"context": self.context, "read_at": self.read_at, "source": self.source,
                "exercises": [{"id": e, "title": t} for e, t in self.exercises.items()],
                "students": [{"student": s.student, "namespace": s.namespace, "state": s.state, "note": s.note,
                              "completion": self.lab_completion(s.student) if s.state == FOUND else {},
                              "passed": s.passed(self.exercises), "exercises": s.records}
                             for s in self.students],
                "stuck": [s.as_dict() for s in self.stuck()]}


def _completion_style(value: Any) -> str:
    v = str(value)
    return tint(PASSED_BACKGROUND) if _complete(v) else tint(TRIED_BACKGROUND) if _partial(v) else ""


def _cell_style(value: Any) -> str:
    v = str(value)
    return tint(PASSED_BACKGROUND) if v.startswith("PASS") else tint(TRIED_BACKGROUND) if v.startswith("try") else ""


def _complete(value: str) -> bool:
    n, _, of = value.partition("/")
    return n.isdigit() and of.isdigit() and n == of and of != "0"


def _partial(value: str) -> bool:
    n, _, of = value.partition("/")
    return n.isdigit() and of.isdigit() and 0 < int(n) < int(of)


def _short_time(stamp: str) -> str:
    """``2026-12-01T10:04:05+0000`` → ``12-01 10:04`` (a class happens within days)."""
    m = re.match(r"\d{4}-(\d\d-\d\d)T(\d\d:\d\d)", stamp or "")
    return f"{m.group(1)} {m.group(2)}" if m else ""


def class_progress(context: str, found: Sequence[StudentProgress], exercises: Mapping[str, str], *,
                   read_at: str = "", source: str = "") -> ClassProgress:
    """The class table from what was read (students in the roster's order)."""
    return ClassProgress(context, list(found), dict(exercises), read_at, source)
