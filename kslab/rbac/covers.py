"""The escalation check: do the rules someone holds *cover* the rules they want to grant?

Kubernetes stops privilege escalation through RBAC itself: you may create or update a Role or
binding only if you already hold every permission it grants (or have the ``escalate`` / ``bind``
verbs). The comparison (upstream ``Covers``) breaks the wanted rules into atoms — one API group,
one resource, one verb, one name — and checks each atom against the owner's rules. A ``*`` in the
owner covers anything; a list of names never covers ``*`` (``get, list, …`` does not cover ``*``).

>>> owner = [Rule(verbs=("get", "list"), api_groups=("",), resources=("pods",))]
>>> covers(owner, [Rule(verbs=("get",), api_groups=("",), resources=("pods",))])
(True, [])
>>> covers(owner, [Rule(verbs=("delete",), api_groups=("",), resources=("pods",))])[1]
[Rule(verbs=[delete] apiGroups=[""] resources=[pods])]
"""

from __future__ import annotations

from collections.abc import Sequence

from kslab.rbac.model import Rule

ALL = "*"


def breakdown_rule(rule: Rule) -> list[Rule]:
    """One rule per (group, resource, verb[, name]), then one per (URL, verb)."""
    atoms = []
    for group in rule.api_groups:
        for resource in rule.resources:
            for verb in rule.verbs:
                names = rule.resource_names or (None,)
                for name in names:
                    atoms.append(Rule(verbs=(verb,), api_groups=(group,), resources=(resource,),
                                      resource_names=(name,) if name is not None else ()))
    for url in rule.non_resource_urls:
        for verb in rule.verbs:
            atoms.append(Rule(verbs=(verb,), non_resource_urls=(url,)))
    return atoms


def _has_all(owned: Sequence[str], wanted: Sequence[str]) -> bool:
    return set(wanted) <= set(owned)


def _resources_covered(owned: Sequence[str], wanted: Sequence[str]) -> bool:
    if ALL in owned or _has_all(owned, wanted):
        return True
    for res in wanted:
        if res in owned:
            continue
        if "/" not in res:
            return False
        if "*/" + res.split("/", 1)[1] not in owned:
            return False
    return True


def url_covers(owner: str, wanted: str) -> bool:
    """An owned URL covers a wanted one when equal, or by a trailing ``*`` prefix."""
    return owner == wanted or (owner.endswith(ALL) and wanted.startswith(owner.rstrip(ALL)))


def rule_covers(owner: Rule, atom: Rule) -> bool:
    """Does one owner rule cover one atom (from :func:`breakdown_rule`)?"""
    verbs = ALL in owner.verbs or _has_all(owner.verbs, atom.verbs)
    groups = ALL in owner.api_groups or _has_all(owner.api_groups, atom.api_groups)
    resources = _resources_covered(owner.resources, atom.resources)
    urls = all(any(url_covers(o, w) for o in owner.non_resource_urls) for w in atom.non_resource_urls)
    if not atom.resource_names:
        names = not owner.resource_names
    else:
        names = not owner.resource_names or _has_all(owner.resource_names, atom.resource_names)
    return verbs and groups and resources and names and urls


def covers(owner_rules: Sequence[Rule], servant_rules: Sequence[Rule]) -> tuple[bool, list[Rule]]:
    """``(True, [])`` if the owner's rules cover every servant rule, else ``(False, uncovered atoms)``."""
    uncovered = [atom for rule in servant_rules for atom in breakdown_rule(rule)
                 if not any(rule_covers(owner, atom) for owner in owner_rules)]
    return not uncovered, uncovered
