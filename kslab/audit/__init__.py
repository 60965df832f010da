"""CIS-mapped audits of the API server and the kubelet (notebook 02).

Layer: a pure lesson (notebook 02); a live cluster's configuration reaches it only through the ``Lab`` handed in.

Three steps, each in its own module: *collect* what a component runs with (:mod:`.sources`:
manifests, command lines, kubelet config files; :meth:`Lab.apiserver_config <kslab.cluster.lab.Lab.apiserver_config>`
for a live cluster), *read* it the way the component does (:mod:`.flags`, :mod:`.readings`) and *judge* it
with the benchmark's rules, kept as data in ``kslab/data/cis/`` (:mod:`.rules`, :mod:`.evaluate`).
Every row also says what kube-bench would report for the same input, and why when it differs.

>>> report = audit_apiserver(bundled("kube-apiserver-kubeadm.yaml"))
>>> report.row("1.2.7").status, report.row("1.2.15").status
('PASS', 'FAIL')
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from kslab.audit.evaluate import audit
from kslab.audit.flags import DATA
from kslab.audit.report import AuditReport, AuditRow
from kslab.audit.sources import (
    ComponentInput,
    from_command_line,
    from_pod,
    read_apiserver,
    read_kubelet,
)
from kslab.errors import UsageError

if TYPE_CHECKING:
    from kslab.cluster.components import Visible
    from kslab.cluster.lab import Lab

__all__ = ["AuditReport", "ComponentInput", "AuditRow", "audit", "audit_apiserver", "audit_kubelet",
           "bundled", "from_command_line", "from_pod", "read_apiserver", "read_kubelet"]


def bundled(name: str = "") -> Path:
    """The path of a bundled input in ``kslab/data/cis/`` (the folder itself without a name).

    >>> bundled("kube-apiserver-2019.yaml").name
    'kube-apiserver-2019.yaml'
    """
    path = DATA / name
    if name and not path.exists():
        known = ", ".join(sorted(p.name for p in DATA.glob("*.yaml") if "-" in p.name))
        raise UsageError(f"no bundled input {name!r}", hint=f"bundled inputs: {known}")
    return path


def audit_apiserver(source: str | Path | ComponentInput, *, encryption_config: str | Path | None = None
                    ) -> AuditReport:
    """Audit a kube-apiserver: a manifest or command-line file, or an input already collected."""
    inp = source if isinstance(source, ComponentInput) else \
        read_apiserver(source, encryption_config=encryption_config)
    return audit(inp)


def audit_kubelet(source: str | Path | ComponentInput | None = None, *,
                  command_line: str | Path | None = None) -> AuditReport:
    """Audit a kubelet: a KubeletConfiguration file and/or its command line (flags win).

    >>> audit_kubelet(bundled("kubelet-config-kubeadm.yaml")).row("4.2.1").status
    'PASS'
    """
    inp = source if isinstance(source, ComponentInput) else read_kubelet(source, command_line=command_line)
    return audit(inp)


def _live_or_bundled(lab: Lab, component: str, visible: Visible | None, bundled_name: str,
                     run: Callable[[Path], AuditReport]) -> AuditReport:
    """The live component's audit, or the bundled example's, with the reason in the report."""
    if visible is not None and visible.input is not None:
        return audit(visible.input)
    why = (visible.reason if visible is not None else "") or lab.reason or "offline"
    report = run(bundled(bundled_name))
    report.source = f"the bundled {bundled_name} (NOT your cluster)"
    report.notes.insert(0, f"{component} of your cluster not audited: {why}. Shown instead: the "
                           f"bundled kubeadm v1.33 example.")
    return report


def audit_cluster_apiserver(lab: Lab) -> AuditReport:
    """The lab's kube-apiserver when it is visible; otherwise the bundled kubeadm manifest, labelled.

    >>> import kslab
    >>> audit_cluster_apiserver(kslab.connect(mode="offline")).source
    'the bundled kube-apiserver-kubeadm.yaml (NOT your cluster)'
    """
    visible = lab.apiserver_config() if lab.live else None
    return _live_or_bundled(lab, "the kube-apiserver", visible, "kube-apiserver-kubeadm.yaml",
                            audit_apiserver)


def audit_cluster_kubelet(lab: Lab, node: str | None = None) -> AuditReport:
    """A live node's kubelet (``/configz``) when readable; otherwise the bundled kubeadm config."""
    visible = lab.kubelet_config(node) if lab.live else None
    return _live_or_bundled(lab, "the kubelet", visible, "kubelet-config-kubeadm.yaml", audit_kubelet)


__all__ += ["audit_cluster_apiserver", "audit_cluster_kubelet"]
