"""The isolation proof: each student may do the labs in their own namespace — and nothing in any
other student's namespace, nothing in the cluster's own namespaces, nothing cluster-wide.

The questions are data, drawn from the same list of lab permissions the course role is built from
(:data:`kslab.course.needs.NEEDS`):

* **own** — every permission a lab needs in the student's namespace must be *allowed*;
* **guard** — what the course keeps for itself inside that namespace must be *denied*: changing the
  Namespace object (its Pod Security labels), the quota, the network policies, and binding or
  escalating to roles the student does not hold (``bind``/``escalate`` would let them bind
  cluster-admin in their namespace);
* **other** — the same lab requests, and reading Secrets, in *two other students'* namespaces must be
  *denied*; so must reading kube-system, creating in ``default`` and reading the kubeconfig Secrets
  in the hub's namespace;
* **cluster** — every cluster-scoped need of the labs, and listing pods or Secrets across all
  namespaces, must be *denied*.

Each question is put to an ``ask`` function: offline kslab's RBAC evaluator on the generated objects
(*predicted*), live the API server's SubjectAccessReview as the student's service account
(*observed*). Any allowed-but-should-not-be is a **LEAK**; any denied-but-needed is **MISSING**.

>>> report = predicted(["ada", "alan", "grace"])
>>> report.ok, report.leaks, report.missing
(True, [], [])
>>> print(report.summary_rows()[0]["own"])
19/19 allowed
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from kslab.classroom.objects import (
    NAMESPACE_PREFIX,
    RBAC,
    SERVICE_ACCOUNT,
    classroom_objects,
    namespace_for,
)
from kslab.course.needs import NEEDS, Need
from kslab.rbac.model import Request, UserInfo
from kslab.rbac.subjects import impersonate, service_account_user
from kslab.views.tables import format_table
from kslab.views.text import TextView

OWN, GUARD, OTHER, FIXED, CLUSTER = "own", "guard", "other", "fixed", "cluster"
#: How each scope must answer: the labs work in their own namespace; everything else is denied.
EXPECT = {OWN: True, GUARD: False, OTHER: False, FIXED: False, CLUSTER: False}
PREDICTED = "predicted (kslab's RBAC evaluator on the generated objects only)"


@dataclass(frozen=True)
class Probe:
    """One permission asked about for every student (a :class:`Need`: verb, resource, why), and
    ``where``: the student's own namespace, another's, a fixed one, or the cluster."""

    need: Need
    where: str
    #: A request on the student's own Namespace object (the API server gives it that namespace).
    namespace_object: bool = False

    @property
    def what(self) -> str:
        """``verb resource[/sub][.group]``, as ``kubectl auth can-i`` writes it."""
        return f"{self.need.verb} {self.need.what}"

    @property
    def why(self) -> str:
        return self.need.why

    @property
    def namespace(self) -> str:
        """For FIXED probes: the namespace asked about ("" = the hub's namespace, when one is given)."""
        return self.need.fixed_namespace

    def request(self, namespace: str) -> Request:
        n = self.need
        return Request(n.verb, n.resource, n.group, n.subresource, namespace if self.namespace_object else "",
                       namespace)


def _probe(verb: str, resource: str, where: str, why: str, group: str = "", subresource: str = "", *,
           namespace: str = "", namespace_object: bool = False) -> Probe:
    """A probe of the course's own (not one of the labs' needs)."""
    need = Need("classroom", verb, resource, why, group, subresource, namespaced=where != CLUSTER,
                fixed_namespace=namespace)
    return Probe(need, where, namespace_object)


def _from_need(need: Need, where: str, why: str = "") -> Probe:
    return Probe(replace(need, why=why or f"lab {need.lab}: {need.why}"), where)


def _unique(probes: Iterable[Probe]) -> tuple[Probe, ...]:
    seen: dict[tuple[str, ...], Probe] = {}
    for p in probes:
        n = p.need
        seen.setdefault((p.where, n.verb, n.group, n.resource, n.subresource, n.fixed_namespace), p)
    return tuple(seen.values())


def probes(needs: Sequence[Need] = NEEDS) -> tuple[Probe, ...]:
    """The fixed sample of questions, derived from the labs' needs plus the course's guard rails.

    >>> [p.what for p in probes() if p.where == "guard"][:2]
    ['patch namespaces', 'delete namespaces']
    """
    own = [_from_need(n, OWN) for n in needs if n.namespaced and not n.fixed_namespace]
    own += [_probe("list", "pods", OWN, "wait for the lab's pods"),
            _probe("get", "pods", OWN, "read a pod's logs", subresource="log"),
            _probe("delete", "deployments", OWN, "clean up after a lab", "apps"),
            # The progress mirror: one ConfigMap, read, created and replaced by the student's kernel.
            # Through `other` below, the same in another student's namespace must be denied.
            _probe("get", "configmaps", OWN, "read their progress copy"),
            _probe("create", "configmaps", OWN, "start their progress copy"),
            _probe("update", "configmaps", OWN, "write their progress copy")]
    guard = [
        _probe("patch", "namespaces", GUARD, "relabel their namespace (lift Pod Security)", namespace_object=True),
        _probe("delete", "namespaces", GUARD, "delete their namespace", namespace_object=True),
        _probe("delete", "networkpolicies", GUARD, "open their namespace to others", "networking.k8s.io"),
        _probe("update", "resourcequotas", GUARD, "lift their quota"),
        _probe("bind", "clusterroles", GUARD, "bind any ClusterRole (cluster-admin) in their namespace", RBAC),
        _probe("escalate", "roles", GUARD, "write a Role granting more than they hold", RBAC),
    ]
    other = [Probe(replace(p.need, why="another student's namespace"), OTHER) for p in own]
    other += [_probe("get", "secrets", OTHER, "another student's Secrets"),
              _probe("list", "secrets", OTHER, "another student's Secrets")]
    fixed = [_from_need(n, FIXED) for n in needs if n.namespaced and n.fixed_namespace]
    fixed += [_probe("get", "secrets", FIXED, "the cluster's own Secrets", namespace="kube-system"),
              _probe("create", "pods", FIXED, "run pods outside the classroom", namespace="default"),
              _probe("list", "secrets", FIXED, "every student's kubeconfig Secret (the hub's namespace)")]
    cluster = [_from_need(n, CLUSTER) for n in needs if not n.namespaced]
    cluster += [_probe("list", "pods", CLUSTER, "every namespace's pods"),
                _probe("list", "secrets", CLUSTER, "every namespace's Secrets"),
                _probe("create", "clusterrolebindings", CLUSTER, "grant themselves anything", RBAC),
                _probe("impersonate", "users", CLUSTER, "act as another user")]
    return _unique([*own, *guard, *other, *fixed, *cluster])


PROBES: tuple[Probe, ...] = probes()


@dataclass(frozen=True)
class Question:
    """One probe for one student, in one namespace (``target`` "" = cluster-wide)."""

    student: str
    namespace: str
    target: str
    probe: Probe
    user: UserInfo

    @property
    def request(self) -> Request:
        return self.probe.request(self.target)

    @property
    def expect(self) -> bool:
        return EXPECT[self.probe.where]

    @property
    def where(self) -> str:
        return self.target or "(cluster)"


def student_user(namespace: str) -> UserInfo:
    """The identity a student's kubeconfig carries: the namespace's ``student`` service account."""
    return impersonate(service_account_user(namespace, SERVICE_ACCOUNT))


def others_of(students: Sequence[str], index: int, count: int = 2) -> list[str]:
    """The next ``count`` students after ``index`` (wrapping), never the student themself.

    >>> others_of(["a", "b", "c"], 2)
    ['a', 'b']
    """
    n = len(students)
    return [students[(index + k) % n] for k in range(1, min(count, n - 1) + 1)]


def plan(students: Sequence[str], *, prefix: str = NAMESPACE_PREFIX, hub_namespace: str | None = None,
         others: int = 2, sample: Sequence[Probe] = PROBES) -> list[Question]:
    """Every question to ask: each student against their own namespace, ``others`` others, the
    cluster's namespaces and the cluster itself."""
    questions = []
    for i, student in enumerate(students):
        own = namespace_for(student, prefix)
        user = student_user(own)
        for probe in sample:
            if probe.where in (OWN, GUARD):
                targets = [own]
            elif probe.where == OTHER:
                targets = [namespace_for(o, prefix) for o in others_of(students, i, others)]
            elif probe.where == FIXED:
                targets = [probe.namespace or hub_namespace or ""]
                targets = [t for t in targets if t]
            else:
                targets = [""]
            questions += [Question(student, own, t, probe, user) for t in targets]
    return questions


#: Answers one question: ``(allowed, reason)``.
Ask = Callable[[Question], tuple[bool, str]]


def policy_ask(objects: Sequence[dict[str, Any]]) -> Ask:
    """Answers from kslab's RBAC evaluator on these objects (a prediction)."""
    from kslab.rbac.policy import Policy

    policy = Policy.from_objects(objects)

    def ask(q: Question) -> tuple[bool, str]:
        decision = policy.authorize(q.user, q.request)
        return decision.allowed, decision.reason or "no RBAC rule allows it"
    return ask


@dataclass(frozen=True)
class Answered:
    """A question with its answers: predicted always, observed when asked of a live API server."""

    question: Question
    predicted: bool
    predicted_reason: str
    observed: bool | None = None
    observed_reason: str = ""

    @property
    def answer(self) -> bool:
        """The answer that counts: observed when there is one."""
        return self.predicted if self.observed is None else self.observed

    @property
    def verdict(self) -> str:
        if self.answer == self.question.expect:
            return "ok"
        return "LEAK" if self.answer else "MISSING"

    def as_dict(self) -> dict[str, Any]:
        q = self.question
        return {"student": q.student, "scope": q.probe.where, "namespace": q.target, "request": q.probe.what,
                "expect": "allowed" if q.expect else "denied", "predicted": self.predicted,
                "observed": self.observed, "verdict": self.verdict,
                "reason": self.observed_reason if self.observed is not None else self.predicted_reason,
                "why": q.probe.why}


@dataclass(repr=False)
class IsolationReport(TextView):
    """Per student: the labs allowed at home, nothing allowed elsewhere. ``ok`` when no leak or gap."""

    students: list[str]
    outcomes: list[Answered]
    source: str
    notes: list[str] = field(default_factory=list)

    @property
    def leaks(self) -> list[Answered]:
        return [o for o in self.outcomes if o.verdict == "LEAK"]

    @property
    def missing(self) -> list[Answered]:
        return [o for o in self.outcomes if o.verdict == "MISSING"]

    @property
    def disagreements(self) -> list[Answered]:
        """Where the API server answered otherwise than kslab predicted from the classroom's objects."""
        return [o for o in self.outcomes if o.observed is not None and o.observed != o.predicted]

    @property
    def ok(self) -> bool:
        return bool(self.outcomes) and not self.leaks and not self.missing

    def summary_rows(self) -> list[dict[str, str]]:
        """One row per student: allowed / asked in each scope, and the verdict."""
        by_student: dict[str, list[Answered]] = {s: [] for s in self.students}
        for o in self.outcomes:
            by_student[o.question.student].append(o)
        rows = []
        for student, outs in by_student.items():
            row = {"student": student, "namespace": outs[0].question.namespace if outs else ""}
            for col, scopes in (("own", (OWN,)), ("guarded", (GUARD,)), ("others", (OTHER, FIXED)),
                                ("cluster", (CLUSTER,))):
                sel = [o for o in outs if o.question.probe.where in scopes]
                row[col] = f"{sum(o.answer for o in sel)}/{len(sel)} allowed" if sel else "—"
            verdicts = {o.verdict for o in outs}
            row["verdict"] = ("LEAK" if "LEAK" in verdicts else "labs blocked" if "MISSING" in verdicts
                              else "isolated" if outs else "not checked")
            rows.append(row)
        return rows

    def text(self) -> str:
        asked = len(self.outcomes)
        lines = [f"Isolation of {len(self.students)} student(s) — {self.source}; {asked} questions",
                 "(own: the labs' permissions, all must be allowed; guarded, others, cluster: all must be denied)",
                 "", format_table(self.summary_rows(), ["student", "namespace", "own", "guarded", "others",
                                                         "cluster", "verdict"])]
        for title, items in (("LEAKS (allowed, must be denied)", self.leaks),
                             ("MISSING (denied, a lab needs it)", self.missing)):
            if items:
                lines += ["", f"{title}:", format_table([o.as_dict() for o in items],
                                                         ["student", "namespace", "request", "why", "reason"])]
        if self.disagreements:
            lines += ["", "The API server answered otherwise than predicted from the classroom's objects "
                          "(other bindings in the cluster):",
                      format_table([o.as_dict() for o in self.disagreements],
                                   ["student", "namespace", "request", "predicted", "observed", "reason"])]
        lines += ["", ("No leak: every student can do the labs in their own namespace and nothing anywhere else."
                       if self.ok else f"{len(self.leaks)} leak(s), {len(self.missing)} missing permission(s).")]
        lines += self.notes
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        return {"source": self.source, "ok": self.ok, "students": self.summary_rows(),
                "leaks": len(self.leaks), "missing": len(self.missing), "notes": self.notes,
                "checks": [o.as_dict() for o in self.outcomes]}


def judge(questions: Sequence[Question], predicted_answers: Sequence[tuple[bool, str]],
          observed_answers: Sequence[tuple[bool, str]] | None = None, *, students: Sequence[str],
          source: str) -> IsolationReport:
    """Pair each question with its answers and build the report."""
    observed_answers = observed_answers or [(None, "")] * len(questions)  # type: ignore[list-item]
    outcomes = [Answered(q, p[0], p[1], o[0], o[1])
                for q, p, o in zip(questions, predicted_answers, observed_answers)]
    notes = []
    if len(students) < 3:
        notes.append(f"note: with {len(students)} student(s) each is checked against "
                     f"{max(len(students) - 1, 0)} other(s); three or more make the proof cover two others each.")
    return IsolationReport(list(students), outcomes, source, notes)


def predicted(students: Sequence[str], objects: Sequence[dict[str, Any]] | None = None, *,
              prefix: str = NAMESPACE_PREFIX, hub_namespace: str | None = None) -> IsolationReport:
    """The isolation proof offline: the evaluator on the generated objects (or on ``objects``)."""
    objects = classroom_objects(students, prefix=prefix) if objects is None else objects
    questions = plan(students, prefix=prefix, hub_namespace=hub_namespace)
    ask = policy_ask(objects)
    return judge(questions, [ask(q) for q in questions], students=students, source=PREDICTED)
