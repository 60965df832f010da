"""``kslab cluster ...`` on the command line: exit codes, --json, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import fake_tools
from kslab.cli.main import main


@pytest.fixture()
def fake(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    return fake_tools.environment(monkeypatch, tmp_path)


def test_up_down_status_round_trip(fake: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cluster", "status"]) == 1  # absent
    assert "absent" in capsys.readouterr().out
    assert main(["cluster", "up"]) == 0
    out = capsys.readouterr().out
    assert " ✓ Installing CNI 🔌" in out and out.rstrip().splitlines()[-4] == \
        "kind cluster 'kslab' is up on docker; kube context kind-kslab"
    assert main(["cluster", "up"]) == 0
    assert "already exists; nothing to do" in capsys.readouterr().out
    assert main(["cluster", "down"]) == 0
    assert "deleted" in capsys.readouterr().out
    assert main(["cluster", "down"]) == 0
    assert "nothing to delete" in capsys.readouterr().out


def test_json_output_is_one_document_with_progress_on_stderr(fake: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cluster", "up", "--json", "--wait", "90s"]) == 0
    captured = capsys.readouterr()
    result = json.loads(captured.out)
    assert result["changed"] is True and result["message"].startswith("kind cluster 'kslab' is up")
    assert 'Creating cluster "kslab" ...' in captured.err
    assert ["create", "cluster", "--name", "kslab", "--config",
            str(Path(fake.parent, "home", "kind", "kslab", "cluster.yaml")), "--wait", "90s"] in \
        fake_tools.argvs(fake, "kind")
    assert main(["cluster", "status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["exists"] is True and status["nodes"] == ["kslab-control-plane", "kslab-worker"]


def test_missing_kind_exits_2_with_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    fake_tools.environment(monkeypatch, tmp_path, tools=("docker",))
    assert main(["cluster", "up"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("kslab cluster: error: kind is not installed (or not on PATH); kslab needs it for "
                          "creating the course's local cluster (hint: Linux: ")
    assert "macOS: brew install kind)" in err


def test_config_validates_offline(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cluster", "config"]) == 0
    out = capsys.readouterr().out
    assert "enforce baseline, warn restricted, audit restricted" in out
    assert out.rstrip().endswith("configuration valid (kind, kubeadm, kubelet, admission and audit schemas; "
                                 "mounts cross-checked)")
    assert main(["cluster", "config", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["problems"] == [] and data["design"]["kubelet read-only port"] == "closed (readOnlyPort: 0)"


@pytest.mark.parametrize("argv", [["cluster"], ["cluster", "clean"], ["cluster", "clean", "03", "--all"],
                                  ["cluster", "istio", "reinstall"]])
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_clean_rejects_a_lab_name_that_cannot_be_a_label(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cluster", "clean", "lab 3"]) == 2
    assert capsys.readouterr().err == ("kslab cluster: error: 'lab 3' cannot be a lab name: it is not a valid "
                                       "label value (hint: use letters, digits, '-', '_' or '.', at most 63 "
                                       "characters, e.g. 03)\n")


def test_clean_without_a_cluster_says_so(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "none"))
    monkeypatch.delenv("KSLAB_CONTEXT", raising=False)
    monkeypatch.delenv("BINDER_LAUNCH_HOST", raising=False)
    monkeypatch.delenv("BINDER_REPO_URL", raising=False)
    assert main(["cluster", "clean", "03"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("kslab cluster: error: live mode was asked for, but no kube context is configured")
