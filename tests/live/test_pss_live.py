"""Against a real API server: Pod Security admission rejects exactly what kslab predicts.

Run with KSLAB_MODE=live and KSLAB_CONTEXT=<context>. Admission tests need only an API server
(server-side dry runs; the namespace's ServiceAccount is created if no controller-manager does);
the hack test needs a Ready node and the webapp image (KSLAB_WEBAPP_IMAGE), and skips otherwise.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from kslab import hack
from kslab.cluster import pods
from kslab.manifests.webapp import RESTRICTED_CONTEXT, webapp_deployment, webapp_pod
from kslab.pss import evaluate
from kslab.pss.admission import OBSERVED

pytestmark = pytest.mark.live


def label(lab: Any, namespace: str, **labels: str) -> None:
    lab.patch_namespace(namespace, {"metadata": {"labels": {
        f"pod-security.kubernetes.io/{k.replace('_', '-')}": v for k, v in labels.items()}}})
    time.sleep(pods.NAMESPACE_SETTLE_SECONDS)  # admission reads namespaces from a cache


def admit(lab: Any, pod: dict, namespace: str, expect_allowed: bool) -> tuple[bool, str]:
    """Dry-run create; retried briefly while the server's namespace cache may still hold old labels."""
    for _ in range(10):
        allowed, message = pods.admit_pod(lab, pod, namespace=namespace)
        if allowed is expect_allowed:
            break
        time.sleep(0.5)
    return allowed, message


def violations(message: str) -> str:
    return message[message.index("violates PodSecurity"):] if "violates PodSecurity" in message else message


NON_COMPLIANT = [
    webapp_pod(host_port=3000, name="seed"),
    webapp_pod({"privileged": True, "capabilities": {"add": ["NET_ADMIN", "SYS_TIME"]}}, name="priv",
               pod_security_context={"runAsUser": 0, "sysctls": [{"name": "kernel.msgmax", "value": "65536"}]}),
    {**webapp_pod(name="hostnet"), "spec": {**webapp_pod()["spec"], "hostNetwork": True, "hostPID": True,
                                            "volumes": [{"name": "root", "hostPath": {"path": "/"}},
                                                        {"name": "plain"}]}},
    webapp_pod({"seccompProfile": {"type": "Unconfined"}, "runAsNonRoot": False},
               name="mixed", pod_security_context={"seLinuxOptions": {"type": "spc_t", "user": "u"}}),
]


@pytest.mark.parametrize("pod", NON_COMPLIANT, ids=lambda p: p["metadata"]["name"])
@pytest.mark.parametrize("level, version", [("restricted", "latest"), ("baseline", "latest"),
                                            ("restricted", "v1.24"), ("baseline", "v1.30")])
def test_enforce_rejects_with_the_predicted_violations(live_lab: Any, live_namespace: str, pod: dict,
                                                       level: str, version: str) -> None:
    label(live_lab, live_namespace, enforce=level, enforce_version=version)
    predicted = evaluate(pod, level, version, emulation_version=pods.server_minor(live_lab))
    allowed, message = admit(live_lab, pod, live_namespace, predicted.allowed)
    if "disallowed by cluster policy" in message:
        pytest.skip("this API server runs with --allow-privileged=false (its default): it refuses privileged "
                    "pods in validation, before Pod Security admission sees them")
    assert allowed is predicted.allowed, message
    if not predicted.allowed:
        assert violations(message) == predicted.message()
        assert f'pods "{pod["metadata"]["name"]}" is forbidden: ' in message


def test_compliant_pod_is_admitted(live_lab: Any, live_namespace: str) -> None:
    label(live_lab, live_namespace, enforce="restricted", enforce_version="latest")
    pod = webapp_pod(RESTRICTED_CONTEXT, tmp_volume=True)
    assert evaluate(pod).allowed
    assert pods.admit_pod(live_lab, pod, namespace=live_namespace) == (True, "admitted")


def test_admission_helper_reports_the_servers_answer(live_lab: Any, live_namespace: str) -> None:
    answer = pods.admission(live_lab, webapp_pod(host_port=3000), {"pod-security.kubernetes.io/enforce": "baseline"},
                            namespace=live_namespace, lab_name="tests")
    assert not answer.allowed and answer.source == OBSERVED
    assert answer.message == evaluate(webapp_pod(host_port=3000), "baseline").forbidden()


def test_hack_predicted_equals_observed(live_lab: Any, live_namespace: str, webapp_image: str) -> None:
    if not pods.nodes_ready(live_lab):
        pytest.skip("no node is Ready: pods can be admitted but not run on this cluster")
    for context in ({}, {"runAsUser": 1000, "readOnlyRootFilesystem": True, "allowPrivilegeEscalation": False}):
        report = hack.run(live_lab, webapp_deployment(context, image=webapp_image), namespace=live_namespace,
                          lab_name="tests", timeout=180)
        assert report.live, str(report)
        assert report.disagreements == [], str(report)
