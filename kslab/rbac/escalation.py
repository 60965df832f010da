"""May this user create a Role (or binding) granting these rules? The API server's escalation check.

RBAC guards itself: creating or updating a Role/ClusterRole, or binding one, is refused unless

1. the user is in ``system:masters`` (the API server's own privileged group), or
2. the user may ``escalate`` that role (for a Role/ClusterRole) or ``bind`` it (for a binding), or
3. the user already holds every permission being granted, in that namespace: their effective
   rules :func:`~kslab.rbac.covers.covers` the new rules.

So a service account that may create Roles still cannot write itself a Role that reads secrets.
The refusal names what is missing, in the API server's words.

>>> from kslab.rbac.policy import Policy
>>> result = may_grant(Policy(), UserInfo("dev"), [Rule(("get",), ("",), ("secrets",))], namespace="web")
>>> result.allowed, result.missing
(False, ['{APIGroups:[""], Resources:["secrets"], Verbs:["get"]}'])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from kslab.rbac.covers import covers
from kslab.rbac.model import RBAC_GROUP, Request, Rule, UserInfo
from kslab.rbac.policy import Policy
from kslab.text import brief, clip_name
from kslab.views.text import TextView

MASTERS = "system:masters"


def go_quoted(values: Sequence[str]) -> str:
    """A list of strings as Go's ``%q`` prints it: ``["a" "b"]``."""
    return "[" + " ".join(f'"{clip_name(v)}"' for v in values) + "]"


def compact_string(rule: Rule) -> str:
    """A rule as the API server prints it in escalation errors."""
    parts = []
    for label, values in (("APIGroups", rule.api_groups), ("Resources", rule.resources),
                          ("NonResourceURLs", rule.non_resource_urls), ("ResourceNames", rule.resource_names),
                          ("Verbs", rule.verbs)):
        if values:
            parts.append(f"{label}:{go_quoted(values)}")
    return "{" + ", ".join(parts) + "}"


def compact_rules(rules: Sequence[Rule]) -> list[Rule]:
    """Merge rules naming one group, one resource and at most one name that differ only in verbs."""
    merged: dict[tuple[str, str, tuple[str, ...]], Rule] = {}
    others = []
    for rule in rules:
        simple = (len(rule.api_groups) == 1 and len(rule.resources) == 1 and len(rule.resource_names) <= 1
                  and not rule.non_resource_urls)
        if not simple:
            others.append(rule)
            continue
        key = (rule.api_groups[0], rule.resources[0], rule.resource_names)
        old = merged.get(key)
        merged[key] = rule if old is None else Rule(old.verbs + rule.verbs, old.api_groups, old.resources,
                                                    old.resource_names)
    return others + list(merged.values())


@dataclass(repr=False)
class GrantCheck(TextView):
    """The escalation check's verdict: allowed, why, and (when refused) the permissions missing."""

    allowed: bool
    reason: str
    missing: list[str] = field(default_factory=list)

    def text(self) -> str:
        verdict = "allowed" if self.allowed else "refused"
        return f"{verdict}: {self.reason}" + "".join(f"\n  {m}" for m in self.missing)


def may_grant(policy: Policy, user: UserInfo, rules: Sequence[Rule], *, namespace: str = "",
              role_kind: str = "Role", role_name: str = "") -> GrantCheck:
    """Would the API server let ``user`` create a ``role_kind`` with these rules in ``namespace``?"""
    if MASTERS in user.groups:
        return GrantCheck(True, f"{brief(user.name)} is in {MASTERS}, which may always escalate")
    resource = "roles" if role_kind == "Role" else "clusterroles"
    escalate = Request("escalate", resource, RBAC_GROUP, "", role_name, namespace if role_kind == "Role" else "")
    decision = policy.authorize(user, escalate)
    if decision.allowed:
        return GrantCheck(True, f"the user may escalate {resource} ({decision.reason})")
    ok, uncovered = covers(policy.rules_for(user, namespace), rules)
    if ok:
        return GrantCheck(True, "the user already holds every permission the role grants")
    missing = sorted(compact_string(r) for r in compact_rules(uncovered))
    return GrantCheck(False, f'user "{clip_name(user.name)}" (groups={go_quoted(user.groups)}) is attempting to grant '
                             "RBAC permissions not currently held:", missing)
