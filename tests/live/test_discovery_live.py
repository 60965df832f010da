"""Against a real API server: API discovery follows a CRD as it comes and goes.

``Lab.serves`` is how a classroom student, who may not read CRDs, learns whether Istio's APIs exist.
The Kubernetes client's dynamic discovery keeps a cache file shared by every process on the machine;
this test removes a CRD and checks the answer changes at once (a stale "yes" once told a student
that Istio's CRDs were present on a cluster that had none).
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from kslab.cluster.waiting import wait_until

pytestmark = pytest.mark.live


def crd(group: str) -> dict[str, Any]:
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": f"gadgets.{group}", "labels": {"app.kubernetes.io/part-of": "kslab"}},
            "spec": {"group": group, "scope": "Namespaced",
                     "names": {"plural": "gadgets", "singular": "gadget", "kind": "Gadget"},
                     "versions": [{"name": "v1", "served": True, "storage": True,
                                   "schema": {"openAPIV3Schema": {"type": "object"}}}]}}


def test_serves_follows_a_crd_that_comes_and_goes(live_lab: Any) -> None:
    group = f"t{uuid.uuid4().hex[:8]}.kslab.dev"
    assert live_lab.serves(f"{group}/v1", "Gadget") is False
    live_lab.create(crd(group))
    try:
        wait_until(lambda: (True if live_lab.serves(f"{group}/v1", "Gadget") else None, "not served yet"),
                   timeout=60, interval=1, what=f"the API server did not serve {group}/v1")
        assert live_lab.serves(f"{group}/v1", "Widget") is False  # the group is served, that kind is not
        assert live_lab.serves("v1", "Pod") and not live_lab.serves("v1", "Gadget")
    finally:
        live_lab.delete_object("apiextensions.k8s.io/v1", "CustomResourceDefinition", f"gadgets.{group}")
    wait_until(lambda: (True if not live_lab.serves(f"{group}/v1", "Gadget") else None, "still served"),
               timeout=60, interval=1, what=f"the API server still served {group}/v1 after the CRD was deleted")
