"""``kslab pss``: the command-line contract (COURSE.md) — output, JSON shape, notes and exit codes."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from kslab.cli.main import main

FIXTURES = Path(__file__).resolve().parent / "upstream" / "pod-security-fixtures"

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: webapp}
spec:
  selector: {matchLabels: {app: webapp}}
  template:
    metadata: {labels: {app: webapp}}
    spec:
      containers:
      - name: webapp
        image: registry.local/webapp:1.0
        ports: [{containerPort: 3000, hostPort: 3000}]
"""
SERVICE = "apiVersion: v1\nkind: Service\nmetadata: {name: webapp}\nspec: {ports: [{port: 80}]}\n"
COMPLIANT = """\
apiVersion: batch/v1
kind: CronJob
metadata: {name: tidy}
spec:
  schedule: "@daily"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
          containers:
          - name: tidy
            image: registry.local/tidy
            securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
"""


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["pss", *args])
    out, err = capsys.readouterr()
    return code, out, err


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_json_rows_for_every_pod_and_notes_for_the_rest(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "all.yaml", DEPLOYMENT + "---\n" + SERVICE + "---\n" + COMPLIANT + "---\njust: data\n")
    code, out, err = run(capsys, path, "--json")
    rows = json.loads(out)
    assert code == 1
    assert [(r["kind"], r["name"], r["allowed"]) for r in rows] == [("Deployment", "webapp", False),
                                                                     ("CronJob", "tidy", True)]
    assert set(rows[0]) == {"file", "kind", "name", "allowed", "violations"} and rows[0]["file"] == path
    assert rows[0]["violations"][0] == {"check": "hostPorts",
                                        "message": 'hostPort (container "webapp" uses hostPort 3000)'}
    assert [v["check"] for v in rows[0]["violations"]] == [
        "hostPorts", "allowPrivilegeEscalation", "capabilities_restricted", "runAsNonRoot", "seccompProfile_restricted"]
    assert "Service webapp skipped: not a pod or pod template" in err
    assert "not a Kubernetes object" in err


def test_level_and_version_change_the_verdict(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "d.yaml", DEPLOYMENT)
    code, out, _ = run(capsys, path, "--level", "baseline", "--version", "v1.24")
    assert code == 1
    assert out.splitlines() == [f"{path}: Deployment webapp: FAIL (1 violation) at baseline:v1.24",
                                '  - hostPort (container "webapp" uses hostPort 3000)']
    assert run(capsys, path, "--level", "privileged")[0] == 0
    assert run(capsys, write(tmp_path, "ok.yaml", COMPLIANT))[0] == 0


@pytest.mark.parametrize("args, message", [
    (["--version", "1.30"], "unknown Pod Security version"),
    (["--version", "v1.030"], "unknown Pod Security version"),
])
def test_bad_version_is_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str],
                                    message: str) -> None:
    code, _, err = run(capsys, write(tmp_path, "d.yaml", DEPLOYMENT), *args)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_bad_level_is_usage_error(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["pss", write(tmp_path, "d.yaml", DEPLOYMENT), "--level", "strict"])
    assert exc.value.code == 2


def test_malformed_yaml_names_the_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "bad.yaml", "kind: Pod\nmetadata:\n  name: a\n spec: {}\n")
    code, out, err = run(capsys, path)
    assert code == 2 and out == ""
    assert err.startswith(f"kslab pss: error: {path}: line 4: not valid YAML") and len(err.splitlines()) == 1


def test_wrong_field_types_are_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "types.yaml", "kind: Pod\nmetadata: {name: a}\nspec: {containers: oops}\n")
    code, _, err = run(capsys, path)
    assert code == 2 and "not a valid pod spec" in err


def test_empty_file_is_allowed_with_a_note(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, write(tmp_path, "empty.yaml", ""), "--json")
    assert code == 0 and json.loads(out) == []
    assert "empty" in err and "no Pods or pod templates found" in err


def test_stdin_and_json_input(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "j"},
           "spec": {"containers": [{"name": "j", "image": "x", "securityContext": {"privileged": True}}]}}
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(pod)))
    code, out, _ = run(capsys, "-", "--level", "baseline", "--json")
    assert code == 1
    assert json.loads(out)[0]["file"] == "<stdin>"
    assert json.loads(out)[0]["violations"][0]["check"] == "privileged"


def test_fixture_files_through_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    passing = sorted(str(p) for p in (FIXTURES / "restricted" / "v1.37" / "pass").glob("*.yaml"))
    failing = sorted(str(p) for p in (FIXTURES / "baseline" / "v1.37" / "fail").glob("*.yaml"))
    assert run(capsys, *passing, "--version", "v1.37")[0] == 0
    code, out, _ = run(capsys, *failing, "--level", "baseline", "--json")
    assert code == 1 and not any(r["allowed"] for r in json.loads(out)) and len(json.loads(out)) == len(failing)


def test_as_a_process_exit_codes() -> None:
    proc = subprocess.run([sys.executable, "-m", "kslab", "pss", "-", "--level", "baseline"], input=DEPLOYMENT,
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 1 and "hostPort" in proc.stdout and "Traceback" not in proc.stderr
