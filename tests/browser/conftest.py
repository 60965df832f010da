"""The course in a real browser: one JupyterLab server and one headless Chromium for the whole session.

JupyterLab runs on 127.0.0.1 on a free port with a random token, offline (``KSLAB_MODE=offline``,
a throw-away ``KSLAB_HOME``) and with throw-away Jupyter config/data/runtime/settings directories, so
nothing from the developer's own Jupyter set-up leaks in. Chromium is the system's (Debian's
``chromium``), driven by Playwright for Python; no browser is ever downloaded. Without Playwright or
Chromium every browser test skips and says why. Every test here gets the ``browser`` marker.

Screenshots go to ``artifacts/screenshots/`` (see tests/browser/README.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from labdriver import CHROMIUM_ARGS, VIEWPORT, JupyterServer, LabPage, chromium_path, start_server, \
    stop_server, why_no_browser

HERE = Path(__file__).resolve().parent


def _order(item: pytest.Item) -> tuple[str, int]:
    """Notebook by notebook: the generic run first, then that notebook's widget tests (which reuse it)."""
    match = re.search(r"(\d\d)[-_]", item.name)
    return (match.group(1) if match else "99", 0 if "every_notebook" in item.name else 1)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = why_no_browser()
    ours = [i for i in items if HERE in Path(str(i.fspath)).resolve().parents]
    for item in ours:
        item.add_marker(pytest.mark.browser)
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))
    if ours:  # keep the rest of the suite's order; sort only the browser block, which stays in place
        first = items.index(ours[0])
        mine = {id(i) for i in ours}
        rest = [i for i in items if id(i) not in mine]
        items[:] = rest[:first] + sorted(ours, key=_order) + rest[first:]


@pytest.fixture(scope="session")
def jupyter_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServer]:
    """JupyterLab for the session; its kernels and itself are stopped afterwards."""
    reason = why_no_browser()
    if reason:
        pytest.skip(reason)
    try:
        server = start_server(tmp_path_factory.mktemp("jupyterlab"))
    except RuntimeError as exc:
        pytest.fail(str(exc))
    try:
        yield server
    finally:
        stop_server(server)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """The system Chromium, headless, for the session."""
    reason = why_no_browser()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="session")
def lab_page(browser: Any, jupyter_server: JupyterServer) -> Iterator[LabPage]:
    """One page for the whole session (tests reuse it)."""
    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        yield LabPage(page, jupyter_server)
    finally:
        context.close()


@pytest.fixture()
def lab(lab_page: LabPage) -> LabPage:
    """The shared page. A notebook stays open (and its kernel running) after a test, so the next test of
    the same notebook can reuse the run; opening another notebook shuts the old kernel down."""
    return lab_page
