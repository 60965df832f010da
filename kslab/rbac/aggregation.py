"""Aggregated ClusterRoles: what the controller-manager writes into their ``rules``.

A ClusterRole with ``aggregationRule.clusterRoleSelectors`` has its rules *computed* by the
cluster-role-aggregation controller (upstream ``syncClusterRole``): for each selector in order,
take the ClusterRoles whose labels match, sorted by name, skip the aggregated role itself, and
append each of their rules not already in the list. The result replaces the stored rules; when it
is equal to them nothing is written. The built-in ``admin``/``edit``/``view`` roles work this way,
which is how a CRD's ClusterRole labelled ``rbac.authorization.k8s.io/aggregate-to-view: "true"``
extends ``view``.

Without a controller-manager (some test API servers) nothing is aggregated and the stored rules are
what the authorizer uses.

>>> hammer = Role("hammer", (Rule(verbs=("hammer",), resources=("nails",)),), labels={"foo": "bar"})
>>> combined = Role("combined", (), aggregation=({"matchLabels": {"foo": "bar"}},))
>>> sync_cluster_role(combined, [hammer, combined])
((Rule(verbs=[hammer] resources=[nails]),), True)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from kslab.errors import InputError
from kslab.rbac.model import Role, Rule
from kslab.text import brief

#: Label-selector operators and whether they take values (metav1.LabelSelectorOperator).
OPERATORS = {"In": True, "NotIn": True, "Exists": False, "DoesNotExist": False}


def check_selector(selector: Mapping[str, Any], where: str = "selector") -> None:
    """Raise :class:`InputError` if the label selector is malformed (as the API server would)."""
    labels = selector.get("matchLabels") or {}
    exprs = selector.get("matchExpressions") or []
    if not isinstance(labels, Mapping) or not all(isinstance(k, str) and isinstance(v, str)
                                                   for k, v in labels.items()):
        raise InputError(f"{where}.matchLabels: must map label keys to string values",
                         hint='quote values such as "true"')
    if not isinstance(exprs, list):
        raise InputError(f"{where}.matchExpressions: must be a list", hint="[{key, operator, values}]")
    for i, expr in enumerate(exprs):
        here = f"{where}.matchExpressions[{i}]"
        if not isinstance(expr, Mapping) or not isinstance(expr.get("key"), str) or not expr.get("key"):
            raise InputError(f"{here}: needs a key", hint="{key: ..., operator: In, values: [...]}")
        op, values = expr.get("operator"), expr.get("values") or []
        if op not in OPERATORS:
            raise InputError(f"{here}.operator: {brief(op)} is not a valid label selector operator",
                             hint="use In, NotIn, Exists or DoesNotExist")
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise InputError(f"{here}.values: must be a list of strings", hint='e.g. ["true"]')
        if OPERATORS[op] and not values:
            raise InputError(f"{here}.values: must be specified when `operator` is 'In' or 'NotIn'",
                             hint="give at least one value")
        if not OPERATORS[op] and values:
            raise InputError(f"{here}.values: may not be specified when `operator` is 'Exists' or "
                             "'DoesNotExist'", hint="remove values")


def selector_matches(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """Does a label selector (``matchLabels`` + ``matchExpressions``) select these labels?

    An empty selector selects everything.

    >>> selector_matches({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["db"]}]}, {})
    True
    """
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values") or []
        present = key in labels
        if op == "In" and not (present and labels[key] in values):
            return False
        if op == "NotIn" and present and labels[key] in values:
            return False
        if op == "Exists" and not present:
            return False
        if op == "DoesNotExist" and present:
            return False
    return True


def sync_cluster_role(role: Role, cluster_roles: Sequence[Role]) -> tuple[tuple[Rule, ...], bool]:
    """The rules the controller computes for an aggregated role, and whether it would write them."""
    if role.aggregation is None:
        return role.rules, False
    rules: list[Rule] = []
    seen: set[Rule] = set()  # the list's members: admin/edit/view gather hundreds of rules
    for selector in role.aggregation:
        chosen = sorted((r for r in cluster_roles if selector_matches(selector, r.labels)),
                        key=lambda r: r.name)
        for other in chosen:
            if other.name == role.name:
                continue
            for rule in other.rules:
                if rule not in seen:
                    seen.add(rule)
                    rules.append(rule)
    new = tuple(rules)
    return new, new != role.rules


def aggregate(cluster_roles: Sequence[Role]) -> tuple[list[Role], list[str]]:
    """Run the controller until nothing changes; returns the roles and a note per aggregated role.

    Aggregated roles may select other aggregated roles; the controller re-syncs whenever any
    ClusterRole changes, so we repeat until a fixed point (bounded, in case selectors form a loop).
    """
    roles = list(cluster_roles)
    for _ in range(len(roles) + 1):
        changed = False
        for i, role in enumerate(roles):
            new, update = sync_cluster_role(role, roles)
            if update:
                roles[i] = replace(role, rules=new)
                changed = True
        if not changed:
            break
    notes = []
    for role in roles:
        if role.aggregation is not None:
            sources = sorted({other.name for sel in role.aggregation for other in roles
                              if other.name != role.name and selector_matches(sel, other.labels)})
            picked = ", ".join(sources) or "no ClusterRole"
            notes.append(f'ClusterRole "{role.name}" is aggregated: its {len(role.rules)} rule(s) '
                         f"computed from {picked}, as the controller-manager would")
    return roles, notes
