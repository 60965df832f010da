"""Kubernetes architecture: the components as data, a diagram drawn from that data, and an inventory
of the real components of the student's cluster (observed live, or predicted offline from the course's
kind configuration).

>>> [c.name for c in COMPONENTS if c.plane == "control plane"][:3]
['kube-apiserver', 'etcd', 'kube-scheduler']
>>> component_of({"component": "kube-apiserver", "tier": "control-plane"}, "kube-apiserver-x")
'kube-apiserver'
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kslab.course import kind_config
from kslab.errors import ApiError
from kslab.views.tables import format_table
from kslab.views.styles import ARROW, BOX_STROKE, COMPONENT_STROKE, CONTROL_PLANE_FILL, NODE_FILL

if TYPE_CHECKING:
    from kslab.cluster.lab import Lab


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


#: What each arrow of the diagram is for (the caller starts the connection). Shown on the arrows
#: between the two nodes, and as each arrow's tooltip.
CALLS: dict[tuple[str, str], str] = {
    ("kube-apiserver", "etcd"): "reads and writes the cluster state",
    ("kube-apiserver", "kubelet"): "exec, logs, port-forward",
    ("kube-scheduler", "kube-apiserver"): "watches unscheduled pods, binds them to nodes",
    ("kube-controller-manager", "kube-apiserver"): "watches objects, creates and updates others",
    ("cloud-controller-manager", "kube-apiserver"): "nodes, routes, load balancers",
    ("kubelet", "kube-apiserver"): "its pods; their status",
    ("kubelet", "container runtime"): "runs the containers (CRI)",
    ("kube-proxy", "kube-apiserver"): "watches Services, EndpointSlices",
}


def _route(pos: dict[str, tuple[int, int]], a: str, b: str) -> str:
    """How the arrow a → b runs, from the boxes' (column, row): ``"across"`` between the two nodes,
    ``"down"``/``"up"`` to the next box of the same node, ``"around"`` (along the node's outer side) to
    a box further away."""
    (ca, ra), (cb, rb) = pos[a], pos[b]
    if ca != cb:
        return "across"
    if abs(ra - rb) == 1:
        return "down" if rb > ra else "up"
    return "around"


#: The picture's geometry, in pixels: box width and height, the gap between boxes, the lane on a
#: node's outer side where arrows to a farther box run, and the space between the two nodes.
BOX_W, BOX_H, GAP, LANE, BETWEEN = 190, 44, 14, 34, 200
PLANES = ("control plane", "node")


@dataclass(frozen=True)
class _Layout:
    """Where everything sits: each component's (column, row), each column's x, the picture's size."""

    rows: dict[str, list[Component]]
    pos: dict[str, tuple[int, int]]
    col_x: tuple[int, int]  # each column keeps a lane on its outer side
    width: int
    height: int

    def top(self, name: str) -> float:
        return 50 + self.pos[name][1] * (BOX_H + GAP)

    def side_x(self, name: str, route: str) -> float:
        """The x of the box side an arrow uses: the side facing the other node (across) or the outer one."""
        col = self.pos[name][0]
        return self.col_x[col] + (BOX_W if (col == 0) == (route == "across") else 0)


def _layout(components: tuple[Component, ...]) -> _Layout:
    rows = {plane: [c for c in components if c.plane == plane] for plane in PLANES}
    pos = {c.name: (col, row) for col, plane in enumerate(PLANES) for row, c in enumerate(rows[plane])}
    col_x = (20 + LANE, 20 + LANE + BOX_W + BETWEEN)
    height = 70 + max(len(v) for v in rows.values()) * (BOX_H + GAP) + 20
    return _Layout(rows, pos, col_x, col_x[1] + BOX_W + LANE + 20, height)


def _boxes_svg(lay: _Layout) -> list[str]:
    """Each node's frame and title, and one box per component with its first port."""
    parts = []
    for col, plane in enumerate(PLANES):
        x0 = lay.col_x[col]
        fill = CONTROL_PLANE_FILL if plane == "control plane" else NODE_FILL
        title = "Control plane node" if plane == "control plane" else "Worker node (every node)"
        left = x0 - (LANE if col == 0 else 12)  # the node's frame holds its outer lane
        parts.append(f'<rect x="{left}" y="10" width="{BOX_W + LANE + 12}" height="{lay.height - 20}" rx="10" '
                     f'fill="{fill}" stroke="{BOX_STROKE}"/>')
        parts.append(f'<text x="{x0 + BOX_W / 2}" y="34" text-anchor="middle" font-weight="bold">'
                     f"{html.escape(title)}</text>")
        for comp in lay.rows[plane]:
            y = lay.top(comp.name)
            parts.append(f'<rect x="{x0}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="6" '
                         f'fill="white" stroke="{COMPONENT_STROKE}"/>')
            parts.append(f'<text x="{x0 + BOX_W / 2}" y="{y + 19}" text-anchor="middle">'
                         f"{html.escape(comp.name)}</text>")
            if comp.ports:
                parts.append(f'<text x="{x0 + BOX_W / 2}" y="{y + 35}" text-anchor="middle" '
                             f'font-size="11" fill="{BOX_STROKE}">{html.escape(comp.ports[0])}</text>')
    return parts


def _slots(lay: _Layout, routes: dict[tuple[str, str], str]) -> dict[tuple[str, tuple[str, str]], float]:
    """Where each arrow meets a box side: spread evenly, in an order that keeps arrows from crossing
    (across: by the other box's row; around: the farther the other box, the higher)."""
    ends: dict[tuple[str, str], list[tuple[Any, tuple[str, str]]]] = {}
    for (a, b), route in routes.items():
        if route in ("across", "around"):
            rank = (-abs(lay.pos[a][1] - lay.pos[b][1]), a, b) if route == "around" else None
            for me, other in ((a, b), (b, a)):
                ends.setdefault((me, route), []).append((rank or (lay.pos[other][1], a, b), (a, b)))
    slot: dict[tuple[str, tuple[str, str]], float] = {}
    for (me, _), found in ends.items():
        for j, (_, edge) in enumerate(sorted(found)):
            slot[(me, edge)] = lay.top(me) + (j + 1) * BOX_H / (len(found) + 1)
    return slot


def _arrows_svg(lay: _Layout, routes: dict[tuple[str, str], str]) -> list[str]:
    """One arrow per call, with a tooltip; two calls between the same boxes each say what they are for."""
    slot = _slots(lay, routes)
    style = f'stroke="{ARROW}" stroke-width="1.5" fill="none" marker-end="url(#arrow)"'
    lanes_used = [0, 0]
    parts = []
    for (a, b), route in routes.items():
        why = CALLS.get((a, b), "")
        tip = f"<title>{html.escape(f'{a} → {b}' + (f': {why}' if why else ''))}</title>"
        if route == "across":
            x1, y1, x2, y2 = lay.side_x(a, route), slot[(a, (a, b))], lay.side_x(b, route), slot[(b, (a, b))]
            parts.append(f'<line x1="{x1}" y1="{y1:g}" x2="{x2}" y2="{y2:g}" {style}>{tip}</line>')
            if (b, a) in routes and why:  # two ways between the same boxes: say what each is for
                ty = (y1 + y2) / 2 + (-5 if y1 <= slot[(b, (b, a))] else 13)  # above the upper, below the lower
                parts.append(f'<text x="{(x1 + x2) / 2}" y="{ty:g}" text-anchor="middle" font-size="10" '
                             f'fill="{ARROW}">{html.escape(why)}</text>')
        elif route in ("down", "up"):
            x = lay.col_x[lay.pos[a][0]] + BOX_W / 2
            y1, y2 = (lay.top(a) + BOX_H, lay.top(b)) if route == "down" else (lay.top(a), lay.top(b) + BOX_H)
            parts.append(f'<line x1="{x}" y1="{y1}" x2="{x}" y2="{y2}" {style}>{tip}</line>')
        else:  # out of the box, along the node's outer lane, back in
            col = lay.pos[a][0]
            lanes_used[col] += 1
            x_box = lay.side_x(a, route)
            x_lane = x_box + 8 * lanes_used[col] * (-1 if col == 0 else 1)
            y1, y2 = slot[(a, (a, b))], slot[(b, (a, b))]
            parts.append(f'<path d="M {x_box} {y1:g} H {x_lane} V {y2:g} H {x_box}" {style}>{tip}</path>')
    return parts


def diagram_svg(components: tuple[Component, ...] = COMPONENTS) -> str:
    """An SVG picture of the architecture, drawn from :data:`COMPONENTS` (so it cannot drift from them):
    one box per component, one arrow per entry of ``talks_to``, from the caller. Two components that call
    each other get two parallel arrows, each labelled with what it is for (:data:`CALLS`).

    >>> diagram_svg().count("marker-end=") == sum(len(c.talks_to) for c in COMPONENTS)
    True
    """
    lay = _layout(components)
    head = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{lay.width}" height="{lay.height}" '
            f'font-family="sans-serif" font-size="13" role="img" '
            f'aria-label="Kubernetes architecture: control plane and worker node components">',
            '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
            f'orient="auto"><path d="M 0 0 L 10 5 L 0 10 z" fill="{ARROW}"/></marker></defs>']
    routes = {edge: _route(lay.pos, *edge) for edge in
              ((c.name, peer) for c in components for peer in c.talks_to if peer in lay.pos)}
    return "".join([*head, *_boxes_svg(lay), *_arrows_svg(lay, routes), "</svg>"])


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


#: What the inventory says instead of an empty table when no pod runs in kube-system.
NO_COMPONENTS = ("kube-system components: none visible. No pod runs in kube-system on this cluster: its "
                 "control plane runs out of the API's sight (a managed cluster, or system services on the "
                 "host), and no add-on (CoreDNS, kube-proxy) was installed as pods.")


@dataclass
class Inventory:
    """The real components of one cluster, and where the facts came from."""

    source: str  # "observed live on context X" or "predicted from ..."
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
        components = self.components()
        lines = [f"Source: {self.source}", f"Kubernetes {self.server_version}", "", "Nodes:",
                 format_table(self.nodes, ["name", "roles", "kubelet", "runtime", "os"]), ""]
        if components:
            lines += ["kube-system components:", format_table(components, ["component", "pods", "nodes", "image"])]
        else:
            lines.append(NO_COMPONENTS)
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        from kslab.views.tables import Table, html_block  # noqa: PLC0415

        components = self.components()
        return html_block(f"Source: {self.source}", f"Kubernetes {self.server_version}",
                          Table(self.nodes, ["name", "roles", "kubelet", "runtime", "os"], title="Nodes:"),
                          Table(components, ["component", "pods", "nodes", "image"],
                                title="kube-system components:", abbreviate={"image": 60}) if components
                          else NO_COMPONENTS)


def _node_row(node: Any) -> dict[str, Any]:
    labels = node.metadata.labels or {}
    roles = sorted(k.split("/", 1)[1] for k in labels if k.startswith("node-role.kubernetes.io/"))
    info = node.status.node_info
    return {"name": node.metadata.name, "roles": ",".join(roles) or "<none>",
            "kubelet": info.kubelet_version, "runtime": info.container_runtime_version,
            "os": f"{info.os_image} ({info.architecture})"}


#: How a part of a live inventory that had to be predicted is labelled.
NOT_YOURS = "PREDICTED from the course's kind configuration, NOT your cluster"


def observe(lab: Lab) -> Inventory:
    """Read the inventory from the live cluster (nodes, kube-system pods, server version).

    A namespace-scoped identity (a classroom student's kubeconfig) may not list nodes or the pods in
    kube-system: each part it may not read is taken from :func:`predicted` instead, and the source
    says which part and why — never presented as observed.
    """
    lab.require_live("reading the cluster's components")

    def read(call: Callable[[], list[Any]]) -> list[Any] | None:
        try:
            return call()
        except ApiError as err:
            if err.status != 403:
                raise
            return None  # not allowed: predicted below

    node_items = read(lab.list_nodes)
    pod_items = read(lambda: lab.list_pods("kube-system"))
    version = lab.server_version()  # /version is readable by everyone, students included
    observed = node_items is not None and pod_items is not None
    guess = None if observed else predicted()
    nodes = [_node_row(n) for n in node_items] if node_items is not None else guess.nodes  # type: ignore[union-attr]
    if pod_items is not None:
        pods = sorted(({"name": p.metadata.name, "component": component_of(p.metadata.labels, p.metadata.name),
                        "node": p.spec.node_name or "", "image": p.spec.containers[0].image} for p in pod_items),
                      key=lambda p: p["name"])
    else:
        pods = guess.pods  # type: ignore[union-attr]
    source = f"observed live on context {lab.context}"
    if not observed:
        seen = {"nodes": node_items is not None, "kube-system components": pod_items is not None}
        source = (f"context {lab.context}, Kubernetes {version} (observed). Your identity may not read "
                  f"{' or '.join(p for p, ok in seen.items() if not ok)} (a namespace-scoped kubeconfig, as in a "
                  "classroom), so: " + "; ".join(f"{p} {'observed' if ok else NOT_YOURS}" for p, ok in seen.items()))
    return Inventory(source=source, observed=observed, server_version=version, nodes=nodes, pods=pods)


#: What kind runs in kube-system besides the control plane: add-on -> (pods, on every node?).
KIND_ADDONS = {"coredns": (2, False), "kindnet": (1, True), "kube-proxy": (1, True)}
CONTROL_PLANE_PODS = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler")


def predicted(config: dict[str, Any] | None = None) -> Inventory:
    """The inventory the course's kind cluster will have, computed from its configuration.

    Not observed: it is what kind builds from ``kslab/data/kind/cluster.yaml`` (kubeadm static pods for
    the control plane on the control-plane node; kube-proxy and the kindnet CNI on every node; two
    CoreDNS replicas). Live, :func:`inventory` shows it next to what the cluster really runs.

    >>> inv = predicted()
    >>> [n["name"] for n in inv.nodes]
    ['kslab-control-plane', 'kslab-worker']
    >>> inv.observed
    False
    """
    config = config or kind_config.cluster_config()
    name = config.get("name", "kind")
    nodes, counts = [], {"control-plane": 0, "worker": 0}
    for node in config.get("nodes") or [{"role": "control-plane"}]:
        role = node.get("role", "control-plane")
        counts[role] += 1
        suffix = role if counts[role] == 1 else f"{role}{counts[role]}"
        image = node.get("image") or kind_config.node_image()
        version = image.split(":", 1)[1].split("@", 1)[0] if ":" in image else "?"
        nodes.append({"name": f"{name}-{suffix}", "roles": role if role == "control-plane" else "<none>",
                      "kubelet": version, "runtime": "containerd (kind node image)",
                      "os": f"kind node image {image.split('@')[0]}"})
    control = [n["name"] for n in nodes if n["roles"] == "control-plane"]
    preloaded = "preloaded in the node image"
    pods = [{"name": f"{comp}-{cp}", "component": comp, "node": cp, "image": preloaded}
            for cp in control for comp in CONTROL_PLANE_PODS]
    for addon, (count, per_node) in KIND_ADDONS.items():
        targets = [n["name"] for n in nodes] if per_node else ["(where the scheduler puts them)"] * count
        pods += [{"name": f"{addon}-#{i + 1}", "component": addon, "node": node, "image": preloaded}
                 for i, node in enumerate(targets)]
    return Inventory(source="predicted from the course's kind configuration (kslab/data/kind/cluster.yaml),"
                            " not observed", observed=False, server_version=nodes[0]["kubelet"],
                     nodes=nodes, pods=sorted(pods, key=lambda p: (p["component"], p["name"])))


def inventory(lab: Lab) -> Inventory:
    """The cluster's real components when live (observed); offline, the predicted ones (labelled)."""
    return observe(lab) if lab.live else predicted()
