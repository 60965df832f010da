"""Access matrices (verbs × resources for one identity) and "who can" (identities for one action).

An access matrix asks one question per cell — may this identity do VERB on RESOURCE here? — and
needs only a function that answers a :class:`~kslab.rbac.model.Request`. Offline that function is
the evaluator (a prediction); live it is the API server's SelfSubjectAccessReview (an
observation). Both build the same :class:`AccessMatrix`, so they can be compared cell by cell.

Cluster-scoped resources (nodes, namespaces …) are asked without a namespace, as a real request
for them has none; which ones are cluster-scoped comes from a
:class:`~kslab.rbac.resources.ResourceCatalog`.

>>> from kslab.rbac.policy import Policy
>>> m = predict_matrix(Policy(), "alice", ["devs"], namespace="web", verbs=["get"], resources=["pods"])
>>> print(m.text())
Access of user "alice" (groups: "devs") in namespace "web" — predicted (kslab's RBAC evaluator)
RESOURCE  GET
pods      no
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from kslab.rbac.grammar import parse_rbac_resource
from kslab.rbac.matching import rule_allows
from kslab.rbac.model import RBAC_GROUP, Binding, Request, Role, Subject, UserInfo
from kslab.rbac.policy import Policy, _user
from kslab.rbac.resources import ResourceCatalog, recorded
from kslab.rbac.subjects import ALL_SERVICE_ACCOUNTS, AUTHENTICATED, UNAUTHENTICATED
from kslab.text import clip_name
from kslab.views.tables import Table, format_table, html_block
from kslab.views.text import TextView

#: The group the API server always allows (kubeadm and kind give the admin kubeconfig this group).
MASTERS = "system:masters"
DEFAULT_VERBS: tuple[str, ...] = ("get", "list", "watch", "create", "update", "patch", "delete")
DEFAULT_RESOURCES: tuple[str, ...] = (
    "pods", "pods/log", "pods/exec", "deployments.apps", "services", "configmaps", "secrets",
    "serviceaccounts", "roles.rbac.authorization.k8s.io", "rolebindings.rbac.authorization.k8s.io",
    "namespaces", "nodes",
)
PREDICTED = "predicted (kslab's RBAC evaluator)"

#: Answers one request: ``(allowed, reason)``.
Ask = Callable[[Request], tuple[bool, str]]


@dataclass(frozen=True)
class Cell:
    """One answer of the matrix."""

    resource: str
    verb: str
    allowed: bool
    namespace: str
    reason: str = ""


@dataclass(repr=False)
class AccessMatrix(TextView):
    """Verbs × resources for one identity in one namespace, and where the answers came from."""

    subject: str
    namespace: str
    verbs: tuple[str, ...]
    resources: tuple[str, ...]
    cells: dict[tuple[str, str], Cell]
    source: str
    notes: list[str] = field(default_factory=list)

    def allowed(self, resource: str, verb: str) -> bool:
        return self.cells[(resource, verb)].allowed

    def title(self) -> str:
        where = f'in namespace "{self.namespace}"' if self.namespace else "cluster-wide"
        return f"Access of {self.subject} {where} — {self.source}"

    def rows(self) -> list[dict[str, Any]]:
        """One row per resource; each verb column says ``yes`` or ``no``."""
        rows = []
        for res in self.resources:
            row: dict[str, Any] = {"resource": res}
            for verb in self.verbs:
                row[verb] = "yes" if self.cells[(res, verb)].allowed else "no"
            rows.append(row)
        return rows

    def text(self) -> str:
        """The matrix as a plain-text table under its title."""
        table = format_table(self.rows(), ["resource", *self.verbs])
        cluster = [r for r in self.resources if self.cells[(r, self.verbs[0])].namespace == ""]
        lines = [self.title(), table]
        if cluster and self.namespace:
            lines.append(f"(asked cluster-wide, as they are cluster-scoped: {', '.join(cluster)})")
        return "\n".join(lines + self.notes)

    def _repr_html_(self) -> str:
        from kslab.rbac.matrix_view import matrix_html  # noqa: PLC0415 - matrix_view imports this module

        return matrix_html(self)

    def to_dict(self) -> dict[str, Any]:
        return {"subject": self.subject, "namespace": self.namespace, "source": self.source,
                "verbs": list(self.verbs), "resources": list(self.resources),
                "cells": [{"resource": c.resource, "verb": c.verb, "allowed": c.allowed,
                           "namespace": c.namespace, "reason": c.reason} for c in self.cells.values()],
                "notes": list(self.notes)}

    def differences(self, other: AccessMatrix) -> list[tuple[str, str, bool, bool]]:
        """Cells where two matrices disagree: ``(resource, verb, this, other)``."""
        return [(r, v, self.cells[(r, v)].allowed, other.cells[(r, v)].allowed)
                for (r, v) in self.cells if (r, v) in other.cells
                and self.cells[(r, v)].allowed != other.cells[(r, v)].allowed]


def request_for(spec: str, verb: str, namespace: str, catalog: ResourceCatalog) -> Request:
    """The request a matrix cell asks: cluster-scoped types are asked without a namespace."""
    target = parse_rbac_resource(spec)
    scope = catalog.scope(target.resource, target.group)
    ns = "" if scope == "Cluster" else namespace
    return Request(verb, target.resource, target.group, target.subresource, "", ns)


def build_matrix(ask: Ask, *, subject: str, namespace: str, source: str,
                 verbs: Sequence[str] = DEFAULT_VERBS, resources: Sequence[str] = DEFAULT_RESOURCES,
                 catalog: ResourceCatalog | None = None) -> AccessMatrix:
    """Ask every cell; ``ask`` is the evaluator offline or an access review live."""
    catalog = catalog or recorded()
    cells = {}
    for res in resources:
        for verb in verbs:
            request = request_for(res, verb, namespace, catalog)
            allowed, reason = ask(request)
            cells[(res, verb)] = Cell(res, verb, allowed, request.namespace, reason)
    return AccessMatrix(subject, namespace, tuple(verbs), tuple(resources), cells, source)


def predict_matrix(policy: Policy, user: UserInfo | str, groups: Sequence[str] = (), *,
                   namespace: str, verbs: Sequence[str] = DEFAULT_VERBS,
                   resources: Sequence[str] = DEFAULT_RESOURCES,
                   catalog: ResourceCatalog | None = None) -> AccessMatrix:
    """The access matrix the evaluator predicts for a user (with exactly these groups)."""
    who = _user(user, groups)

    def ask(request: Request) -> tuple[bool, str]:
        decision = policy.authorize(who, request)
        return decision.allowed, decision.reason

    matrix = build_matrix(ask, subject=who.describe(), namespace=namespace, source=PREDICTED,
                          verbs=verbs, resources=resources, catalog=catalog)
    if who.assumed:
        matrix.notes.append(f"(groups {', '.join(who.assumed)} assumed, as the API server adds them)")
    return matrix


# ---- who can ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class WhoCanRow:
    """A subject that may perform the action, and the binding, role and rule that let it."""

    kind: str
    name: str
    namespace: str
    binding: str
    role: str
    rule: int  # 1-based, as people count

    @property
    def meaning(self) -> str:
        """What a group subject means in plain words (empty for users and service accounts)."""
        if self.kind != "Group":
            return ""
        if self.name == AUTHENTICATED:
            return "everyone who authenticates"
        if self.name == UNAUTHENTICATED:
            return "anonymous requests"
        if self.name == ALL_SERVICE_ACCOUNTS:
            return "every service account in the cluster"
        if self.name.startswith(ALL_SERVICE_ACCOUNTS + ":"):
            return f"every service account in namespace {self.name.split(':', 2)[2]}"
        return ""


@dataclass(repr=False)
class WhoCan(TextView):
    """The answer to "who can VERB RESOURCE in NAMESPACE?"."""

    request: Request
    rows: list[WhoCanRow]
    notes: list[str] = field(default_factory=list)

    def table(self) -> Table:
        """One row per subject: kind, name, namespace, the binding and role that grant it, its meaning."""
        return Table([{"kind": r.kind, "name": clip_name(r.name), "namespace": clip_name(r.namespace or ""),
                       "via": f"{r.binding} → {r.role} (rule {r.rule})",
                       "meaning": r.meaning} for r in self.rows],
                     ["kind", "name", "namespace", "via", "meaning"], wrap={"via": 50})

    def _head(self) -> str:
        return f"Who can {self.request.describe()} — {PREDICTED}"

    def text(self) -> str:
        if not self.rows:
            return "\n".join([self._head(), "nobody: no binding grants it", *self.notes])
        return "\n".join([self._head(), self.table().text(), *self.notes])

    def _repr_html_(self) -> str:
        if not self.rows:
            return html_block(self._head(), "nobody: no binding grants it", *self.notes)
        return html_block(self._head(), self.table(), *self.notes)

    def to_dict(self) -> dict[str, Any]:
        return {"request": self.request.to_dict(), "source": PREDICTED,
                "subjects": [{"kind": r.kind, "name": r.name, "namespace": r.namespace,
                              "binding": r.binding, "role": r.role, "rule": r.rule} for r in self.rows],
                "notes": list(self.notes)}


def granting_bindings(policy: Policy, request: Request) -> Iterator[tuple[Binding, Role, int]]:
    """Bindings whose role has a rule allowing the request: ClusterRoleBindings, then the namespace's
    RoleBindings. Yields ``(binding, role, index of the first allowing rule)``."""
    index = policy.index
    scopes = list(index.cluster)
    if request.namespace:
        scopes += index.by_namespace.get(request.namespace, ())
    first: dict[int, int | None] = {}  # id(role) -> its first allowing rule: many bindings share a role
    for binding in scopes:
        role, _ = index.resolution(binding)
        if role is None:
            continue  # a missing role grants nothing
        key = id(role)
        if key not in first:
            first[key] = next((i for i, rule in enumerate(role.rules) if rule_allows(rule, request)), None)
        at = first[key]
        if at is not None:
            yield binding, role, at


def allowed_subjects(policy: Policy, request: Request, *, super_user: str = "") -> list[Subject]:
    """The subjects allowed to make the request, as the API server's subject locator lists them.

    Upstream ``AllowedSubjects``: first the group ``system:masters`` (always allowed on a real
    cluster), then the configured super user if any, then every subject of every granting binding,
    as written in the binding and in evaluation order (duplicates kept, as upstream keeps them).

    >>> [s.name for s in allowed_subjects(Policy(), Request("get", "pods", namespace="web"))]
    ['system:masters']
    """
    subjects = [Subject("Group", MASTERS, api_group=RBAC_GROUP)]
    if super_user:
        subjects.append(Subject("User", super_user, api_group=RBAC_GROUP))
    for binding, _, _ in granting_bindings(policy, request):
        subjects.extend(binding.subjects)
    return subjects


def who_can(policy: Policy, verb: str, resource: str = "", *, group: str = "", namespace: str = "",
            name: str = "", subresource: str = "", path: str | None = None) -> WhoCan:
    """Every subject some binding lets do this (ClusterRoleBindings, then the namespace's RoleBindings).

    >>> print(who_can(Policy(), "delete", "pods", namespace="web").text().splitlines()[1])
    nobody: no binding grants it
    """
    request = Request(verb, resource, group, subresource, name, namespace, path)
    rows: list[WhoCanRow] = []
    seen: set[WhoCanRow] = set()
    for binding, role, index in granting_bindings(policy, request):
        for subject in binding.subjects:
            ns = subject.namespace or (binding.namespace if subject.kind == "ServiceAccount" else "")
            row = WhoCanRow(subject.kind, subject.name, ns, binding.describe().split(" of ")[0],
                            role.describe(), index + 1)
            if row not in seen:
                seen.add(row)
                rows.append(row)
    notes = [policy.scope] if policy.scope else []
    notes += [n for n in policy.notes if "grants nothing" in n]
    if not any(r.kind == "Group" and r.name == MASTERS for r in rows):
        notes.append(f"(on a real cluster group {MASTERS} can too: the API server recreates its "
                     "ClusterRoleBinding cluster-admin at every start)")
    return WhoCan(request, rows, notes)
