"""Istio on a live cluster: detect it, apply the lab, wait, verify, and capture from a pod.

Every function takes the :class:`~kslab.cluster.lab.Lab` and decides by its mode: live, it talks
to the cluster with the official client (and ``istioctl`` when installed, as an argument list);
offline, it computes what can be computed — the manifests validated, the effective mTLS mode
predicted from the PeerAuthentications, the Pod Security verdict of a capture container — and the
local mesh (:mod:`kslab.mesh`) shows the same traffic for real on loopback.

The effective mTLS mode is Istio's precedence rule, pure: :func:`kslab.istio.peer_authentication.effective_mode`.

The lab would like two namespaces of its own (``istio-app``, injected, and ``istio-legacy``, not).
An identity that may not create namespaces — a classroom student — runs it in its own namespace
instead (:meth:`Lab.namespace_for <kslab.cluster.lab.Lab.namespace_for>`): each pod then asks for
its sidecar, or refuses one, with the pod label Istio's injector reads (:func:`into_namespace`).
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kslab.cluster import istio, tools
from kslab.cluster.waiting import wait_until
from kslab.cluster.lab import Lab
from kslab.errors import ApiError, ToolMissing
from kslab.istio.peer_authentication import ROOT_NAMESPACE, effective_mode

LAB = "05"
NAMESPACE = "istio-app"
LEGACY_NAMESPACE = "istio-legacy"
INSTALL_HINT = ("download istioctl (curl -L https://istio.io/downloadIstio | sh -), then "
                "`istioctl install --set profile=demo --set components.cni.enabled=true -y` "
                "(the CNI plugin keeps NET_ADMIN out of your pods)")
#: An image with tcpdump and base64, for the ephemeral capture container.
CAPTURE_IMAGE = "docker.io/nicolaka/netshoot:v0.13"
CAPTURE_CONTAINER = "kslab-capture"
CAPTURE_FILE = "/tmp/kslab.pcap"
#: The order in which the lab's manifests are applied.
LAB_MANIFESTS = ("namespace.yaml", "bookinfo.yaml", "destinationrule.yaml", "gateway.yaml",
                 "virtualservice.yaml", "plaintext-client.yaml")


# ---- what is installed ---------------------------------------------------------------------------
def _peer_authentication_served(lab: Lab) -> bool:
    """Whether the API server serves PeerAuthentications (API discovery: every identity may ask)."""
    return lab.serves("security.istio.io/v1", "PeerAuthentication")


def detect(lab: Lab) -> istio.IstioStatus:
    """Is Istio there? istioctl locally; live, istiod's deployment and the PeerAuthentication CRD.

    An identity that may not read istio-system or CRDs (a classroom student) cannot tell: it asks API
    discovery whether PeerAuthentications are served, and assumes istiod runs only if they are — and
    says that it assumed.
    """
    status = istio.observe(lab, ROOT_NAMESPACE)  # istioctl, and istiod (a 404 is an answer, a 403 "cannot tell")
    if lab.live:
        try:
            lab.read_custom_resource_definition("peerauthentications.security.istio.io")
            status.crds = True
        except ApiError as err:
            if err.status not in (403, 404):
                raise
            status.crds = err.status == 403 and _peer_authentication_served(lab)
            if err.status == 403:
                status.crds_how = "from API discovery: the CRD itself is not readable with your kubeconfig"
        if not status.root_readable and status.crds:
            status.assumed = ("your identity may not read istio-system; Istio's PeerAuthentication API is "
                              "served, so istiod is assumed to run there")
        if not status.ready:
            status.hints.append(f"wait for istiod: kubectl -n {ROOT_NAMESPACE} get pods" if status.installed else
                                f"install Istio: {INSTALL_HINT}" if status.root_readable else
                                "ask your instructor to install Istio (your identity may not read istio-system)")
    else:
        status.hints.append("offline: the lab validates the manifests and runs the local mesh instead")
    if not status.istioctl:
        status.hints.append("istioctl is optional (kslab verifies through the API without it); "
                            "to get it: curl -L https://istio.io/downloadIstio | sh -")
    return status


def without_istio(lab: Lab) -> str | None:
    """Why the lab uses the local mesh instead of the cluster's Istio, or None when it can use Istio.

    Offline there is no cluster; live, a cluster without istiod or its CRDs cannot run the lab, and the
    local mesh shows the same wire facts (labelled as such) until Istio is installed.
    """
    if not lab.live:
        return "offline"
    status = detect(lab)
    if status.installed and not status.available:
        return f"istiod on {lab.context} is not Available yet ({status.detail})"
    if not status.ready:
        how = "`kslab cluster istio install` adds it" if status.root_readable else "your instructor installs it"
        return f"no Istio on {lab.context} yet ({how})"
    return None


def lab_namespaces(lab: Lab) -> tuple[str, str]:
    """``(the meshed app's namespace, the plaintext client's)``: the lab's own, or — for an identity
    that may not create namespaces — the identity's own namespace for both.

    >>> from kslab.cluster.modes import ModeChoice
    >>> lab_namespaces(Lab(ModeChoice("offline", None, False, "offline")))
    ('istio-app', 'istio-legacy')
    """
    return lab.namespace_for(NAMESPACE), lab.namespace_for(LEGACY_NAMESPACE)


#: The pod label Istio's injector reads when the namespace has no ``istio-injection`` label.
INJECT_LABEL = "sidecar.istio.io/inject"


def into_namespace(objects: Iterable[Mapping[str, Any]], namespace: str) -> list[dict[str, Any]]:
    """The lab's objects moved into one namespace the lab may not create or label (a student's).

    The Namespace objects go (their labels asked for injection and Pod Security); instead each pod asks
    for its sidecar with the label ``sidecar.istio.io/inject: "true"`` — except the plaintext client,
    which must have none (``"false"``).

    >>> objs = into_namespace(lab_objects(), "kslab-ada")
    >>> sorted({o["metadata"]["namespace"] for o in objs}), [o["kind"] for o in objs if o["kind"] == "Namespace"]
    (['kslab-ada'], [])
    >>> [(o["metadata"]["name"], o["metadata"]["labels"][INJECT_LABEL]) for o in objs if o["kind"] == "Pod"]
    [('curl', 'false')]
    """
    import copy

    moved: list[dict[str, Any]] = []
    for obj in map(dict, copy.deepcopy(list(objects))):
        if obj["kind"] == "Namespace":
            continue
        meta = obj["metadata"]
        legacy = meta.get("namespace") == LEGACY_NAMESPACE
        meta["namespace"] = namespace
        pod_meta = meta if obj["kind"] == "Pod" else \
            ((obj.get("spec") or {}).get("template") or {}).get("metadata") if obj["kind"] == "Deployment" else None
        if pod_meta is not None:
            pod_meta.setdefault("labels", {})[INJECT_LABEL] = "false" if legacy else "true"
        moved.append(obj)
    return moved


# ---- set up the lab ----------------------------------------------------------------------------------
@dataclass
class MeshSetup:
    """What enabling mTLS did: objects applied (live) or validated (offline), and the observations."""

    mode: str
    policy: str
    applied: list[str] = field(default_factory=list)
    validation: Any = None
    observed: list[str] = field(default_factory=list)
    namespace: str = NAMESPACE

    def __str__(self) -> str:
        head = f"{self.mode}: PeerAuthentication {self.policy} for namespace {self.namespace}"
        lines = [head]
        lines += [f"  applied {a}" for a in self.applied]
        if self.validation is not None:
            lines.append(f"  manifests: {'all valid' if self.validation.valid else 'problems found'} "
                         f"({len(self.validation.rows)} objects checked offline)")
        lines += [f"  {o}" for o in self.observed]
        return "\n".join(lines)

    __repr__ = __str__


def lab_objects(policy: str = "STRICT") -> list[dict[str, Any]]:
    """The lab's objects in apply order, with the PeerAuthentication for ``policy``."""
    from kslab.istio.validate import bundled_objects

    names = (*LAB_MANIFESTS[:1], f"peerauthentication-{policy.lower()}.yaml", *LAB_MANIFESTS[1:])
    return bundled_objects(*names)


def enable_mtls(lab: Lab, policy: str = "STRICT", *, wait_seconds: int = 180) -> MeshSetup:
    """Apply the namespace, bookinfo, the PeerAuthentication and routing; wait for the pods.

    Offline: validate the same objects and run the local mesh under ``policy`` (a sidecar call
    and a plaintext call), which shows on loopback what the cluster would do.
    """
    from kslab.istio.validate import MANIFESTS, check_files

    files = [MANIFESTS / n for n in (f"peerauthentication-{policy.lower()}.yaml", *LAB_MANIFESTS)]
    report = check_files(files)
    why = without_istio(lab)
    if why:
        from kslab.mesh.demo import run

        setup = MeshSetup(f"{why}: the local mesh on 127.0.0.1 instead", policy, validation=report)
        for scenario in ("mtls-tls13", "strict-refuses-plaintext"):
            result = run(scenario, capture=None, policy=policy)
            setup.observed += [f"local mesh: {call}" for call in result.calls]
        return setup
    lab.require_lab("enabling mTLS with Istio")
    app_ns, legacy_ns = lab_namespaces(lab)
    objects = lab_objects(policy)
    setup = MeshSetup(f"live on {lab.context}", policy, validation=report, namespace=app_ns)
    if not lab.may_create_namespaces:
        objects = into_namespace(objects, app_ns)
        setup.observed.append(f"in your namespace {app_ns} (your identity may not create namespaces): the "
                              f"pods ask for their sidecar with the label {INJECT_LABEL}, the plaintext "
                              "client refuses one")
    for obj in objects:
        lab.apply(obj, lab_id=LAB)
        meta = obj["metadata"]
        setup.applied.append(f"{obj['kind']} {meta.get('namespace', '') + '/' if meta.get('namespace') else ''}"
                             f"{meta['name']}")
    for ns, app in ((app_ns, "details"), (app_ns, "productpage"), (legacy_ns, "curl")):
        try:
            pod = lab.wait_for_pod(ns, f"app={app}", timeout=wait_seconds)
            setup.observed.append(f"pod {ns}/{pod} is Ready")
        except ApiError as err:
            setup.observed.append(f"not Ready: {err.message}")
    return setup


# ---- verify -------------------------------------------------------------------------------------------
@dataclass
class Verification:
    """The effective mTLS mode of a workload and the negative test (a plaintext client)."""

    mode: str
    workload: str
    effective: str
    decided_by: str
    how: str
    plaintext_client: str = ""
    details: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [f"{self.mode}: {self.workload}: effective mTLS mode {self.effective} — {self.decided_by}",
                 f"  checked by: {self.how}"]
        if self.plaintext_client:
            lines.append(f"  plaintext client: {self.plaintext_client}")
        lines += [f"  {d}" for d in self.details]
        return "\n".join(lines)

    __repr__ = __str__


def _istioctl(lab: Lab, *args: str, timeout: int = 60) -> subprocess.CompletedProcess[str]:
    argv = ["istioctl", *args]
    if lab.context:
        argv += ["--context", lab.context]
    return tools.run(argv, check=False, timeout=timeout)


def verify(lab: Lab, app: str = "details", *, namespace: str | None = None) -> Verification:
    """Which mTLS mode ``app`` really gets, and whether a plaintext client is refused.

    Live: ``istioctl x describe pod`` when istioctl is installed, else the PeerAuthentications read
    through the API; then ``curl`` from the un-meshed pod (exit 56 = refused). Offline: predicted
    from the bundled manifests, and the local mesh's plaintext call observed. An identity that may not
    list PeerAuthentications cluster-wide reads those of the app's namespace, and says so.
    """
    local = without_istio(lab)
    if local:
        from kslab.istio.validate import bundled_objects
        from kslab.mesh.demo import run

        pas = bundled_objects("peerauthentication-strict.yaml")
        namespace = namespace or NAMESPACE  # the bundled manifests' namespace
        mode, why = effective_mode(pas, namespace, {"app": app})
        result = run("strict-refuses-plaintext", capture=None, policy=mode)
        return Verification(f"{local}: predicted from the manifests", f"{namespace}/{app}", mode, why,
                            "kslab.istio.peer_authentication.effective_mode on peerauthentication-strict.yaml",
                            f"local mesh: {result.calls[0].responses[0]}")
    namespace = namespace or lab_namespaces(lab)[0]
    pod = lab.wait_for_pod(namespace, f"app={app}", timeout=60)
    labels = lab.read_pod(namespace, pod).metadata.labels or {}
    items, read = _peer_authentications(lab, namespace)
    items.sort(key=lambda pa: str((pa.get("metadata") or {}).get("creationTimestamp") or ""))  # oldest first
    mode, why = effective_mode(items, namespace, labels)
    check = Verification(f"live on {lab.context}", f"{namespace}/{pod}", mode, why, read)
    if shutil.which("istioctl"):
        done = _istioctl(lab, "x", "describe", "pod", pod, "-n", namespace)
        lines = [ln.strip() for ln in done.stdout.splitlines() if "PeerAuthentication" in ln or "mTLS" in ln]
        check.how = "istioctl x describe pod " + pod
        check.details = lines or [done.stderr.strip()[:300]]
    legacy = lab_namespaces(lab)[1]
    try:
        curl = lab.wait_for_pod(legacy, "app=curl", timeout=60)
        res = lab.exec(legacy, curl, ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
                                      f"http://{app}.{namespace}:9080/details/0"])
        check.plaintext_client = (f"curl exit {res.returncode}"
                                  + (" (56: connection reset — refused, as STRICT requires)" if res.returncode == 56
                                     else f", HTTP {res.stdout.strip()}"))
    except ApiError as err:
        check.plaintext_client = f"not run: {err.message}"
    return check


def _peer_authentications(lab: Lab, namespace: str) -> tuple[list[dict[str, Any]], str]:
    """Every PeerAuthentication in the cluster — or, for an identity that may not list them cluster-wide,
    those of ``namespace`` — and a sentence saying which."""
    try:
        items = lab.list_custom_objects("security.istio.io", "v1", "peerauthentications")
        return items, "PeerAuthentications read through the API"
    except ApiError as err:
        if err.status != 403:
            raise
    items = lab.list_custom_objects("security.istio.io", "v1", "peerauthentications", namespace=namespace)
    return items, (f"PeerAuthentications of namespace {namespace} only, read through the API (your identity "
                         f"may not list them cluster-wide: a mesh-wide one in {ROOT_NAMESPACE} is not seen)")


@dataclass
class WorkloadCertificate:
    """The certificate chain a workload's sidecar presents, and where the facts come from."""

    source: str
    chain: list[Any]

    def __str__(self) -> str:
        return "\n".join([self.source, *(f"  {i + 1}. {c.one_line()}" for i, c in enumerate(self.chain))])

    __repr__ = __str__


def workload_certificate(lab: Lab, app: str = "details", *, namespace: str | None = None) -> WorkloadCertificate:
    """The sidecar's certificate chain: live from ``istioctl proxy-config secret``; offline, one the
    local mesh's CA issues for the same identity (the shape istiod gives: no subject, SPIFFE URI SAN,
    24 hours, RSA 2048)."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    from kslab.pcap.certs import cert_facts

    def facts(pem: bytes) -> list[Any]:
        return [cert_facts(c.public_bytes(Encoding.DER)) for c in x509.load_pem_x509_certificates(pem)]

    why = without_istio(lab)
    namespace = namespace or (NAMESPACE if why else lab_namespaces(lab)[0])
    if why:
        from kslab.mesh import conventions
        from kslab.mesh.ca import MeshCA

        with MeshCA() as ca:
            issued = facts(ca.issue(conventions.workload_id(app, namespace)).chain_file.read_bytes())
        return WorkloadCertificate(f"{why}: a certificate the local mesh's CA issues for the same identity", issued)
    if not shutil.which("istioctl"):
        raise ToolMissing("istioctl is not installed", hint=INSTALL_HINT)
    pod = lab.wait_for_pod(namespace, f"app={app}", timeout=60)
    done = _istioctl(lab, "proxy-config", "secret", pod, "-n", namespace, "-o", "json")
    if done.returncode:
        raise ApiError(f"istioctl proxy-config secret failed: {done.stderr.strip()[:300]}")
    chain: list[Any] = []
    for item in (json.loads(done.stdout).get("dynamicActiveSecrets") or []):
        cert = (((item.get("secret") or {}).get("tlsCertificate") or {}).get("certificateChain") or {})
        if cert.get("inlineBytes"):
            chain += facts(base64.b64decode(cert["inlineBytes"]))
    return WorkloadCertificate(f"live: istioctl proxy-config secret {pod} -n {namespace}", chain)


# ---- capture from a pod ------------------------------------------------------------------------------
def capture_container(*, target: str = "istio-proxy", image: str = CAPTURE_IMAGE, seconds: int = 20,
                      port: int = 9080) -> dict[str, Any]:
    """The ephemeral container that captures a pod's traffic (what ``kubectl debug --target`` makes).

    It shares the pod's network namespace, so it sees the traffic between the sidecars. tcpdump
    needs CAP_NET_RAW: the container runtime's default capability set has it for a root container,
    which is exactly what the restricted Pod Security level forbids (non-root, ALL capabilities dropped).
    """
    script = (f"timeout {seconds} tcpdump -i any -n -s 0 -U -w {CAPTURE_FILE} tcp port {port}; "
              "sleep 600")
    return {"name": CAPTURE_CONTAINER, "image": image, "command": ["sh", "-c", script],
            "targetContainerName": target, "stdin": False, "tty": False}


def capture_verdicts(container: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Pod Security verdicts (baseline, restricted) of a pod once the capture container is added.

    This is the check the API server runs on the ``pods/ephemeralcontainers`` update.
    """
    from kslab import pss

    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "details", "namespace": NAMESPACE},
           "spec": {"containers": [{"name": "details", "image": "details",
                                    "securityContext": {"allowPrivilegeEscalation": False,
                                                        "capabilities": {"drop": ["ALL"]}}}],
                    "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
                    "ephemeralContainers": [dict(container or capture_container())]}}
    return {level: pss.evaluate(pod, level) for level in ("baseline", "restricted")}


#: Seconds the capture container may stay unpullable (ErrImagePull, ImagePullBackOff) before kslab gives up.
CAPTURE_PULL_GRACE = 60


def capture_from_pod(lab: Lab, pod: str, *, out: str | Path, namespace: str = NAMESPACE, seconds: int = 20,
                     traffic: Callable[[], Any] | None = None, image: str = CAPTURE_IMAGE,
                     target: str = "istio-proxy", port: int = 9080) -> Path:
    """Capture a pod's traffic on ``port`` with an ephemeral container sharing ``target``'s namespaces,
    and copy the pcap back to ``out``.

    ``traffic`` (optional) is called once the capture runs, to make some requests. A namespace that
    enforces the restricted level refuses the container: the :class:`ApiError` carries the server's
    Pod Security message. An image the node cannot pull ends the wait after :data:`CAPTURE_PULL_GRACE`
    seconds with an :class:`ApiError` naming the kubelet's reason (``ImagePullBackOff: ...``).
    """
    from kslab.cluster.jobs import IMAGE_REASONS

    lab.require_lab("capturing traffic from a pod")
    body = {"spec": {"ephemeralContainers": [capture_container(seconds=seconds, image=image, target=target,
                                                               port=port)]}}
    try:
        lab.patch_pod_ephemeral_containers(namespace, pod, body)
    except ApiError as err:
        if err.status == 403:
            err.hint = ("Pod Security refused it: tcpdump needs CAP_NET_RAW (and root), which the "
                        "restricted level forbids — capture in a namespace enforcing baseline, or on the node")
        raise

    unpullable: dict[str, float] = {}  # since when the image could not be pulled

    def capture_running() -> tuple[bool | None, str]:
        statuses = lab.read_pod(namespace, pod).status.ephemeral_container_statuses or []
        state = next((s.state for s in statuses if s.name == CAPTURE_CONTAINER), None)
        if state is not None and state.running is not None:
            return True, "running"
        waiting = state.waiting if state is not None else None
        if waiting is not None and waiting.reason in IMAGE_REASONS:
            since = unpullable.setdefault("since", time.monotonic())
            said = f"{waiting.reason}: {waiting.message or image}"[:300]
            if time.monotonic() - since >= CAPTURE_PULL_GRACE:
                raise ApiError(f"the capture container in {namespace}/{pod} cannot start: {said}",
                               hint=f"the node cannot pull {image}; load it into the node or name another "
                                    "image with tcpdump")
            return None, said
        unpullable.clear()
        return None, "not running yet" if state is not None else "not created yet"

    wait_until(capture_running, timeout=120, what=f"the capture container in {namespace}/{pod} did not start",
               hint=f"kubectl -n {namespace} describe pod {pod}")
    if traffic is not None:
        traffic()
    time.sleep(seconds + 2)
    res = lab.exec(namespace, pod, ["base64", CAPTURE_FILE], container=CAPTURE_CONTAINER, timeout=60)
    if res.returncode != 0:
        raise ApiError(f"copying the capture failed: {res.stderr.strip()[:300]}")
    path = Path(out)
    path.write_bytes(base64.b64decode(res.stdout))
    return path


@dataclass
class WireCapture:
    """A capture of traffic to details, and how it was made."""

    path: Path
    how: str

    def __str__(self) -> str:
        return f"{self.path.name}: {self.how}"

    __repr__ = __str__


#: Run in productpage's container to make it call details (the image has Python).
CALL_DETAILS = ["python", "-c", "import urllib.request as u; [u.urlopen('http://details:9080/details/%d' % i).read() "
                                "for i in range(3)]"]


def capture_wire(lab: Lab, out: str | Path | None = None, *, seconds: int = 20) -> WireCapture:
    """Capture productpage → details traffic: live from the details pod (ephemeral container),
    offline on the local mesh's wire (tcpdump when allowed, else the relay tap)."""
    from kslab.mesh.demo import default_capture_path, run

    path = Path(out) if out else default_capture_path("details-wire")
    why = without_istio(lab)
    if why:
        result = run("mtls-tls13", capture="auto", pcap=path)
        return WireCapture(path, f"{why}: the local mesh's wire instead, captured by {result.capture_method}")
    namespace = lab_namespaces(lab)[0]
    pod = lab.wait_for_pod(namespace, "app=details", timeout=60)
    caller = lab.wait_for_pod(namespace, "app=productpage", timeout=60)
    capture_from_pod(lab, pod, out=path, namespace=namespace, seconds=seconds,
                     traffic=lambda: lab.exec(namespace, caller, CALL_DETAILS, container="productpage"))
    return WireCapture(path, f"live: tcpdump in an ephemeral container of {namespace}/{pod}, sharing its network")
