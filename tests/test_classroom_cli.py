"""``kslab classroom``: argument checks, the context rule, --dry-run and verify --predicted offline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from kslab.classroom import objects as build

REPO = Path(__file__).resolve().parents[1]


def kslab(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "KSLAB_MODE": "auto", **(env or {})}
    full.pop("KSLAB_CONTEXT", None)
    return subprocess.run([sys.executable, "-m", "kslab", "classroom", *args], capture_output=True, text=True,
                          check=False, env=full)


def one_line_error(proc: subprocess.CompletedProcess[str], fragment: str) -> None:
    assert proc.returncode == 2, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    assert fragment in proc.stderr


@pytest.mark.parametrize("action", ["create", "status", "delete", "verify"])
def test_every_action_refuses_without_a_named_context(action: str, tmp_path: Path) -> None:
    # Even with a kubeconfig whose current context answers nothing, the refusal comes first.
    proc = kslab(action, "--students", "3", env={"KUBECONFIG": str(tmp_path / "none")})
    one_line_error(proc, "--context CTX")


def test_who_is_in_the_class_must_be_said_once() -> None:
    one_line_error(kslab("create", "--context", "x", "--dry-run"), "--students N | --roster FILE")
    proc = kslab("create", "--students", "2", "--roster", "r.txt", "--dry-run")
    assert proc.returncode == 2 and "not allowed with argument" in proc.stderr
    one_line_error(kslab("create", "--students", "0", "--dry-run"), "between 1 and 500")
    one_line_error(kslab("status", "--context", "x"), "--all")


def test_unknown_context_is_a_one_line_error(tmp_path: Path) -> None:
    cfg = tmp_path / "config"
    cfg.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "Config", "clusters": [], "users": [],
                                   "contexts": [], "current-context": ""}))
    one_line_error(kslab("status", "--context", "nope", "--all", env={"KUBECONFIG": str(cfg)}),
                   "context 'nope' is not in your kubeconfig")


def test_dry_run_prints_the_objects_as_yaml() -> None:
    proc = kslab("create", "--students", "3", "--dry-run", "--psa-version", "v1.30")
    assert proc.returncode == 0, proc.stderr
    docs = list(yaml.safe_load_all(proc.stdout))
    assert docs == build.classroom_objects(["student-01", "student-02", "student-03"], psa_version="v1.30")
    assert proc.stdout.startswith("# kslab classroom create --dry-run: 3 student(s)")


def test_dry_run_json_is_a_kubernetes_list(tmp_path: Path) -> None:
    roster = tmp_path / "class.txt"
    roster.write_text("Ada Lovelace\nalan\n")
    proc = kslab("create", "--roster", str(roster), "--dry-run", "--json", "--prefix", "ws1-")
    assert proc.returncode == 0, proc.stderr
    listed = json.loads(proc.stdout)
    assert listed["kind"] == "List" and len(listed["items"]) == 1 + 2 * len(build.student_objects("x"))
    names = {o["metadata"]["name"] for o in listed["items"] if o["kind"] == "Namespace"}
    assert names == {"ws1-ada-lovelace", "ws1-alan"}
    assert "'Ada Lovelace' is the student 'ada-lovelace'" in proc.stderr  # a renamed student is pointed out


@pytest.mark.parametrize("args, fragment", [
    (["--token-expiry", "5m"], "shorter than 10m"),
    (["--token-expiry", "tomorrow"], "cannot read 'tomorrow'"),
    (["--out", str(REPO / "kubeconfigs")], "inside the git repository"),
    (["--prefix", "Bad_"], "namespace prefix 'Bad_'"),
    (["--workers", "0"], "--workers must be at least 1"),
])
def test_bad_create_options_fail_before_any_cluster_is_touched(args: list[str], fragment: str) -> None:
    one_line_error(kslab("create", "--students", "2", "--context", "x", *args), fragment)


def test_bad_roster_is_a_one_line_error(tmp_path: Path) -> None:
    roster = tmp_path / "class.txt"
    roster.write_text("ada\nAda\n")
    one_line_error(kslab("create", "--roster", str(roster), "--dry-run"), "line 2: 'Ada' and line 1 'ada'")


def test_verify_predicted_needs_no_cluster() -> None:
    proc = kslab("verify", "--students", "3", "--predicted", "--hub-namespace", "jhub")
    assert proc.returncode == 0, proc.stderr
    assert "predicted" in proc.stdout and "isolated" in proc.stdout and "No leak" in proc.stdout
    data = json.loads(kslab("verify", "--students", "3", "--predicted", "--json").stdout)
    assert data["ok"] is True and data["leaks"] == 0
    assert [s["verdict"] for s in data["students"]] == ["isolated"] * 3
    assert {c["scope"] for c in data["checks"]} == {"own", "guard", "other", "fixed", "cluster"}
