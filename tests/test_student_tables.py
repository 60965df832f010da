"""The tables a student reads in the notebooks are :class:`kslab.views.tables.Table`s: an HTML form that
wraps inside its cells (what JupyterLab shows) and an aligned text form (GitHub, terminals, ``print``).

One test per table that was text-only before: the hack (03), ``kslab.doctor()`` (00), the service
account's identity (04), a capture's flows (05), the Istio manifest check (05) and what Istio's
injector does to Pod Security (05).
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import kslab
from kslab import hack
from kslab.cluster import identities
from kslab.istio.injection import injection_verdicts
from kslab.istio.validate import bundled_objects, check_files
from kslab.manifests.webapp import webapp_deployment
from kslab.pcap import bundled, summarize
from kslab.rbac.tokens import claims_from_payload


def _html_table(html: str) -> tuple[list[str], list[list[str]]]:
    """Headers and cell texts of the first ``<table>`` in ``html`` (tags and break hints removed)."""
    table = html[html.index("<table"):html.index("</table>")]

    def text(cell: str) -> str:
        return re.sub(r"<[^>]+>", "", cell).replace("&quot;", '"').replace("&#x27;", "'").replace("&amp;", "&")

    heads = [text(h) for h in re.findall(r"<th[^>]*>(.*?)</th>", table)]
    rows = [[text(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", r)] for r in re.findall(r"<tr[^>]*>(.*?)</tr>", table)]
    return heads, [r for r in rows if r]


def _is_table_html(html: str) -> None:
    assert 'class="kslab-table' in html and "<table" in html and "<pre" not in html, html[:300]
    assert "white-space:normal" in html and "word-break:normal" in html  # wraps between words only


def _text_columns(text: str, *heads: str) -> str:
    """The text form's header line, which must name these columns in this order."""
    line = next(line for line in text.splitlines() if heads[0] in line)
    positions = [line.index(h) for h in heads]
    assert positions == sorted(positions), line
    return line


def test_hack_report_is_a_table_with_coloured_outcomes_in_words() -> None:
    report = hack.predict(webapp_deployment({"runAsUser": 1000}))
    html = report._repr_html_()
    _is_table_html(html)
    heads, rows = _html_table(html)
    assert heads == ["step", "predicted", "hack works?", "why"]
    assert [r[0] for r in rows] == [s.title for s in hack.STEPS]
    assert rows[0][1] == "uid=1000(webapp)" and rows[0][2] == "no"
    assert "Predicted from the security context" in html  # the note goes with it
    text = str(report)
    _text_columns(text, "step", "predicted", "hack works?", "why")
    assert "uid=1000(webapp)" in text and text.endswith("(nothing was run).")
    assert report.table() == report.view().text()


def test_doctor_lists_packages_and_programs_as_tables() -> None:
    doctor = importlib.import_module("kslab.doctor")  # the module: kslab.doctor is also the function
    report = doctor.doctor(probe_cluster=False)
    html = report._repr_html_()
    assert html.count("<table") == 2 and "<pre" not in html
    heads, rows = _html_table(html)
    assert heads == ["PACKAGE", "VERSION"] and rows[0][0] == "kslab"
    programs = html[html.index("Programs:"):]
    heads, rows = _html_table(programs)
    assert heads == ["PROGRAM", "VERSION", "NEEDED FOR", "PROBLEM"]
    assert [r[0] for r in rows] == list(doctor.TOOL_ORDER)
    text = str(report)
    _text_columns(text, "PACKAGE", "VERSION")
    _text_columns(text, "PROGRAM", "VERSION", "NEEDED FOR")
    assert "Mode kslab will use:" in text and "Mode kslab will use:" in html
    # the text form stays narrow enough for a terminal: only the free-text prose runs longer
    assert all(len(line) <= 120 for line in text.split("Kubernetes:")[0].splitlines())


def test_offline_identity_shows_its_claims_as_a_table() -> None:
    me = identities.service_account_identity(kslab.connect(mode="offline"))
    html = me._repr_html_()
    assert html.count("<table") == 1 and "<pre" not in html
    heads, rows = _html_table(html)
    assert heads == ["CLAIM", "VALUE", "MEANING"]
    assert ["sub", "system:serviceaccount:webapp-rbac:webapp", "the user name the API server sees"] in rows
    assert "no token was requested" in html and "[predicted" in html
    text = me.text()
    _text_columns(text, "CLAIM", "VALUE", "MEANING")
    assert "system:serviceaccount:webapp-rbac:webapp" in text


def test_live_identity_facts_are_a_table_too(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text("{}")
    kubeconfig.chmod(0o600)
    claims = claims_from_payload({"alg": "RS256", "kid": "k1"}, {
        "iss": "https://kubernetes.default.svc.cluster.local", "sub": "system:serviceaccount:webapp-rbac:webapp",
        "aud": ["https://kubernetes.default.svc.cluster.local"], "iat": 1_700_000_000, "exp": 1_700_003_600,
        "kubernetes.io": {"namespace": "webapp-rbac", "serviceaccount": {"name": "webapp", "uid": "u"}}})
    me = identities.Identity("webapp-rbac", "webapp", claims, True, kubeconfig=kubeconfig, context="kslab-webapp",
                             server="https://127.0.0.1:6443", ca_source="the admin kubeconfig",
                             expires_at="2023-11-14T23:13:20+00:00")
    html = me._repr_html_()
    assert html.count("<table") == 2 and "<pre" not in html
    heads, rows = _html_table(html)
    assert heads == ["WHAT", "VALUE"]
    assert [r[0] for r in rows] == ["identity", "kubeconfig", "context", "CA", "token"]
    assert "(mode 0o600; outside the repository)" in rows[1][1]
    assert "kslab-webapp → https://127.0.0.1:6443" in me.text()


def test_capture_flows_are_a_table_whose_text_wraps() -> None:
    table = summarize(bundled("mtls-tls12.pcap")).table(wrap=44)
    html = table._repr_html_()
    _is_table_html(html)
    heads, rows = _html_table(html)
    assert heads == ["ID", "CLIENT", "SERVER", "PROTOCOL", "WHAT", "IDENTITIES"]
    assert rows and all(r[3] == "TLS" for r in rows)
    assert any("spiffe://cluster.local/ns/" in r[5] for r in rows)
    text = str(table)
    _text_columns(text, "ID", "CLIENT", "SERVER", "PROTOCOL", "WHAT", "IDENTITIES")
    width = text.splitlines()[0].index("WHAT")
    assert all(len(line) <= width + 44 + 2 + 44 for line in text.splitlines())  # both long columns wrapped


def test_manifest_check_is_a_table_with_its_verdict_note() -> None:
    report = check_files()
    html = report._repr_html_()
    _is_table_html(html)
    heads, rows = _html_table(html)
    assert heads == ["FILE", "KIND", "NAME", "CHECKED BY", "VERDICT"]
    assert len(rows) == len(report.rows) and {r[4] for r in rows} == {"valid"}
    assert "all valid" in html
    text = str(report)
    _text_columns(text, "FILE", "KIND", "NAME", "CHECKED BY", "VERDICT")
    assert text.endswith("all valid")


def test_broken_manifest_check_shows_its_problem(tmp_path: Path) -> None:
    bad = tmp_path / "pa.yaml"
    bad.write_text("apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: default}\n"
                   "spec: {mtls: {mode: STRICTEST}}\n")
    report = check_files([bad])
    heads, rows = _html_table(report._repr_html_())
    assert rows[0][4].startswith("INVALID:") and "STRICTEST" in rows[0][4]
    assert "problems found" in str(report)


def test_injection_verdicts_are_a_table() -> None:
    spec = next(o for o in bundled_objects("bookinfo.yaml") if o["kind"] == "Deployment")["spec"]["template"]["spec"]
    table = injection_verdicts(spec)
    html = table._repr_html_()
    _is_table_html(html)
    heads, rows = _html_table(html)
    assert heads == ["INJECTION", "LEVEL", "VERDICT"]
    assert [(r[0], r[1], r[2].split(":")[0]) for r in rows] == [
        ("istio-init (no CNI)", "baseline", "refused"), ("istio-init (no CNI)", "restricted", "refused"),
        ("with Istio CNI", "baseline", "allowed"), ("with Istio CNI", "restricted", "allowed")]
    assert '"NET_ADMIN"' in rows[0][2]
    text = str(table)
    _text_columns(text, "INJECTION", "LEVEL", "VERDICT")
    assert max(len(line) for line in text.splitlines()) <= len("istio-init (no CNI)  restricted  ") + 90


def test_seed_outcomes_are_a_table() -> None:
    from kslab.fidelity import outcomes

    table = outcomes(observe=False)
    heads, rows = _html_table(table._repr_html_())
    assert heads == ["securityContext", "id", "edit the page", "write /tmp", "become root"]
    from kslab.fidelity import COLUMNS

    assert rows == [[case, *(steps[k] for k in COLUMNS)] for case, steps in table.cells.items()]
    assert ["all three", "uid=1000(webapp)", "Permission denied"] == rows[-2][:3]
    _text_columns(repr(table), "securityContext", "id", "edit the page")


#: A line of an aligned text table: at least two gaps of two or more spaces between words.
_ALIGNED = re.compile(r"\S {2,}\S.*\S {2,}\S")


def test_no_stored_notebook_output_is_a_text_only_table() -> None:
    """What the notebooks show: any output whose text has three aligned lines in a row must also carry an
    HTML table (JupyterLab shows that; the text stays for GitHub's plain view and terminals)."""
    import json

    found = []
    for path in sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]-*.ipynb")):
        for index, cell in enumerate(json.loads(path.read_text(encoding="utf-8"))["cells"]):
            for out in cell.get("outputs", []):
                data = out.get("data", {})
                if "<table" in "".join(data.get("text/html", "")):
                    continue
                run = 0
                for line in "".join(data.get("text/plain", "") or out.get("text", "")).splitlines():
                    run = run + 1 if _ALIGNED.search(line.strip()) else 0
                    if run == 3:
                        found.append(f"{path.name} cell {index}: {''.join(cell['source'])[:60]!r}")
                        break
    assert not found, found


def test_observed_hack_report_shows_the_disagreement_in_its_html_too() -> None:
    from kslab.manifests.webapp import seed_deployment

    predicted = hack.predict(seed_deployment("runAsUser"))
    observed = [hack.StepOutcome(False, "uid=1000(webapp)"), hack.StepOutcome(True, "ok"),  # the model said no
                hack.StepOutcome(True, "ok"), hack.StepOutcome(True, "uid=0(root)")]
    report = hack.HackReport(tuple(hack.StepRow(r.step, r.predicted, o) for r, o in zip(predicted.rows, observed)),
                             predicted.context, observed_from="pod x")
    html = report._repr_html_()
    heads, rows = _html_table(html)
    assert heads == ["step", "predicted", "hack works?", "observed", "agree", "why"]
    assert rows[1][:5] == ["edit the served page", "Permission denied", "no", "ok", "NO ≠"]
    assert "DISAGREEMENT on edit the served page" in html
    assert re.search(r'<td style="[^"]*font-weight:bold">NO ≠</td>', html)  # coloured, and the words say it
    _text_columns(str(report), "step", "predicted", "hack works?", "observed", "agree", "why")
