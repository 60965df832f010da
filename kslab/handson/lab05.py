"""Lab 05 by hand: capture the traffic to details before and after STRICT mTLS, and read the captures.

Live (Istio installed): the student adds an ephemeral debug container with tcpdump to the details pod
(``kubectl debug --target istio-proxy``), makes a call, and writes the capture to a file of their own —
first under PERMISSIVE with a client that has no sidecar (plaintext), then under STRICT with
productpage, whose sidecar speaks mutual TLS. Offline the same two captures come from the local mesh
(``kslab mesh demo``), on loopback, for real. Either way the student feeds the files to
``kslab pcap summary``, and the check (:func:`judge`) reads them with :mod:`kslab.pcap`: it passes when
the first shows plaintext HTTP and the second only TLS.

>>> from kslab.pcap import bundled
>>> judge(bundled("plaintext-http.pcap"), bundled("mtls-tls13.pcap")).passed
True
>>> judge(bundled("mtls-tls13.pcap"), bundled("mtls-tls13.pcap")).passed
False
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kslab import settings
from kslab.handson.commands import TERMINAL, Command, Steps, kubectl

if TYPE_CHECKING:
    from kslab.cluster.lab import Lab

LAB = "05"
#: The local mesh's scenarios that make the two captures offline.
OFFLINE_SCENARIOS = {"before": "plaintext-http", "after": "mtls-tls13"}
#: Packets tcpdump keeps before it stops (a few calls' worth), so the capture ends by itself.
PACKETS = 60


def work_dir() -> Path:
    """Where the student's captures go: kslab's state directory, never the repository."""
    return settings.state_dir() / "work" / LAB


def capture_paths() -> dict[str, Path]:
    """``{"before": …/before.pcap, "after": …/after.pcap}``."""
    return {phase: work_dir() / f"{phase}.pcap" for phase in ("before", "after")}


def steps(lab: Lab, phase: str, *, pod: str = "DETAILS-POD") -> Steps:
    """The commands for one capture (``phase`` is ``before`` or ``after`` STRICT)."""
    from kslab.cluster import istio_lab
    from kslab.istio.validate import MANIFESTS

    if phase not in OFFLINE_SCENARIOS:
        from kslab.errors import UsageError

        raise UsageError(f"no phase {phase!r}", hint="before or after")
    work_dir().mkdir(parents=True, exist_ok=True)  # the commands write there
    out = str(capture_paths()[phase])
    summary = Command(("kslab", "pcap", "summary", out), TERMINAL, "what an eavesdropper reads")
    why = istio_lab.without_istio(lab)
    if why:
        return Steps(f"Capture the traffic {phase} STRICT — on the local mesh ({why})", [
            Command(("kslab", "mesh", "demo", "--scenario", OFFLINE_SCENARIOS[phase], "--out", out), TERMINAL,
                    "plaintext, as with PERMISSIVE and a client without a sidecar" if phase == "before"
                    else "mutual TLS, as between two sidecars under STRICT"),
            summary])
    lab.require_lab("printing commands that capture traffic in your cluster")
    app, legacy = istio_lab.lab_namespaces(lab)
    context = lab.context or ""
    if pod == "DETAILS-POD":  # name the real one when it runs
        running = lab.list_pods(app, label_selector="app=details")
        pod = next((p.metadata.name for p in running if p.metadata.deletion_timestamp is None), pod)
    policy = "permissive" if phase == "before" else "strict"
    manifest = MANIFESTS / f"peerauthentication-{policy}.yaml"
    capture = kubectl(context, app, "debug", "-q", "-i", pod, f"--image={istio_lab.CAPTURE_IMAGE}",
                      "--target=istio-proxy", "--profile=legacy", "--", "tcpdump", "-i", "any", "-n", "-s", "0",
                      "-U", "-c", str(PACKETS), "-w", "-", "tcp port 9080")
    if phase == "before":
        caller = kubectl(context, legacy, "exec", "curl", "--", "sh", "-c",
                         f"for i in 1 2 3; do curl -s http://details.{app}:9080/details/$i; done")
    else:
        caller = kubectl(context, app, "exec", "deploy/productpage", "-c", "productpage", "--", *istio_lab.CALL_DETAILS)
    return Steps(f"Capture the traffic {phase} STRICT (PeerAuthentication {policy.upper()})", [
        Command(kubectl(context, app, "apply", "-f", str(manifest)), TERMINAL, f"{policy.upper()} mTLS"),
        Command(capture, TERMINAL, f"terminal 1: capture into {out} (stops after {PACKETS} packets)",
                typed=shlex.join(capture) + f" > {shlex.quote(out)}"),
        Command(caller, TERMINAL, "terminal 2: make some calls to details"
                + (" from a pod without a sidecar" if phase == "before" else " from productpage (with its sidecar)")),
        summary], (f"details' pod is {pod}; `{shlex.join(kubectl(context, app, 'get', 'pods', '-l', 'app=details'))}` "
                   "names it.",))


@dataclass(frozen=True)
class Verdict:
    """What each capture shows, and whether together they show what STRICT changes."""

    before: str
    after: str
    passed: bool
    reason: str

    def __str__(self) -> str:
        return "\n".join([f"before: {self.before}", f"after:  {self.after}", f"{'PASS' if self.passed else 'FAIL'}: "
                          f"{self.reason}"])

    __repr__ = __str__


def _describe(path: Path) -> tuple[int, int, int, str]:
    """(HTTP flows with a readable request, TLS flows, other flows, one line) of a capture."""
    from kslab.pcap import summarize

    flows = summarize(path).flows
    http = [f for f in flows if f.protocol == "HTTP" and f.requests]
    tls = [f for f in flows if f.tls is not None]
    other = len(flows) - len(http) - len(tls)
    parts = [f"{len(flows)} flow(s)"]
    if http:
        req = http[0].requests[0]
        parts.append(f"{len(http)} plaintext HTTP (readable: {req.method} {req.target})")
    if tls:
        parts.append(f"{len(tls)} TLS ({', '.join(sorted({f.protocol_name for f in tls}))})")
    if other:
        parts.append(f"{other} other")
    return len(http), len(tls), other, ", ".join(parts)


def judge(before: str | Path, after: str | Path) -> Verdict:
    """Pass when ``before`` shows plaintext HTTP and ``after`` only TLS (at least one flow, nothing readable)."""
    hb, _, _, said_before = _describe(Path(before))
    ha, ta, oa, said_after = _describe(Path(after))
    if not hb:
        return Verdict(said_before, said_after, False, "the first capture shows no plaintext HTTP request: was it "
                                                       "taken before STRICT, with a client that has no sidecar?")
    if not ta:
        return Verdict(said_before, said_after, False, "the second capture shows no TLS at all")
    if ha or oa:
        return Verdict(said_before, said_after, False, "the second capture is not only TLS: some traffic is still "
                                                       "readable (or not TLS)")
    return Verdict(said_before, said_after, True, "before STRICT the request is readable on the wire; after, only "
                                                  "TLS — the eavesdropper reads handshakes, not requests")


@dataclass(frozen=True)
class Made:
    """The two captures "do it for me" made, and how."""

    before: Path
    after: Path
    how: str

    def __str__(self) -> str:
        return f"{self.how}\n  before: {self.before}\n  after:  {self.after}"

    __repr__ = __str__


def do_it_for_me(lab: Lab) -> Made:
    """Make both captures: live from the details pod (as the lab's cells do), offline on the local mesh."""
    from kslab.cluster import istio_lab
    from kslab.mesh.demo import run

    paths = capture_paths()
    work_dir().mkdir(parents=True, exist_ok=True)
    why = istio_lab.without_istio(lab)
    if why:
        methods = {phase: run(OFFLINE_SCENARIOS[phase], capture="auto", pcap=paths[phase]).capture_method
                   for phase in ("before", "after")}
        return Made(paths["before"], paths["after"], f"the local mesh on 127.0.0.1 ({why}); captured by "
                                                     f"{methods['after']}")
    app, legacy = istio_lab.lab_namespaces(lab)
    pod = lab.wait_for_pod(app, "app=details", timeout=60)
    client = lab.wait_for_pod(legacy, "app=curl", timeout=60)
    caller = lab.wait_for_pod(app, "app=productpage", timeout=60)
    istio_lab.enable_mtls(lab, "PERMISSIVE")
    istio_lab.capture_from_pod(lab, pod, out=paths["before"], namespace=app, traffic=lambda: lab.exec(
        legacy, client, ["sh", "-c", f"for i in 1 2 3; do curl -s http://details.{app}:9080/details/$i; done"]))
    istio_lab.enable_mtls(lab, "STRICT")
    # An ephemeral container cannot be removed or added twice under one name: capture the second time
    # from details' next pod (its Deployment makes one at once).
    lab.delete_pod(app, pod, grace_period_seconds=0)
    pod = _next_pod(lab, app, pod)
    istio_lab.capture_from_pod(lab, pod, out=paths["after"], namespace=app, traffic=lambda: lab.exec(
        app, caller, istio_lab.CALL_DETAILS, container="productpage"))
    return Made(paths["before"], paths["after"], f"live: tcpdump in ephemeral containers of details' pods in {app}")


def _next_pod(lab: Lab, namespace: str, old: str, timeout: float = 120) -> str:
    """The Ready details pod that is not ``old``."""
    import time

    from kslab.errors import ApiError

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pod = lab.wait_for_pod(namespace, "app=details", timeout=30)
        if pod != old:
            return pod
        time.sleep(1)
    raise ApiError(f"no new details pod in {namespace} after {timeout:.0f}s",
                   hint=f"kubectl -n {namespace} get pods -l app=details")
