"""RBAC, computed: the API server's authorizer as pure functions you can read and run offline.

Layer: a pure lesson (notebook 04); it reads manifests (:mod:`kslab.manifests`) and the ground floor, never the cluster — the live side is :mod:`kslab.cluster.identities`.

Read the modules in this order, next to notebook 04:

* :mod:`~kslab.rbac.model` — rules, subjects, roles, bindings, requests, users (plain data);
* :mod:`~kslab.rbac.matching` — does one rule allow one request;
* :mod:`~kslab.rbac.subjects` — does a binding name this user; which groups a user really has;
* :mod:`~kslab.rbac.policy` — which bindings apply, and a decision that explains itself;
* :mod:`~kslab.rbac.aggregation` — aggregated ClusterRoles; :mod:`~kslab.rbac.covers` — the
  escalation check; :mod:`~kslab.rbac.matrix` — access matrices and "who can";
* :mod:`~kslab.rbac.tokens` — what is inside a service-account token, and how to never show one.

>>> import kslab.rbac as rbac
>>> policy = rbac.Policy.from_objects([])
>>> policy.can_i("alice", ["devs"], verb="get", resource="pods", namespace="web").allowed
False
"""

from __future__ import annotations

from kslab.rbac.aggregation import aggregate, selector_matches, sync_cluster_role
from kslab.rbac.covers import breakdown_rule, covers
from kslab.rbac.escalation import may_grant
from kslab.rbac.matching import rule_allows, rules_allow, why_not
from kslab.rbac.model import Binding, Request, Role, RoleRef, Rule, Subject, UserInfo
from kslab.rbac.policy import Decision, Grant, Policy
from kslab.rbac.subjects import applies_to, impersonate, service_account_user

__all__ = [
    "Binding", "Decision", "Grant", "Policy", "Request", "Role", "RoleRef", "Rule", "Subject",
    "UserInfo", "aggregate", "applies_to", "breakdown_rule", "covers", "impersonate", "may_grant",
    "rule_allows", "rules_allow", "selector_matches", "service_account_user", "sync_cluster_role",
    "why_not",
]
