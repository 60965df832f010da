"""Manifest builders (webapp, PSA namespace), YAML rendering and schema validation."""

from __future__ import annotations

import pytest
import yaml

from kslab.errors import InputError, UsageError
from kslab.manifests.namespace import psa_labels, psa_namespace
from kslab.manifests.render import to_yaml
from kslab.manifests.validate import require_valid, validate
from kslab.manifests.webapp import (RESTRICTED_CONTEXT, SEED_STEPS, seed_deployment, webapp_deployment, webapp_pod,
                                    webapp_service)
from kslab.pss import evaluate


def test_image_and_pull_policy_come_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KSLAB_WEBAPP_IMAGE", "registry.test/webapp:9")
    monkeypatch.setenv("KSLAB_IMAGE_PULL_POLICY", "Never")
    container = webapp_deployment()["spec"]["template"]["spec"]["containers"][0]
    assert (container["image"], container["imagePullPolicy"]) == ("registry.test/webapp:9", "Never")
    assert webapp_pod()["spec"]["containers"][0]["image"] == "registry.test/webapp:9"


def test_security_context_is_copied_not_shared() -> None:
    context = {"capabilities": {"drop": ["ALL"]}}
    d = webapp_deployment(context)
    d["spec"]["template"]["spec"]["containers"][0]["securityContext"]["capabilities"]["drop"].append("X")
    assert context == {"capabilities": {"drop": ["ALL"]}}


def test_restricted_webapp_passes_restricted_and_validates() -> None:
    for obj in (webapp_deployment(RESTRICTED_CONTEXT, tmp_volume=True), webapp_pod(RESTRICTED_CONTEXT)):
        assert evaluate(obj).allowed, evaluate(obj)
        assert validate(obj) == []
    assert evaluate(webapp_deployment()).checks == ["allowPrivilegeEscalation", "capabilities_restricted",
                                                    "runAsNonRoot", "seccompProfile_restricted"]


def test_seed_steps_all_violate_baseline_because_of_host_port() -> None:
    for step in SEED_STEPS:
        verdict = evaluate(seed_deployment(step), "baseline")
        assert verdict.checks == ["hostPorts"], step
        assert validate(seed_deployment(step)) == []
    with pytest.raises(UsageError):
        seed_deployment("nope")


def test_the_seed_as_written_fails_strict_schema_validation() -> None:
    problems = validate(seed_deployment("readOnlyRootFilesystem", as_written=True))
    assert len(problems) == 1
    assert problems[0].path == "spec.template.spec.securityContext"
    assert "readOnlyRootFilesystem" in problems[0].message
    ports = validate(seed_deployment("as deployed", as_written=True))
    assert ports and ports[0].path == "spec.template.spec" and "ports" in ports[0].message
    # runAsUser is a real pod-level field, and that step's ports slip is still caught
    assert "ports" in validate(seed_deployment("runAsUser", as_written=True))[0].message
    with pytest.raises(InputError, match="securityContext"):
        require_valid(seed_deployment("all three", as_written=True))


def test_validation_reports_type_errors_and_unknown_kinds() -> None:
    bad = webapp_pod({"runAsUser": "root"})
    problems = validate(bad)
    assert problems and problems[0].path == "spec.containers[0].securityContext.runAsUser"
    assert validate({"apiVersion": "example.io/v1", "kind": "Widget", "metadata": {"name": "w"}})[0].message.startswith(
        "no schema for example.io/v1 Widget")
    assert validate({"metadata": {"name": "x"}})[0].message == "needs apiVersion and kind"


def test_psa_namespace_labels() -> None:
    ns = psa_namespace("lab", enforce="restricted", warn="baseline", audit="restricted", version="v1.30")
    assert ns["metadata"]["labels"] == {
        "pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/enforce-version": "v1.30",
        "pod-security.kubernetes.io/audit": "restricted", "pod-security.kubernetes.io/audit-version": "v1.30",
        "pod-security.kubernetes.io/warn": "baseline", "pod-security.kubernetes.io/warn-version": "v1.30"}
    assert validate(ns) == []
    assert psa_labels() == {}
    with pytest.raises(UsageError):
        psa_labels(enforce="strict")
    with pytest.raises(UsageError):
        psa_labels(enforce="baseline", version="1.30")


def test_service_replaces_host_port_and_yaml_round_trips() -> None:
    svc = webapp_service(node_port=30080)
    assert svc["spec"]["type"] == "NodePort" and validate(svc) == []
    text = to_yaml([psa_namespace("lab", enforce="restricted"), webapp_deployment(RESTRICTED_CONTEXT), svc])
    docs = list(yaml.safe_load_all(text))
    assert [d["kind"] for d in docs] == ["Namespace", "Deployment", "Service"]
    assert docs[1] == webapp_deployment(RESTRICTED_CONTEXT)
    assert text.index("apiVersion") < text.index("kind") < text.index("metadata")  # keys in building order
