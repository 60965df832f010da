"""The classroom mirror: a student's progress, copied to their namespace for the instructor to see.

When a notebook connects with a classroom student's kubeconfig (live, context ``kslab-classroom``,
whose namespace is the student's own), every exercise check, hint or solution also updates one
ConfigMap in that namespace (:mod:`kslab.classroom.progress` says what it holds: no answers, no
tokens). Offline, or with any other context, nothing leaves the student's machine.

The local progress file stays the source of truth. The copy is written by a background thread, so a
check returns at once whatever the API server does; a failed write (403, a conflict, an unreachable
server) is remembered and retried, and each later write sends the whole local record, so the copy
catches up. ``kslab.exercises.mirror.status()`` says how the last write went.

>>> from kslab.cluster.modes import ModeChoice
>>> from kslab.cluster.lab import Lab
>>> classroom_identity(Lab(ModeChoice("offline", None, False, "no cluster"))) is None
True
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kslab.classroom.progress import ClassProgress
    from kslab.classroom.roster import Student
    from kslab.cluster.lab import Lab
    from kslab.exercises.progress import ProgressStore

#: Seconds between retries after a failed write, doubling up to the last one.
RETRY_DELAYS = (5.0, 15.0, 60.0, 300.0)


@dataclass(frozen=True)
class Identity:
    """Who the mirror writes for: the student's label and namespace."""

    student: str
    namespace: str


def classroom_identity(lab: Lab) -> Identity | None:
    """The classroom student this Lab connects as, or None (offline, or not a classroom kubeconfig).

    A classroom kubeconfig (``kslab classroom create``) names the context ``kslab-classroom`` and,
    in it, the student's namespace and user.
    """
    from kslab.classroom.objects import NAMESPACE_PREFIX, STUDENT_CONTEXT

    if not lab.live or lab.context != STUDENT_CONTEXT or not lab.namespace:
        return None
    from kslab import settings
    from kslab.cluster.kubeconfig import read_kubeconfig

    user = read_kubeconfig(settings.kubeconfig_paths()).details.get(lab.context, {}).get("user", "")
    namespace = lab.namespace
    student = user or (namespace[len(NAMESPACE_PREFIX):] if namespace.startswith(NAMESPACE_PREFIX) else namespace)
    return Identity(student, namespace)


@dataclass
class Status:
    """How the mirror is doing: the last write that worked, and the last error since."""

    target: str = ""
    last_ok: str = ""
    last_error: str = ""
    writes: int = 0
    failures: int = 0

    def text(self) -> str:
        if not self.target:
            return "progress is kept on this machine only (not a classroom kubeconfig)"
        line = f"progress mirrored to ConfigMap {self.target} for the instructor"
        if self.last_ok:
            line += f"; last written {self.last_ok}"
        if self.last_error:
            line += f"; the last write failed ({self.last_error}) and is retried"
        return line


class Mirror:
    """Copies one progress store into one student's ConfigMap, from a background thread.

    ``push`` is the write (``kslab.cluster.class_progress.push`` bound to a Lab); tests hand in their
    own. :meth:`sync` does one write now; :meth:`notify` asks the thread for one soon.
    """

    def __init__(self, identity: Identity, push: Callable[..., Any], store: ProgressStore | None = None) -> None:
        self.identity = identity
        self._push = push
        self._store = store
        self.status = Status(target=f"{identity.namespace}/kslab-progress")
        self._cond = threading.Condition()
        self._asked = 0  # writes asked for so far
        self._tried = 0  # of those, how many a write has covered (tried after they were asked)
        self._write = threading.Lock()
        self._thread: threading.Thread | None = None

    def sync(self, store: ProgressStore | None = None) -> bool:
        """Write the store's whole record now; True when the API server took it."""
        from kslab.exercises.progress import ProgressStore

        store = store or self._store or ProgressStore()
        self._store = store
        with self._write:  # one write at a time from this kernel; other kernels are resolved by merging
            try:
                self._push(store.load(), student=self.identity.student, namespace=self.identity.namespace)
            except Exception as exc:  # noqa: BLE001 - a failed copy never breaks the student's notebook
                self.status.failures += 1
                self.status.last_error = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
                return False
            self.status.writes += 1
            self.status.last_ok = time.strftime("%H:%M:%S")
            self.status.last_error = ""
            return True

    def notify(self, store: ProgressStore | None = None) -> None:
        """Ask for a write soon (several changes close together make one write)."""
        with self._cond:
            if store is not None:
                self._store = store
            self._asked += 1
            self._cond.notify_all()
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="kslab-progress-mirror", daemon=True)
                self._thread.start()

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until every write asked for so far has been tried; True if the last one worked."""
        with self._cond:
            wanted = self._asked
            self._cond.wait_for(lambda: self._tried >= wanted, timeout)
        return not self.status.last_error

    def _run(self) -> None:
        failures = 0
        while True:
            with self._cond:
                delay = RETRY_DELAYS[min(failures, len(RETRY_DELAYS) - 1)] if failures else None
                self._cond.wait_for(lambda: self._asked > self._tried, delay)
                if self._asked == self._tried and not failures:
                    continue
                covering = self._asked  # this write reads the store after every change asked so far
            ok = self.sync()
            with self._cond:
                self._tried = max(self._tried, covering)
                self._cond.notify_all()
            failures = 0 if ok else failures + 1
            if failures > 2 * len(RETRY_DELAYS):
                failures = 0  # stop retrying on a timer; the next change writes again


_current: Mirror | None = None
_decided: object | None = None  # the last Lab found not to be a classroom student's (asked once)
_lock = threading.Lock()


def attach(lab: Lab) -> Mirror | None:
    """Start mirroring for this Lab when it is a classroom student's; returns the mirror (or None)."""
    global _current, _decided
    identity = classroom_identity(lab)
    with _lock:
        if identity is None:
            _decided = lab
            return _current
        if _current is not None and _current.identity == identity:
            return _current
        from kslab.cluster.class_progress import push

        _current = Mirror(identity, lambda records, **kw: push(lab, records, **kw))
        return _current


def detach() -> None:
    """Stop mirroring (the next connect decides again)."""
    global _current, _decided
    with _lock:
        _current = _decided = None


def current() -> Mirror | None:
    """The active mirror: the one attached, else one for the Lab ``kslab.connect()`` last returned."""
    if _current is None:
        from kslab.cluster import connect

        lab = connect.last_connected()
        if lab is not None and lab is not _decided:
            return attach(lab)
    return _current


def changed(store: ProgressStore) -> None:
    """Called after the student's progress changed: mirror it if in a classroom. Never raises."""
    try:
        mirror = current()
        if mirror is not None:
            mirror.notify(store)
    except Exception:  # noqa: BLE001, S110 - the local store already has it; the mirror is a copy
        pass


def status() -> Status:
    """How the mirror is doing (nothing to say outside a classroom)."""
    mirror = current()
    return mirror.status if mirror is not None else Status()


def class_progress(lab: Lab, students: Sequence[Student | str], *,
                   prefix: str = "kslab-") -> ClassProgress:
    """The instructor's view: every student × exercise, per-lab completion, where students are stuck.

    In an instructor's notebook, with their own (admin) context::

        lab = kslab.connect(context="my-class-cluster")
        kslab.exercises.mirror.class_progress(lab, kslab.classroom.numbered(30))
    """
    from kslab.cluster.class_progress import read_class
    from kslab.exercises.catalog import all_exercises

    return read_class(lab, students, {e.id: e.title for e in all_exercises().values()}, prefix=prefix)
