"""Files that hold secrets — kubeconfigs with a bearer token — are written one way only: 0600 in a
0700 folder, and never inside a git work tree (one ``git add -A`` would publish the token).

Every such file goes through :func:`write_private`, so the refusal holds everywhere, whatever the
path came from (``KSLAB_HOME`` relative to a repository, ``--out``, an argument).

>>> import tempfile, pathlib
>>> with tempfile.TemporaryDirectory() as tmp:
...     (pathlib.Path(tmp) / ".git").mkdir()
...     write_private(pathlib.Path(tmp) / "state" / "sa.yaml", "token: x")
Traceback (most recent call last):
...
kslab.errors.UsageError: refusing to write a kubeconfig to .../state/sa.yaml: it is inside the git work tree ...
"""

from __future__ import annotations

import os
from pathlib import Path

from kslab.errors import UsageError


def enclosing_repository(path: Path) -> Path | None:
    """The git work tree that contains ``path`` (or would, once created), if any.

    A ``.git`` folder marks a repository, a ``.git`` file a linked worktree or a submodule.
    """
    for folder in [path, *path.parents]:
        if (folder / ".git").exists():
            return folder
    return None


def refuse_inside_repository(path: str | Path, *, what: str = "a kubeconfig",
                             hint: str = "set KSLAB_HOME to a folder outside any repository, e.g. ~/.local/state/kslab"
                             ) -> Path:
    """``path``, absolute, unless it is inside a git work tree (then UsageError)."""
    target = Path(path).expanduser().resolve()
    repo = enclosing_repository(target)
    if repo is not None:
        raise UsageError(f"refusing to write {what} to {target}: it is inside the git work tree {repo}", hint=hint)
    return target


def write_private(path: Path, text: str, *, what: str = "a kubeconfig") -> Path:
    """Write a file only its owner can read (0600, directory 0700), replacing any older one;
    refused inside a git work tree. Returns the absolute path written."""
    path = refuse_inside_repository(path, what=what)
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)  # an older file may have had a wider mode
        os.write(fd, text.encode("utf-8"))
    finally:
        os.close(fd)
    return path
