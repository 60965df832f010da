"""CIS-mapped audits of the API server and the kubelet (notebook 02).

Three steps, each in its own module: *collect* what a component runs with (:mod:`.sources`:
manifests, command lines, kubelet config files; :mod:`kslab.cluster.components` for a live
cluster), *read* it the way the component does (:mod:`.flags`, :mod:`.readings`) and *judge* it
with the benchmark's rules, kept as data in ``kslab/data/cis/`` (:mod:`.rules`, :mod:`.evaluate`).
Every row also says what kube-bench would report for the same input, and why when it differs.

>>> report = audit_apiserver(bundled("kube-apiserver-kubeadm.yaml"))
>>> report.row("1.2.7").status, report.row("1.2.15").status
('PASS', 'FAIL')
"""

from __future__ import annotations

from pathlib import Path

from kslab.audit.evaluate import audit
from kslab.audit.flags import DATA
from kslab.audit.report import AuditReport, Row
from kslab.audit.sources import ComponentInput, from_command_line, from_pod, read_apiserver, read_kubelet
from kslab.errors import UsageError

__all__ = ["AuditReport", "ComponentInput", "Row", "audit", "audit_apiserver", "audit_kubelet",
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
