"""The widgets respond in a real browser: a student changes a control, and what the page shows changes
to exactly what kslab computes for the new settings (the kernel round trip works), with the expected
security meaning. Screenshots of each widget before and after are saved in ``artifacts/screenshots/``.

Controls are found by what a student sees, their accessible names (their descriptions, the
Kubernetes field or flag names); views by stable CSS classes where the widget gives them
(``kslab-verdicts``, ``kslab-hack``), otherwise by the words they show.
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


#: Text the page shortens with an ellipsis because its box is too narrow for it.
_CUT_OFF_JS = """
root => [...root.querySelectorAll('*')]
  .filter(e => getComputedStyle(e).textOverflow === 'ellipsis' && e.scrollWidth > e.clientWidth + 1)
  .map(e => e.textContent.trim())
"""


def chosen(select: Any) -> str:
    """The option a dropdown shows (ipywidgets writes its spaces as no-break spaces)."""
    return " ".join(words(select.locator("option:checked").inner_text()))


def cut_off(root: Any) -> list[str]:
    """The labels and values inside ``root`` that are cut off."""
    return list(root.evaluate(_CUT_OFF_JS))


def wait_until_shown(page: Any, root: Any, shows: str, want: Any, timeout: float = 30) -> None:
    """Wait until the page function ``shows(root, want)`` is true: the kernel answers a toggle
    asynchronously, and one toggle may redraw several views, so the test waits for the state it then
    asserts (``want``: what kslab computes for the new settings), never for a fixed time."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(f"([root, want]) => ({shows})(root, want)", arg=[root.element_handle(), want],
                               polling=100, timeout=timeout * 1000)
    except PlaywrightTimeout:
        pass  # the assertions that follow say what the view shows instead


# --- notebook 03: the security-context explorer ---------------------------------------------------------

def _table_cells(table: Any) -> list[list[str]]:
    """The text of each body row's cells, as shown."""
    return table.locator("tbody tr").evaluate_all(
        "rows => rows.map(r => [...r.querySelectorAll('td')].map(td => td.innerText.trim()))")


def _verdicts(text: str) -> dict[str, str]:
    return dict(re.findall(r"^(baseline|restricted):\S+: (PASS|FAIL)", text, re.M))


class SecurityContextView:
    """The security-context widget as the page shows it: its views by their stable classes
    (``kslab-verdicts``, ``kslab-hack``), its controls by their accessible names."""

    def __init__(self, lab: LabPage) -> None:
        views = lab.widget_outputs().filter(has=lab.page.locator(".kslab-hack"))
        assert views.count() == 1, f"expected one security-context widget, found {views.count()}"
        self.root = views.first
        self.verdicts = self.root.locator(".kslab-verdicts")
        self.hack = self.root.locator(".kslab-hack table")

    def control(self, role: str, name: str) -> Any:
        return self.root.get_by_role(role, name=name, exact=True)

    def hack_rows(self) -> list[list[str]]:
        return _table_cells(self.hack)

    def outcomes(self) -> dict[str, tuple[str, str]]:
        """``step -> (predicted, outcome)`` from the hack table as shown."""
        return {row[0]: (row[1], row[2]) for row in self.hack_rows()}

#: The security-context view shows these hack rows, verdicts and (distinct, sorted) violation messages.
_SC_SHOWS = r"""(root, want) => {
  const hack = [...root.querySelectorAll('.kslab-hack table tbody tr')]
    .map(r => [...r.querySelectorAll('td')].map(td => td.innerText.trim()));
  const text = (root.querySelector('.kslab-verdicts') || {}).innerText || '';
  const verdicts = [...text.matchAll(/^(baseline|restricted):\S+: (PASS|FAIL)/gm)].map(m => m[1] + '=' + m[2]);
  const violations = [...new Set([...root.querySelectorAll('.kslab-verdicts li')].map(li => li.innerText.trim()))].sort();
  return JSON.stringify([hack, verdicts, violations]) === JSON.stringify(want);
}"""


def _sc_want(expected: Any) -> list[Any]:
    from kslab.widgets.security_context import hack_rows

    return [[list(row) for row in hack_rows(expected.hack)],
            [f"{v.level}={'PASS' if v.allowed else 'FAIL'}" for v in (expected.baseline, expected.restricted)],
            sorted({v.message for verdict in (expected.baseline, expected.restricted) for v in verdict.violations})]


def _shows_soon(view: SecurityContextView, expected: Any) -> None:
    """Wait until the view shows ``expected`` (kslab's result for the new choices), then assert it."""
    wait_until_shown(view.root.page, view.root, _SC_SHOWS, _sc_want(expected))
    _assert_shows(view, expected)


def _expected(**choices: Any) -> Any:
    from kslab.widgets.security_context import Choices, explore

    return explore(Choices(**choices))


def _assert_shows(view: SecurityContextView, expected: Any) -> None:
    """The page shows exactly kslab's verdicts, violations and predicted hack for these choices."""
    from kslab.widgets.security_context import hack_rows

    verdicts = view.verdicts.inner_text()
    assert _verdicts(verdicts) == {"baseline": "PASS" if expected.baseline.allowed else "FAIL",
                                   "restricted": "PASS" if expected.restricted.allowed else "FAIL"}
    shown = {line.strip() for line in verdicts.splitlines() if line.strip() and not _verdicts(line)}
    assert shown == {v.message for verdict in (expected.baseline, expected.restricted)
                     for v in verdict.violations}
    assert view.hack_rows() == [list(row) for row in hack_rows(expected.hack)]


def test_03_security_context_widget_responds(lab: LabPage) -> None:
    lab.ensure_run(notebook("03"))
    lab.touched()
    view = SecurityContextView(lab)
    lab.screenshot(view.root, "03-security-context-1-default")

    # the default: root, writable, escalation allowed — baseline passes, restricted does not, the hack works
    _assert_shows(view, _expected())
    verdicts = view.verdicts.inner_text()
    assert _verdicts(verdicts) == {"baseline": "PASS", "restricted": "FAIL"}
    assert "allowPrivilegeEscalation != false" in verdicts
    rows = view.outcomes()
    assert rows["edit the served page"][1] == "works" and rows["who am I (id)"][0].startswith("uid=0")
    for field in ("runAsUser", "allowPrivilegeEscalation"):  # "unset" shown, not a blank box
        assert chosen(view.control("combobox", field)).startswith("unset"), field
    assert not cut_off(view.root), cut_off(view.root)
    # the widths let the reasons wrap between words: no cell is cut or overflows the view
    assert view.hack.evaluate("t => t.scrollWidth <= t.parentElement.clientWidth + 1")

    # tick readOnlyRootFilesystem and set allowPrivilegeEscalation to false
    view.control("checkbox", "readOnlyRootFilesystem: true").check()
    view.control("combobox", "allowPrivilegeEscalation").select_option(label="false")
    _shows_soon(view, _expected(read_only_root_filesystem=True, allow_privilege_escalation=False))
    lab.screenshot(view.root, "03-security-context-2-readonly-noescalation")
    verdicts = view.verdicts.inner_text()
    assert "allowPrivilegeEscalation != false" not in verdicts  # that violation is gone …
    assert _verdicts(verdicts)["restricted"] == "FAIL"  # … but runAsNonRoot, capabilities, seccomp remain
    rows = view.outcomes()
    assert rows["edit the served page"] == ("Read-only file system", "stopped")
    assert rows["who am I (id)"][1] == "works"  # still root: the filesystem stops the edit, not the user

    # all the way: a non-root user, no capabilities, the runtime's seccomp profile → restricted passes
    view.control("combobox", "runAsUser").select_option(label="1000")
    view.control("checkbox", "runAsNonRoot: true").check()
    view.control("checkbox", "capabilities.drop: [ALL]").check()
    view.control("checkbox", "seccompProfile: RuntimeDefault").check()
    hardened = {"run_as_user": 1000, "run_as_non_root": True, "read_only_root_filesystem": True,
                "allow_privilege_escalation": False, "drop_all": True, "seccomp_runtime_default": True}
    _shows_soon(view, _expected(**hardened))
    assert _verdicts(view.verdicts.inner_text()) == {"baseline": "PASS", "restricted": "PASS"}
    assert all(outcome == "stopped" for _, outcome in view.outcomes().values()), view.hack_rows()
    lab.screenshot(view.root, "03-security-context-3-restricted")

    # and privileged: baseline fails now
    view.control("checkbox", "privileged: true").check()
    _shows_soon(view, _expected(**hardened, privileged=True))
    assert _verdicts(view.verdicts.inner_text()) == {"baseline": "FAIL", "restricted": "FAIL"}
    lab.screenshot(view.root, "03-security-context-4-privileged")


# --- notebook 02: the API server flag explorer ----------------------------------------------------------

def _audit_rows(table: Any) -> dict[str, str]:
    """``check id -> status`` from the audit table as shown."""
    cells = table.locator("tr").evaluate_all(
        "rows => rows.map(r => [...r.querySelectorAll('td')].map(td => td.innerText.trim()))")
    return {c[0]: c[1] for c in cells if len(c) >= 2}


#: The flag explorer shows these ``[check id, status]`` rows (sorted) and this summary line.
_FLAGS_SHOWS = r"""(root, want) => {
  const table = [...root.querySelectorAll('table')].find(t => /status/i.test(t.innerText));
  if (!table) return false;
  const rows = {};
  for (const r of table.querySelectorAll('tr')) {
    const cells = [...r.querySelectorAll('td')].map(td => td.innerText.trim());
    if (cells.length >= 2) rows[cells[0]] = cells[1];
  }
  const shown = Object.keys(rows).sort().map(k => [k, rows[k]]);
  return JSON.stringify(shown) === JSON.stringify(want[0]) && root.innerText.split(/\s+/).join(' ').includes(want[1]);
}"""


def test_02_apiserver_flags_widget_changes_the_audit(lab: LabPage) -> None:
    from kslab.widgets.apiserver_flags import FlagChoices, explore

    lab.ensure_run(notebook("02"))
    lab.touched()
    views = lab.widget_outputs().filter(has_text="kube-apiserver flags")
    assert views.count() == 1, f"expected one API server flags widget, found {views.count()}"
    root = views.first
    table = root.locator("table").filter(has_text="Status")
    lab.screenshot(root, "02-apiserver-flags-1-default")

    # every control has room: each dropdown shows its choice, every flag and plugin name is whole
    for flag in ("--anonymous-auth", "--profiling", "--service-account-extend-token-expiration"):
        select = root.get_by_role("combobox", name=flag, exact=True)
        assert chosen(select).startswith("not given"), flag
        box = select.bounding_box()
        assert box and box["width"] > 120, f"{flag}: its dropdown is squeezed to {box}"
    assert not cut_off(root), cut_off(root)
    for plugin in ("NodeRestriction", "DenyServiceExternalIPs", "PodSecurityPolicy (2019; removed in 1.25)"):
        assert root.get_by_role("checkbox", name=plugin, exact=True).is_visible()

    default = explore(FlagChoices())
    shown = _audit_rows(table)
    assert shown == {r.id: r.status for r in default.report.rows}
    assert shown["1.2.15"] == "FAIL"  # kubeadm leaves --profiling at its default (on)
    summary = root.get_by_text(re.compile(r"\d+ PASS, \d+ FAIL"))
    assert words(summary.inner_text()) == words(default.report.summary())

    def shows(choices: Any) -> None:
        expected = explore(choices)
        want = {r.id: r.status for r in expected.report.rows}
        wait_until_shown(lab.page, root, _FLAGS_SHOWS,
                         [sorted([k, v] for k, v in want.items()), " ".join(words(expected.report.summary()))])
        assert _audit_rows(table) == want
        assert words(summary.inner_text()) == words(expected.report.summary())

    root.get_by_role("combobox", name="--profiling", exact=True).select_option(label="false")
    root.get_by_role("combobox", name="--anonymous-auth", exact=True).select_option(label="false")
    shows(FlagChoices(profiling=False, anonymous_auth=False))
    lab.screenshot(root, "02-apiserver-flags-2-profiling-anonymous-off")
    shown = _audit_rows(table)
    assert shown["1.2.15"] == "PASS" and shown["1.2.1"] == "PASS"
    assert "--profiling=false" in root.inner_text() and "--anonymous-auth=false" in root.inner_text()

    # 2019's insecure port: the audit explains it is gone ("then vs now"), a row that was not there
    assert not any("insecure-port" in check for check in shown)
    root.get_by_role("checkbox", name="--insecure-port=8080 (as in 2019)", exact=True).check()
    shows(FlagChoices(profiling=False, anonymous_auth=False, insecure_port=True))
    assert _audit_rows(table).get("then-vs-now: --insecure-port") == "INFO"
    lab.screenshot(root, "02-apiserver-flags-3-insecure-port")


# --- notebook 04: the access-matrix explorer -------------------------------------------------------------

def _matrix(view: Any) -> dict[str, list[str]]:
    """``resource -> [yes/no per verb]`` from the matrix table as shown."""
    rows = view.locator("table tr").evaluate_all(
        "rows => rows.map(r => [...r.querySelectorAll('th, td')].map(c => c.innerText.trim()))")
    return {r[0]: r[1:] for r in rows[1:] if r}


def _expected_matrix(user: Any, namespace: str) -> dict[str, list[str]]:
    from kslab.rbac import scenario
    from kslab.rbac.matrix import DEFAULT_RESOURCES, DEFAULT_VERBS, predict_matrix

    m = predict_matrix(scenario.policy(), user, namespace=namespace, verbs=DEFAULT_VERBS,
                       resources=DEFAULT_RESOURCES)
    return {r: ["yes" if m.cells[(r, v)].allowed else "no" for v in m.verbs] for r in m.resources}


#: The access-matrix explorer names this identity and namespace and shows these ``[resource, cells]`` rows.
_MATRIX_SHOWS = r"""(root, want) => {
  const text = root.innerText;
  if (!want[1].every(needle => text.includes(needle))) return false;
  const rows = {};
  [...root.querySelectorAll('table tr')].slice(1).forEach(r => {
    const cells = [...r.querySelectorAll('th, td')].map(c => c.innerText.trim());
    if (cells.length) rows[cells[0]] = cells.slice(1);
  });
  return JSON.stringify(Object.keys(rows).sort().map(k => [k, rows[k]])) === JSON.stringify(want[0]);
}"""


def _shows(root: Any, user: Any, namespace: str) -> None:
    """Wait until the explorer shows ``user`` in ``namespace``, then assert exactly that matrix."""
    name = getattr(user, "name", user)  # a UserInfo, or a plain user name
    want = _expected_matrix(user, namespace)
    wait_until_shown(root.page, root, _MATRIX_SHOWS,
                     [sorted([k, v] for k, v in want.items()), [f'user "{name}"', f'in namespace "{namespace}"']])
    assert f'user "{name}"' in root.inner_text() and f'in namespace "{namespace}"' in root.inner_text()
    assert _matrix(root) == _expected_matrix(user, namespace)


def test_04_matrix_explorer_follows_identity_and_namespace(lab: LabPage) -> None:
    from kslab.rbac import impersonate, scenario, service_account_user

    lab.ensure_run(notebook("04"))
    lab.touched()
    views = lab.widget_outputs().filter(has=lab.page.get_by_role("combobox", name="Identity", exact=True))
    assert views.count() == 1, f"expected one access-matrix explorer, found {views.count()}"
    root = views.first
    lab.screenshot(root, "04-matrix-explorer-1-default")

    webapp = service_account_user(scenario.NAMESPACE, scenario.SERVICE_ACCOUNT)
    _shows(root, webapp, scenario.NAMESPACE)
    shown = _matrix(root)
    assert shown["pods"][:3] == ["yes", "yes", "yes"] and shown["secrets"] == ["no"] * len(shown["secrets"])

    identity = root.get_by_role("combobox", name="Identity", exact=True)
    identity.select_option(label="alice (a person)")
    alice = impersonate("alice", ["developers"])
    _shows(root, alice, scenario.NAMESPACE)
    assert all(cell == "no" for row in _matrix(root).values() for cell in row)
    lab.screenshot(root, "04-matrix-explorer-2-alice")

    identity.select_option(label="webapp (service account)")
    root.get_by_role("combobox", name="Namespace", exact=True).select_option(label="default")
    _shows(root, webapp, "default")
    assert _matrix(root)["pods"][:3] == ["no", "no", "no"]  # the Role is bound in its own namespace only
    lab.screenshot(root, "04-matrix-explorer-3-other-namespace")


# --- notebook 05: the capture comparison and the byte-entropy plot --------------------------------------

def _cell_with(lab: LabPage, cells: list[Any], needle: str) -> tuple[Any, Any]:
    """The (cell view, output locator) of the one code cell whose source contains ``needle``."""
    found = [c for c in cells if c.type == "code" and needle in c.source]
    assert len(found) == 1, f"expected one cell with {needle!r}, found {len(found)}"
    cell = lab.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell").nth(found[0].index)
    return found[0], cell.locator(".jp-OutputArea-output")


def test_05_capture_comparison_and_entropy_plot_render(lab: LabPage) -> None:
    from kslab.pcap import bundled, summarize
    from kslab.pcap.summary import side_by_side

    cells = lab.ensure_run(notebook("05"))

    # the side-by-side table: what an eavesdropper reads in each capture, as kslab computes it
    cell, output = _cell_with(lab, cells, "side_by_side(")
    shown = "\n".join(o["text"] for o in cell.outputs)
    expected = side_by_side({name: summarize(bundled(f"{stem}.pcap")).flows[0] for name, stem in (
        ("plain HTTP", "plaintext-http"), ("mTLS 1.2", "mtls-tls12"), ("mTLS 1.3", "mtls-tls13"),
        ("STRICT, plaintext", "strict-refuses-plaintext"))})
    # the HTML table shows exactly kslab's rows, cell by cell
    table = output.first.locator("table")
    shown_rows = table.evaluate("t => [...t.querySelectorAll('tbody tr')].map(r => [...r.cells].map(c => c.innerText))")
    assert [[words(c) for c in row] for row in shown_rows] == [
        [words(str(row[c])) for c in expected.columns] for row in expected.rows]
    assert "GET /details/0" in shown and "spiffe://cluster.local/ns/" in shown and "(encrypted)" in shown
    box = output.first.bounding_box()
    assert box and box["width"] > 400 and box["height"] > 150, box
    # it fits its output: no wider than the output area, no word broken inside a cell
    fit = table.evaluate("t => ({table: t.getBoundingClientRect().width, area: t.closest('.jp-OutputArea-output')"
                         ".getBoundingClientRect().width})")
    assert fit["table"] <= fit["area"] + 1, fit
    lab.screenshot(output.first, "05-side-by-side")

    # the byte-entropy plot: one picture, loaded, of a real size, with something drawn in it
    cell, output = _cell_with(lab, cells, "from kslab.pcap.entropy import plot")
    images = [img for o in cell.outputs for img in o["images"]]
    assert len(images) == 1 and images[0]["loaded"], images
    assert images[0]["width"] > 300 and images[0]["height"] > 120, images
    picture = lab.screenshot(output.locator("img").first, "05-entropy-plot")
    import numpy as np  # both come with matplotlib
    from PIL import Image

    with Image.open(picture) as im:
        pixels = np.asarray(im.convert("RGB"), dtype=int).reshape(-1, 3)
    ink = float((pixels.min(axis=1) < 200).mean())
    saturated = pixels[(pixels.max(axis=1) - pixels.min(axis=1)) > 60]  # the plotted lines, not the axes
    assert ink > 0.01, f"the entropy plot looks blank ({ink:.1%} drawn)"
    assert len({tuple(p) for p in saturated}) > 20, "the entropy plot has no coloured lines"
