"""Istio on demand, for lab 05: install, wait until istiod is ready, uninstall.

Installing is ``istioctl install --set profile=demo -y`` (the demo profile: istiod plus ingress and
egress gateways, generous logging — meant for learning, not production). kslab always passes
``--context``, so istioctl acts on the lab's cluster and never on whatever ``current-context`` is.
istioctl returns once it has applied the manifests; kslab then watches the ``istiod`` Deployment
through the API until it reports ``Available``. Uninstalling is ``istioctl uninstall --purge -y``
followed by deleting the ``istio-system`` namespace, which istioctl leaves behind.

>>> install_argv("kind-kslab")
['istioctl', 'install', '--set', 'profile=demo', '-y', '--context', 'kind-kslab']
>>> uninstall_argv("kind-kslab")
['istioctl', 'uninstall', '--purge', '-y', '--context', 'kind-kslab']
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from kslab.cluster import tools
from kslab.errors import ApiError
from kslab.cluster.changes import Change, Progress
from kslab.cluster.waiting import wait_until

if TYPE_CHECKING:
    from kslab.cluster.lab import Lab

NAMESPACE = "istio-system"
ISTIOD = "istiod"
#: Seconds to wait for istiod; the first install pulls its images.
READY_TIMEOUT = 300


def install_argv(context: str, profile: str = "demo") -> list[str]:
    """The install command, bound to one kube context."""
    return ["istioctl", "install", "--set", f"profile={profile}", "-y", "--context", context]


def uninstall_argv(context: str) -> list[str]:
    """The uninstall command (``--purge``: every Istio resource, not one revision)."""
    return ["istioctl", "uninstall", "--purge", "-y", "--context", context]


def _run_istioctl(argv: list[str], progress: Progress, doing: str) -> None:
    code, lines = tools.stream(argv, on_line=progress)
    if code != 0:
        last = next((ln for ln in reversed(lines) if ln.strip()), "(no output)")
        raise tools.ToolFailed(f"istioctl could not {doing}: {last.strip()}", returncode=code,
                               output="\n".join(lines))


@dataclass(frozen=True)
class Istiod:
    """What the one istiod probe (:func:`probe_istiod`) saw of its Deployment."""

    exists: bool
    available: bool
    #: The Available condition's message, or why there is none.
    detail: str
    #: The image tag, e.g. ``1.27.1`` ("" when not seen).
    version: str = ""
    ready_replicas: int = 0
    #: False when this identity may not read the namespace (a classroom student): it cannot tell.
    readable: bool = True

    def __str__(self) -> str:
        return f"{self.version} ({self.ready_replicas} ready)" if self.exists else self.detail


def probe_istiod(lab: Lab, namespace: str = NAMESPACE, name: str = ISTIOD) -> Istiod:
    """istiod's Deployment as the API server has it: there or not, Available or not, its version —
    or that this identity may not read it (a 403 is an answer here, like the 404)."""
    try:
        dep = lab.read_deployment(namespace, name)
    except ApiError as err:
        if err.status == 404:
            return Istiod(False, False, f"deployment {namespace}/{name} does not exist")
        if err.status == 403:
            return Istiod(False, False, f"your identity may not read {namespace}", readable=False)
        raise
    available, detail = False, "no Available condition yet"
    for cond in (dep.status and dep.status.conditions) or []:
        if cond.type == "Available":
            available, detail = cond.status == "True", str(cond.message or cond.reason or "")
            break
    containers = (dep.spec and dep.spec.template.spec.containers) or []
    image = str(containers[0].image or "") if containers else ""
    return Istiod(True, available, detail, image.rsplit(":", 1)[-1] if image else "",
                  int((dep.status and dep.status.ready_replicas) or 0))


def deployment_available(lab: Lab, name: str = ISTIOD, namespace: str = NAMESPACE) -> tuple[bool, str]:
    """Whether a Deployment reports the condition ``Available=True``, and the condition's message
    (:class:`ApiError` with status 403 when this identity may not read it)."""
    seen = probe_istiod(lab, namespace, name)
    if not seen.readable:
        raise ApiError(f"reading deployment {namespace}/{name}: 403 {seen.detail}", status=403,
                       hint="your identity is not allowed to do this (RBAC or admission said no)")
    return seen.available, seen.detail


def wait_available(lab: Lab, name: str = ISTIOD, namespace: str = NAMESPACE, *, timeout: float = READY_TIMEOUT,
                   progress: Progress = print, interval: float = 2.0) -> str:
    """Poll until the Deployment is Available; returns its condition message, or raises after ``timeout``."""
    def available() -> tuple[str | None, str]:
        ready, message = deployment_available(lab, name, namespace)
        return (message if ready else None), message

    return wait_until(available, timeout=timeout, interval=interval, what=f"{namespace}/{name} was not Available",
                      progress=lambda state: progress(f"waiting for {namespace}/{name}: {state}"),
                      hint=f"kubectl -n {namespace} describe deployment {name}; kubectl -n {namespace} get pods")


def install(lab: Lab, *, progress: Progress = print, timeout: float = READY_TIMEOUT,
            namespace: str = NAMESPACE) -> Change:
    """Install Istio (demo profile) into the lab's cluster and wait until istiod is Available."""
    tools.require("istioctl")
    lab.require_lab("installing Istio")
    ready, _ = deployment_available(lab, ISTIOD, namespace)
    if ready:
        return Change(False, f"Istio is already installed and istiod is Available in {namespace}; nothing to do")
    argv = install_argv(str(lab.context))
    progress(f"running: {' '.join(argv)}")
    _run_istioctl(argv, progress, "install Istio")
    message = wait_available(lab, ISTIOD, namespace, timeout=timeout, progress=progress)
    return Change(True, f"Istio installed (demo profile); istiod is Available in {namespace}",
                   [message] if message else [])


def uninstall(lab: Lab, *, progress: Progress = print, namespace: str = NAMESPACE) -> Change:
    """Remove Istio (``istioctl uninstall --purge``) and its namespace; a no-op when it is absent."""
    tools.require("istioctl")
    lab.require_lab("uninstalling Istio")
    if not _namespace_exists(lab, namespace):
        return Change(False, f"Istio is not installed (no namespace {namespace}); nothing to uninstall")
    argv = uninstall_argv(str(lab.context))
    progress(f"running: {' '.join(argv)}")
    _run_istioctl(argv, progress, "uninstall Istio")
    try:
        lab.delete_namespace(namespace)
    except ApiError as err:  # already gone is fine
        if err.status not in (404, 409):
            raise
    return Change(True, f"Istio uninstalled; namespace {namespace} is being deleted")


def _namespace_exists(lab: Lab, namespace: str) -> bool:
    items = lab.list_namespaces(field_selector=f"metadata.name={namespace}")
    return bool(items) and items[0].metadata.deletion_timestamp is None


def istioctl_version() -> str | None:
    """The local istioctl's version, or None when it is not installed."""
    if not tools.which("istioctl"):
        return None
    try:
        done = tools.run(["istioctl", "version", "--remote=false", "-o", "json"], check=False, timeout=20)
        return str(json.loads(done.stdout)["clientVersion"]["version"])
    except (tools.ToolFailed, ValueError, KeyError):
        return "installed (version unreadable)"


@dataclass
class IstioStatus:
    """The cluster's Istio as kslab sees it (the local mesh is :mod:`kslab.mesh`, and has no status):
    istioctl on this machine, istiod from the one probe (:func:`probe_istiod`), Istio's CRDs when they
    were checked, and what to do next. ``kslab cluster istio status`` (:func:`status`) and lab 05's
    :func:`~kslab.cluster.istio_lab.detect` both answer with one.

    ``assumed`` says why istiod is taken to be there without being seen (the identity may not read
    istio-system, and Istio's API is served), empty when it was seen or is known to be missing.

    >>> print(IstioStatus(None, "offline", None, hints=["offline: the local mesh instead"]))
    istioctl: not installed
    istiod:   unknown: offline
    Istio CRDs: unknown: offline
    next: offline: the local mesh instead
    """

    context: str | None
    mode: str
    istioctl: str | None
    #: istiod's Deployment exists, and whether it reports Available (with its condition's message).
    installed: bool = False
    available: bool = False
    detail: str = ""
    #: ``"1.27.1 (1 ready)"`` when istiod was seen.
    istiod: str | None = None
    #: Istio's PeerAuthentication CRD is there; None when not checked (or offline).
    crds: bool | None = None
    hints: list[str] = field(default_factory=list)
    assumed: str = ""
    crds_how: str = ""
    #: False when this identity may not read istio-system (Istio is then the instructor's to install).
    root_readable: bool = True

    @property
    def ready(self) -> bool:
        """istiod is Available (or assumed, when it cannot be seen) and, where checked, the CRDs are there."""
        return (self.available or bool(self.assumed)) and self.crds is not False

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ready": self.ready}

    def __str__(self) -> str:
        istiod = self.istiod or (f"cannot tell — {self.assumed}" if self.assumed else
                                 "unknown: offline" if self.mode == "offline" else
                                 "not found" if self.root_readable else
                                 "cannot tell — your identity may not read istio-system")
        lines = []
        if self.mode == "live":
            state = "ready" if self.ready else ("installed, not ready" if self.installed else
                                                "not installed" if self.root_readable else "cannot tell")
            lines.append(f"Istio on {self.context}: {state}" + (f" ({self.detail})" if self.detail else ""))
        lines += [f"istioctl: {self.istioctl or 'not installed'}", f"istiod:   {istiod}"]
        if self.crds is not None or self.mode == "offline":
            crds = "present" if self.crds else "unknown: offline" if self.crds is None else "missing"
            lines.append(f"Istio CRDs: {crds}{f' ({self.crds_how})' if self.crds_how else ''}")
        lines += [f"next: {h}" for h in self.hints]
        return "\n".join(lines)

    __repr__ = __str__


def observe(lab: Lab, namespace: str = NAMESPACE) -> IstioStatus:
    """istioctl and istiod (one probe each) as an :class:`IstioStatus`; the CRDs are not checked here."""
    status = IstioStatus(lab.context, lab.mode, istioctl_version())
    if lab.live:
        seen = probe_istiod(lab, namespace)
        status.installed, status.available, status.detail = seen.exists, seen.available, seen.detail
        status.istiod = str(seen) if seen.exists else None
        status.root_readable = seen.readable
    return status


def status(lab: Lab, *, namespace: str = NAMESPACE) -> IstioStatus:
    """Istio's state in the lab's cluster (needs a live cluster, changes nothing)."""
    lab.require_live("checking Istio")
    return observe(lab, namespace)
