"""Notebook 05's exercises: every solution passes, the usual wrong answers fail with a reason."""

from __future__ import annotations

import pytest

from kslab.exercises.model import solution_answer
from kslab.exercises.nb05 import EXERCISES

BY_ID = {ex.id: ex for ex in EXERCISES}


def solution_value(ex_id: str) -> object:
    return solution_answer(BY_ID[ex_id])  # run as written


@pytest.mark.parametrize("ex_id", sorted(BY_ID))
def test_the_solution_passes(ex_id: str) -> None:
    result = BY_ID[ex_id].checker(solution_value(ex_id))
    assert result.passed, result.reason


@pytest.mark.parametrize("ex_id, answer, reason", [
    ("05.who-talked", {"spiffe://cluster.local/ns/istio-app/sa/bookinfo-productpage"}, "1 caller(s) missing"),
    ("05.who-talked", ["istio-app/bookinfo-productpage", "default/curl", "istio-app/bookinfo-details"],
     "not in the capture as a caller of details: spiffe://cluster.local/ns/istio-app/sa/bookinfo-details"),
    ("05.who-talked", "productpage", "give SPIFFE IDs"),
    ("05.tls13-leaks", {"sni", "server certificate"}, "encrypted in TLS 1.3, not readable: server certificate"),
    ("05.tls13-leaks", {"sni", "cookies"}, "unknown item"),
    ("05.workload-strict", {"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication",
                            "metadata": {"name": "x", "namespace": "istio-app"}, "spec": {"mtls": {"mode": "STRICT"}}},
     "second namespace-wide policy, and Istio uses the oldest"),
    ("05.workload-strict", "kind: PeerAuthentication\napiVersion: security.istio.io/v1\nmetadata: {name: x}\n"
                           "spec: {mtls: {mode: STRICTLY}}\n", "not a valid PeerAuthentication"),
    ("05.workload-strict", "kind: Role\n", "give a PeerAuthentication"),
    # its own hint warns against the name 'default': that is the namespace's PERMISSIVE policy
    ("05.workload-strict", "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\n"
                           "metadata: {name: default, namespace: istio-app}\n"
                           "spec: {selector: {matchLabels: {app: details}}, mtls: {mode: STRICT}}\n",
     "would replace it"),
    ("05.refused-path", "/productpage", "is not what the client asked for"),
    ("05.sni-today", "outbound|9080||details.istio-app.svc.cluster.local", "not today's form"),
])
def test_wrong_answers_fail_with_a_reason(ex_id: str, answer: object, reason: str) -> None:
    result = BY_ID[ex_id].checker(answer)
    assert not result.passed and reason in result.reason, result.reason


def test_expected_answers_come_from_the_captures() -> None:
    from kslab.exercises.nb05 import callers_of_details, visible_facts

    assert visible_facts("mtls-tls12.pcap") >= {"server certificate", "client certificate", "alpn selected"}
    assert "server certificate" not in visible_facts("mtls-tls13.pcap")
    assert visible_facts("plaintext-http.pcap") == {"sizes and timing"}  # HTTP facts are other rules
    assert callers_of_details("mtls-tls13.pcap") == set()  # TLS 1.3 hides who called
