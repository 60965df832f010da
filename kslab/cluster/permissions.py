"""An existing cluster: does the student's identity have the permissions each lab needs?

The needs are data (:data:`kslab.course.needs.NEEDS`): lab, verb, resource, where, and why. Each is put to the API
server as a SelfSubjectAccessReview — the same question ``kubectl auth can-i`` asks — so the answer
comes from the cluster's real authorizers (RBAC, webhooks), not from a guess. The report is a table
lab × permission and, for what is missing, the exact ``kubectl auth can-i`` line to show an admin.

On the course's kind cluster the student is cluster-admin and everything is allowed; on an
instructor's cluster this says precisely what to ask for.

>>> NEEDS[0].can_i("student-1")
'kubectl auth can-i create namespaces'
>>> [n.lab for n in NEEDS if n.resource == "pods" and n.subresource == "exec"]
['03']
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from kslab.course.needs import NEEDS, Need
from kslab.views.tables import Table, html_block

if TYPE_CHECKING:
    from kslab.cluster.lab import Lab

__all__ = ["DEFAULT_NAMESPACE", "NEEDS", "Need", "PermissionReport", "PermissionRow", "check_permissions"]

#: Namespaced needs are checked here when neither the caller nor the kubeconfig's context names a namespace.
DEFAULT_NAMESPACE = "default"


@dataclass
class PermissionRow:
    """One need and the cluster's answer."""

    lab: str
    permission: str
    namespace: str
    allowed: bool | None  # None: not asked (offline)
    reason: str
    why: str
    can_i: str


@dataclass
class PermissionReport:
    """Every need, answered; ``ok`` when all are allowed."""

    context: str | None
    namespace: str
    rows: list[PermissionRow]
    live: bool = True

    @property
    def ok(self) -> bool:
        return self.live and all(r.allowed for r in self.rows)

    @property
    def missing(self) -> list[PermissionRow]:
        return [r for r in self.rows if r.allowed is False]

    def labs(self) -> dict[str, str]:
        """Per lab: ``ready`` or how many permissions are missing."""
        result: dict[str, str] = {}
        for row in self.rows:
            missing = sum(1 for r in self.rows if r.lab == row.lab and not r.allowed)
            result[row.lab] = ("not checked (offline)" if not self.live else
                               "ready" if not missing else f"missing {missing}")
        return result

    def as_dict(self) -> dict[str, Any]:
        return {"context": self.context, "namespace": self.namespace, "live": self.live, "ok": self.ok,
                "labs": self.labs(), "rows": [asdict(r) for r in self.rows]}

    def table(self) -> Table:
        """The needs: lab, permission, namespace (and, live, whether it is allowed), and why."""
        if not self.live:
            return Table([asdict(r) for r in self.rows], ["lab", "permission", "namespace", "why"],
                         wrap={"permission": 40, "why": 60})
        return Table([{**asdict(r), "allowed": "yes" if r.allowed else "NO"} for r in self.rows],
                     ["lab", "permission", "namespace", "allowed", "why"], wrap={"permission": 40, "why": 50})

    def _parts(self) -> tuple[list[str], list[str]]:
        """(lines above the table, lines under it)."""
        if not self.live:
            return (["Offline: nothing was asked. These are the permissions the labs need; on your cluster, "
                     "`kslab cluster check --context CTX` asks the API server for each one."], [])
        above = [f"Permissions on context {self.context} (namespaced ones checked in {self.namespace}):"]
        if self.ok:
            return above, ["Every lab has what it needs."]
        below = [f"Missing {len(self.missing)} permission(s). Ask your cluster's admin for these "
                 "(each line is what `kubectl auth can-i` answers no to):"]
        below += [f"  {r.can_i}    # lab {r.lab}: {r.why}" for r in self.missing]
        return above, below

    def __str__(self) -> str:
        above, below = self._parts()
        return "\n".join([*above, "", self.table().text(), *([""] + below if below else [])])

    __repr__ = __str__

    def _repr_html_(self) -> str:
        above, below = self._parts()
        return html_block(*above, self.table(), "\n".join(below))


def check_permissions(lab: Lab, *, namespace: str | None = None,
                      needs: tuple[Need, ...] = NEEDS) -> PermissionReport:
    """Ask the API server about every need (SelfSubjectAccessReview) and report per lab.

    Namespaced needs are checked in ``namespace``; by default the one the kubeconfig's context names
    (a classroom student's own), else ``default``. Offline nothing is asked: the report lists the
    needs, for the student to check later.
    """
    namespace = namespace or getattr(lab, "namespace", None) or DEFAULT_NAMESPACE
    rows = []
    for need in needs:
        ns = need.namespace_for(namespace)
        if lab.live:
            allowed, reason = lab.access_review(need.verb, need.resource, group=need.group, namespace=ns,
                                                subresource=need.subresource)
        else:
            allowed, reason = None, "not asked (offline)"
        rows.append(PermissionRow(lab=need.lab, permission=f"{need.verb} {need.what}", namespace=ns or "(cluster)",
                                  allowed=allowed, reason=reason, why=need.why, can_i=need.can_i(namespace)))
    return PermissionReport(lab.context, namespace, rows, live=bool(lab.live))
