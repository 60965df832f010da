"""Repository-wide pytest set-up.

Notebooks are checked offline (their stored outputs are the offline ones), whatever mode the
developer's shell is in: nbval starts each notebook's kernel with this process's environment, so it
is set here before a notebook runs. The session gets its own throw-away ``KSLAB_HOME`` so no test
reads or writes a student's progress; that home is removed when the session ends.
"""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

_HOME = tempfile.mkdtemp(prefix="kslab-test-home-")
os.environ["KSLAB_HOME"] = _HOME


def pytest_unconfigure(config: pytest.Config) -> None:
    # Kubeconfigs with tokens may have been written there by live tests: never leave it behind.
    shutil.rmtree(_HOME, ignore_errors=True)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item: pytest.Item):  # type: ignore[no-untyped-def]
    if not str(item.fspath).endswith(".ipynb"):
        yield
        return
    saved = {k: os.environ.get(k) for k in ("KSLAB_MODE", "KSLAB_CONTEXT")}
    os.environ["KSLAB_MODE"] = "offline"
    os.environ.pop("KSLAB_CONTEXT", None)
    try:
        yield  # the notebook's kernel starts here, with this environment
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

# The notebook sources are jupytext scripts: nbval runs the built notebooks; never import them as modules.
# conftest files are loaded by pytest as plugins; --doctest-modules must not import them a second time.
collect_ignore_glob = ["notebooks/src/*", "tests/conftest.py", "tests/*/conftest.py"]
