"""Kubernetes architecture: the components as data, a diagram drawn from that data, and an inventory
of the real components of the student's cluster (live) or of a recorded cluster (offline).

>>> [c.name for c in COMPONENTS if c.plane == "control plane"][:3]
['kube-apiserver', 'etcd', 'kube-scheduler']
>>> component_of({"component": "kube-apiserver", "tier": "control-plane"}, "kube-apiserver-x")
'kube-apiserver'
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from kslab.errors import KslabError


@dataclass(frozen=True)
class Component:
    """One Kubernetes component: where it runs, what it does, who it talks to, its ports."""

    name: str
    plane: str  # "control plane" or "node"
    role: str
    talks_to: tuple[str, ...] = ()
    ports: tuple[str, ...] = ()
    security_note: str = ""


#: The components, in the order the notebook introduces them. Ports are today's defaults.
COMPONENTS: tuple[Component, ...] = (
    Component("kube-apiserver", "control plane",
              "The front door: every request (kubectl, kubelets, controllers) is authenticated, "
              "authorised, passed through admission and validated here; it is the only component "
              "that reads and writes etcd.",
              ("etcd", "kubelet"), ("6443/TCP",),
              "Whoever reaches it with valid credentials can do whatever RBAC allows: lab 02 and 04."),
    Component("etcd", "control plane",
              "A consistent, replicated key-value store holding the whole cluster state, Secrets "
              "included.", (), ("2379/TCP client", "2380/TCP peer"),
              "Read access to etcd is read access to every Secret: only the API server may talk to it, over mutual TLS."),
    Component("kube-scheduler", "control plane",
              "Watches for pods without a node and picks one, weighing resource requests, affinity, "
              "taints and spread constraints.", ("kube-apiserver",), ("10259/TCP",)),
    Component("kube-controller-manager", "control plane",
              "Runs the control loops that make the cluster converge on what was asked for: nodes, "
              "ReplicaSets, Deployments, Jobs, EndpointSlices, service accounts and their tokens, "
              "namespaces being deleted, and more.", ("kube-apiserver",), ("10257/TCP",)),
    Component("cloud-controller-manager", "control plane",
              "The cloud-specific loops split out of the controller manager: nodes that vanished "
              "from the cloud, routes, load balancers for Services. Absent on kind and bare metal.",
              ("kube-apiserver",), ("10258/TCP",)),
    Component("kubelet", "node",
              "The agent on every node: makes the containers of the pods bound to its node run and "
              "stay healthy, through the container runtime, and reports their status.",
              ("kube-apiserver", "container runtime"), ("10250/TCP",),
              "Its API on 10250 can exec into any pod on the node: it must demand authentication (lab 02)."),
    Component("kube-proxy", "node",
              "Turns Services into packet-forwarding rules (iptables, IPVS or nftables) on each node, "
              "so a Service IP reaches one of its pods.", ("kube-apiserver",), ("10256/TCP healthz",)),
    Component("container runtime", "node",
              "Pulls images and runs containers for the kubelet through the Container Runtime "
              "Interface: containerd or CRI-O today (Docker Engine only through cri-dockerd).",
              (), ()),
)

#: kube-system pods are matched to components by these labels (kubeadm and kind set them).
_LABEL_KEYS = ("component", "k8s-app", "app", "app.kubernetes.io/name")


def component_of(labels: dict[str, str] | None, pod_name: str) -> str:
    """Which component (or add-on) a kube-system pod is, from its labels or, failing that, its name."""
    labels = labels or {}
    for key in _LABEL_KEYS:
        if labels.get(key):
            return labels[key]
    return pod_name.rsplit("-", 2)[0] if pod_name.count("-") >= 2 else pod_name


def diagram_svg(components: tuple[Component, ...] = COMPONENTS) -> str:
    """An SVG picture of the architecture, drawn from :data:`COMPONENTS` (so it cannot drift from them)."""
    box_w, box_h, gap = 190, 44, 14
    planes = {"control plane": [c for c in components if c.plane == "control plane"],
              "node": [c for c in components if c.plane == "node"]}
    width = 2 * (box_w + 60) + 40
    height = 70 + max(len(v) for v in planes.values()) * (box_h + gap) + 40
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'font-family="sans-serif" font-size="13" role="img" '
             f'aria-label="Kubernetes architecture: control plane and worker node components">']
    centres: dict[str, tuple[float, float]] = {}
    for col, (plane, comps) in enumerate(planes.items()):
        x0 = 20 + col * (box_w + 100)
        fill = "#e8f0fe" if plane == "control plane" else "#e6f4ea"
        title = "Control plane node" if plane == "control plane" else "Worker node (every node)"
        parts.append(f'<rect x="{x0 - 10}" y="10" width="{box_w + 20}" '
                     f'height="{height - 20}" rx="10" fill="{fill}" stroke="#5f6368"/>')
        parts.append(f'<text x="{x0 + box_w / 2}" y="34" text-anchor="middle" font-weight="bold">'
                     f"{html.escape(title)}</text>")
        for row, comp in enumerate(comps):
            y = 50 + row * (box_h + gap)
            parts.append(f'<rect x="{x0}" y="{y}" width="{box_w}" height="{box_h}" rx="6" '
                         'fill="white" stroke="#3c4043"/>')
            parts.append(f'<text x="{x0 + box_w / 2}" y="{y + 19}" text-anchor="middle">'
                         f"{html.escape(comp.name)}</text>")
            if comp.ports:
                parts.append(f'<text x="{x0 + box_w / 2}" y="{y + 35}" text-anchor="middle" '
                             f'font-size="11" fill="#5f6368">{html.escape(comp.ports[0])}</text>')
            centres[comp.name] = (x0, y + box_h / 2) if col else (x0 + box_w, y + box_h / 2)
    for comp in components:
        for peer in comp.talks_to:
            if comp.plane != "control plane" and peer in centres and comp.name in centres:
                (x1, y1), (x2, y2) = centres[comp.name], centres[peer]
                parts.append(f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="#1a73e8" '
                             'stroke-width="1.5" marker-end="url(#arrow)"/>')
    parts.insert(1, '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" '
                    'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
                    '<path d="M 0 0 L 10 5 L 0 10 z" fill="#1a73e8"/></marker></defs>')
    parts.append("</svg>")
    return "".join(parts)


class Diagram:
    """The architecture picture, displayable in a notebook (SVG) and as text elsewhere."""

    def _repr_svg_(self) -> str:
        return diagram_svg()

    def __repr__(self) -> str:
        cp = ", ".join(c.name for c in COMPONENTS if c.plane == "control plane")
        node = ", ".join(c.name for c in COMPONENTS if c.plane == "node")
        return f"Control plane: {cp}\nEvery node: {node}"


def diagram() -> Diagram:
    """The architecture diagram (SVG in a notebook)."""
    return Diagram()


@dataclass
class Inventory:
    """The real components of one cluster, and where the facts came from."""

    source: str  # "observed live on context X" or "recorded: ..."
    observed: bool
    server_version: str
    nodes: list[dict[str, Any]] = field(default_factory=list)
    pods: list[dict[str, Any]] = field(default_factory=list)

    def components(self) -> list[dict[str, Any]]:
        """kube-system pods grouped by component: component, count, nodes, image."""
        grouped: dict[str, dict[str, Any]] = {}
        for pod in self.pods:
            row = grouped.setdefault(pod["component"], {"component": pod["component"], "pods": 0,
                                                        "nodes": set(), "image": pod["image"]})
            row["pods"] += 1
            row["nodes"].add(pod["node"])
        return [{**r, "nodes": ", ".join(sorted(n for n in r["nodes"] if n))}
                for r in sorted(grouped.values(), key=lambda r: r["component"])]

    def __str__(self) -> str:
        from kslab.cli.output import format_table

        lines = [f"Source: {self.source}", f"Kubernetes {self.server_version}", "", "Nodes:",
                 format_table(self.nodes, ["name", "roles", "kubelet", "runtime", "os"]), "",
                 "kube-system components:",
                 format_table(self.components(), ["component", "pods", "nodes", "image"])]
        return "\n".join(lines)

    __repr__ = __str__


def _node_row(node: Any) -> dict[str, Any]:
    labels = node.metadata.labels or {}
    roles = sorted(k.split("/", 1)[1] for k in labels if k.startswith("node-role.kubernetes.io/"))
    info = node.status.node_info
    return {"name": node.metadata.name, "roles": ",".join(roles) or "<none>",
            "kubelet": info.kubelet_version, "runtime": info.container_runtime_version,
            "os": f"{info.os_image} ({info.architecture})"}


def observe(lab: Any) -> Inventory:
    """Read the inventory from the live cluster (nodes, kube-system pods, server version)."""
    from kslab.cluster.lab import api_error

    lab.require_live("reading the cluster's components")
    try:
        nodes = [_node_row(n) for n in lab.core.list_node().items]
    except Exception as exc:  # noqa: BLE001
        err = api_error(exc, "listing nodes")
        if err.status != 403:
            raise err from None
        nodes = [{"name": "(not allowed to list nodes)", "roles": "", "kubelet": "", "runtime": "", "os": ""}]
    try:
        pod_list = lab.core.list_namespaced_pod("kube-system").items
    except Exception as exc:  # noqa: BLE001
        raise api_error(exc, "listing kube-system pods") from None
    pods = [{"name": p.metadata.name, "component": component_of(p.metadata.labels, p.metadata.name),
             "node": p.spec.node_name or "", "image": p.spec.containers[0].image}
            for p in pod_list]
    return Inventory(source=f"observed live on context {lab.context}", observed=True,
                     server_version=lab.server_version(), nodes=nodes,
                     pods=sorted(pods, key=lambda p: p["name"]))


RECORDED = "architecture/inventory.json"


def recorded() -> Inventory:
    """The inventory recorded from a real cluster and bundled with kslab (see kslab/data/README.md)."""
    try:
        data = json.loads(resources.files("kslab.data").joinpath(RECORDED).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise KslabError("no recorded inventory is bundled with this kslab",
                         hint="record one from a cluster: python -m kslab.architecture record") from None
    return Inventory(source=f"recorded: {data['recorded']}", observed=False,
                     server_version=data["server_version"], nodes=data["nodes"], pods=data["pods"])


def inventory(lab: Any) -> Inventory:
    """The cluster's real components: observed live, or the recorded inventory offline (labelled)."""
    return observe(lab) if lab.live else recorded()


def record(lab: Any, note: str) -> dict[str, Any]:
    """Observe a live cluster and return the JSON that :func:`recorded` reads (with provenance)."""
    import datetime

    inv = observe(lab)
    day = datetime.date.today().isoformat()
    return {"recorded": f"{note}, context {lab.context}, {day}", "server_version": inv.server_version,
            "nodes": inv.nodes, "pods": inv.pods}


if __name__ == "__main__":  # python -m kslab.architecture record "where this cluster ran"
    import sys
    from pathlib import Path

    if len(sys.argv) < 3 or sys.argv[1] != "record":
        sys.exit('usage: python -m kslab.architecture record "NOTE ON WHERE THE CLUSTER RAN"')
    from kslab.cluster.connect import connect

    out = Path(__file__).parent / "data" / RECORDED
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record(connect(mode="live"), sys.argv[2]), indent=1) + "\n")
    print(f"wrote {out}")
