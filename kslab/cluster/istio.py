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

from dataclasses import asdict, dataclass
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


def deployment_available(lab: Lab, name: str = ISTIOD, namespace: str = NAMESPACE) -> tuple[bool, str]:
    """Whether a Deployment reports the condition ``Available=True``, and the condition's message."""
    try:
        dep = lab.read_deployment(namespace, name)
    except ApiError as err:  # 404 is an answer here
        if err.status == 404:
            return False, f"deployment {namespace}/{name} does not exist"
        raise
    for cond in (dep.status and dep.status.conditions) or []:
        if cond.type == "Available":
            return cond.status == "True", str(cond.message or cond.reason or "")
    return False, "no Available condition yet"


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


@dataclass
class IstioStatus:
    """Whether Istio is installed in the lab's cluster, and whether istiod is ready."""

    context: str | None
    istioctl: str | None  # the client's version, None when not installed
    installed: bool
    ready: bool
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        client = f"istioctl {self.istioctl}" if self.istioctl else "istioctl not installed"
        state = "ready" if self.ready else ("installed, not ready" if self.installed else "not installed")
        return f"Istio on {self.context}: {state} ({self.detail}); {client}"

    __repr__ = __str__


def status(lab: Lab, *, namespace: str = NAMESPACE) -> IstioStatus:
    """Istio's state in the lab's cluster (needs a live cluster, changes nothing)."""
    lab.require_live("checking Istio")
    ready, detail = deployment_available(lab, ISTIOD, namespace)
    installed = ready or "does not exist" not in detail
    return IstioStatus(lab.context, tools.version("istioctl"), installed, ready, detail)
