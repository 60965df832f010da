"""The course's Istio manifests and our schemas for them (written from Istio's API reference)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from kslab.istio import ISTIO_VERSION
from kslab.istio.validate import SCHEMAS, bundled_objects, check_files, validate_istio, validate_objects
from kslab.manifests.load import load_text

def by_kind(kind: str, name: str | None = None) -> dict[str, Any]:
    return next(o for o in bundled_objects() if o["kind"] == kind and (name is None or o["metadata"]["name"] == name))


def test_every_bundled_manifest_is_valid() -> None:
    report = check_files()
    assert report.valid, str(report)
    kinds = {(r.kind, r.checked_by.startswith("kslab")) for r in report.rows}
    for kind in ("PeerAuthentication", "DestinationRule", "Gateway", "VirtualService"):
        assert (kind, True) in kinds
    assert ("Namespace", False) in kinds and ("Deployment", False) in kinds


def test_the_lab_uses_todays_apis_and_settings() -> None:
    modes = {o["spec"]["mtls"]["mode"] for o in bundled_objects() if o["kind"] == "PeerAuthentication"}
    assert modes == {"STRICT", "PERMISSIVE"}
    assert all(o["apiVersion"] == "security.istio.io/v1" for o in bundled_objects() if o["kind"] == "PeerAuthentication")
    assert all(o["apiVersion"] == "networking.istio.io/v1"
               for o in bundled_objects() if o["kind"] in ("Gateway", "VirtualService", "DestinationRule"))
    ns = by_kind("Namespace", "istio-app")
    assert ns["metadata"]["labels"]["istio-injection"] == "enabled"
    accounts = {o["metadata"]["name"] for o in bundled_objects("bookinfo.yaml") if o["kind"] == "ServiceAccount"}
    assert accounts == {"bookinfo-details", "bookinfo-productpage"}


@pytest.mark.parametrize("kind, path, value, expected", [
    ("PeerAuthentication", ["spec", "mtls", "mode"], "STRICTER", "'STRICTER' is not one of"),
    ("PeerAuthentication", ["spec", "peers"], [{"mtls": None}], "'peers' was unexpected"),
    ("Gateway", ["spec", "servers", 0, "port", "protocol"], "HTTP3", "'HTTP3' is not one of"),
    ("Gateway", ["spec", "servers", 0, "hosts"], [], "should be non-empty"),
    ("VirtualService", ["spec", "http", 0, "route", 0, "destination", "port", "number"], 70000,
     "70000 is greater than the maximum of 65535"),
    ("VirtualService", ["spec", "http", 0, "match", 0, "uri"], {"exact": "/a", "prefix": "/b"},
     "has too many properties"),
    ("DestinationRule", ["spec", "trafficPolicy", "tls", "mode"], "MUTUAL_TLS", "'MUTUAL_TLS' is not one of"),
])
def test_schemas_catch_mistakes(kind: str, path: list[Any], value: Any, expected: str) -> None:
    obj = copy.deepcopy(by_kind(kind))
    target = obj
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    problems = validate_istio(obj)
    assert problems and any(expected in p.message for p in problems), [str(p) for p in problems]


#: The 2019 workshop's VirtualService as it was indented there: `route` beside `http`, not in the route.
SEED_VIRTUALSERVICE = """
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: bookinfo, namespace: istio-app}
spec:
  gateways: [bookinfo-gateway]
  hosts: ['*']
  http:
  - match:
    - uri: {exact: /productpage}
    - uri: {prefix: /api/v1/products}
  route:
  - destination: {host: productpage, port: {number: 9080}}
"""


def test_the_2019_manifests_fail_todays_checks() -> None:
    [doc] = load_text(SEED_VIRTUALSERVICE, source="seed")
    problems = validate_istio(doc.obj)
    assert [p.path for p in problems] == ["spec"] and "'route' was unexpected" in problems[0].message
    policy = {"apiVersion": "authentication.istio.io/v1alpha1", "kind": "Policy",
              "metadata": {"name": "default", "namespace": "istio-app"}, "spec": {"peers": [{"mtls": None}]}}
    assert "kslab has no schema for authentication.istio.io/v1alpha1 Policy" in str(validate_objects([policy])[0])


def test_schemas_state_their_istio_version_and_are_our_own() -> None:
    for path in SCHEMAS.glob("*.json"):
        schema = json.loads(path.read_text())
        assert schema["$schema"].endswith("2020-12/schema")
        if path.name != "objectmeta.json":
            assert f"Istio {ISTIO_VERSION}" in schema["$comment"] and "kslab's own schema" in schema["$comment"]
