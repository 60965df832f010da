"""Against a real API server: Istio detection, and why a capture container needs baseline, not restricted.

Run with KSLAB_MODE=live and KSLAB_CONTEXT=<context>. Everything here is API-level (a pod is
created but need not run); tests that need Istio's CRDs skip when Istio is not installed.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from kslab.cluster import istio_lab, pods
from kslab.errors import ApiError
from kslab.manifests.webapp import RESTRICTED_CONTEXT, webapp_pod

pytestmark = pytest.mark.live


def set_level(lab: Any, namespace: str, level: str) -> None:
    lab.patch_namespace(namespace, {"metadata": {"labels": {"pod-security.kubernetes.io/enforce": level}}})
    time.sleep(pods.NAMESPACE_SETTLE_SECONDS)  # admission reads namespaces from a cache


def add_capture_container(lab: Any, namespace: str, pod: str) -> tuple[int, str]:
    """(HTTP status, message) of the pods/ephemeralcontainers update the capture makes."""
    # The webapp pod has no istio-proxy: target its one container (the API checks the name exists).
    body = {"spec": {"ephemeralContainers": [istio_lab.capture_container(target="webapp")]}}
    for _ in range(10):  # the namespace cache may still hold the old labels for a moment
        try:
            lab.patch_pod_ephemeral_containers(namespace, pod, body)
            return 200, "accepted"
        except ApiError as err:  # the status is the answer
            status, message = err.status or 0, err.server_message or str(err)
            if status != 403 or "restricted" in message:
                return status, message
            time.sleep(0.5)
    return status, message


def test_detect_answers_on_any_cluster(live_lab: Any) -> None:
    status = istio_lab.detect(live_lab)
    assert status.mode == "live" and status.crds in (True, False)
    if not status.ready:
        assert any("istioctl install" in h for h in status.hints)
        # Without Istio the lab does not fail: it runs the local mesh, and says why.
        setup = istio_lab.enable_mtls(live_lab)
        assert f"no Istio on {live_lab.context}" in str(setup) and not setup.applied
        assert any("plaintext client" in o and "56" in o for o in setup.observed)


def test_capture_container_is_refused_by_restricted_and_admitted_by_baseline(live_lab: Any,
                                                                             live_namespace: str) -> None:
    pods.ensure_service_account(live_lab, live_namespace)
    set_level(live_lab, live_namespace, "restricted")
    pod = webapp_pod(RESTRICTED_CONTEXT, name="target",
                     pod_security_context={"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}})
    live_lab.create_pod(live_namespace, pod)
    status, message = add_capture_container(live_lab, live_namespace, "target")
    assert status == 403 and "violates PodSecurity" in message
    predicted = istio_lab.capture_verdicts()["restricted"]
    assert not predicted.allowed
    for violation in predicted.violations:
        assert violation.message in message  # the same wording as the API server's
    set_level(live_lab, live_namespace, "baseline")
    assert istio_lab.capture_verdicts()["baseline"].allowed
    status, message = add_capture_container(live_lab, live_namespace, "target")
    assert status == 200, message
    stored = live_lab.read_pod(live_namespace, "target").spec.ephemeral_containers
    assert [c.name for c in stored] == [istio_lab.CAPTURE_CONTAINER] and stored[0].target_container_name == "webapp"


def test_effective_mode_from_the_cluster(live_lab: Any, live_namespace: str) -> None:
    if not istio_lab.detect(live_lab).crds:
        pytest.skip("Istio's CRDs are not installed in this cluster")
    pa = {"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication",
          "metadata": {"name": "default", "namespace": live_namespace}, "spec": {"mtls": {"mode": "STRICT"}}}
    live_lab.create_custom_object("security.istio.io", "v1", "peerauthentications", live_namespace, pa)
    items = live_lab.list_custom_objects("security.istio.io", "v1", "peerauthentications", namespace=live_namespace)
    assert istio_lab.effective_mode(items, live_namespace, {"app": "details"})[0] == "STRICT"
