"""``kslab modernize``: the CLI contract, --write, and the 2019 manifests coming out valid and explained."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from kslab.cli.main import main
from kslab.manifests.load import load_text
from kslab.manifests.webapp import SEED_STEPS, seed_deployment
from kslab.modernize import modernize, modernize_objects
from kslab.modernize.writer import MARKER

DATA = Path(__file__).resolve().parent / "data" / "modernize"
SEED = [Path(p) / "seed" / "securing-kubernetes-workshop-2019.txt" for p in
        (Path(__file__).resolve().parents[2] / "shared", Path("/work/shared"))]
MODERN = "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c}\nspec:\n  schedule: '@daily'\n" \
         "  jobTemplate: {spec: {template: {spec: {restartPolicy: Never, containers: [{name: c, image: x}]}}}}\n"
OLD = "# keep me\napiVersion: batch/v1beta1  # was fine in 2019\n" + MODERN.split("\n", 1)[1]


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str], stdin: str | None = None,
            monkeypatch: pytest.MonkeyPatch | None = None) -> tuple[int, str, str]:
    if stdin is not None and monkeypatch is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(["modernize", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_exit_0_when_nothing_to_change(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "ok.yaml"
    f.write_text(MODERN)
    code, out, _ = run_cli([str(f)], capsys)
    assert code == 0 and "nothing to change for Kubernetes v1.36" in out


def test_exit_1_and_json_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "old.yaml"
    f.write_text(OLD)
    code, out, _ = run_cli([str(f), "--json"], capsys)
    assert code == 1
    (row,) = json.loads(out)
    assert {"file", "document", "kind", "name", "apiVersion", "rule", "deprecated_in", "removed_in",
            "replacement", "why", "source"} <= set(row)
    assert (row["rule"], row["apiVersion"], row["replacement"], row["removed_in"], row["deprecated_in"]) == (
        "removed-api/batch/v1beta1/CronJob", "batch/v1beta1", "batch/v1", "v1.25", "v1.21")
    assert row["document"] == 1 and row["source"].startswith("https://kubernetes.io/")


def test_target_version_decides_removed_or_not(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "old.yaml"
    f.write_text(OLD)
    assert run_cli([str(f), "--target-version", "v1.20"], capsys)[0] == 0  # not even deprecated yet
    code, out, _ = run_cli([str(f), "--target-version", "v1.22"], capsys)
    assert code == 1 and "deprecated at v1.22 and removed in v1.25" in out


def test_stdin(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _ = run_cli(["-", "--json"], capsys, stdin="kubectl exec -it web sh\n", monkeypatch=monkeypatch)
    assert code == 1 and json.loads(out)[0]["rule"] == "kubectl-exec-dashdash"


@pytest.mark.parametrize("text,where", [
    ("apiVersion: v1\nkind: Pod\nmetadata: {name: x\n", "document 1, line 4"),
    ("kind: Pod\n---\nkind: Role\n  bad: indent\n", "document 2, line 4"),
])
def test_exit_2_bad_yaml_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, where: str) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text(text)
    code, out, err = run_cli([str(f)], capsys)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and where in err and "bad.yaml" in err and "Traceback" not in err


@pytest.mark.parametrize("args", [["--target-version", "v2.0"], ["--target-version", "v1.3"]])
def test_exit_2_bad_option(tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str]) -> None:
    f = tmp_path / "old.yaml"
    f.write_text(OLD)
    code, _, err = run_cli([str(f), *args], capsys)
    assert code == 2 and err.count("\n") == 1


def test_missing_file_is_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run_cli([str(tmp_path / "nope.yaml")], capsys)
    assert code == 2 and "no such file" in err


def test_unknown_kind_passes_through_with_a_note(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "cr.yaml"
    f.write_text("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n")
    code, _, err = run_cli([str(f), "--write", str(tmp_path / "out")], capsys)
    assert code == 0 and "kslab has no rules for this kind" in err
    assert yaml.safe_load((tmp_path / "out" / "cr.yaml").read_text())["kind"] == "Widget"


def test_write_keeps_comments_and_refuses_unsafe_places(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "in" / "old.yaml"
    f.parent.mkdir()
    f.write_text(OLD)
    assert run_cli([str(f), "--write", str(f.parent)], capsys)[0] == 2  # never next to the input
    assert f.read_text() == OLD
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.yaml").write_text("mine\n")
    code, _, err = run_cli([str(f), "--write", str(out)], capsys)
    assert code == 2 and "kslab did not write it" in err and (out / "old.yaml").read_text() == "mine\n"
    (out / "old.yaml").unlink()
    assert run_cli([str(f), "--write", str(out)], capsys)[0] == 1
    text = (out / "old.yaml").read_text()
    assert text.startswith(MARKER) and "# keep me" in text and "apiVersion: batch/v1" in text
    assert run_cli([str(f), "--write", str(out)], capsys)[0] == 1  # its own output it may replace
    assert f.read_text() == OLD


def test_kubeconfig_is_never_written_nor_its_token_printed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "in" / "kubeconfig.yaml"
    f.parent.mkdir()
    f.write_text("apiVersion: v1\nkind: Config\nusers:\n- name: sa\n  user: {token: eyJhbGciOi.very.secret}\n")
    code, out, err = run_cli([str(f), "--write", str(tmp_path / "out")], capsys)
    assert code == 1 and "very.secret" not in out + err
    assert "very.secret" not in (tmp_path / "out" / "kubeconfig.yaml").read_text()
    assert "kubeconfig holds credentials" in err


FIXTURE_FILES = sorted(DATA.glob("*.yaml")) + sorted(DATA.glob("*.sh"))


def _objects(text: str) -> list[dict[str, Any]]:
    return [d.obj for d in load_text(text, source="x")]


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: p.name)
def test_2019_manifests_come_out_valid_and_explained(path: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli([str(path), "--write", str(tmp_path), "--json"], capsys)
    rows = json.loads(out)
    assert code == 1 and rows
    assert "INVALID" not in err, err
    report = modernize(path)
    for doc in report.files[0].documents:  # every document that changed says why
        original = _objects(path.read_text())[doc.document - 1] if not report.files[0].text_input else None
        if original is not None and (doc.obj is None or yaml.safe_load(yaml.safe_dump(dict(doc.obj))) != original
                                     or doc.added):
            assert doc.findings, f"{doc.kind} {doc.name} changed without a finding"
    head = (tmp_path / path.name).read_text().splitlines()[:2]
    assert any(line.startswith(MARKER) for line in head)


def test_seed_webapp_steps_come_out_restricted_ready_and_valid() -> None:
    from kslab.manifests.validate import validate
    from kslab.pss import evaluate

    report = modernize_objects([seed_deployment(step, as_written=True) for step in SEED_STEPS])
    for doc in report.files[0].documents:
        assert doc.obj is not None and validate([dict(doc.obj), *doc.added]) == []
        assert evaluate(dict(doc.obj), "baseline").allowed  # hostPort gone
    ids = {f.rule.id for f in report.findings}
    assert {"misplaced-security-context", "misplaced-ports", "host-port"} <= ids


@pytest.mark.skipif(not any(p.exists() for p in SEED), reason="the 2019 workshop text is not here")
def test_the_workshop_text_itself(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    seed = next(p for p in SEED if p.exists())
    code, out, err = run_cli([str(seed), "--write", str(tmp_path), "--json"], capsys)
    ids = {r["rule"] for r in json.loads(out)}
    assert code == 1 and "INVALID" not in err
    assert {"kubectl-exec-dashdash", "misplaced-security-context", "misplaced-ports", "host-port",
            "sa-token-secret", "kubeconfig-static-token", "istioctl-create", "istio-authn-policy",
            "istio-alpha-api", "istio-mutual-redundant", "misplaced-route", "istioctl-tls-check"} <= ids
    rewritten = (tmp_path / seed.name).read_text()
    assert "istioctl create" not in rewritten and "kind: PeerAuthentication" in rewritten


def test_script_keeps_its_shebang_and_is_rewritten(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    code, _, err = run_cli([str(DATA / "bootstrap-2019.sh"), "--write", str(out)], capsys)
    assert code == 1 and "the script" in err
    lines = (out / "bootstrap-2019.sh").read_text().splitlines()
    assert lines[0] == "#!/bin/sh" and lines[1].startswith(MARKER)
    text = "\n".join(lines)
    assert "kubectl exec -it -n shop shop-frontend-7d9c -- sh" in text and "istioctl create" not in text
    assert "--insecure-port" not in text and "DenyEscalatingExec" not in text
    assert "--enable-admission-plugins=NamespaceLifecycle,NodeRestriction " in text
    assert run_cli([str(DATA / "bootstrap-2019.sh"), "--write", str(out)], capsys)[0] == 1  # its own file again


@pytest.mark.parametrize("text", [
    "apiVersion: authentication.istio.io/v1alpha1\nkind: Policy\nmetadata: {name: p}\nspec: {peers: 5}\n",
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    spec:\n"
    "      containers: [{name: c, ports: [{containerPort: 1, hostPort: http}]}]\n",
])
def test_wrong_field_types_are_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str) -> None:
    f = tmp_path / "odd.yaml"
    f.write_text(text)
    code, out, err = run_cli([str(f)], capsys)
    assert code == 2 and out == "" and err.count("\n") == 1 and "document 1, line 1" in err


def test_a_heredoc_that_is_not_a_manifest_is_left_alone() -> None:
    from kslab.modernize import modernize_text

    script = "cat <<EOF > app.conf\nlisten: 8080\nworkers: 4\nEOF\nkubectl apply -f app.yaml\n"
    report = modernize_text(script, source="setup.sh")
    assert report.findings == [] and report.notes == [] and "".join(report.files[0].lines) == script


def test_broken_manifest_on_stdin_is_bad_input(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, err = run_cli(["-"], capsys, stdin="kind: [\n", monkeypatch=monkeypatch)
    assert code == 2 and "<stdin>" in err and err.count("\n") == 1
