"""Exercises of notebook 05 (mTLS with Istio), checked against the bundled captures and Istio's rules.

Every expected answer is computed, not written down: from the capture (kslab.pcap), from the
eavesdropper's checklist (``LEAK_RULES``), from the mTLS precedence rules (``kslab.istio.peer_authentication.effective_mode``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kslab.errors import KslabError
from kslab.exercises.model import CheckResult, Exercise
from kslab.mesh import conventions as conv

if TYPE_CHECKING:  # pragma: no cover - for the type checker only: the command line imports lazily
    from kslab.pcap import CaptureSummary


def _failing_on_bad_answers(checker: Callable[[Any], CheckResult]) -> Callable[[Any], CheckResult]:
    @functools.wraps(checker)
    def check(answer: Any) -> CheckResult:
        try:
            return checker(answer)
        except (ValueError, KeyError, TypeError, KslabError) as exc:
            return CheckResult(False, getattr(exc, "message", None) or str(exc))

    return check


def _capture(name: str) -> CaptureSummary:
    from kslab.pcap import bundled, summarize

    return summarize(bundled(name))


def _set_mismatch(got: set[str], want: set[str], extra_means: str, missing_means: str) -> CheckResult:
    """A FAIL naming the wrong items and counting the missing ones (never revealing which)."""
    extra, missing = sorted(got - want), sorted(want - got)
    parts = ([f"{extra_means}: {', '.join(extra)}"] if extra else []) + \
            ([f"{len(missing)} {missing_means}"] if missing else [])
    return CheckResult(False, "; ".join(parts))


# ---- 1. who talked to details? ---------------------------------------------------------------------
def _as_spiffe(item: str) -> str:
    """Accept a SPIFFE ID, or ``namespace/serviceaccount``."""
    item = item.strip()
    if item.startswith("spiffe://"):
        return item
    if item.count("/") == 1:
        ns, sa = item.split("/")
        return conv.spiffe_id(ns, sa)
    raise ValueError(f"{item!r}: give SPIFFE IDs (spiffe://...) or namespace/serviceaccount")


def callers_of_details(capture: str = "mtls-tls12.pcap") -> set[str]:
    """The client identities in the capture's flows whose server identity is details'."""
    details = conv.workload_id("details")
    return {cid for f in _capture(capture).flows if f.tls
            for cid in f.tls.identities["client"] if details in f.tls.identities["server"]}


@_failing_on_bad_answers
def check_who_talked(answer: Any) -> CheckResult:
    items = answer if isinstance(answer, (set, list, tuple)) else str(answer).replace(",", " ").split()
    got = {_as_spiffe(str(a)) for a in items}
    want = callers_of_details()
    if got == want:
        return CheckResult(True, f"right: {len(want)} identities called details, and TLS 1.2 showed both "
                                 "client certificates in clear. In TLS 1.3 this question has no answer from "
                                 "the wire alone.")
    return _set_mismatch(got, want, "not in the capture as a caller of details", "caller(s) missing")


# ---- 2. what does TLS 1.3 leak? ----------------------------------------------------------------------
#: Answer keys -> the eavesdropper checklist's facts (kslab.pcap.summary.LEAK_RULES).
FACTS = {"sni": "server name (SNI)", "alpn offered": "protocols offered (ALPN)",
         "tls versions offered": "TLS versions offered", "version and cipher": "negotiated version and cipher",
         "alpn selected": "protocol selected (ALPN)", "server certificate": "server identity (certificate)",
         "client certificate": "client identity (certificate)",
         "http request": "request and response contents", "sizes and timing": "how much, and when"}


def visible_facts(capture: str) -> set[str]:
    """The FACTS keys an eavesdropper can read in the first flow of a bundled capture."""
    leaks = {leak.fact: leak.visible for leak in _capture(capture).flows[0].eavesdropper()}
    return {key for key, fact in FACTS.items() if leaks.get(fact)}


@_failing_on_bad_answers
def check_tls13_leaks(answer: Any) -> CheckResult:
    got = {" ".join(str(a).lower().split()) for a in (answer if not isinstance(answer, str) else answer.split(","))}
    unknown = got - set(FACTS)
    if unknown:
        return CheckResult(False, f"unknown item(s) {sorted(unknown)}; choose from {sorted(FACTS)}")
    want = visible_facts("mtls-tls13.pcap")
    if got == want:
        return CheckResult(True, "right: the ClientHello (SNI, ALPN, versions), the chosen version and cipher, "
                                 "and sizes and timing; certificates, the selected ALPN and the HTTP inside are "
                                 "encrypted")
    return _set_mismatch(got, want, "encrypted in TLS 1.3, not readable", "item(s) readable but not in your answer")


# ---- 3. STRICT for one workload only -------------------------------------------------------------------
NAMESPACE_PERMISSIVE: dict[str, Any] = {"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication",
                        "metadata": {"name": "default", "namespace": conv.NAMESPACE},
                        "spec": {"mtls": {"mode": "PERMISSIVE"}}}


@_failing_on_bad_answers
def check_workload_strict(answer: Any) -> CheckResult:
    from kslab.istio.peer_authentication import effective_mode
    from kslab.istio.validate import validate_istio
    from kslab.manifests.load import load_text

    if isinstance(answer, str):
        docs = load_text(answer, source="your answer")
        if len(docs) != 1:
            raise ValueError(f"give exactly one PeerAuthentication, found {len(docs)} documents")
        answer = docs[0].obj
    if not isinstance(answer, dict) or answer.get("kind") != "PeerAuthentication":
        raise ValueError("give a PeerAuthentication, as a dict or YAML text")
    problems = validate_istio(answer)
    if problems:
        return CheckResult(False, f"not a valid PeerAuthentication: {problems[0]}")
    meta, base = answer.get("metadata") or {}, NAMESPACE_PERMISSIVE["metadata"]
    if (meta.get("name"), meta.get("namespace")) == (base["name"], base["namespace"]):
        # Same name, same namespace: applying it would replace the namespace-wide PERMISSIVE policy.
        return CheckResult(False, f"a PeerAuthentication named {base['name']!r} in {base['namespace']} is the "
                                  "namespace's own PERMISSIVE policy: applying yours would replace it, not add "
                                  "to it. Give yours its own name")
    policies = [NAMESPACE_PERMISSIVE, answer]
    details, _ = effective_mode(policies, conv.NAMESPACE, {"app": "details", "version": "v1"})
    productpage, _ = effective_mode(policies, conv.NAMESPACE, {"app": "productpage", "version": "v1"})
    if details == "STRICT" and productpage == "PERMISSIVE":
        return CheckResult(True, "right: a selector makes it workload-specific, and a workload policy wins "
                                 "over the namespace-wide PERMISSIVE one")
    why = "" if (answer.get("spec") or {}).get("selector") else (
        " (without a selector it is a second namespace-wide policy, and Istio uses the oldest one)")
    return CheckResult(False, f"with your policy details gets {details} and productpage gets {productpage}; "
                              f"want STRICT for details only{why}")


#: The starting answer of "05.workload-strict" in the notebook: STRICT, but for which workload?
WORKLOAD_STRICT_START = """
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: details-strict, namespace: istio-app}
spec:
  mtls: {mode: STRICT}
"""


# ---- 4. what did the refused client say? -----------------------------------------------------------------
@_failing_on_bad_answers
def check_refused_path(answer: Any) -> CheckResult:
    flow = _capture("strict-refuses-plaintext.pcap").flows[0]
    want = flow.requests[0].target
    if str(answer).strip() == want:
        return CheckResult(True, f"right: {want}. STRICT refused the connection, but only after the plaintext "
                                 "request had crossed the wire: refusing is not the same as protecting")
    return CheckResult(False, f"{answer!r} is not what the client asked for; kslab.pcap.view shows its bytes")


# ---- 5. the SNI, then and now ------------------------------------------------------------------------------
@_failing_on_bad_answers
def check_sni_today(answer: Any) -> CheckResult:
    want = conv.istio_sni("details", "istio-app", 9080)
    if str(answer).strip() == want:
        return CheckResult(True, "right: the same facts (direction, port, subset, host), '_' and '.' instead of '|'")
    return CheckResult(False, "not today's form; compare with the SNI in the mtls-tls13 capture")


def check_before_after(answer: Any) -> CheckResult:
    """Hands-on: the student's two captures, read with kslab.pcap: plaintext HTTP first, only TLS second."""
    from pathlib import Path

    from kslab.handson.lab05 import judge

    try:
        before, after = answer
    except (TypeError, ValueError):
        return CheckResult(False, "answer with a pair of paths: (before STRICT, after STRICT)")
    for p in (before, after):
        if not Path(p).is_file():
            return CheckResult(False, f"no capture at {p}")
    verdict = judge(before, after)
    return CheckResult(verdict.passed, f"{verdict.reason} (before: {verdict.before}; after: {verdict.after})")

EXERCISES = [
    Exercise("05.who-talked", "Which identities talked to details?",
             "From the bundled TLS 1.2 capture (kslab.pcap.bundled('mtls-tls12.pcap')), which workload "
             "identities called the details service?",
             hints=("In TLS 1.2 the client's Certificate message crosses the wire in clear.",
                    "summarize(...).flows[i].tls.identities['client'] lists the SPIFFE IDs in each client "
                    "certificate; keep the flows whose server identity is details'."),
             solution=("{'spiffe://cluster.local/ns/istio-app/sa/bookinfo-productpage', "
                       "'spiffe://cluster.local/ns/default/sa/curl'}"),
             checker=check_who_talked, answer_form="a set of SPIFFE IDs, or of 'namespace/serviceaccount' strings",
             start={"spiffe://cluster.local/ns/istio-app/sa/bookinfo-productpage"}),
    Exercise("05.tls13-leaks", "What does an eavesdropper read in TLS 1.3?",
             "For the first flow of mtls-tls13.pcap, which of these can someone on the wire read? Choose from: "
             + ", ".join(sorted(FACTS)) + ".",
             hints=("Everything before the ServerHello is in clear; everything after it is encrypted.",
                    "The selected ALPN travels in EncryptedExtensions; the certificates after it."),
             solution="{'sni', 'alpn offered', 'tls versions offered', 'version and cipher', 'sizes and timing'}",
             checker=check_tls13_leaks, answer_form="a set of strings from the list above",
             start={"sni", "server certificate"}),
    Exercise("05.workload-strict", "STRICT for one workload",
             "The namespace istio-app stays PERMISSIVE (kslab.exercises.nb05.NAMESPACE_PERMISSIVE). Write a "
             "PeerAuthentication that makes only the details workload (label app: details) STRICT.",
             hints=("spec.selector.matchLabels picks the workloads a PeerAuthentication applies to.",
                    "Give it its own name (not 'default') in namespace istio-app."),
             solution=('"""\napiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata:\n'
                       "  name: details-strict\n  namespace: istio-app\nspec:\n  selector:\n"
                       '    matchLabels:\n      app: details\n  mtls:\n    mode: STRICT\n"""'),
             checker=check_workload_strict, answer_form="the PeerAuthentication, as YAML text or a dict",
             start=WORKLOAD_STRICT_START),
    Exercise("05.refused-path", "What did the refused client ask for?",
             "In strict-refuses-plaintext.pcap the sidecar reset the connection. Which path did the client "
             "request anyway?",
             hints=("kslab.pcap.view.view(bundled('strict-refuses-plaintext.pcap'), 1) shows the bytes.",),
             solution="'/details/0'", checker=check_refused_path, answer_form="a string, the request's path",
             start="/productpage"),
    Exercise("05.sni-today", "The SNI, then and now",
             "The 2019 capture shows the SNI outbound|9080||details.istio-app.svc.cluster.local. Write the "
             "SNI a sidecar sends today for the same call.",
             hints=("Look at the SNI line of `kslab pcap summary` on mtls-tls13.pcap.",),
             solution="'outbound_.9080_._.details.istio-app.svc.cluster.local'", checker=check_sni_today,
             answer_form="a string, the SNI", start="outbound|9080||details.istio-app.svc.cluster.local"),
    Exercise("05.before-after", "Capture it yourself, before and after STRICT",
             "Make the two captures with the commands above (live: tcpdump in a debug container; offline: the local "
             "mesh), read each with `kslab pcap summary`, and answer with the two files. The check reads them.",
             hints=("The first capture needs a client without a sidecar under PERMISSIVE (offline: the "
                    "plaintext-http scenario).",
                    "kslab.handson.lab05.capture_paths() names the two files the commands write."),
             solution="from kslab.handson import lab05\nmade = lab05.do_it_for_me(kslab.connect())\n(made.before, made.after)",
             checker=check_before_after, answer_form="a pair of paths: (before, after)",
             explanation="with PERMISSIVE a plaintext client's request crosses the wire readable; under STRICT "
                         "the sidecars speak mutual TLS"),
]
