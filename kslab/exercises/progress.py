"""Exercise progress, kept per user outside the repository so it survives kernel restarts.

The file is ``<state dir>/progress-<user>.json`` (see :func:`kslab.settings.state_dir`). Several
kernels and a ``kslab progress --reset`` may write at once, so every change is a read-modify-write
under an exclusive lock (``<file>.lock``) ending in an atomic replace: no update is lost, and a
reader never sees half a file.

A file that cannot be read (corrupt, not JSON, unreadable) is never overwritten and never
silently dropped: the next *write* sets it aside under a unique name
(``progress-<user>.json.unreadable-<time>-<pid>-<n>``) and says so with a :class:`ProgressWarning`
(shown in the notebook, printed by the command line); a reader (``kslab progress``) only warns
and leaves it where it is.

>>> import tempfile, pathlib
>>> store = ProgressStore(pathlib.Path(tempfile.mkdtemp()) / "p.json")
>>> store.record("01.components", passed=True)["passed"]
True
>>> store.load()["01.components"]["attempts"]
1
"""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import re
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from kslab.settings import state_dir

#: A progress file larger than this is not one kslab wrote (a few hundred bytes per exercise).
MAX_BYTES = 4 * 1024 * 1024


class ProgressWarning(UserWarning):
    """Something about the progress file the student should know (it was unreadable, set aside)."""


def default_path() -> Path:
    """The progress file for the current user."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers)
        user = str(os.getuid()) if hasattr(os, "getuid") else "user"
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", user) or "user"
    return state_dir() / f"progress-{safe}.json"


class Unreadable(Exception):
    """The progress file exists but cannot be used; ``str()`` says why."""


class ProgressStore:
    """Reads and updates one progress file: ``{exercise id: {attempts, passed, hints, ...}}``."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_path()
        #: The last warning about the file (also issued as a :class:`ProgressWarning`), or None.
        self.warning: str | None = None

    # ---- reading --------------------------------------------------------------------------------
    def _read(self) -> dict[str, dict[str, Any]]:
        """The file's records; {} when there is no file; :class:`Unreadable` when it cannot be used."""
        try:
            with self.path.open("rb") as fh:
                raw = fh.read(MAX_BYTES + 1)
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise Unreadable(exc.strerror or type(exc).__name__) from None
        if len(raw) > MAX_BYTES:
            raise Unreadable(f"larger than {MAX_BYTES // (1024 * 1024)} MiB")
        try:
            data = json.loads(raw.decode("utf-8"))
        except (ValueError, RecursionError) as exc:  # JSON and UTF-8 errors are ValueErrors
            raise Unreadable(f"not valid JSON ({type(exc).__name__})") from None
        if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
            raise Unreadable("not a progress record (a JSON object of exercise records)")
        return data

    def load(self) -> dict[str, dict[str, Any]]:
        """Everything recorded so far (an empty dict when nothing is). Read-only: a file that cannot
        be read is left where it is, with a warning."""
        try:
            return self._read()
        except Unreadable as why:
            self._warn(f"progress file {self.path} cannot be read ({why}); showing no progress. It is "
                       "left as it is; the next recorded attempt keeps it aside and starts a new one")
            return {}

    # ---- writing --------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Exclusive access to the file for one read-modify-write (an advisory lock on ``<file>.lock``)."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        lock_path = self.path.with_name(self.path.name + ".lock")
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                import fcntl
            except ImportError:  # pragma: no cover - Windows: one writer at a time is the student's job
                fcntl = None  # type: ignore[assignment]
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def _set_aside(self, why: Unreadable) -> None:
        """Keep an unreadable file under a name no other set-aside has; announce it."""
        stamp = time.strftime("%Y%m%dT%H%M%S")
        for n in range(1000):
            aside = self.path.with_name(f"{self.path.name}.unreadable-{stamp}-{os.getpid()}-{n}")
            if not aside.exists():
                break
        try:
            os.replace(self.path, aside)
        except OSError as exc:
            raise OSError(exc.errno, f"progress file {self.path} cannot be read ({why}) nor set aside "
                                     f"({exc.strerror}); nothing was recorded", str(self.path)) from None
        self._warn(f"progress file {self.path} could not be read ({why}); it is kept as {aside.name} "
                   "and a new one was started")

    def _save(self, data: dict[str, dict[str, Any]]) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".progress-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh, indent=1, sort_keys=True)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _modify(self, change: Callable[[dict[str, dict[str, Any]]], Any]) -> Any:
        """Apply ``change`` to the records under the lock and save; returns what ``change`` returns."""
        with self._locked():
            try:
                data = self._read()
            except Unreadable as why:
                self._set_aside(why)
                data = {}
            result = change(data)
            self._save(data)
            return result

    def _warn(self, message: str) -> None:
        self.warning = message
        warnings.warn(message, ProgressWarning, stacklevel=3)

    def update(self, exercise_id: str, **changes: Any) -> dict[str, Any]:
        """Merge ``changes`` into one exercise's record and save; returns the new record."""
        def change(data: dict[str, dict[str, Any]]) -> dict[str, Any]:
            entry = data.setdefault(exercise_id, {"attempts": 0, "passed": False, "hints": 0,
                                                  "solution_seen": False})
            entry.update(changes)
            entry["updated"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
            return entry
        return dict(self._modify(change))

    def record(self, exercise_id: str, *, passed: bool) -> dict[str, Any]:
        """Record one attempt; once passed, an exercise stays passed."""
        def change(data: dict[str, dict[str, Any]]) -> dict[str, Any]:
            entry = data.setdefault(exercise_id, {"attempts": 0, "passed": False, "hints": 0,
                                                  "solution_seen": False})
            entry["attempts"] = _count(entry.get("attempts")) + 1
            entry["passed"] = bool(entry.get("passed")) or passed
            entry["updated"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
            return entry
        return dict(self._modify(change))

    def reset(self, exercise_id: str | None = None) -> None:
        """Forget one exercise (or all of them)."""
        def change(data: dict[str, dict[str, Any]]) -> None:
            if exercise_id is None:
                data.clear()
            else:
                data.pop(exercise_id, None)
        self._modify(change)


def _count(value: Any) -> int:
    """A stored count, or 0 when the file holds something else there."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0
