"""Mode selection and the lab-context guard rail."""

from __future__ import annotations

import pytest

from kslab.cluster.lab import Lab
from kslab.cluster.modes import ModeChoice, choose
from kslab.errors import ClusterUnreachable, NotALabContext, OfflineOnly, UsageError

OK = lambda ctx: None  # noqa: E731 - the cluster answers
DOWN = lambda ctx: "ConnectionRefused"  # noqa: E731


def pick(mode="auto", context=None, contexts=("kind-kslab", "prod"), current="prod", binder=False,
         probe=OK):
    return choose(requested_mode=mode, requested_context=context, contexts=list(contexts),
                  current_context=current, binder=binder, probe=probe)


def test_auto_prefers_the_course_cluster_over_current_context():
    choice = pick()
    assert (choice.mode, choice.context, choice.lab_context) == ("live", "kind-kslab", True)


def test_auto_uses_current_context_but_it_is_not_a_lab_context():
    choice = pick(contexts=["prod"])
    assert (choice.mode, choice.context, choice.lab_context) == ("live", "prod", False)


def test_naming_a_context_opts_it_in():
    choice = pick(context="prod")
    assert (choice.context, choice.lab_context) == ("prod", True)


def test_unknown_context_is_a_usage_error():
    with pytest.raises(UsageError, match="not in your kubeconfig"):
        pick(context="nope")


def test_unreachable_cluster_falls_back_to_offline_with_reason():
    choice = pick(probe=DOWN)
    assert choice.mode == "offline" and "did not answer" in choice.reason and choice.context is None


def test_live_requested_but_unreachable_is_an_error():
    with pytest.raises(ClusterUnreachable):
        pick(mode="live", probe=DOWN)


def test_live_requested_without_any_context_is_an_error():
    with pytest.raises(ClusterUnreachable):
        pick(mode="live", contexts=[], current=None)


def test_no_kubeconfig_means_offline():
    assert pick(contexts=[], current=None).mode == "offline"


def test_offline_requested_never_probes():
    def probe(ctx):
        raise AssertionError("must not probe")
    assert pick(mode="offline", probe=probe).mode == "offline"


def test_binder_is_offline_in_auto_mode_without_probing():
    def probe(ctx):
        raise AssertionError("must not probe")
    choice = pick(binder=True, probe=probe)
    assert choice.mode == "offline" and "Binder" in choice.reason


def test_binder_still_honours_an_explicit_live_request():
    assert pick(mode="live", binder=True).mode == "live"


def test_mode_names_are_checked():
    with pytest.raises(UsageError):
        pick(mode="online")


def test_guard_rail_refuses_a_non_lab_context_with_opt_in_hint():
    lab = Lab(ModeChoice("live", "prod", False, "context prod answered"))
    with pytest.raises(NotALabContext) as info:
        lab.require_lab("deploying the webapp")
    assert "KSLAB_CONTEXT=prod" in info.value.hint


def test_guard_rail_allows_a_lab_context_and_offline_refuses_live_work():
    Lab(ModeChoice("live", "kind-kslab", True, "")).require_lab("x")
    with pytest.raises(OfflineOnly):
        Lab(ModeChoice("offline", None, False, "no kube context")).require_live("exec")


def test_connect_reads_environment(monkeypatch, tmp_path):
    import kslab

    monkeypatch.setenv("KSLAB_MODE", "offline")
    assert kslab.connect().mode == "offline"
    # An empty kubeconfig: auto mode has nothing to connect to.
    monkeypatch.setenv("KSLAB_MODE", "auto")
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "none"))
    monkeypatch.delenv("KSLAB_CONTEXT", raising=False)
    monkeypatch.delenv("BINDER_LAUNCH_HOST", raising=False)
    monkeypatch.delenv("BINDER_REPO_URL", raising=False)
    assert kslab.connect().reason == "no kube context is configured"


def test_unreachable_server_falls_back_to_offline(monkeypatch, tmp_path):
    """A kubeconfig pointing at a closed port: connect() says so and goes offline."""
    import socket

    import kslab

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cfg = tmp_path / "config"
    cfg.write_text(f"""apiVersion: v1
kind: Config
current-context: dead
clusters: [{{name: dead, cluster: {{server: "https://127.0.0.1:{port}"}}}}]
users: [{{name: u, user: {{token: not-a-real-token}}}}]
contexts: [{{name: dead, context: {{cluster: dead, user: u}}}}]
""")
    monkeypatch.setenv("KUBECONFIG", str(cfg))
    monkeypatch.setenv("KSLAB_MODE", "auto")
    monkeypatch.delenv("KSLAB_CONTEXT", raising=False)
    lab = kslab.connect()
    assert lab.mode == "offline" and "dead did not answer" in lab.reason


def test_never_falls_back_to_in_cluster_credentials(monkeypatch, tmp_path):
    """Inside a pod the client would silently use the pod's service account; kslab must not."""
    import kslab

    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "1")
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "missing"))
    monkeypatch.setenv("KSLAB_MODE", "auto")
    monkeypatch.delenv("KSLAB_CONTEXT", raising=False)
    lab = kslab.connect()
    assert lab.mode == "offline" and lab.context is None
