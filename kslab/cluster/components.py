"""Read the live control plane's configuration: the kube-apiserver's flags and the kubelet's config.

* The API server: kubeadm and kind run it as a static pod, and the kubelet publishes a *mirror pod*
  ``kube-system/kube-apiserver-<node>`` whose spec holds the real command line. Managed clusters
  (EKS, GKE, AKS) run the control plane out of sight: then there is no such pod, and we say so.
* The kubelet: its running configuration is served at ``/configz`` on port 10250, which the API
  server proxies as ``/api/v1/nodes/<node>/proxy/configz`` for callers allowed ``nodes/proxy``.

Each function returns a :class:`Visible` — the collected input, or why it could not be seen —
and never raises for "not visible"; only real errors (an unreachable cluster) raise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kslab.audit.sources import ComponentInput, from_configz, from_pod
from kslab.errors import ApiError, InputError
from kslab.text import clip

if TYPE_CHECKING:
    from kslab.cluster.lab import Lab

NOT_VISIBLE_APISERVER = (
    "no kube-apiserver pod is visible in kube-system: the control plane is managed by your provider "
    "(EKS, GKE, AKS ...) or runs outside the cluster as a system service, so its flags cannot be read "
    "through the API")


@dataclass(frozen=True)
class Visible:
    """A component's collected input, or the reason it cannot be seen from here."""

    input: ComponentInput | None
    reason: str = ""

    @property
    def visible(self) -> bool:
        return self.input is not None

    def __str__(self) -> str:
        return f"visible: {self.input.source}" if self.input else f"not visible: {self.reason}"


def _pod_dict(lab: Lab, pod: Any) -> dict[str, Any]:
    return dict(lab.serialize(pod))


def apiserver_input(lab: Lab, *, namespace: str = "kube-system") -> Visible:
    """The live kube-apiserver's command line, from its (mirror) pod in kube-system."""
    lab.require_live("reading the live kube-apiserver's flags")
    try:
        pods = lab.list_pods(namespace, label_selector="component=kube-apiserver")
        if not pods:  # not labelled the kubeadm way: look for a container of that name
            pods = [p for p in lab.list_pods(namespace) if any(c.name == "kube-apiserver" for c in p.spec.containers)]
    except ApiError as err:  # 403 is an answer, not a failure
        if err.status == 403:
            return Visible(None, f"you may not list pods in {namespace}, so the API server's pod cannot "
                                 f"be read (ask for `get,list pods -n {namespace}`)")
        raise
    if not pods:
        return Visible(None, NOT_VISIBLE_APISERVER)
    pods = sorted(pods, key=lambda p: p.metadata.name)
    try:
        inp = from_pod(_pod_dict(lab, pods[0]), source=f"live pod {namespace}/{pods[0].metadata.name}")
    except InputError as exc:
        return Visible(None, exc.message)
    if len(pods) > 1:
        others = ", ".join(p.metadata.name for p in pods[1:])
        inp = ComponentInput(inp.component, inp.source, inp.argv, inp.binary,
                             notes=(f"{len(pods)} API servers; audited the first, also running: {others}",))
    return Visible(inp)


def _ready(node: Any) -> bool:
    return any(c.type == "Ready" and c.status == "True" for c in (node.status.conditions or []))


def _proxy_refused(node: str, err: ApiError) -> str:
    """Why ``/configz`` could not be read, for any HTTP status the API server (or its proxy) answered:
    the server's own words shown, e.g. ``400 address not allowed`` when the node's address is loopback."""
    said = f"{err.status} {clip(err.server_message or err.reason, limit=200)}".strip()
    if err.status == 403:
        return f"you may not use nodes/proxy, so node {node}'s /configz cannot be read (the server said: {said})"
    if err.status == 400:
        return (f"the API server refused to proxy to node {node}'s kubelet (the server said: {said}); it does "
                "so when the node's address is one it will not dial, such as loopback")
    return f"node {node}'s kubelet did not answer /configz through the API server's proxy (the server said: {said})"


def kubelet_input(lab: Lab, node: str | None = None) -> Visible:
    """The live kubelet's configuration from ``/configz`` through the API server's node proxy."""
    lab.require_live("reading a live kubelet's configuration")
    try:
        nodes = lab.list_nodes()
    except ApiError as err:
        if err.status == 403:
            return Visible(None, "you may not list nodes, so no kubelet can be chosen")
        raise
    if node is None:
        ready = sorted((n for n in nodes if _ready(n)), key=lambda n: n.metadata.name)
        if not ready:
            return Visible(None, "the cluster has no Ready node, so there is no kubelet to ask")
        node = ready[0].metadata.name
    elif node not in {n.metadata.name for n in nodes}:
        return Visible(None, f"there is no node named {node!r}")
    try:
        payload = lab.node_proxy(node, "configz", timeout=(5, 10))
    except ApiError as err:
        if err.status is None:  # no HTTP answer at all (a timeout, a refused connection): a real failure
            raise
        return Visible(None, _proxy_refused(node, err))
    try:
        return Visible(from_configz(payload, node=node))
    except (ValueError, InputError) as exc:
        return Visible(None, f"node {node} answered /configz with something that is not a kubelet "
                             f"configuration ({exc})")
