"""Exercises of notebook 04 (RBAC), checked with kslab's RBAC evaluator: a student's Role or binding
is loaded exactly as the API server would validate it, then asked the questions that matter.

Answers that are objects may be given as a dict or as YAML text.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from kslab.errors import KslabError
from kslab.exercises.model import CheckResult, Exercise, names_in
from kslab.manifests.load import load_text
from kslab.rbac import Policy, Rule, covers, scenario
from kslab.rbac.resources import recorded

NS = scenario.NAMESPACE
CONFIG = "webapp-config"


def _failing_on_bad_answers(checker: Callable[[Any], CheckResult]) -> Callable[[Any], CheckResult]:
    """A malformed answer (not an object, bad YAML) is a FAIL with the reason, never an exception."""
    @functools.wraps(checker)
    def check(answer: Any) -> CheckResult:
        try:
            return checker(answer)
        except (ValueError, KslabError) as exc:
            return CheckResult(False, getattr(exc, "message", None) or str(exc))

    return check


def _one_object(answer: Any, kind: str) -> dict[str, Any]:
    if isinstance(answer, str):
        docs = load_text(answer, source="your answer")
        if len(docs) != 1:
            raise ValueError(f"give exactly one {kind}, found {len(docs)} documents")
        answer = docs[0].obj
    if not isinstance(answer, dict):
        raise ValueError(f"give the {kind} as a dict or as YAML text")
    if answer.get("kind") != kind:
        raise ValueError(f"that is a {answer.get('kind') or 'object without kind'}, not a {kind}")
    return answer


def _why(decision: Any) -> str:
    """The most specific line of a decision's explanation (which binding applied, and why not)."""
    for line in decision.explanation:
        if "applies" in line or "would allow" in line:
            return line
    return decision.explanation[0]


# ---- 1. namespaced or not ----------------------------------------------------------------------
ASKED = ("pods", "nodes", "secrets", "namespaces", "serviceaccounts", "persistentvolumes",
         "clusterroles", "roles", "configmaps", "storageclasses")
_GROUPS = {"clusterroles": "rbac.authorization.k8s.io", "roles": "rbac.authorization.k8s.io",
           "storageclasses": "storage.k8s.io"}


def check_namespaced(answer: Any) -> CheckResult:
    """Which of ASKED are namespaced? (a set of names)"""
    catalog = recorded()
    want = {r for r in ASKED if catalog.scope(r, _GROUPS.get(r, "")) == "Namespaced"}
    got = names_in(answer) & set(ASKED)
    if not got:
        return CheckResult(False, f"answer with the namespaced ones among: {', '.join(ASKED)}")
    missing, extra = sorted(want - got), sorted(got - want)
    if not missing and not extra:
        return CheckResult(True, "right: " + ", ".join(sorted(want)) + " live in a namespace; the rest are "
                                 "cluster-wide, so only a ClusterRoleBinding can grant them")
    parts = ([f"cluster-scoped, not namespaced: {', '.join(extra)}"] if extra else []) + \
            ([f"{len(missing)} namespaced one(s) missing"] if missing else [])
    return CheckResult(False, "; ".join(parts))


# ---- 2. least privilege: read one ConfigMap ----------------------------------------------------
#: Everything a "read only that ConfigMap" Role may grant (reading it by name, watching it).
MOST_ALLOWED = [Rule(verbs=("get", "list", "watch"), api_groups=("",), resources=("configmaps",),
                     resource_names=(CONFIG,))]


@_failing_on_bad_answers
def check_config_reader(answer: Any) -> CheckResult:
    """A Role in webapp-rbac that lets the webapp read ConfigMap webapp-config — and nothing more."""
    role = _one_object(answer, "Role")
    meta = role.get("metadata") or {}
    if meta.get("namespace") != NS:
        return CheckResult(False, f"put the Role in namespace {NS!r} (metadata.namespace)")
    try:
        policy = Policy.from_objects([role, scenario.role_binding(NS, "exercise-binding",
                                                                  role_name=str(meta.get("name", "")))])
    except KslabError as exc:
        return CheckResult(False, f"the API server would refuse it: {exc.message}")
    user = scenario.user()
    must = policy.can_i(user, verb="get", resource="configmaps", name=CONFIG, namespace=NS)
    if not must.allowed:
        return CheckResult(False, f"the webapp cannot read its ConfigMap yet: {_why(must)}")
    ok, extra = covers(MOST_ALLOWED, list(policy.roles[0].rules))
    if not ok:
        shown = "; ".join(r.describe() + ("" if r.resource_names else " (any name)")
                          for r in extra[:4]) + ("; …" if len(extra) > 4 else "")
        return CheckResult(False, f"it grants more than reading {CONFIG}: {shown}")
    if policy.can_i(user, verb="get", resource="configmaps", name="other", namespace=NS).allowed:
        return CheckResult(False, "it also lets the webapp read other ConfigMaps")
    return CheckResult(True, f"least privilege: get {CONFIG} is allowed, and the Role grants nothing beyond "
                             "reading that one ConfigMap (checked with the escalation check's 'covers')")


#: The starting answer of "04.config-reader" in the notebook: it works, but grants too much.
GENEROUS_ROLE = f"""
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: config-reader
  namespace: {NS}
rules:
- apiGroups: [""]
  resources: [configmaps]
  verbs: [get, list]
"""


# ---- 3. narrow a binding -----------------------------------------------------------------------
POD_READER_CLUSTER_ROLE = {
    "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "pod-reader"},
    "rules": scenario.POD_READER_RULES,
}
TOO_BROAD = {
    "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
    "metadata": {"name": "webapp-reads-pods-everywhere"},
    "subjects": [{"kind": "ServiceAccount", "name": scenario.SERVICE_ACCOUNT, "namespace": NS}],
    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "pod-reader"},
}


@_failing_on_bad_answers
def check_narrow_binding(answer: Any) -> CheckResult:
    """Replace TOO_BROAD by a binding that grants ClusterRole pod-reader only in webapp-rbac."""
    binding = _one_object(answer, "RoleBinding") if not (isinstance(answer, dict) and
                                                          answer.get("kind") == "ClusterRoleBinding") else answer
    if binding.get("kind") == "ClusterRoleBinding":
        return CheckResult(False, "a ClusterRoleBinding grants in every namespace; use a RoleBinding")
    try:
        policy = Policy.from_objects([POD_READER_CLUSTER_ROLE, binding])
    except KslabError as exc:
        return CheckResult(False, f"the API server would refuse it: {exc.message}")
    user = scenario.user()
    here = policy.can_i(user, verb="list", resource="pods", namespace=NS)
    if not here.allowed:
        return CheckResult(False, f"the webapp cannot list pods in its own namespace with it: {_why(here)}")
    for other in ("default", "kube-system"):
        if policy.can_i(user, verb="list", resource="pods", namespace=other).allowed:
            return CheckResult(False, f"it still grants in namespace {other!r}")
    return CheckResult(True, "a RoleBinding to the ClusterRole grants its rules only in the binding's "
                             f"namespace ({NS}); the ClusterRole stays reusable")


# ---- 4. who can read secrets? ------------------------------------------------------------------
SECRETS_POLICY: list[dict[str, Any]] = [
    {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "secret-reader"},
     "rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list"]}]},
    {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
     "metadata": {"name": "ci-reads-secrets", "namespace": NS},
     "subjects": [{"kind": "ServiceAccount", "name": "ci"},
                  {"kind": "User", "name": "alice", "apiGroup": "rbac.authorization.k8s.io"}],
     "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "secret-reader"}},
    {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
     "metadata": {"name": "ops-reads-secrets", "namespace": "default"},
     "subjects": [{"kind": "Group", "name": "ops", "apiGroup": "rbac.authorization.k8s.io"}],
     "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "secret-reader"}},
    {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
     "metadata": {"name": "auditors-read-secrets"},
     "subjects": [{"kind": "Group", "name": "auditors", "apiGroup": "rbac.authorization.k8s.io"}],
     "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "secret-reader"}},
]


def expected_readers() -> set[str]:
    """``kind:name`` of everyone who may get secrets in webapp-rbac under SECRETS_POLICY."""
    from kslab.rbac.matrix import who_can

    rows = who_can(Policy.from_objects(SECRETS_POLICY), "get", "secrets", namespace=NS).rows
    return {f"{r.kind}:{r.name}".lower() for r in rows}


def check_secret_readers(answer: Iterable[str] | str) -> CheckResult:
    """Answer with ``kind:name`` strings, e.g. {'User:bob', 'Group:devs'}."""
    want = expected_readers()
    got = {a.replace(" ", "") for a in names_in(answer)}
    if not got:
        return CheckResult(False, "answer with strings like 'User:bob', 'Group:devs', 'ServiceAccount:ci'")
    missing, extra = want - got, got - want
    if not missing and not extra:
        return CheckResult(True, "right: the RoleBinding in webapp-rbac, and the ClusterRoleBinding that "
                                 "grants everywhere; the RoleBinding in default does not reach webapp-rbac")
    parts = ([f"cannot read secrets in {NS}: {', '.join(sorted(extra))}"] if extra else []) + \
            ([f"{len(missing)} reader(s) missing"] if missing else [])
    return CheckResult(False, "; ".join(parts))


def check_what_you_saw(answer: Any, identity: Any) -> CheckResult:
    """Hands-on: what the student saw kubectl do as the service account, against the API server's own
    access review as that identity (offline: the evaluator, labelled predicted)."""
    from kslab.handson.lab04 import QUESTIONS, compare

    if not hasattr(identity, "claims"):  # given the Lab instead: offline, its predicted identity will do
        from kslab.cluster.identities import service_account_identity

        if getattr(identity, "live", False):
            return CheckResult(False, "check against the service account's identity: ex.check(answer, against=me)",
                               answered=False)
        identity = service_account_identity(identity)
    if not isinstance(answer, Mapping):
        return CheckResult(False, "answer with a dict: each command -> 'allowed' or 'forbidden'")
    missing = [c for c in QUESTIONS if c not in answer]
    if missing:
        return CheckResult(False, f"say what happened for: {', '.join(missing)}")
    seen = compare(answer, identity)
    source = ("the API server (SelfSubjectAccessReview as the service account)" if identity.client is not None
              else f"kslab's evaluator — PREDICTED (offline: {identity.reason})")
    unclear = [s.command for s in seen if s.said is None]
    if unclear:
        return CheckResult(False, f"say 'allowed' or 'forbidden' for: {', '.join(unclear)}")
    wrong = [s for s in seen if s.said != s.allowed]
    if wrong:
        first = wrong[0]
        return CheckResult(False, f"{len(wrong)} not as {source} says: `kubectl {first.command}` was "
                                  f"{'allowed' if first.allowed else 'forbidden'} ({first.reason[:160]})")
    return CheckResult(True, "exactly as " + source + " says: " +
                       ", ".join(f"{s.command} {'allowed' if s.allowed else 'forbidden'}" for s in seen))

EXERCISES = [
    Exercise("04.namespaced", "Namespaced or not?",
             f"Which of these live in a namespace? {', '.join(ASKED)}.",
             hints=("Ask: could two teams each have their own one with the same name?",
                    "Nodes, storage and cluster-wide RBAC objects are not namespaced; secrets and "
                    "service accounts are."),
             solution="{'pods', 'secrets', 'serviceaccounts', 'roles', 'configmaps'}",
             checker=check_namespaced, answer_form="a set of resource names", start={"pods", "nodes"}),
    Exercise("04.config-reader", "Least privilege: one ConfigMap",
             f"Write a Role in namespace {NS} that lets the webapp read the ConfigMap {CONFIG!r} — and "
             "nothing else (no other ConfigMap, no writes, no secrets). The check binds it to the webapp's "
             "service account and asks the evaluator.",
             hints=("ConfigMaps are in the core API group, written \"\" in apiGroups.",
                    "resourceNames limits a rule to named objects; verbs: get is enough to read it."),
             solution=('"""\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n'
                       f"  name: config-reader\n  namespace: {NS}\nrules:\n- apiGroups: [\"\"]\n"
                       f"  resources: [configmaps]\n  resourceNames: [{CONFIG}]\n  verbs: [get]\n"
                       '"""'),
             checker=check_config_reader, answer_form="the Role, as YAML text or a dict",
             start=GENEROUS_ROLE),
    Exercise("04.narrow-binding", "A binding that stays in its namespace",
             "kslab.exercises.nb04.TOO_BROAD gives ClusterRole pod-reader to the webapp in every "
             f"namespace. Write the binding that gives it only in {NS} (the ClusterRole stays).",
             hints=("Which kind of binding only counts in its own namespace?",
                    "A RoleBinding may refer to a ClusterRole: roleRef.kind: ClusterRole."),
             solution=('"""\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n'
                       f"  name: webapp-reads-pods\n  namespace: {NS}\nsubjects:\n- kind: ServiceAccount\n"
                       f"  name: webapp\n  namespace: {NS}\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n"
                       '  kind: ClusterRole\n  name: pod-reader\n"""'),
             checker=check_narrow_binding, answer_form="the binding, as YAML text or a dict",
             start=TOO_BROAD),
    Exercise("04.secret-readers", "Who can read the secrets?",
             f"Under kslab.exercises.nb04.SECRETS_POLICY, who may get secrets in {NS}? Predict first, then "
             "check with kslab.rbac.matrix.who_can.",
             hints=("A RoleBinding's ServiceAccount without a namespace means the binding's namespace.",
                    "A RoleBinding in another namespace never reaches this one; a ClusterRoleBinding does."),
             solution="{'ServiceAccount:ci', 'User:alice', 'Group:auditors'}",
             checker=check_secret_readers, answer_form="a set of 'Kind:name' strings, e.g. {'User:bob'}",
             start={"ServiceAccount:ci"}),
    Exercise(
        "04.what-you-saw", "What did kubectl let the service account do?",
        "Run the commands above with the service account's kubeconfig. For each of 'get pods', 'get secrets' "
        "and '-n default get pods', say what happened; the check asks the API server the same questions as "
        "that service account.",
        hints=("A list (or 'No resources found') means allowed; 'Error from server (Forbidden)' means forbidden.",
               "The Role allows reading pods in its own namespace, nothing else."),
        solution="{'get pods': 'allowed', 'get secrets': 'forbidden', '-n default get pods': 'forbidden'}",
        checker=check_what_you_saw, answer_form="a dict: command -> 'allowed' or 'forbidden'",
        reads="the service account's identity (identities.service_account_identity returned it)", against="me",
        explanation="a RoleBinding grants its Role's rules in its own namespace only, and the Role lists only pods"),
]
