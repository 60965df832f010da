"""The audit against a real API server: the kube-apiserver's pod where it is visible (else a clear
"not visible"), and a kubelet's /configz through the node proxy where a node is Ready.
"""

from __future__ import annotations

import re

import pytest

from kslab.audit import audit, audit_cluster_apiserver, audit_cluster_kubelet, bundled
from kslab.audit.sources import read_apiserver
from kslab.cli.main import main
from kslab.cluster.components import NOT_VISIBLE_APISERVER, apiserver_input, kubelet_input

pytestmark = pytest.mark.live

CIS = re.compile(r"\d+\.\d+\.\d+")


def test_live_apiserver_is_audited_or_clearly_not_visible(live_lab):
    seen = apiserver_input(live_lab)
    if seen.visible:
        report = audit(seen.input)
        assert seen.input.source.startswith("live pod kube-system/")
        assert len([r for r in report.rows if CIS.fullmatch(r.id)]) == 30
        assert report.source == seen.input.source
    else:
        assert seen.reason in (NOT_VISIBLE_APISERVER,) or "may not list pods" in seen.reason
        assert str(seen).startswith("not visible:")
        fallback = audit_cluster_apiserver(live_lab)
        assert "NOT your cluster" in fallback.source and "not audited" in fallback.notes[0]


def test_live_pod_spec_is_read_back_through_the_api(live_lab, live_namespace):
    """A pod carrying the bundled 2019 command line, created (never run) in a test namespace and read
    back from the API server: the audit of the live object equals the audit of the file."""
    inp = read_apiserver(bundled("kube-apiserver-2019.yaml"))
    body = {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "kube-apiserver-lookalike", "labels": {"component": "kube-apiserver"}},
            "spec": {"containers": [{"name": "kube-apiserver", "image": "registry.invalid/kube-apiserver:never-pulled",
                                     "command": [inp.binary, *inp.argv]}]}}
    live_lab.create_pod(live_namespace, body)
    seen = apiserver_input(live_lab, namespace=live_namespace)
    assert seen.visible and seen.input.argv == inp.argv
    assert audit(seen.input).statuses() == audit(inp).statuses()


def test_live_kubelet_configz_where_permitted(live_lab):
    nodes = live_lab.list_nodes()
    ready = [n for n in nodes if any(c.type == "Ready" and c.status == "True"
                                     for c in (n.status.conditions or []))]
    if not ready:
        seen = kubelet_input(live_lab)
        assert not seen.visible and "no Ready node" in seen.reason
        pytest.skip("the cluster has no Ready node, so there is no kubelet to read /configz from")
    seen = kubelet_input(live_lab)
    if not seen.visible:
        # Any refusal by the API server's node proxy (403, 400 "address not allowed" for a loopback node
        # address, 502 ...) is "not readable" with the server's own words, and the notebook's audit goes on.
        assert "the server said: " in seen.reason and str(seen).startswith("not visible:")
        fallback = audit_cluster_kubelet(live_lab)
        assert "NOT your cluster" in fallback.source
        pytest.skip(f"kubelet not readable here: {seen.reason}")
    report = audit(seen.input)
    assert len([r for r in report.rows if CIS.fullmatch(r.id)]) == 14
    assert report.row("4.2.2").observed.startswith("authorization.mode")


def test_cli_live_apiserver(live_lab, capsys):
    code = main(["audit", "apiserver", "--live"])
    out, err = capsys.readouterr()
    if apiserver_input(live_lab).visible:
        assert code in (0, 1) and "kube-apiserver audit" in out
    else:
        assert code == 2 and "cannot audit the live apiserver" in err and err.count("\n") == 1
