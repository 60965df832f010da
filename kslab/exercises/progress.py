"""Exercise progress, kept per user outside the repository so it survives kernel restarts.

The file is ``<state dir>/progress-<user>.json`` (see :func:`kslab.settings.state_dir`). Writes are
atomic (a temporary file, then a rename), and a file that cannot be read is set aside, never
overwritten, so a student's record is not lost.

>>> import tempfile, pathlib
>>> store = ProgressStore(pathlib.Path(tempfile.mkdtemp()) / "p.json")
>>> store.record("01.components", passed=True)["passed"]
True
>>> store.load()["01.components"]["attempts"]
1
"""

from __future__ import annotations

import getpass
import json
import os
import re
import tempfile
import time
from pathlib import Path
from typing import Any

from kslab.settings import state_dir


def default_path() -> Path:
    """The progress file for the current user."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers)
        user = str(os.getuid()) if hasattr(os, "getuid") else "user"
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", user) or "user"
    return state_dir() / f"progress-{safe}.json"


class ProgressStore:
    """Reads and updates one progress file: ``{exercise id: {attempts, passed, hints, ...}}``."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_path()
        self.warning: str | None = None

    def load(self) -> dict[str, dict[str, Any]]:
        """Everything recorded so far (an empty dict when nothing is)."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (json.JSONDecodeError, UnicodeDecodeError, OSError):
            aside = self.path.with_name(f"{self.path.name}.unreadable-{int(time.time())}")
            try:
                self.path.replace(aside)
                self.warning = f"progress file could not be read; kept it as {aside.name}"
            except OSError:
                self.warning = f"progress file {self.path} could not be read"
            return {}
        return data if isinstance(data, dict) else {}

    def _save(self, data: dict[str, dict[str, Any]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".progress-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh, indent=1, sort_keys=True)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def update(self, exercise_id: str, **changes: Any) -> dict[str, Any]:
        """Merge ``changes`` into one exercise's record and save; returns the new record."""
        data = self.load()
        entry = data.setdefault(exercise_id, {"attempts": 0, "passed": False, "hints": 0,
                                              "solution_seen": False})
        entry.update(changes)
        entry["updated"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        self._save(data)
        return entry

    def record(self, exercise_id: str, *, passed: bool) -> dict[str, Any]:
        """Record one attempt; once passed, an exercise stays passed."""
        before = self.load().get(exercise_id, {})
        return self.update(exercise_id, attempts=int(before.get("attempts", 0)) + 1,
                           passed=bool(before.get("passed")) or passed)

    def reset(self, exercise_id: str | None = None) -> None:
        """Forget one exercise (or all of them)."""
        data = self.load()
        if exercise_id is None:
            data = {}
        else:
            data.pop(exercise_id, None)
        self._save(data)
