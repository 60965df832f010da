"""Shared fixtures.

Live tests (marker ``live``) run against whatever cluster ``KUBECONFIG`` points to, only when
``KSLAB_MODE=live`` and ``KSLAB_CONTEXT`` names the context; otherwise they skip. Each live test gets
its own namespace, labelled as kslab's, deleted afterwards.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
UPSTREAM = Path(__file__).resolve().parent / "upstream"  # conformance data kept in the repo (see its README)


def live_requested() -> str | None:
    """Why live tests must skip, or None when they may run."""
    if os.environ.get("KSLAB_MODE", "").lower() != "live":
        return "live tests need KSLAB_MODE=live"
    if not os.environ.get("KSLAB_CONTEXT"):
        return "live tests need KSLAB_CONTEXT naming the cluster's context"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = live_requested()
    if reason:
        skip = pytest.mark.skip(reason=reason)
        for item in items:
            # The marker itself: item.keywords also holds folder names (a checkout in ".../live/").
            if item.get_closest_marker("live") is not None:
                item.add_marker(skip)


@pytest.fixture(scope="session")
def live_lab() -> Any:
    """A live Lab on ``KSLAB_CONTEXT`` (a lab context, since it is named explicitly)."""
    reason = live_requested()
    if reason:
        pytest.skip(reason)
    import kslab

    return kslab.connect(mode="live", context=os.environ["KSLAB_CONTEXT"])


@pytest.fixture()
def live_namespace(live_lab: Any, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh namespace for one live test, removed (with everything in it) afterwards."""
    name = f"kslab-t-{uuid.uuid4().hex[:8]}"
    test_name = re.sub(r"[^A-Za-z0-9_.-]", "-", request.node.name)[:63].strip("-_.") or "test"
    labels = {**live_lab.labels_for("tests"), "kslab.dev/test": test_name}
    live_lab.create_namespace(name, labels=labels)
    try:
        yield name
    finally:
        try:
            live_lab.delete_namespace(name)
        except Exception:  # noqa: BLE001 - already gone is fine
            pass


@pytest.fixture()
def webapp_image() -> str:
    """The webapp image the live tests deploy (``KSLAB_WEBAPP_IMAGE``)."""
    from kslab.settings import webapp_image

    return webapp_image()
