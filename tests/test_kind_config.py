"""The course cluster's kind configuration is valid for kind, kubeadm, the kubelet and the API server.

kind publishes no JSON Schema; kslab/data/kind/schemas/ holds ours, written from kind's v1alpha4 Go
types (decoded strictly by kind) and the upstream types of the embedded documents. Each schema is
also shown to reject the mistakes it exists to catch, so a schema that accepts anything would fail.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from kslab.course import kind_config

DIGEST = re.compile(r"^kindest/node:v\d+\.\d+\.\d+@sha256:[0-9a-f]{64}$")


def test_shipped_configuration_is_valid() -> None:
    assert kind_config.validate() == []


def test_every_document_is_checked_against_its_schema() -> None:
    kinds = [(d.content.get("kind"), d.schema) for d in kind_config.documents()]
    assert kinds == [("Cluster", "kind-cluster.v1alpha4"),
                     ("ClusterConfiguration", "kubeadm-cluster-configuration.v1beta4"),
                     ("KubeletConfiguration", "kubelet-configuration.v1beta1"),
                     ("AdmissionConfiguration", "admission-configuration.v1"),
                     ("Policy", "audit-policy.v1")]


def test_node_image_is_pinned_by_digest_and_documented() -> None:
    image = kind_config.node_image()
    assert DIGEST.match(image), image
    readme = (kind_config.CONFIG_DIR / "README.md").read_text(encoding="utf-8")
    assert image in readme and kind_config.KIND_RELEASE in readme


def test_the_design_the_course_promises() -> None:
    design = kind_config.describe()
    assert design.name == "kslab"
    assert design.psa_defaults["enforce"] == "baseline"
    assert design.psa_defaults["warn"] == design.psa_defaults["audit"] == "restricted"
    assert "kube-system" in design.psa_exempt_namespaces
    assert design.kubelet_read_only_port == 0
    assert design.audit["audit-log-path"].startswith("/var/log/")
    assert {"audit-log-maxage", "audit-log-maxbackup", "audit-log-maxsize"} <= set(design.audit)
    assert design.port_mappings == ["127.0.0.1:30080 -> node port 30080/TCP"]
    assert design.api_server_address == "127.0.0.1"
    assert kind_config.webapp_node_port() == 30080


# ---- each schema rejects what it should ----------------------------------------------------------

def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "kind"
    shutil.copytree(kind_config.CONFIG_DIR, target)
    return target


def _edit_yaml(path: Path, change: Callable[[Any], None]) -> None:
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def _edit_patch(kind: str, change: Callable[[dict[str, Any]], None]) -> Callable[[Any], None]:
    def edit(config: Any) -> None:
        patches = config["kubeadmConfigPatches"]
        for i, text in enumerate(patches):
            doc = yaml.safe_load(text)
            if doc["kind"] == kind:
                change(doc)
                patches[i] = yaml.safe_dump(doc)
    return edit


def _apiserver_args(doc: dict[str, Any]) -> list[dict[str, str]]:
    return doc["apiServer"]["extraArgs"]


CLUSTER_MISTAKES: list[tuple[str, Callable[[Any], None], str]] = [
    ("unknown top-level field", lambda c: c.update(nodeImage="x"), "Additional properties"),
    ("unknown node field", lambda c: c["nodes"][0].update(ports=[]), "Additional properties"),
    ("bad role", lambda c: c["nodes"][0].update(role="master"), "is not one of"),
    ("no control plane", lambda c: c.update(nodes=[{"role": "worker", "image": "x"}]), "does not contain items"),
    ("bad cluster name", lambda c: c.update(name="KSLab"), "does not match"),
    ("port out of range", lambda c: c["nodes"][0]["extraPortMappings"][0].update(hostPort=70000),
     "greater than the maximum"),
    ("listen address not an IP", lambda c: c["nodes"][0]["extraPortMappings"][0].update(listenAddress="localhost"),
     "is not valid under any"),
    ("bad protocol", lambda c: c["nodes"][0]["extraPortMappings"][0].update(protocol="tcp"), "is not one of"),
    ("wrong apiVersion", lambda c: c.update(apiVersion="kind.x-k8s.io/v1alpha3"), "was expected"),
    ("kubeadm arg as a map (v1beta3 style)", _edit_patch("ClusterConfiguration", lambda d: d["apiServer"].update(
        extraArgs={"audit-log-path": "/x"})), "is not of type 'array'"),
    ("kubeadm arg misspelt", _edit_patch("ClusterConfiguration", lambda d: _apiserver_args(d).append(
        {"name": "profiling", "vaule": "false"})), "required property"),
    ("flag with dashes", _edit_patch("ClusterConfiguration", lambda d: _apiserver_args(d).append(
        {"name": "--profiling", "value": "false"})), "does not match"),
    ("kubelet field misspelt", _edit_patch("KubeletConfiguration", lambda d: d.update(readOnlyPorts=0)),
     "Additional properties are not allowed ('readOnlyPorts'"),
    ("patch of a kind without a schema", lambda c: c["kubeadmConfigPatches"].append(
        "kind: InitConfiguration\napiVersion: kubeadm.k8s.io/v1beta4\n"), "kslab has no schema"),
    ("volume path relative", _edit_patch("ClusterConfiguration", lambda d: d["apiServer"]["extraVolumes"][0].update(
        hostPath="etc/kubernetes")), "does not match"),
]


def _psa(doc: Any) -> Any:
    return doc["plugins"][0]["configuration"]


ADMISSION_MISTAKES: list[tuple[str, Callable[[Any], None], str]] = [
    ("unknown level", lambda d: _psa(d)["defaults"].update(enforce="strict"), "is not one of"),
    ("version without v", lambda d: _psa(d)["defaults"].update({"enforce-version": "1.30"}), "does not match"),
    ("misspelt key", lambda d: _psa(d)["defaults"].update(enforced="baseline"), "Additional properties"),
    ("wrong config apiVersion", lambda d: _psa(d).update(apiVersion="pod-security.admission.config.k8s.io/v1beta9"),
     "was expected"),
    ("exempt namespace with capitals", lambda d: _psa(d)["exemptions"].update(namespaces=["Kube-System"]),
     "does not match"),
]


AUDIT_MISTAKES: list[tuple[str, Callable[[Any], None], str]] = [
    ("unknown level", lambda p: p["rules"][-1].update(level="All"), "is not one of"),
    ("unknown stage", lambda p: p.update(omitStages=["RequestSent"]), "is not one of"),
    # upstream: "rules cannot apply to both regular resources and non-resource URLs"
    ("URLs with resources", lambda p: p["rules"][0].update(resources=[{"group": ""}]), "should not be valid"),
    ("star inside a URL", lambda p: p["rules"][0].update(nonResourceURLs=["/api*/x"]), "does not match"),
    ("misspelt rule key", lambda p: p["rules"][-1].update(verb=["get"]), "Additional properties"),
]


MISTAKES = ([("cluster.yaml", *m) for m in CLUSTER_MISTAKES]
            + [("control-plane/admission.yaml", *m) for m in ADMISSION_MISTAKES]
            + [("control-plane/audit-policy.yaml", *m) for m in AUDIT_MISTAKES])


@pytest.mark.parametrize(("file", "what", "change", "message"), MISTAKES, ids=[f"{m[0]}: {m[1]}" for m in MISTAKES])
def test_schema_rejects(tmp_path: Path, file: str, what: str, change: Callable[[Any], None], message: str) -> None:
    folder = _copy(tmp_path)
    _edit_yaml(folder / file, change)
    problems = kind_config.validate(folder)
    assert any(message in p for p in problems), (what, problems)


def test_cross_check_finds_a_flag_pointing_at_a_missing_file(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    (folder / "control-plane" / "audit-policy.yaml").rename(folder / "control-plane" / "audit.yaml")
    problems = kind_config.validate(folder)
    assert problems == ["--audit-policy-file: control-plane/audit-policy.yaml does not exist"]


def test_cross_check_finds_an_unmounted_folder(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    _edit_yaml(folder / "cluster.yaml", lambda c: c["nodes"][0].pop("extraMounts"))
    problems = kind_config.validate(folder)
    assert "--admission-control-config-file: /etc/kubernetes/kslab/admission.yaml is not mounted into the " \
           "control-plane node" in problems


def test_cross_check_finds_a_flag_outside_the_pods_volumes(tmp_path: Path) -> None:
    folder = _copy(tmp_path)

    def move(doc: dict[str, Any]) -> None:
        for arg in _apiserver_args(doc):
            if arg["name"] == "audit-policy-file":
                arg["value"] = "/srv/audit-policy.yaml"
    _edit_yaml(folder / "cluster.yaml", _edit_patch("ClusterConfiguration", move))
    assert kind_config.validate(folder) == ["--audit-policy-file=/srv/audit-policy.yaml is in no volume of the "
                                            "API server pod"]


def test_duplicate_port_mapping_is_refused_like_kind_does(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    _edit_yaml(folder / "cluster.yaml", lambda c: c["nodes"][0]["extraPortMappings"].append(
        dict(c["nodes"][0]["extraPortMappings"][0])))
    problems = kind_config.validate(folder)
    assert problems == ["port mapping with same listen address, port and protocol: ('127.0.0.1', 30080, 'TCP')"]
