"""The vocabulary of RBAC as plain data: rules, subjects, roles, bindings, requests and users.

These mirror the Kubernetes ``rbac.authorization.k8s.io/v1`` types field for field (``PolicyRule``,
``Subject``, ``RoleRef``, ``Role``/``ClusterRole``, ``RoleBinding``/``ClusterRoleBinding``) and the
request attributes the API server hands its authorizer. They are frozen, so a policy cannot change
under an evaluation, and every list is a tuple, so "missing" and "empty" compare equal, as
Kubernetes' semantic equality treats them.

>>> rule = Rule.from_dict({"verbs": ["get", "list"], "apiGroups": [""], "resources": ["pods"]})
>>> rule
Rule(verbs=[get, list] apiGroups=[""] resources=[pods])
>>> Request("get", "pods", namespace="web").describe()
'"get" resource "pods" in namespace "web"'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeGuard

from kslab.errors import InputError
from kslab.text import brief, clip_name

#: The API group of every RBAC object (roleRef.apiGroup, User/Group subjects).
RBAC_GROUP = "rbac.authorization.k8s.io"

#: Subject kinds the API server knows.
SUBJECT_KINDS = ("User", "Group", "ServiceAccount")


def is_mapping(value: Any) -> TypeGuard[Mapping[str, Any]]:
    """``isinstance(value, Mapping)``, with a shortcut for the plain dicts YAML gives (an ABC check
    per field is a measurable share of reading a big policy).

    >>> is_mapping({}), is_mapping([])
    (True, False)
    """
    return type(value) is dict or isinstance(value, Mapping)


def _strings(value: Any, where: str) -> tuple[str, ...]:
    """A list of strings from an object field (absent or null means empty)."""
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"{where}: must be a list of strings, got {brief(value)}",
                         hint='write it as a YAML list, e.g. ["get", "list"]')
    return tuple(value)


def fmt_list(values: Sequence[str]) -> str:
    """A list for explanations; ``""`` (the core API group) stays visible.

    >>> fmt_list(["", "apps"])
    '["", apps]'
    """
    return "[" + ", ".join(v if v else '""' for v in values) + "]"


@dataclass(frozen=True)
class Rule:
    """One ``PolicyRule``: what verbs may be used on which resources (or non-resource URLs)."""

    verbs: tuple[str, ...] = ()
    api_groups: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    resource_names: tuple[str, ...] = ()
    non_resource_urls: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "rule") -> Rule:
        """A rule from its Kubernetes form (camelCase keys)."""
        if not is_mapping(data):
            raise InputError(f"{where}: a rule must be a mapping, got {brief(data)}",
                             hint="each entry of rules: has verbs, apiGroups, resources, ...")
        return cls(
            verbs=_strings(data.get("verbs"), f"{where}.verbs"),
            api_groups=_strings(data.get("apiGroups"), f"{where}.apiGroups"),
            resources=_strings(data.get("resources"), f"{where}.resources"),
            resource_names=_strings(data.get("resourceNames"), f"{where}.resourceNames"),
            non_resource_urls=_strings(data.get("nonResourceURLs"), f"{where}.nonResourceURLs"),
        )

    def to_dict(self) -> dict[str, list[str]]:
        """The Kubernetes form, leaving out empty lists.

        >>> Rule(verbs=("get",), api_groups=("",), resources=("pods",)).to_dict()
        {'verbs': ['get'], 'apiGroups': [''], 'resources': ['pods']}
        """
        out: dict[str, list[str]] = {}
        for key, value in (("verbs", self.verbs), ("apiGroups", self.api_groups),
                           ("resources", self.resources), ("resourceNames", self.resource_names),
                           ("nonResourceURLs", self.non_resource_urls)):
            if value:
                out[key] = list(value)
        return out

    def describe(self) -> str:
        """A compact one-line form, e.g. ``verbs=[get] apiGroups=[""] resources=[pods]``."""
        parts = [f"verbs={fmt_list(self.verbs)}"]
        for label, value in (("apiGroups", self.api_groups), ("resources", self.resources),
                             ("resourceNames", self.resource_names),
                             ("nonResourceURLs", self.non_resource_urls)):
            if value:
                parts.append(f"{label}={fmt_list(value)}")
        return " ".join(parts)

    def __repr__(self) -> str:
        return f"Rule({self.describe()})"


@dataclass(frozen=True)
class Subject:
    """Who a binding names: a ``User``, a ``Group`` or a ``ServiceAccount`` (with its namespace)."""

    kind: str
    name: str
    namespace: str = ""
    api_group: str = ""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "subject") -> Subject:
        if not is_mapping(data):
            raise InputError(f"{where}: a subject must be a mapping, got {brief(data)}",
                             hint="e.g. {kind: ServiceAccount, name: webapp, namespace: web}")
        get = data.get
        kind, name, namespace, group = (get("kind") or "", get("name") or "", get("namespace") or "",
                                        get("apiGroup") or "")
        for key, value in (("kind", kind), ("name", name), ("namespace", namespace), ("apiGroup", group)):
            if not isinstance(value, str):
                raise InputError(f"{where}.{key}: must be a string, got {brief(value)}",
                                 hint="subject fields are plain strings")
        return cls(kind, name, namespace, group)

    def describe(self, binding_namespace: str = "") -> str:
        """The subject as the API server names it in its reasons, e.g. ``ServiceAccount "sa/ns"``."""
        if self.kind == "ServiceAccount":
            return f'{self.kind} "{clip_name(self.name)}/{clip_name(self.namespace or binding_namespace)}"'
        return f'{self.kind} "{clip_name(self.name)}"'


@dataclass(frozen=True)
class RoleRef:
    """What a binding grants: a ``Role`` (in the binding's namespace) or a ``ClusterRole``."""

    kind: str
    name: str
    api_group: str = RBAC_GROUP


@dataclass(frozen=True)
class Role:
    """A ``Role`` (``namespace`` set) or a ``ClusterRole`` (``namespace`` empty)."""

    name: str
    rules: tuple[Rule, ...] = ()
    namespace: str = ""
    labels: Mapping[str, str] = field(default_factory=dict, compare=False, hash=False)
    aggregation: tuple[Mapping[str, Any], ...] | None = None  # clusterRoleSelectors, if aggregated
    origin: str = field(default="", compare=False)  # "file.yaml:12", for explanations

    @property
    def kind(self) -> str:
        return "Role" if self.namespace else "ClusterRole"

    def describe(self) -> str:
        where = f"{clip_name(self.namespace)}/" if self.namespace else ""
        return f'{self.kind} "{where}{clip_name(self.name)}"'


@dataclass(frozen=True)
class Binding:
    """A ``RoleBinding`` (``namespace`` set) or a ``ClusterRoleBinding`` (``namespace`` empty)."""

    name: str
    role_ref: RoleRef
    subjects: tuple[Subject, ...] = ()
    namespace: str = ""
    origin: str = field(default="", compare=False)

    @property
    def kind(self) -> str:
        return "RoleBinding" if self.namespace else "ClusterRoleBinding"

    def describe(self, subject: Subject | None = None) -> str:
        """The API server's wording: ``RoleBinding "name/ns" of Role "r" to User "u"``."""
        name = clip_name(self.name)
        ident = f"{name}/{clip_name(self.namespace)}" if self.namespace else name
        text = f'{self.kind} "{ident}" of {self.role_ref.kind} "{clip_name(self.role_ref.name)}"'
        return f"{text} to {subject.describe(self.namespace)}" if subject else text


@dataclass(frozen=True)
class Request:
    """The attributes of one API request, as the authorizer sees them.

    A resource request has ``path=None``; a non-resource request (``/healthz``, ``/apis``) has a
    ``path`` and ignores the resource fields. ``namespace=""`` means cluster-scoped or "in all
    namespaces".

    >>> Request("get", path="/healthz").describe()
    '"get" nonResourceURL "/healthz"'
    >>> Request("update", "deployments", group="apps", subresource="scale", name="web").describe()
    '"update" resource "deployments.apps/scale" named "web" cluster-wide'
    """

    verb: str
    resource: str = ""
    group: str = ""
    subresource: str = ""
    name: str = ""
    namespace: str = ""
    path: str | None = None

    @property
    def is_resource(self) -> bool:
        return self.path is None

    @property
    def combined_resource(self) -> str:
        """``resource/subresource`` when there is a subresource, else the resource."""
        return f"{self.resource}/{self.subresource}" if self.subresource else self.resource

    def describe(self) -> str:
        """The request in the wording of the API server's RBAC log lines."""
        if not self.is_resource:
            return f'"{clip_name(self.verb)}" nonResourceURL "{clip_name(self.path or "")}"'
        text = f'"{clip_name(self.verb)}" resource "{clip_name(self.resource)}'
        text += f".{clip_name(self.group)}" if self.group else ""
        text += f"/{clip_name(self.subresource)}" if self.subresource else ""
        text += '"'
        text += f' named "{clip_name(self.name)}"' if self.name else ""
        scope = f'in namespace "{clip_name(self.namespace)}"' if self.namespace else "cluster-wide"
        return f"{text} {scope}"

    def to_dict(self) -> dict[str, Any]:
        """The fields, as JSON (a SubjectAccessReview's attributes, roughly)."""
        if not self.is_resource:
            return {"verb": self.verb, "nonResourceURL": self.path}
        return {"verb": self.verb, "group": self.group, "resource": self.resource,
                "subresource": self.subresource, "name": self.name, "namespace": self.namespace}


@dataclass(frozen=True)
class UserInfo:
    """An authenticated identity: a user name and its groups.

    ``assumed`` lists the groups that were not given but added the way the API server adds them
    (see :func:`kslab.rbac.subjects.impersonate`), so an explanation can say so.
    """

    name: str
    groups: tuple[str, ...] = ()
    assumed: tuple[str, ...] = ()

    def describe(self) -> str:
        groups = ", ".join(f'"{clip_name(g)}"' for g in self.groups) or "none"
        return f'user "{clip_name(self.name)}" (groups: {groups})'
