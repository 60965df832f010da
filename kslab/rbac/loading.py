"""Read Roles, ClusterRoles, RoleBindings, ClusterRoleBindings and ServiceAccounts from objects.

With ``validate=True`` (the default) an object the API server would refuse to store is bad input:
an :class:`~kslab.errors.InputError` naming the file, line, object and field, with the API
server's own wording (``verbs must contain at least one value``). Everything else that is not an
RBAC object (a Deployment, a ConfigMap) is skipped with a note, as is a deprecated apiVersion
(read as ``rbac.authorization.k8s.io/v1``, which has the same fields).

>>> objs = [{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
...          "metadata": {"name": "r", "namespace": "web"},
...          "rules": [{"verbs": ["get"], "apiGroups": [""], "resources": ["pods"]}]},
...         {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}]
>>> parsed = parse_objects(objs)
>>> [r.describe() for r in parsed.roles], parsed.notes
(['Role "web/r"'], ['object 2: ConfigMap "c" ignored: not an RBAC object'])
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kslab.errors import InputError
from kslab.rbac.aggregation import check_selector
from kslab.rbac.model import RBAC_GROUP, SUBJECT_KINDS, Binding, Role, RoleRef, Rule, Subject, is_mapping
from kslab.rbac.subjects import DNS_LABEL, DNS_SUBDOMAIN
from kslab.text import brief

RBAC_KINDS = ("Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding")
#: Versions of the RBAC API that once existed; only v1 is served since Kubernetes 1.22.
OLD_RBAC_VERSIONS = ("v1beta1", "v1alpha1")


@dataclass
class Parsed:
    """What was read: RBAC objects, service accounts, and notes about everything else."""

    roles: list[Role] = field(default_factory=list)  # Roles and ClusterRoles
    bindings: list[Binding] = field(default_factory=list)  # RoleBindings and ClusterRoleBindings
    service_accounts: list[tuple[str, str]] = field(default_factory=list)  # (namespace, name)
    namespaces: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _path_segment_problem(name: str) -> str | None:
    """The API server's rule for RBAC object names (a valid URL path segment)."""
    if name in (".", ".."):
        return f"may not be {brief(name)}"
    for bad in ("/", "%"):
        if bad in name:
            return f"may not contain {brief(bad)}"
    return None


def _rule_problems(rule: Rule, namespaced: bool) -> list[str]:
    """The API server's ``ValidatePolicyRule``, as (field, message) sentences."""
    problems = []
    if not rule.verbs:
        problems.append("verbs: verbs must contain at least one value")
    if rule.non_resource_urls:
        if namespaced:
            problems.append("nonResourceURLs: namespaced rules cannot apply to non-resource URLs")
        if rule.api_groups or rule.resources or rule.resource_names:
            problems.append("nonResourceURLs: rules cannot apply to both regular resources and "
                            "non-resource URLs")
        return problems
    if not rule.api_groups:
        problems.append("apiGroups: resource rules must supply at least one api group")
    if not rule.resources:
        problems.append("resources: resource rules must supply at least one resource")
    return problems


def _subject_problems(subject: Subject, namespaced: bool) -> list[str]:
    """The API server's ``ValidateRoleBindingSubject`` (after defaulting the apiGroup)."""
    problems = []
    if not subject.name:
        problems.append("name: Required value")
    if subject.kind == "ServiceAccount":
        if subject.name and (len(subject.name) > 253 or not DNS_SUBDOMAIN.match(subject.name)):
            problems.append(f"name: Invalid value {brief(subject.name)}: not a valid service account name")
        if subject.api_group:
            problems.append(f'apiGroup: Unsupported value {brief(subject.api_group)}: supported values: ""')
        if not namespaced and not subject.namespace:
            problems.append("namespace: Required value")
    elif subject.kind in ("User", "Group"):
        if subject.api_group != RBAC_GROUP:
            problems.append(f"apiGroup: Unsupported value {brief(subject.api_group)}: supported values: "
                            f'"{RBAC_GROUP}"')
    else:
        problems.append(f"kind: Unsupported value {brief(subject.kind)}: supported values: "
                        + ", ".join(f'"{k}"' for k in SUBJECT_KINDS))
    return problems


def _default_subject(subject: Subject) -> Subject:
    # SetDefaults_Subject: User and Group default to the RBAC API group.
    if not subject.api_group and subject.kind in ("User", "Group"):
        return Subject(subject.kind, subject.name, subject.namespace, RBAC_GROUP)
    return subject


def _where(obj: Mapping[str, Any], origin: str) -> str:
    meta = obj.get("metadata") if is_mapping(obj.get("metadata")) else {}
    return f'{origin}: {obj.get("kind")} "{(meta or {}).get("name", "")}"'


class _Reader:
    def __init__(self, validate: bool, default_namespace: str) -> None:
        self.validate = validate
        self.default_namespace = default_namespace
        self.out = Parsed()
        # The same subjects recur in thousands of bindings: each distinct one is read and checked once.
        self.subjects: dict[tuple[Any, ...], tuple[Subject, list[str]]] = {}

    def subject(self, data: Any, where: str, namespaced: bool) -> tuple[Subject, list[str]]:
        """A binding subject (defaulted) and what the API server would refuse about it."""
        key = None
        if type(data) is dict:
            get = data.get
            key = (get("kind"), get("name"), get("namespace"), get("apiGroup"), namespaced)
            try:
                known = self.subjects.get(key)
            except TypeError:  # an unhashable field: read below, which says what is wrong
                known = key = None
            if known is not None:
                return known
        subject = _default_subject(Subject.from_dict(data, where))
        result = (subject, _subject_problems(subject, namespaced) if self.validate else [])
        if key is not None:
            self.subjects[key] = result
        return result

    def fail(self, where: str, problems: list[str]) -> None:
        raise InputError(f"{where}: " + "; ".join(problems),
                         hint="the API server would refuse this object; fix the field named")

    def meta(self, obj: Mapping[str, Any], where: str, namespaced: bool) -> tuple[str, str, dict[str, str]]:
        meta = obj.get("metadata")
        if meta is None:
            meta = {}
        if not is_mapping(meta):
            raise InputError(f"{where}: metadata must be a mapping", hint="metadata: {name: ...}")
        name, namespace = meta.get("name") or "", meta.get("namespace") or ""
        labels = meta.get("labels") or {}
        if not isinstance(name, str) or not isinstance(namespace, str) or not is_mapping(labels):
            raise InputError(f"{where}: metadata.name/namespace must be strings and labels a mapping",
                             hint="check the metadata block")
        if self.validate:
            if not name:
                self.fail(where, ["metadata.name: Required value: name or generateName is required"])
            problem = _path_segment_problem(name)
            if problem:
                self.fail(where, [f"metadata.name: Invalid value {brief(name)}: {problem}"])
            if namespaced and namespace and (len(namespace) > 63 or not DNS_LABEL.match(namespace)):
                self.fail(where, [f"metadata.namespace: Invalid value {brief(namespace)}"])
        if namespaced and not namespace:
            namespace = self.default_namespace
            self.out.notes.append(f"{where} has no namespace: read as namespace "
                                  f"{brief(namespace)}, as `kubectl apply` would in that namespace")
        if not namespaced and namespace:
            self.out.notes.append(f"{where} is cluster-scoped: its metadata.namespace "
                                  f"{brief(namespace)} is ignored")
            namespace = ""
        return name, namespace, {str(k): str(v) for k, v in labels.items()}

    def rules(self, obj: Mapping[str, Any], where: str, namespaced: bool) -> tuple[Rule, ...]:
        raw = obj.get("rules")
        if raw is None:
            raw = []
        if not isinstance(raw, list):
            raise InputError(f"{where}: rules must be a list of rules", hint="rules: [{verbs: ..., ...}]")
        rules = tuple(Rule.from_dict(r, f"{where}: rules[{i}]") for i, r in enumerate(raw))
        if self.validate:
            problems = [f"rules[{i}].{p}" for i, r in enumerate(rules) for p in _rule_problems(r, namespaced)]
            if problems:
                self.fail(where, problems)
        return rules

    def role(self, obj: Mapping[str, Any], where: str, origin: str) -> None:
        namespaced = obj["kind"] == "Role"
        name, namespace, labels = self.meta(obj, where, namespaced)
        rules = self.rules(obj, where, namespaced)
        aggregation = None
        if not namespaced and obj.get("aggregationRule") is not None:
            agg = obj.get("aggregationRule")
            selectors = agg.get("clusterRoleSelectors") if is_mapping(agg) else None
            if not isinstance(selectors, list) or not all(is_mapping(s) for s in selectors):
                raise InputError(f"{where}: aggregationRule.clusterRoleSelectors must be a list of "
                                 "label selectors", hint="clusterRoleSelectors: [{matchLabels: {...}}]")
            if self.validate and not selectors:
                self.fail(where, ["aggregationRule.clusterRoleSelectors: Required value: at least one "
                                  "clusterRoleSelector required if aggregationRule is non-nil"])
            for i, sel in enumerate(selectors):
                check_selector(sel, f"{where}: aggregationRule.clusterRoleSelectors[{i}]")
            aggregation = tuple(selectors)
        self.out.roles.append(Role(name, rules, namespace, labels, aggregation, origin))

    def binding(self, obj: Mapping[str, Any], where: str, origin: str) -> None:
        namespaced = obj["kind"] == "RoleBinding"
        name, namespace, _ = self.meta(obj, where, namespaced)
        ref = obj.get("roleRef")
        if not is_mapping(ref):
            raise InputError(f"{where}: roleRef is missing or not a mapping",
                             hint=f"roleRef: {{apiGroup: {RBAC_GROUP}, kind: Role, name: ...}}")
        role_ref = RoleRef(str(ref.get("kind") or ""), str(ref.get("name") or ""),
                           str(ref.get("apiGroup") or RBAC_GROUP))
        raw = obj.get("subjects")
        if raw is None:
            raw = []
        if not isinstance(raw, list):
            raise InputError(f"{where}: subjects must be a list", hint="subjects: [{kind: ..., name: ...}]")
        read = [self.subject(s, f"{where}: subjects[{i}]", namespaced) for i, s in enumerate(raw)]
        subjects = tuple(subject for subject, _ in read)
        if self.validate:
            kinds = ("Role", "ClusterRole") if namespaced else ("ClusterRole",)
            problems = []
            if role_ref.api_group != RBAC_GROUP:
                problems.append(f"roleRef.apiGroup: Unsupported value {brief(role_ref.api_group)}: "
                                f'supported values: "{RBAC_GROUP}"')
            if role_ref.kind not in kinds:
                problems.append(f"roleRef.kind: Unsupported value {brief(role_ref.kind)}: supported values: "
                                + ", ".join(f'"{k}"' for k in kinds))
            if not role_ref.name:
                problems.append("roleRef.name: Required value")
            problems += [f"subjects[{i}].{p}" for i, (_, found) in enumerate(read) for p in found]
            if problems:
                self.fail(where, problems)
        self.out.bindings.append(Binding(name, role_ref, subjects, namespace, origin))

    def read(self, obj: Any, origin: str) -> None:
        if not is_mapping(obj):
            self.out.notes.append(f"{origin}: skipped: not an object")
            return
        kind = obj.get("kind")
        api_version = str(obj.get("apiVersion") or "")
        group, _, version = api_version.rpartition("/")
        where = _where(obj, origin)
        if kind in RBAC_KINDS and group in (RBAC_GROUP, "") and (group or not api_version):
            if version and version != "v1":
                note = (f"{where}: apiVersion {api_version} is not served since Kubernetes 1.22; read "
                        f"as {RBAC_GROUP}/v1" if version in OLD_RBAC_VERSIONS else
                        f"{where}: unknown apiVersion {api_version}; read as {RBAC_GROUP}/v1")
                self.out.notes.append(note)
            if kind in ("Role", "ClusterRole"):
                self.role(obj, where, origin)
            else:
                self.binding(obj, where, origin)
        elif kind in RBAC_KINDS:
            self.out.notes.append(f"{where} ignored: apiVersion {brief(api_version)} is not the RBAC API "
                                  f"({RBAC_GROUP}/v1)")
        elif kind == "ServiceAccount" and api_version in ("v1", ""):
            name, namespace, _ = self.meta(obj, where, True)
            self.out.service_accounts.append((namespace, name))
        elif kind == "Namespace" and api_version in ("v1", ""):
            name, _, _ = self.meta(obj, where, False)
            self.out.namespaces.append(name)
        else:
            self.out.notes.append(f"{where} ignored: not an RBAC object")


def parse_objects(objects: Iterable[Any], *, validate: bool = True,
                  default_namespace: str = "default") -> Parsed:
    """Read RBAC objects (plain dicts, or :class:`~kslab.manifests.load.Document` s with their origin)."""
    reader = _Reader(validate, default_namespace)
    for index, item in enumerate(objects, start=1):
        obj = getattr(item, "obj", item)
        origin = f"{item.source}:{item.line}" if hasattr(item, "source") else f"object {index}"
        reader.read(obj, origin)
    return reader.out
