"""``kslab audit``: exit codes, JSON rows, bad input as one line, and kube-bench import."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from kslab.audit import bundled
from kslab.audit.kube_bench import bundled_sample, import_kube_bench
from kslab.cli.main import main
from kslab.errors import InputError

ROW_KEYS = {"id", "title", "status", "observed", "expected", "remediation"}


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_kubeadm_manifest_fails_scored_checks_exit_1(capsys):
    code, out, err = run(capsys, "audit", "apiserver", str(bundled("kube-apiserver-kubeadm.yaml")))
    assert code == 1 and not err
    assert "7 FAIL" in out and "1.2.15" in out


def test_hardened_manifest_passes_exit_0_json_rows(capsys):
    code, out, _ = run(capsys, "audit", "apiserver", "--json", str(bundled("kube-apiserver-hardened.yaml")),
                       "--encryption-config", str(bundled("encryption-config.yaml")))
    rows = json.loads(out)
    assert code == 0
    assert len(rows) == 30 and all(ROW_KEYS <= set(r) for r in rows)
    assert {r["status"] for r in rows} == {"PASS", "WARN"}
    assert all(r["why"] for r in rows)


def test_kubelet_with_cmdline_override(capsys, tmp_path):
    cmd = tmp_path / "flags"
    cmd.write_text("kubelet --config=/var/lib/kubelet/config.yaml --anonymous-auth=true\n")
    code, out, _ = run(capsys, "audit", "kubelet", "--json", str(bundled("kubelet-config-kubeadm.yaml")),
                       "--cmdline", str(cmd))
    rows = {r["id"]: r for r in json.loads(out)}
    assert code == 1 and rows["4.2.1"]["status"] == "FAIL"


def test_import_kube_bench_json(capsys):
    code, out, _ = run(capsys, "audit", "import", "--json", str(bundled_sample()))
    rows = {r["id"]: r for r in json.loads(out)}
    assert code == 1  # the sample has scored FAILs
    assert rows["1.2.5"]["status"] == "FAIL" and rows["1.2.5"]["expected"] == \
        "'--kubelet-certificate-authority' is present"
    # the flag the check reads, as kube-bench reads it, not the whole ps line
    assert rows["1.2.15"]["observed"] == "--profiling not set"
    assert rows["1.2.6"]["observed"] == "--authorization-mode=Node,RBAC"
    assert rows["1.2.15"]["why"]  # a cis-1.12 check kslab knows gets its "why"


def test_import_agrees_with_kslab_on_the_kubeadm_manifest():
    """The sample was written to match kube-bench on the kubeadm manifest: the two must agree."""
    imported = import_kube_bench(bundled_sample()).statuses()
    from kslab.audit import audit_apiserver, audit_kubelet

    ours = {**audit_apiserver(bundled("kube-apiserver-kubeadm.yaml")).statuses(),
            **audit_kubelet(bundled("kubelet-config-kubeadm.yaml")).statuses()}
    assert {cid: ours[cid] for cid in imported} == imported


def test_import_bare_list_and_bad_input(tmp_path):
    data = json.loads(bundled_sample().read_text())
    bare = tmp_path / "nototals.json"
    bare.write_text(json.dumps(data["Controls"]))
    assert len(import_kube_bench(bare).rows) == 13
    bad = tmp_path / "bad.json"
    bad.write_text('{"Controls": [')
    with pytest.raises(InputError, match="not valid JSON"):
        import_kube_bench(bad)
    other = tmp_path / "other.json"
    other.write_text('{"kind": "Pod"}')
    with pytest.raises(InputError, match="not kube-bench JSON"):
        import_kube_bench(other)


@pytest.mark.parametrize("argv,message", [
    (["audit", "apiserver"], "give either FILE or --live"),
    (["audit", "apiserver", "/no/such/file"], "no such file"),
])
def test_bad_usage_is_one_line_exit_2(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2 and message in err and err.count("\n") == 1 and "Traceback" not in err


def test_no_apiserver_container_and_yaml_error_exit_2(tmp_path):
    pod = tmp_path / "pod.yaml"
    pod.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n  - name: web\n")
    broken = tmp_path / "broken.yaml"
    broken.write_text("apiVersion: v1\nkind: Pod\nspec: {containers: [\n")
    for path, message in ((pod, "no kube-apiserver container"), (broken, "not valid YAML")):
        proc = subprocess.run([sys.executable, "-m", "kslab", "audit", "apiserver", str(path)],
                              capture_output=True, text=True, env={"KSLAB_MODE": "offline", "PATH": ""},
                              timeout=60)
        assert proc.returncode == 2 and message in proc.stderr
        assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


def test_live_when_offline_is_exit_2(capsys, monkeypatch):
    monkeypatch.setenv("KSLAB_MODE", "offline")
    code, _, err = run(capsys, "audit", "kubelet", "--live")
    assert code == 2 and "needs a live cluster" in err
