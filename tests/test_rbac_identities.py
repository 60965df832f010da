"""The live module's offline behaviour and its local parts: kubeconfig files, CA choice, predictions."""

from __future__ import annotations

import stat
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import yaml

import kslab
from kslab.cluster import identities
from kslab.cluster.api_resources import catalog
from kslab.cluster.lab import Lab
from kslab.cluster.modes import ModeChoice
from kslab.rbac import scenario


def offline() -> Any:
    return kslab.connect(mode="offline")


def test_offline_set_up_lists_the_objects_in_order() -> None:
    result = identities.set_up(offline())
    assert not result.live and result.applied == []
    text = result.text()
    assert text.index("Namespace/webapp-rbac") < text.index("ServiceAccount/webapp-rbac/webapp") \
        < text.index("Role/webapp-rbac/pod-reader") < text.index("RoleBinding/webapp-rbac/webapp-reads-pods")


def test_offline_identity_has_predicted_claims_and_no_kubeconfig() -> None:
    ident = identities.service_account_identity(offline(), expiration_seconds=1800)
    assert not ident.live and ident.kubeconfig is None and ident.client is None
    assert ident.claims.predicted and ident.claims.subject == "system:serviceaccount:webapp-rbac:webapp"
    assert "1800 s after issue" in ident.text() and "offline" in ident.text()
    skeleton = yaml.safe_load(ident.kubeconfig_text())
    assert skeleton["contexts"][0]["context"]["namespace"] == "webapp-rbac"
    assert "never shown" in skeleton["users"][0]["user"]["token"]


def test_offline_requests_are_predicted_not_sent() -> None:
    report = identities.try_requests(identities.service_account_identity(offline()))
    rows = {r["action"]: r for r in report.rows()}
    assert rows["list pods in webapp-rbac"]["predicted"] == "allowed"
    for action in ("delete a pod in webapp-rbac", "list secrets in webapp-rbac", "list pods in default", "list nodes"):
        assert rows[action]["predicted"] == "forbidden"
    assert all(r["observed"] == "— (offline)" for r in rows.values())
    assert "nothing was sent" in report.text() and report.agree()


def test_offline_matrix_and_legacy_token_say_offline() -> None:
    lab = offline()
    both = identities.access_matrix(identities.service_account_identity(lab))
    assert both.observed is None and "offline" in both.verdict()
    legacy = identities.legacy_token(lab)
    assert not legacy.live and "no Secret created" in legacy.text()
    assert catalog(lab) is not None and not catalog(lab).observed


def test_kubeconfig_is_private_and_outside_the_repo(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("KSLAB_HOME", str(tmp_path / "home"))
    path = identities.kubeconfig_path("kind-kslab", "web", "app")
    assert path.is_relative_to(tmp_path / "home")
    path.parent.mkdir(parents=True)
    path.write_text("old")
    path.chmod(0o644)
    identities.write_private(path, "apiVersion: v1\n")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert path.read_text() == "apiVersion: v1\n"
    repo = Path(__file__).resolve().parent.parent
    assert not path.is_relative_to(repo)


def fake_lab(*, ca_data: str | None = None, ca_file: str | None = None, configmap: str | None = None) -> Any:
    def read_cm(name: str, namespace: str) -> Any:
        if configmap is None:
            raise type("NotFound", (Exception,), {"status": 404})()
        return SimpleNamespace(data={"ca.crt": configmap})

    cfg = SimpleNamespace(host="https://127.0.0.1:6443", ca_cert_data=ca_data, ssl_ca_cert=ca_file, verify_ssl=True)
    lab = Lab(ModeChoice("live", "ctx", True, "a test"), api_client=SimpleNamespace(configuration=cfg))
    lab.__dict__["_core"] = SimpleNamespace(read_namespaced_config_map=read_cm)  # the CoreV1Api Lab's verbs call
    return lab


def test_ca_prefers_the_admin_kubeconfig_then_the_configmap(tmp_path: Path) -> None:
    pem = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
    ca_file = tmp_path / "ca.crt"
    ca_file.write_text(pem)
    assert identities.cluster_ca(fake_lab(ca_file=str(ca_file), configmap="other"), "web") == \
        (pem.encode(), "the admin kubeconfig's cluster entry (context ctx)")
    data, source = identities.cluster_ca(fake_lab(configmap=pem), "web")
    assert data == pem.encode() and source == "ConfigMap web/kube-root-ca.crt"
    data, source = identities.cluster_ca(fake_lab(), "web")
    assert data is None and "system trust store" in source


def test_kubeconfig_document_shape() -> None:
    doc = identities.kubeconfig_dict(server="https://1.2.3.4:6443", ca_pem=b"PEM", token="t0k3n",
                                      context="ctx", cluster="c", user="app@web", namespace="web")
    assert doc["current-context"] == "ctx"
    assert doc["clusters"][0]["cluster"]["certificate-authority-data"] == "UEVN"
    assert doc["users"][0]["user"] == {"token": "t0k3n"}
    assert doc["contexts"][0]["context"] == {"cluster": "c", "user": "app@web", "namespace": "web"}


def test_scenario_deployment_runs_as_the_service_account_and_is_restricted() -> None:
    deploy = scenario.webapp_deployment(image="registry.local/webapp:1", pull_policy="Never")
    spec = deploy["spec"]["template"]["spec"]
    assert spec["serviceAccountName"] == "webapp"
    assert spec["securityContext"]["runAsNonRoot"] is True
    container = spec["containers"][0]
    assert container["image"] == "registry.local/webapp:1" and "hostPort" not in container["ports"][0]
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}


def test_scenario_deployment_passes_the_restricted_standard() -> None:
    from kslab import pss

    verdict = pss.evaluate(scenario.webapp_deployment(), "restricted")
    assert verdict.allowed, verdict
