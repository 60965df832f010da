"""Istio on demand: the commands, the guard rails and the hints (live tests ask a real API server)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

import fake_tools
from kslab.cli.main import main
from kslab.cluster import istio
from kslab.errors import ApiError, OfflineOnly, ToolMissing


def test_commands_always_name_the_context() -> None:
    assert istio.install_argv("kind-kslab", profile="minimal")[-2:] == ["--context", "kind-kslab"]
    assert "--purge" in istio.uninstall_argv("ctx")


def test_missing_istioctl_is_a_hint(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import kslab

    monkeypatch.setenv("PATH", str(tmp_path))
    for action in (istio.install, istio.uninstall):
        with pytest.raises(ToolMissing) as info:
            action(kslab.connect(mode="offline"))
        assert info.value.message.startswith("istioctl is not installed")
        assert "macOS: brew install istioctl" in info.value.hint


def test_offline_install_needs_a_cluster(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import kslab

    state = fake_tools.environment(monkeypatch, tmp_path)
    with pytest.raises(OfflineOnly, match="installing Istio needs a live cluster"):
        istio.install(kslab.connect(mode="offline"))
    assert fake_tools.calls(state, "istioctl") == []  # nothing ran


def test_cli_istio_without_a_cluster_exits_2_with_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("KSLAB_MODE", "offline")
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "none"))
    monkeypatch.delenv("KSLAB_CONTEXT", raising=False)
    assert main(["cluster", "istio", "install"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no kube context is configured" in err


# ---- against a real API server -----------------------------------------------------------------

@pytest.fixture()
def fake_istioctl(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, live_namespace: str) -> Path:
    """A stand-in istioctl that 'installs' istiod into the test's namespace through the real API."""
    kubeconfig = os.environ.get("KUBECONFIG", "")
    state = fake_tools.environment(monkeypatch, tmp_path, tools=("istioctl",), docker=None)
    monkeypatch.setenv("KUBECONFIG", kubeconfig)  # the live cluster's, not the fakes' empty one
    monkeypatch.setenv("FAKE_ISTIO_NAMESPACE", live_namespace)
    return state


@pytest.mark.live
def test_install_waits_for_istiod_then_uninstall(live_lab: Any, live_namespace: str, fake_istioctl: Path) -> None:
    lines: list[str] = []
    outcome = istio.install(live_lab, progress=lines.append, namespace=live_namespace, timeout=30)
    assert outcome.changed and outcome.details == ["Deployment has minimum availability."]
    assert fake_tools.argvs(fake_istioctl, "istioctl") == [istio.install_argv(str(live_lab.context))[1:]]
    assert lines[0] == f"running: {' '.join(istio.install_argv(str(live_lab.context)))}"
    assert "✔ Installation complete" in lines
    again = istio.install(live_lab, progress=lines.append, namespace=live_namespace)
    assert not again.changed and "already installed" in again.message

    st = istio.status(live_lab, namespace=live_namespace)
    assert (st.installed, st.ready, st.istioctl) == (True, True, "1.27.1")

    gone = istio.uninstall(live_lab, progress=lines.append, namespace=live_namespace)
    assert gone.changed and fake_tools.argvs(fake_istioctl, "istioctl")[-1] == \
        istio.uninstall_argv(str(live_lab.context))[1:]
    ns = live_lab.list_namespaces(field_selector=f"metadata.name={live_namespace}")
    assert not ns or ns[0].metadata.deletion_timestamp is not None
    assert not istio.uninstall(live_lab, progress=lines.append, namespace=live_namespace).changed


@pytest.mark.live
def test_wait_gives_up_with_the_deployments_own_words(live_lab: Any, live_namespace: str) -> None:
    live_lab.apply({"apiVersion": "apps/v1", "kind": "Deployment",
                    "metadata": {"name": "istiod", "namespace": live_namespace},
                    "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "x"}},
                             "template": {"metadata": {"labels": {"app": "x"}},
                                          "spec": {"containers": [{"name": "c", "image": "registry.invalid/x:1"}]}}}},
                   lab_id="istio-test")
    seen: list[str] = []
    with pytest.raises(ApiError) as info:
        istio.wait_available(live_lab, namespace=live_namespace, timeout=2, interval=0.5, progress=seen.append)
    assert info.value.message.startswith(f"{live_namespace}/istiod was not Available after 2s")
    assert seen and seen[0].startswith(f"waiting for {live_namespace}/istiod: ")
    assert istio.status(live_lab, namespace=live_namespace).installed is True
    assert istio.status(live_lab, namespace=live_namespace).ready is False
