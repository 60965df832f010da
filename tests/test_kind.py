"""The course's kind cluster lifecycle, driven against stand-in programs (no container engine here).

The stand-ins (tests/fake_tools.py) record every argv and answer like kind v0.33 and docker/podman
do, keeping state in files: these tests check the exact commands, the idempotency rules, the engine
choice, and that kind's progress reaches the caller.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import fake_tools
from kslab.cluster import kind
from kslab.course import kind_config
from kslab.errors import ToolMissing


@pytest.fixture()
def fake(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    return fake_tools.environment(monkeypatch, tmp_path)


def test_up_creates_the_cluster_from_a_staged_copy_of_the_configuration(fake: Path, tmp_path: Path) -> None:
    lines: list[str] = []
    outcome = kind.up(progress=lines.append)
    staged = tmp_path / "home" / "kind" / "kslab"
    creates = [c for c in fake_tools.calls(fake, "kind") if c["argv"][:2] == ["create", "cluster"]]
    assert [c["argv"] for c in creates] == [["create", "cluster", "--name", "kslab", "--config",
                                             str(staged / "cluster.yaml"), "--wait", "3m"]]
    # kind runs from the copy, so the relative hostPath of the mount resolves there (the fake kind
    # refuses a mount whose source does not exist, as docker does).
    assert creates[0]["cwd"] == str(staged) and creates[0]["provider"] is None
    assert (staged / "cluster.yaml").read_bytes() == (kind_config.CONFIG_DIR / "cluster.yaml").read_bytes()
    assert sorted(p.name for p in (staged / "control-plane").iterdir()) == ["admission.yaml", "audit-policy.yaml"]
    assert not (staged / "schemas").exists()
    assert outcome.changed and outcome.message == "kind cluster 'kslab' is up on docker; kube context kind-kslab"
    assert lines[0] == f"Using docker 28.2.2; running: kind create cluster --name kslab --config " \
                       f"{staged / 'cluster.yaml'} --wait 3m"
    assert 'Creating cluster "kslab" ...' in lines and " ✓ Starting control-plane 🕹️" in lines
    assert lines[-1] == "Have a nice day! 👋"


def test_up_on_an_existing_cluster_is_a_no_op_that_says_so(fake: Path) -> None:
    kind.up(progress=lambda line: None)
    before = len(fake_tools.calls(fake, "kind"))
    again = kind.up(progress=lambda line: None)
    assert not again.changed
    assert "already exists; nothing to do" in again.message
    later = fake_tools.argvs(fake, "kind")[before:]
    assert ["get", "clusters"] in later and not any(a[:1] == ["create"] for a in later)


def test_down_deletes_and_then_says_there_is_nothing_to_delete(fake: Path) -> None:
    kind.up(progress=lambda line: None)
    lines: list[str] = []
    first = kind.down(progress=lines.append)
    assert first.changed and first.message == "kind cluster 'kslab' deleted (context kind-kslab removed)"
    assert lines[0] == 'Deleting cluster "kslab" ...'
    second = kind.down(progress=lines.append)
    assert not second.changed and second.message == "no kind cluster named 'kslab'; nothing to delete"
    deletes = [a for a in fake_tools.argvs(fake, "kind") if a[:1] == ["delete"]]
    assert deletes == [["delete", "cluster", "--name", "kslab"]]


def test_podman_is_used_when_docker_is_absent(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    state = fake_tools.environment(monkeypatch, tmp_path, docker=None, podman="running")
    lines: list[str] = []
    assert kind.up(progress=lines.append).message.endswith("up on podman; kube context kind-kslab")
    assert lines[0].startswith("Using podman 4.3.1; running: kind create cluster")
    assert {c["provider"] for c in fake_tools.calls(state, "kind") if c["argv"] != ["version"]} == {"podman"}


def test_missing_kind_is_a_hint_not_a_traceback(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake_tools.environment(monkeypatch, tmp_path, tools=("docker",))
    for action in (kind.up, kind.down, kind.status):
        with pytest.raises(ToolMissing) as info:
            action()
        assert info.value.message.startswith("kind is not installed")
        assert "macOS: brew install kind" in info.value.hint


def test_a_stopped_engine_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    state = fake_tools.environment(monkeypatch, tmp_path, docker="stopped")
    with pytest.raises(ToolMissing) as info:
        kind.up()
    assert info.value.message == "docker is installed, but its engine is not running"
    assert not any(a[:1] == ["create"] for a in fake_tools.argvs(state, "kind"))


def test_a_failed_create_reports_kinds_error_line(fake: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_KIND_FAIL", "create")
    lines: list[str] = []
    with pytest.raises(kind.tools.ToolFailed) as info:
        kind.up(progress=lines.append)
    assert info.value.message.startswith("kind could not create cluster 'kslab': ERROR: failed to create "
                                         "cluster: could not find a log line")
    assert " ✗ Preparing nodes 📦 📦" in lines  # the progress so far was shown before the error


def test_an_old_kind_gets_a_warning(fake: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_KIND_VERSION", "kind v0.29.0 go1.24.2 linux/amd64")
    lines: list[str] = []
    kind.up(progress=lines.append)
    assert lines[0].startswith("warning: kind v0.29.0 is older than v0.33.0")


def test_status_absent_then_present(fake: Path) -> None:
    absent = kind.status()
    assert (absent.exists, absent.nodes, absent.context_in_kubeconfig) == (False, [], False)
    assert str(absent) == "kind cluster 'kslab': absent (on docker). `kslab cluster up` creates it."
    kind.up(progress=lambda line: None)
    present = kind.status()
    assert present.exists and present.provider == "docker"
    assert present.nodes == ["kslab-control-plane", "kslab-worker"]
    assert present.context == "kind-kslab" and present.context_in_kubeconfig
    # The fake kubeconfig points at a port where nothing listens: the probe must say so.
    assert present.api.startswith("does not answer")
    assert present.as_dict()["node_image"] == kind_config.node_image()


# ---- notebook 00's "create the cluster" step ------------------------------------------------------

def _lab(mode: str, context: str | None = None, reason: str = "") -> object:
    from kslab.cluster.lab import Lab
    from kslab.cluster.modes import ModeChoice

    return Lab(ModeChoice(mode, context, mode == "live", reason))


def test_setup_offline_by_request_only_shows_the_command(fake: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KSLAB_MODE", "offline")
    outcome = kind.setup(_lab("offline", reason="offline mode was asked for"))
    assert str(outcome) == (
        "offline (offline mode was asked for): kslab creates no cluster in offline mode. On a machine with "
        "kind and docker or podman, `kslab cluster up` runs:\n"
        "  kind create cluster --name kslab --config $KSLAB_HOME/kind/kslab/cluster.yaml --wait 3m\n"
        "from a copy of kslab/data/kind/ (predicted, not run here)")
    assert fake_tools.calls(fake) == []


def test_setup_with_no_cluster_answering_creates_it(fake: Path) -> None:
    lines: list[str] = []
    outcome = kind.setup(_lab("offline", reason="no kube context is configured"), progress=lines.append)
    assert outcome.changed and "kslab" in fake_tools.load_clusters(fake)
    assert 'Creating cluster "kslab" ...' in lines


def test_setup_reports_a_missing_tool_as_its_result(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake_tools.environment(monkeypatch, tmp_path, tools=("docker",))
    outcome = kind.setup(_lab("offline", reason="no kube context is configured"))
    assert not outcome.changed
    assert outcome.message.startswith("the course cluster could not be created here: kind is not installed")


def test_setup_live(fake: Path) -> None:
    assert "is up and answering" in kind.setup(_lab("live", "kind-kslab")).message
    assert "no local cluster is needed" in kind.setup(_lab("live", "gke-course")).message
    assert fake_tools.calls(fake) == []
