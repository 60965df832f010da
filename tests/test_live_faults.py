"""What a real v1.36 cluster showed (issue #15), checked without one: the client's own exception and
response types stand in for the API server's answers, everything above them is kslab's real code."""

from __future__ import annotations

import json
import subprocess
from functools import cached_property
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from kubernetes.client.exceptions import ApiException

from kslab.audit import audit_cluster_kubelet
from kslab.cluster import pods
from kslab.cluster.components import kubelet_input
from kslab.cluster.lab import Lab
from kslab.cluster.modes import ModeChoice
from kslab.errors import ApiError, NotALabContext, UsageError

READY = SimpleNamespace(type="Ready", status="True")


def _node(name: str) -> Any:
    return SimpleNamespace(metadata=SimpleNamespace(name=name), status=SimpleNamespace(conditions=[READY]))


def _refusal(status: int, message: str) -> ApiException:
    exc = ApiException(status=status, reason="Bad Request" if status == 400 else "Error")
    exc.body = json.dumps({"kind": "Status", "status": "Failure", "message": message, "code": status})
    return exc


class _Core:
    """The CoreV1Api calls the code under test makes; the node proxy answers with ``proxy``."""

    def __init__(self, proxy: BaseException | None = None) -> None:
        self.proxy = proxy
        self.calls: list[str] = []

    def list_node(self) -> Any:
        self.calls.append("list_node")
        return SimpleNamespace(items=[_node("control-plane")])

    def connect_get_node_proxy_with_path(self, node: str, path: str, **_: Any) -> Any:
        self.calls.append(f"proxy {node} {path}")
        if self.proxy is not None:
            raise self.proxy
        return SimpleNamespace(data=b"{}")

    def __getattr__(self, name: str) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(name)
            raise AssertionError(f"unexpected API call {name}")
        return call


class FakeLab(Lab):
    """A live lab whose client is :class:`_Core`; ``lab_context`` as given."""

    def __init__(self, core: _Core, *, lab_context: bool = True) -> None:
        super().__init__(ModeChoice("live", "kind-kslab" if lab_context else "prod", lab_context, "test"))
        self.__dict__["_core"] = core
        self.__dict__["may_create_namespaces"] = True
        self.applied: list[Any] = []
        self.headers: list[str] = []

    @cached_property
    def _client(self) -> Any:  # never a real client
        raise AssertionError("no real client in these tests")

    def apply(self, objects: Any, *, lab_id: str, dry_run: bool = False) -> list[dict[str, Any]]:
        self.require_lab(f"lab {lab_id!r}")
        self.applied.append(objects)
        return [dict(objects)]

    def _resource(self, api_version: str, kind: str) -> Any:
        headers = self.headers

        class Resource:
            @staticmethod
            def create(**kwargs: Any) -> Any:
                assert kwargs["dry_run"] == "All"
                return SimpleNamespace(headers=_Headers(headers))
        return Resource()


class _Headers:
    def __init__(self, warnings: list[str]) -> None:
        self._warnings = warnings

    def getlist(self, name: str) -> list[str]:
        return list(self._warnings) if name.lower() == "warning" else []


@pytest.mark.parametrize(("status", "message"), [
    (400, "address not allowed"),  # a real v1.36 API server proxying to a loopback node address
    (403, 'nodes "control-plane" is forbidden: User "alice" cannot get resource "nodes/proxy"'),
    (404, "the server could not find the requested resource"),
    (418, "something no one expected"),
    (502, "error trying to reach service: dial tcp 10.0.0.1:10250: connect: connection refused"),
])
def test_any_node_proxy_refusal_is_not_readable_with_the_servers_words(status: int, message: str) -> None:
    lab = FakeLab(_Core(proxy=_refusal(status, message)))
    seen = kubelet_input(lab)
    assert not seen.visible
    assert f"the server said: {status} {message}" in seen.reason
    assert str(seen).startswith("not visible:")
    report = audit_cluster_kubelet(lab)  # what notebook 02 calls: it goes on with the bundled example
    assert "NOT your cluster" in report.source and message in report.notes[0]


def test_a_node_proxy_that_does_not_answer_at_all_is_still_an_error() -> None:
    from urllib3.exceptions import ReadTimeoutError

    lab = FakeLab(_Core(proxy=ReadTimeoutError(None, "/configz", "Read timed out.")))
    with pytest.raises(ApiError, match="reading /configz of node control-plane"):
        kubelet_input(lab)


SEED_POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
            "spec": {"containers": [{"name": "web", "image": "webapp"}]}}


def test_live_admission_keeps_the_api_servers_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pods, "NAMESPACE_SETTLE_SECONDS", 0)
    monkeypatch.setattr(pods, "ensure_service_account", lambda lab, namespace, name="default": None)
    lab = FakeLab(_Core())
    said = ('would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "web" '
            'must set securityContext.allowPrivilegeEscalation=false)')
    lab.headers = ['299 - "' + said.replace('"', '\\"') + '"']
    answer = pods.admission(lab, SEED_POD, {"pod-security.kubernetes.io/warn": "restricted"})
    assert answer.allowed and answer.warnings == (said,)
    assert f"Warning: {said}" in str(answer) and "the API server's answer" in str(answer)
    lab.headers = []
    assert pods.admission(lab, SEED_POD, {}).warnings == ()


def test_admit_pod_and_ensure_service_account_refuse_a_context_that_is_not_a_lab_context() -> None:
    core = _Core()
    lab = FakeLab(core, lab_context=False)
    with pytest.raises(NotALabContext, match="'prod' is not a lab context"):
        pods.admit_pod(lab, SEED_POD, namespace="default")
    with pytest.raises(NotALabContext):
        pods.ensure_service_account(lab, "default")
    assert core.calls == []  # refused before any request reached the server


def test_the_inventory_says_so_when_no_kube_system_component_is_visible() -> None:
    from kslab.architecture import NO_COMPONENTS, Inventory

    inventory = Inventory("observed live on context test", True, "v1.36.0",
                          nodes=[{"name": "n1", "roles": "control-plane", "kubelet": "v1.36.0",
                                  "runtime": "containerd://2.1", "os": "Linux"}], pods=[])
    text = str(inventory)
    assert NO_COMPONENTS in text and "COMPONENT" not in text
    assert "none visible" in inventory._repr_html_() and "<th>component" not in inventory._repr_html_().lower()
    with_pods = Inventory("x", True, "v1.36.0", pods=[{"name": "etcd-n1", "component": "etcd", "node": "n1",
                                                        "image": "registry.k8s.io/etcd:3.6"}])
    assert "COMPONENT" in str(with_pods) and NO_COMPONENTS not in str(with_pods)


def test_cluster_clean_on_a_context_that_is_not_a_lab_context_is_exit_2_with_a_context_hint(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from kslab.cli.main import main

    config = tmp_path / "config"
    config.write_text("contexts: [{name: kind-kslab, context: {cluster: c, user: u}}]\n")
    monkeypatch.setenv("KUBECONFIG", str(config))
    monkeypatch.delenv("KSLAB_CONTEXT", raising=False)
    core = _Core()
    monkeypatch.setattr("kslab.cluster.connect.connect", lambda **_: FakeLab(core, lab_context=False))
    assert main(["cluster", "clean", "03"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a lab context" in err and "--context prod" in err
    assert core.calls == []


def test_a_relative_kslab_home_inside_a_git_work_tree_never_gets_a_kubeconfig(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from kslab.cluster.identities import kubeconfig_path, service_account_identity

    repo = tmp_path / "repo"
    (repo / "notebooks").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    monkeypatch.chdir(repo / "notebooks")
    monkeypatch.setenv("KSLAB_HOME", "state")  # relative: notebooks/state inside the repository
    with pytest.raises(UsageError, match="inside the git work tree"):
        kubeconfig_path("kind-kslab", "kslab-04", "webapp")
    lab = FakeLab(_Core())
    monkeypatch.setattr(lab, "create_token", lambda *a, **k: pytest.fail("a token was requested"), raising=False)
    with pytest.raises(UsageError, match="inside the git work tree"):
        service_account_identity(lab, "kslab-04", "webapp")
    with pytest.raises(UsageError, match="inside the git work tree"):
        service_account_identity(lab, "kslab-04", "webapp", path=repo / "sa.kubeconfig")
    assert not (repo / "notebooks" / "state").exists() and not (repo / "sa.kubeconfig").exists()
    monkeypatch.setenv("KSLAB_HOME", str(tmp_path / "outside"))
    assert kubeconfig_path("kind-kslab", "kslab-04", "webapp").parent == tmp_path / "outside" / "kubeconfigs"


class _RefusingPods(_Core):
    def list_namespaced_pod(self, namespace: str, **_: Any) -> Any:
        self.calls.append(f"list pods {namespace}")
        raise _refusal(403, 'pods is forbidden: User "alice" cannot list resource "pods"')


def test_waiting_for_a_pod_turns_a_refusal_into_one_kslab_error() -> None:
    lab = FakeLab(_RefusingPods())
    with pytest.raises(ApiError) as err:
        lab.wait_for_pod("kslab-03", "app=webapp", timeout=5)
    assert err.value.status == 403 and "listing pods 'app=webapp' in kslab-03" in str(err.value)
    assert "cannot list resource" in err.value.server_message
