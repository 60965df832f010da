"""kslab doctor, with stub programs on a temporary PATH (no real kubectl/kind/docker needed)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from kslab.doctor import doctor

STUBS = {
    # name: shell script body; each prints what the real tool prints for the version command.
    "kubectl": 'echo \'{"clientVersion": {"gitVersion": "v1.34.1", "platform": "linux/amd64"}}\'',
    "kind": 'echo "kind v0.30.0 go1.24.6 linux/amd64"',
    # docker prints its client version, and "Server": null, when the engine is not running.
    "docker": 'echo \'{"Client": {"Version": "28.3.0"}, "Server": null}\'; exit 1',
    "helm": 'echo "v3.19.0+g3d8990f"',
    "istioctl": "exit 3",
}


@pytest.fixture()
def stub_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name, body in STUBS.items():
        script = tmp_path / name
        script.write_text(f"#!/bin/sh\n{body}\n")
        script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "no-kubeconfig"))
    monkeypatch.setenv("KSLAB_MODE", "auto")
    monkeypatch.delenv("KSLAB_CONTEXT", raising=False)
    for var in ("BINDER_LAUNCH_HOST", "BINDER_REPO_URL"):
        monkeypatch.delenv(var, raising=False)
    return tmp_path


def test_versions_are_read_and_missing_tools_reported(stub_path: Path) -> None:
    report = doctor()
    tools = {t["name"]: t for t in report.tools}
    assert tools["kubectl"]["version"] == "v1.34.1"
    assert tools["kind"]["version"] == "v0.30.0"
    assert tools["helm"]["version"] == "v3.19.0+g3d8990f"
    assert tools["podman"]["found"] is False and "install" in tools["podman"]["problem"]
    assert tools["tcpdump"]["found"] is False


def test_an_installed_but_stopped_engine_is_not_a_runtime(stub_path: Path) -> None:
    report = doctor()
    docker = next(t for t in report.tools if t["name"] == "docker")
    assert docker["version"] == "28.3.0" and docker["running"] is False
    assert any("start the docker engine" in s for s in report.next_steps)
    assert not any("kslab cluster up" in s for s in report.next_steps)


def test_no_cluster_means_offline_mode(stub_path: Path) -> None:
    report = doctor()
    assert report.mode["mode"] == "offline"
    assert report.kube["contexts"] == []


def test_binder_is_detected_and_changes_the_advice(stub_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("BINDER_LAUNCH_HOST", "https://mybinder.org/")
    report = doctor()
    assert report.binder is True and report.mode["mode"] == "offline"
    assert any("Binder" in s for s in report.next_steps)


def test_a_tool_whose_version_cannot_be_read_is_reported_not_crashed(stub_path: Path) -> None:
    from kslab.doctor import tool_status

    row = tool_status("istioctl")  # the stub exits 3 and prints nothing
    assert row["found"] and row["version"] is None and "did not say its version" in row["problem"]


def test_cli_json_is_valid_with_nothing_but_python(stub_path: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    env = {**os.environ, "PATH": str(empty)}
    proc = subprocess.run([sys.executable, "-m", "kslab", "doctor", "--json"], capture_output=True,
                          text=True, env=env, check=False)
    data = json.loads(proc.stdout)
    assert proc.returncode == 0, proc.stderr
    assert all(t["found"] is False for t in data["tools"])
    assert data["mode"]["mode"] == "offline" and data["ok"] is True
    assert {p["name"] for p in data["packages"]} >= {"kubernetes", "scapy", "jupyterlab"}
