"""A policy (Roles, ClusterRoles and their bindings) and an authorizer that explains itself.

The evaluation is the API server's RBAC authorizer (upstream ``VisitRulesFor`` + ``RuleAllows``):

1. every **ClusterRoleBinding** whose subjects name the user contributes its ClusterRole's rules,
   in every namespace, for cluster-scoped resources and for non-resource URLs;
2. only when the request has a namespace: every **RoleBinding in that namespace** whose subjects
   name the user contributes its Role's — or ClusterRole's — rules. A ClusterRole bound by a
   RoleBinding therefore grants only inside that binding's namespace;
3. the request is allowed if any contributed rule allows it. There are no deny rules: "no" means
   nothing said yes. A binding to a Role that does not exist grants nothing.

Each :class:`Decision` names the binding and the rule that allowed the request (in the API
server's words: ``RBAC: allowed by RoleBinding "name/ns" of Role "r" to ServiceAccount "sa/ns"``)
or explains why nothing did.

>>> policy = Policy.from_objects([
...     {"kind": "Role", "apiVersion": "rbac.authorization.k8s.io/v1",
...      "metadata": {"name": "pod-reader", "namespace": "web"},
...      "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}]},
...     {"kind": "RoleBinding", "apiVersion": "rbac.authorization.k8s.io/v1",
...      "metadata": {"name": "app-reads-pods", "namespace": "web"},
...      "subjects": [{"kind": "ServiceAccount", "name": "app"}],
...      "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "pod-reader"}}])
>>> sa = "system:serviceaccount:web:app"
>>> policy.can_i(sa, verb="list", resource="pods", namespace="web").reason
'RBAC: allowed by RoleBinding "app-reads-pods/web" of Role "pod-reader" to ServiceAccount "app/web"'
>>> policy.can_i(sa, verb="list", resource="pods", namespace="other").allowed
False
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kslab.rbac.aggregation import aggregate
from kslab.rbac.loading import parse_objects
from kslab.rbac.matching import rule_allows, why_not
from kslab.rbac.model import Binding, Request, Role, Rule, Subject, UserInfo
from kslab.rbac.policy_index import PolicyIndex
from kslab.rbac.subjects import applies_to, describe_assumed, impersonate
from kslab.text import brief, clip_name
from kslab.views.styles import BAD, GOOD

#: How many non-matching rules an explanation lists per role before summarising.
MAX_RULES_EXPLAINED = 8


@dataclass(frozen=True)
class Grant:
    """A rule that reached the user: through which binding, which subject, from which role."""

    binding: Binding
    subject: Subject
    role: Role
    rule: Rule
    index: int  # the rule's position in the role (0-based)

    def describe(self) -> str:
        return f"rule {self.index + 1} of {self.role.describe()}: {self.rule.describe()}"


@dataclass(frozen=True)
class Resolution:
    """A binding that applies to the user, with its role, or the error resolving it."""

    binding: Binding
    subject: Subject
    role: Role | None
    error: str = ""


@dataclass(frozen=True)
class Decision:
    """The authorizer's answer, with its reason and the explanation behind it.

    ``source`` says where the answer comes from: kslab's evaluator (a prediction of what the API
    server would say) or the API server itself (observed). ``explain`` is the explanation, or a
    function that writes it: a denial's explanation walks every rule that came close, which an
    access matrix asking a hundred questions never shows, so it is written only when read
    (:attr:`explanation`).
    """

    allowed: bool
    request: Request
    user: UserInfo
    reason: str = ""
    grant: Grant | None = None
    explain: tuple[str, ...] | Callable[[], tuple[str, ...]] = field(default=(), compare=False)
    source: str = "predicted (kslab's RBAC evaluator)"

    @property
    def explanation(self) -> tuple[str, ...]:
        """The lines that say why (written on first use, then kept)."""
        if callable(self.explain):
            object.__setattr__(self, "explain", self.explain())
        return self.explain  # type: ignore[return-value]

    @property
    def answer(self) -> str:
        return "yes" if self.allowed else "no"

    def text(self) -> str:
        """The answer and its explanation as plain text."""
        lines = [f"{self.answer.upper()}: {self.user.describe()} → {self.request.describe()}",
                 f"  [{self.source}]"]
        lines += [f"  - {line}" for line in self.explanation]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.answer

    def __repr__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        colour = GOOD if self.allowed else BAD
        items = "".join(f"<li>{html.escape(line)}</li>" for line in self.explanation)
        return (f'<div style="border-left:4px solid {colour};padding:2px 8px">'
                f'<b style="color:{colour}">{self.answer.upper()}</b> '
                f"{html.escape(self.user.describe())} → {html.escape(self.request.describe())} "
                f"<i>[{html.escape(self.source)}]</i><ul>{items}</ul></div>")

    def to_dict(self) -> dict[str, Any]:
        """JSON form: the answer, the request, the user, reason, and what allowed it."""
        granted = None
        if self.grant is not None:
            g = self.grant
            granted = {"binding": {"kind": g.binding.kind, "name": g.binding.name,
                                   "namespace": g.binding.namespace},
                       "role": {"kind": g.role.kind, "name": g.role.name, "namespace": g.role.namespace},
                       "ruleIndex": g.index, "rule": g.rule.to_dict(),
                       "subject": {"kind": g.subject.kind, "name": g.subject.name,
                                   "namespace": g.subject.namespace}}
        return {"allowed": self.allowed, "answer": self.answer, "source": self.source,
                "user": {"name": self.user.name, "groups": list(self.user.groups),
                         "assumedGroups": list(self.user.assumed)},
                "request": self.request.to_dict(), "reason": self.reason, "grantedBy": granted,
                "explanation": list(self.explanation)}


@dataclass
class Policy:
    """Roles, ClusterRoles, RoleBindings and ClusterRoleBindings, ready to answer "can I?".

    Build one with :meth:`from_objects` (Kubernetes objects) or :meth:`from_files`. Questions are
    answered from a :class:`~kslab.rbac.policy_index.PolicyIndex` built on the first question, so
    treat ``roles`` and ``bindings`` as read-only once you ask (adding to them rebuilds the index).
    """

    roles: list[Role] = field(default_factory=list)  # Roles and ClusterRoles
    bindings: list[Binding] = field(default_factory=list)  # RoleBindings and ClusterRoleBindings
    service_accounts: list[tuple[str, str]] = field(default_factory=list)
    namespaces: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: Which objects these are when they are not a whole cluster's (e.g. only what the reader may list):
    #: every "who can" answer drawn from the policy says so.
    scope: str = ""
    _index: PolicyIndex | None = field(default=None, init=False, repr=False, compare=False)
    _indexed: tuple[Any, ...] = field(default=(), init=False, repr=False, compare=False)

    # ---- building --------------------------------------------------------------------------------
    @classmethod
    def from_objects(cls, objects: Iterable[Any], *, validate: bool = True, aggregate_roles: bool = True,
                     default_namespace: str = "default") -> Policy:
        """A policy from Kubernetes objects (dicts, or documents from :func:`kslab.manifests.load.load_objects`).

        Unknown kinds are skipped with a note; with ``validate`` an object the API server would
        refuse raises :class:`~kslab.errors.InputError`. Aggregated ClusterRoles get the rules the
        controller-manager would write (``aggregate_roles=False`` keeps the stored rules). An object
        defined twice is the later one, in the place of the first, as ``kubectl apply`` leaves it.
        """
        parsed = parse_objects(objects, validate=validate, default_namespace=default_namespace)
        notes = list(parsed.notes)
        roles: dict[tuple[str, str], Role] = {}
        for role in parsed.roles:
            old = roles.get((role.namespace, role.name))
            if old is not None:
                notes.append(f"{role.describe()} defined twice ({old.origin or '?'}, "
                             f"{role.origin or '?'}): the later one is used, as with kubectl apply")
            roles[(role.namespace, role.name)] = role  # a dict keeps the first one's place
        bindings: dict[tuple[str, str, str], Binding] = {}
        for binding in parsed.bindings:
            key = (binding.namespace, binding.name, binding.kind)
            if key in bindings:
                notes.append(f"{binding.describe()} defined twice: the later one is used")
            bindings[key] = binding
        policy = cls(roles=list(roles.values()), bindings=list(bindings.values()),
                     service_accounts=parsed.service_accounts, namespaces=parsed.namespaces, notes=notes)
        if aggregate_roles:
            clusters = [r for r in policy.roles if not r.namespace]
            if any(r.aggregation is not None for r in clusters):
                aggregated, agg_notes = aggregate(clusters)
                policy.roles = [r for r in policy.roles if r.namespace] + aggregated
                policy.notes += agg_notes
        policy.notes += policy.missing_role_notes()
        return policy

    @classmethod
    def from_files(cls, paths: Iterable[str | Path], **kwargs: Any) -> Policy:
        """A policy from YAML/JSON files (``-`` is standard input); notes include the loader's."""
        from kslab.manifests.load import iter_objects

        notes: list[str] = []  # documents are read one at a time: only the RBAC objects are kept
        policy = cls.from_objects(iter_objects(paths, notes), **kwargs)
        policy.notes[:0] = notes
        return policy

    # ---- lookups ---------------------------------------------------------------------------------
    @property
    def index(self) -> PolicyIndex:
        """The lookups questions are answered from (rebuilt if ``roles`` or ``bindings`` grew)."""
        roles, bindings = self.roles, self.bindings
        seen = self._indexed
        if (self._index is None or seen[0] is not roles or seen[1] != len(roles)
                or seen[2] is not bindings or seen[3] != len(bindings)):
            self._index = PolicyIndex(roles, bindings)
            self._indexed = (roles, len(roles), bindings, len(bindings))
        return self._index

    def get_role(self, namespace: str, name: str) -> Role | None:
        """The Role ``namespace/name``, or the ClusterRole ``name`` when ``namespace`` is ""."""
        return self.index.roles.get((namespace, name))

    def resolve(self, binding: Binding) -> tuple[Role | None, str]:
        """The role a binding refers to, or ``(None, the API server's error)``."""
        return self.index.resolution(binding)

    def missing_role_notes(self) -> list[str]:
        """One note per binding whose role is not in the policy (it grants nothing)."""
        index = self.index
        return [f"{binding.describe()} grants nothing: {error}"
                for binding, (role, error) in zip(index.bindings, index.resolved) if role is None]

    @property
    def cluster_role_bindings(self) -> list[Binding]:
        return list(self.index.cluster)

    def role_bindings(self, namespace: str) -> list[Binding]:
        """The RoleBindings of one namespace."""
        return list(self.index.by_namespace.get(namespace, ()))

    # ---- evaluation ------------------------------------------------------------------------------
    def resolutions(self, user: UserInfo, namespace: str) -> Iterator[Resolution]:
        """The bindings that apply to ``user`` for a request in ``namespace``, in evaluation order.

        Only the bindings filed under the user's name or groups are looked at (the index); each is
        still checked with the authorizer's own subject matching.
        """
        index = self.index
        scopes = [""]
        if namespace:
            scopes.append(namespace)
        for scope in scopes:
            for binding in index.candidates(user, scope):
                at, applies = applies_to(binding.subjects, user, scope)
                if not applies:
                    continue
                role, error = index.resolution(binding)
                yield Resolution(binding, binding.subjects[at], role, error)

    def grants(self, user: UserInfo, namespace: str) -> Iterator[Grant]:
        """Every rule that reaches the user in this namespace, with where it comes from."""
        for res in self.resolutions(user, namespace):
            if res.role is not None:
                for index, rule in enumerate(res.role.rules):
                    yield Grant(res.binding, res.subject, res.role, rule, index)

    def rules_for(self, user: UserInfo | str, namespace: str = "", groups: Sequence[str] = ()) -> list[Rule]:
        """The effective rules of a user in a namespace (upstream ``RulesFor``)."""
        return [g.rule for g in self.grants(_user(user, groups), namespace)]

    def authorize(self, user: UserInfo, request: Request) -> Decision:
        """Decide one request for one user, with the explanation."""
        applied = []
        for res in self.resolutions(user, request.namespace):
            applied.append(res)
            if res.role is None:
                continue
            for index, rule in enumerate(res.role.rules):
                if rule_allows(rule, request):
                    grant = Grant(res.binding, res.subject, res.role, rule, index)
                    reason = f"RBAC: allowed by {grant.binding.describe(grant.subject)}"
                    lines = [reason, f"{grant.describe()} matches",
                             _subject_line(grant.subject, grant.binding, user)]
                    if user.assumed:
                        lines.append(describe_assumed(user))
                    return Decision(True, request, user, reason, grant, tuple(lines))
        errors = [res.error for res in applied if res.role is None]
        reason = ""
        if errors:
            reason = "RBAC: " + (errors[0] if len(errors) == 1 else "[" + ", ".join(errors) + "]")
        return Decision(False, request, user, reason, None, lambda: self._explain_denial(user, request, applied))

    def can_i(self, user: UserInfo | str, groups: Sequence[str] = (), *, verb: str, resource: str = "",
              group: str = "", namespace: str = "", name: str = "", subresource: str = "",
              path: str | None = None, assume_groups: bool = False) -> Decision:
        """May ``user`` (with ``groups``) do this? Like a SubjectAccessReview.

        The groups are taken exactly as given, as a SubjectAccessReview takes them. With
        ``assume_groups=True`` the user also gets the groups the API server adds for
        ``kubectl --as`` (``system:serviceaccounts…``, ``system:authenticated``), and the
        explanation says so. ``path`` makes it a non-resource request (``/healthz``).
        """
        who = impersonate(user, groups) if assume_groups and isinstance(user, str) else _user(user, groups)
        request = Request(verb, resource, group, subresource, name, namespace, path)
        return self.authorize(who, request)

    # ---- explaining a "no" -----------------------------------------------------------------------
    def _explain_denial(self, user: UserInfo, request: Request, applied: list[Resolution]) -> tuple[str, ...]:
        lines = [f"No RBAC rule allows {request.describe()} for {user.describe()}. RBAC has no "
                 "deny rules: the answer is no because nothing says yes."]
        for res in applied:
            if res.role is None:
                lines.append(f"{res.binding.describe(res.subject)} applies, but grants nothing: {res.error}")
                continue
            misses = [f"rule {i + 1}: {why_not(rule, request)}" for i, rule in enumerate(res.role.rules)]
            if not misses:
                lines.append(f"{res.binding.describe(res.subject)} applies, but {res.role.describe()} "
                             "has no rules")
                continue
            shown = misses[:MAX_RULES_EXPLAINED]
            more = len(misses) - len(shown)
            lines.append(f"{res.binding.describe(res.subject)} applies, but no rule of "
                         f"{res.role.describe()} matches: " + "; ".join(shown)
                         + (f"; and {more} more" if more > 0 else ""))
        lines += self._elsewhere(user, request)
        if not applied:
            lines.append(f"No binding applies to user {brief(user.name)} or its groups"
                         + (f" in namespace {brief(request.namespace)}" if request.namespace else
                            " cluster-wide (only ClusterRoleBindings count there)") + ".")
        if user.assumed:
            lines.append(describe_assumed(user))
        return tuple(lines)

    def _elsewhere(self, user: UserInfo, request: Request) -> list[str]:
        """RoleBindings for this user in *other* namespaces that would allow the request there."""
        lines: list[str] = []
        if not request.is_resource:
            return lines
        index = self.index
        for binding in index.role_bindings_anywhere(user):
            if binding.namespace == request.namespace:
                continue
            at, applies = applies_to(binding.subjects, user, binding.namespace)
            if not applies:
                continue
            role, _ = index.resolution(binding)
            if role is None:
                continue
            there = Request(request.verb, request.resource, request.group, request.subresource,
                            request.name, binding.namespace)
            if any(rule_allows(rule, there) for rule in role.rules):
                scope = (f"not in namespace {brief(request.namespace)}" if request.namespace
                         else "never cluster-wide or in all namespaces")
                lines.append(f"{binding.describe(binding.subjects[at])} would allow this in "
                             f"namespace {brief(binding.namespace)} only — a RoleBinding grants in its own "
                             f"namespace, {scope}.")
        return lines


def _user(user: UserInfo | str, groups: Sequence[str]) -> UserInfo:
    if isinstance(user, UserInfo):
        return user
    return UserInfo(user, tuple(groups))


def _subject_line(subject: Subject, binding: Binding, user: UserInfo) -> str:
    if subject.kind == "Group":
        return f'the binding names group "{clip_name(subject.name)}", and {user.describe()} is in it'
    if subject.kind == "ServiceAccount":
        ns = subject.namespace or binding.namespace
        defaulted = "" if subject.namespace else " (namespace defaulted to the RoleBinding's)"
        return f"the binding names service account {clip_name(ns)}/{clip_name(subject.name)}{defaulted}, which is user {brief(user.name)}"
    return f'the binding names user "{clip_name(subject.name)}"'
