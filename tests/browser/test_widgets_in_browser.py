"""The widgets respond in a real browser: a student changes a control, and what the page shows changes
to exactly what kslab computes for the new settings (the kernel round trip works), with the expected
security meaning. Screenshots of each widget before and after are saved in ``artifacts/screenshots/``.

The widgets' parts are found by what a student sees: controls by their accessible names (their
descriptions, the Kubernetes field or flag names), views by the words they show.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from labdriver import NOTEBOOKS, LabPage

BY_NUMBER = {p.name[:2]: p.name for p in NOTEBOOKS}


def notebook(number: str) -> str:
    if number not in BY_NUMBER:
        pytest.skip(f"notebook {number} is not in notebooks/ yet")
    return BY_NUMBER[number]


def words(text: str) -> list[str]:
    return text.split()


def wait_for_change(locator: Any, before: str, timeout: float = 15) -> str:
    """The locator's text once it differs from ``before`` (the kernel answered)."""
    page = locator.page
    deadline = timeout * 1000
    waited = 0
    while waited < deadline:
        now = locator.inner_text()
        if now != before:
            page.wait_for_timeout(200)  # one toggle may update several views; let them all land
            return str(locator.inner_text())
        page.wait_for_timeout(100)
        waited += 100
    raise AssertionError(f"no change after {timeout} s; still: {before[:200]}")


# --- notebook 03: the security-context explorer ---------------------------------------------------------

def _hack_rows(text: str) -> dict[str, tuple[str, str]]:
    """``step -> (predicted, hack works?)`` from the hack table as shown."""
    rows = {}
    for line in text.strip().splitlines()[1:]:
        cols = re.split(r"\s{2,}", line.strip())
        if len(cols) >= 3:
            rows[cols[0]] = (cols[1], cols[2])
    return rows


def _verdicts(text: str) -> dict[str, str]:
    return dict(re.findall(r"^(baseline|restricted):\S+: (PASS|FAIL)", text, re.M))


class SecurityContextView:
    """The security-context widget as the page shows it."""

    def __init__(self, lab: LabPage) -> None:
        views = lab.widget_outputs().filter(has_text="Pod Security Standards")
        assert views.count() == 1, f"expected one security-context widget, found {views.count()}"
        self.root = views.first
        self.verdicts = self.root.locator(".widget-html-content", has_text=re.compile(r"restricted:\S+: (PASS|FAIL)"))
        self.hack = self.root.locator(".widget-html-content pre", has_text=re.compile(r"^step\s+predicted"))

    def control(self, role: str, name: str) -> Any:
        return self.root.get_by_role(role, name=name, exact=True)

    def state(self) -> tuple[str, str]:
        return str(self.verdicts.inner_text()), str(self.hack.inner_text())


def _expected(**choices: Any) -> Any:
    from kslab.widgets.security_context import Choices, explore

    return explore(Choices(**choices))


def _assert_shows(view: SecurityContextView, expected: Any) -> None:
    verdicts, hack = view.state()
    assert _verdicts(verdicts) == {"baseline": "PASS" if expected.baseline.allowed else "FAIL",
                                   "restricted": "PASS" if expected.restricted.allowed else "FAIL"}
    for verdict in (expected.baseline, expected.restricted):
        for violation in verdict.violations:
            assert violation.message in verdicts
    assert words(hack) == words(expected.hack.table())


def test_03_security_context_widget_responds(lab: LabPage) -> None:
    lab.ensure_run(notebook("03"))
    lab.touched()
    view = SecurityContextView(lab)
    lab.screenshot(view.root, "03-security-context-1-default")

    # the default: root, writable, escalation allowed — baseline passes, restricted does not, the hack works
    _assert_shows(view, _expected())
    verdicts, hack = view.state()
    assert _verdicts(verdicts) == {"baseline": "PASS", "restricted": "FAIL"}
    assert "allowPrivilegeEscalation != false" in verdicts
    rows = _hack_rows(hack)
    assert rows["edit the served page"][1] == "yes" and rows["who am I (id)"][0].startswith("uid=0")

    # tick readOnlyRootFilesystem and set allowPrivilegeEscalation to false
    view.control("checkbox", "readOnlyRootFilesystem: true").check()
    wait_for_change(view.hack, hack)
    view.control("combobox", "allowPrivilegeEscalation").select_option(label="false")
    wait_for_change(view.verdicts, verdicts)
    lab.screenshot(view.root, "03-security-context-2-readonly-noescalation")
    _assert_shows(view, _expected(read_only_root_filesystem=True, allow_privilege_escalation=False))
    verdicts, hack = view.state()
    assert "allowPrivilegeEscalation != false" not in verdicts  # that violation is gone …
    assert _verdicts(verdicts)["restricted"] == "FAIL"  # … but runAsNonRoot, capabilities, seccomp remain
    rows = _hack_rows(hack)
    assert rows["edit the served page"] == ("Read-only file system", "no")
    assert rows["who am I (id)"][1] == "yes"  # still root: the filesystem stops the edit, not the user

    # all the way: a non-root user, no capabilities, the runtime's seccomp profile → restricted passes
    view.control("combobox", "runAsUser").select_option(label="1000")
    view.control("checkbox", "runAsNonRoot: true").check()
    view.control("checkbox", "capabilities.drop: [ALL]").check()
    before = view.verdicts.inner_text()
    view.control("checkbox", "seccompProfile: RuntimeDefault").check()
    wait_for_change(view.verdicts, before)
    expected = _expected(run_as_user=1000, run_as_non_root=True, read_only_root_filesystem=True,
                         allow_privilege_escalation=False, drop_all=True, seccomp_runtime_default=True)
    _assert_shows(view, expected)
    verdicts, hack = view.state()
    assert _verdicts(verdicts) == {"baseline": "PASS", "restricted": "PASS"}
    assert all(works == "no" for _, works in _hack_rows(hack).values()), hack
    lab.screenshot(view.root, "03-security-context-3-restricted")

    # and privileged: baseline fails now
    view.control("checkbox", "privileged: true").check()
    wait_for_change(view.verdicts, verdicts)
    _assert_shows(view, _expected(run_as_user=1000, run_as_non_root=True, read_only_root_filesystem=True,
                                  allow_privilege_escalation=False, drop_all=True, seccomp_runtime_default=True,
                                  privileged=True))
    assert _verdicts(view.verdicts.inner_text()) == {"baseline": "FAIL", "restricted": "FAIL"}
    lab.screenshot(view.root, "03-security-context-4-privileged")


# --- notebook 02: the API server flag explorer ----------------------------------------------------------

def _audit_rows(table: Any) -> dict[str, str]:
    """``check id -> status`` from the audit table as shown."""
    cells = table.locator("tr").evaluate_all(
        "rows => rows.map(r => [...r.querySelectorAll('td')].map(td => td.innerText.trim()))")
    return {c[0]: c[1] for c in cells if len(c) >= 2}


def test_02_apiserver_flags_widget_changes_the_audit(lab: LabPage) -> None:
    from kslab.widgets.apiserver_flags import FlagChoices, explore

    lab.ensure_run(notebook("02"))
    lab.touched()
    views = lab.widget_outputs().filter(has_text="kube-apiserver flags")
    assert views.count() == 1, f"expected one API server flags widget, found {views.count()}"
    root = views.first
    table = root.locator("table").filter(has_text="Status")
    lab.screenshot(root, "02-apiserver-flags-1-default")

    default = explore(FlagChoices())
    shown = _audit_rows(table)
    assert shown == {r.id: r.status for r in default.report.rows}
    assert shown["1.2.15"] == "FAIL"  # kubeadm leaves --profiling at its default (on)
    summary = root.get_by_text(re.compile(r"\d+ PASS, \d+ FAIL"))
    assert words(summary.inner_text()) == words(default.report.summary())

    before = table.inner_text()
    root.get_by_role("combobox", name="--profiling", exact=True).select_option(label="false")
    wait_for_change(table, before)
    before = table.inner_text()
    root.get_by_role("combobox", name="--anonymous-auth", exact=True).select_option(label="false")
    wait_for_change(table, before)
    lab.screenshot(root, "02-apiserver-flags-2-profiling-anonymous-off")

    toggled = explore(FlagChoices(profiling=False, anonymous_auth=False))
    shown = _audit_rows(table)
    assert shown == {r.id: r.status for r in toggled.report.rows}
    assert shown["1.2.15"] == "PASS" and shown["1.2.1"] == "PASS"
    assert words(summary.inner_text()) == words(toggled.report.summary())
    assert "--profiling=false" in root.inner_text() and "--anonymous-auth=false" in root.inner_text()

    # 2019's insecure port: the audit explains it is gone ("then vs now"), a row that was not there
    assert not any("insecure-port" in check for check in shown)
    before = table.inner_text()
    root.get_by_role("checkbox", name="--insecure-port=8080 (as in 2019)", exact=True).check()
    wait_for_change(table, before)
    insecure = explore(FlagChoices(profiling=False, anonymous_auth=False, insecure_port=True))
    shown = _audit_rows(table)
    assert shown == {r.id: r.status for r in insecure.report.rows}
    assert shown.get("then-vs-now: --insecure-port") == "INFO", shown
    lab.screenshot(root, "02-apiserver-flags-3-insecure-port")
