"""What every rule works on: one document's working copy, where it came from, and what was found.

Rules edit the working copy in place (the modern form) and call :meth:`DocContext.report` for every
change, so the report and the written file can never disagree.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from kslab.modernize.finding import Finding, Rule

#: Where the pod spec is, per kind, in any API group (old groups included: extensions/v1beta1 ...).
POD_SPEC_PATHS: dict[str, tuple[str, ...]] = {
    "Pod": ("spec",),
    "PodTemplate": ("template", "spec"),
    "ReplicationController": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}


@dataclass
class DocContext:
    """One document being modernised for Kubernetes ``v1.<target>``."""

    obj: MutableMapping[str, Any]
    target: int
    file: str = ""
    document: int = 1
    line: int = 1
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: New documents to write after this one (the Service that replaces a hostPort).
    added: list[dict[str, Any]] = field(default_factory=list)
    #: True when the document has no modern form of its own (a PodSecurityPolicy): it is not written.
    drop: bool = False
    #: Services in the same input, name -> selector: a hostPort gets no second Service, and an Istio
    #: policy's service ``targets`` become the workload labels those Services select.
    services: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.kind = str(self.obj.get("kind") or "")
        self.api_version = str(self.obj.get("apiVersion") or "")
        meta = self.obj.get("metadata")
        self.name = str(meta.get("name") or "") if isinstance(meta, MutableMapping) else ""
        self.namespace = str(meta.get("namespace") or "") if isinstance(meta, MutableMapping) else ""

    @property
    def group(self) -> str:
        return self.api_version.split("/", 1)[0] if "/" in self.api_version else ""

    def report(self, rule: Rule, replacement: str, *, automatic: bool = True, detail: str = "",
               deprecated_in: str | None = None, removed_in: str | None = None) -> None:
        """Record one finding against this document (kind, name and apiVersion as written)."""
        self.findings.append(Finding(rule, replacement, self.file, self.document, self.line, self.kind,
                                     self.name, self.api_version, automatic, detail,
                                     deprecated_in, removed_in))

    def pod_spec(self) -> MutableMapping[str, Any] | None:
        """The pod spec this object holds (a Pod's own, or its template's), or None."""
        path = POD_SPEC_PATHS.get(self.kind)
        if path is None:
            return None
        node: Any = self.obj
        for key in path:
            node = node.get(key) if isinstance(node, MutableMapping) else None
        return node if isinstance(node, MutableMapping) else None

    def pod_path(self) -> str:
        """``spec.template.spec`` and the like: how findings name the pod spec."""
        return ".".join(POD_SPEC_PATHS.get(self.kind, ("spec",)))

    def pod_metadata(self) -> MutableMapping[str, Any] | None:
        """The pod template's metadata (a Pod's own metadata), or None."""
        path = POD_SPEC_PATHS.get(self.kind)
        if path is None:
            return None
        node: Any = self.obj
        for key in path[:-1]:
            node = node.get(key) if isinstance(node, MutableMapping) else None
        meta = node.get("metadata") if isinstance(node, MutableMapping) else None
        return meta if isinstance(meta, MutableMapping) else None


def containers(spec: MutableMapping[str, Any]) -> list[MutableMapping[str, Any]]:
    """Init, regular and ephemeral containers that are mappings (anything else is left alone)."""
    out: list[MutableMapping[str, Any]] = []
    for key in ("initContainers", "containers", "ephemeralContainers"):
        items = spec.get(key)
        if isinstance(items, list):
            out += [c for c in items if isinstance(c, MutableMapping)]
    return out
