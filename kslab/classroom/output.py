"""Where student kubeconfigs may be written: a folder the instructor names, never inside a git
repository (a kubeconfig holds a bearer token, and one ``git add -A`` would publish it).

Files are written 0600 in a 0700 folder, one per student: ``<folder>/<student>.kubeconfig``.

>>> import tempfile, pathlib
>>> with tempfile.TemporaryDirectory() as tmp:
...     (pathlib.Path(tmp) / ".git").mkdir()
...     check_out_dir(pathlib.Path(tmp) / "kubeconfigs")
Traceback (most recent call last):
...
kslab.errors.UsageError: refusing to write kubeconfigs into .../kubeconfigs: it is inside the git repository ...
"""

from __future__ import annotations

from pathlib import Path

from kslab.errors import UsageError
from kslab.private import enclosing_repository

__all__ = ["check_out_dir", "enclosing_repository", "kubeconfig_file"]


def check_out_dir(path: str | Path) -> Path:
    """The folder, absolute, if kubeconfigs may go there; UsageError otherwise."""
    folder = Path(path).expanduser().resolve()
    repo = enclosing_repository(folder)
    if repo is not None:
        raise UsageError(f"refusing to write kubeconfigs into {folder}: it is inside the git repository {repo}",
                         hint="name a folder outside any repository, e.g. --out ~/kslab-class")
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder} exists and is not a folder", hint="name a folder for the kubeconfigs")
    return folder


def kubeconfig_file(folder: Path, student: str) -> Path:
    """Where one student's kubeconfig goes.

    >>> kubeconfig_file(Path("/srv/class"), "ada").as_posix()
    '/srv/class/ada.kubeconfig'
    """
    return folder / f"{student}.kubeconfig"
