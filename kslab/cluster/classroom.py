"""Classroom mode on a live cluster: create, status, delete, the students' kubeconfigs, and the
isolation proof as the API server answers it.

* :func:`create` applies :mod:`kslab.classroom.objects` with server-side apply (idempotent: run it
  again and nothing changes), then gives each student a bound token (TokenRequest, the expiry the
  instructor chose) in a kubeconfig — a 0600 file in a folder the instructor names, and/or a Secret
  in the hub's namespace for JupyterHub to mount. The requests that do not depend on each other run
  concurrently on a bounded thread pool, phase by phase: the course role; every namespace; everything
  inside the namespaces; tokens and kubeconfigs. A hundred students take seconds.
* :func:`status` reads it all back with a handful of label-selected lists, whatever the class size.
* :func:`delete` removes exactly what :func:`create` made (the namespaces — their contents go with
  them — and the kubeconfig Secrets, found by label and name), and the course role once no classroom
  is left. Idempotent.
* :func:`verify` asks the API server, with a SubjectAccessReview per question, what each student's
  identity may do (:mod:`kslab.classroom.verify`), next to kslab's prediction.

No token is ever printed or returned: it goes straight into the 0600 file or the Secret.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from kslab.classroom import objects as build
from kslab.classroom import verify as proof
from kslab.classroom.durations import describe as describe_duration
from kslab.classroom.output import check_out_dir, kubeconfig_file
from kslab.classroom.roster import Student
from kslab.cluster.cleanup import selector as lab_selector
from kslab.cluster.lab import Lab
from kslab.cluster.waiting import poll
from kslab.errors import ApiError, InputError
from kslab.views.tables import format_table
from kslab.views.text import TextView

#: Requests in flight at once. Each request mostly waits for the API server and etcd (a write is
#: committed to disk before it returns), so a few dozen in flight keep both busy without flooding them.
DEFAULT_WORKERS = 16
DEFAULT_EXPIRY = 24 * 3600
SELECTOR = lab_selector(build.LAB)

T = TypeVar("T")
R = TypeVar("R")
Progress = Callable[[str], None]


def parallel(fn: Callable[[T], R], items: Iterable[T], workers: int = DEFAULT_WORKERS) -> list[R]:
    """``[fn(x) for x in items]`` with up to ``workers`` calls at once, in order; the first error is raised.

    >>> parallel(lambda x: x * x, range(5), workers=3)
    [0, 1, 4, 9, 16]
    """
    items = list(items)
    if workers <= 1 or len(items) <= 1:
        return [fn(x) for x in items]
    with ThreadPoolExecutor(max_workers=min(workers, len(items))) as pool:
        return list(pool.map(fn, items))


def pooled(lab: Lab, workers: int) -> Lab:
    """The same Lab with a connection pool as large as ``workers`` (see :meth:`Lab.pooled`)."""
    return lab.pooled(workers)


def _names(students: Iterable[Student | str]) -> list[str]:
    return [s.name if isinstance(s, Student) else s for s in students]


# ---- create ------------------------------------------------------------------------------------
@dataclass(repr=False)
class CreateReport(TextView):
    """What create applied and wrote, and how long each phase took."""

    context: str
    students: list[str]
    prefix: str
    objects: int
    requests: int
    seconds: dict[str, float]
    workers: int
    kubeconfigs: list[str] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)
    expiry_requested: str = ""
    expires_at: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())

    def text(self) -> str:
        n = len(self.students)
        lines = [f"classroom on context {self.context}: {n} student(s), namespaces {self.prefix}<student>",
                 f"applied {self.objects} object(s) with server-side apply ({self.requests} requests, "
                 f"up to {self.workers} at once) in {self.total_seconds:.1f}s"]
        lines += [f"  {phase}: {secs:.2f}s" for phase, secs in self.seconds.items()]
        if self.kubeconfigs or self.secrets:
            lines.append(f"bound tokens (TokenRequest) asked for {self.expiry_requested}; the API server "
                         f"granted until {self.expires_at} (tokens never shown)")
        if self.kubeconfigs:
            folder = str(Path(self.kubeconfigs[0]).parent)
            lines.append(f"kubeconfigs: {len(self.kubeconfigs)} file(s) in {folder} (mode 0600), "
                         f"context {build.STUDENT_CONTEXT}")
        if self.secrets:
            lines.append(f"kubeconfig Secrets for JupyterHub: {len(self.secrets)} "
                         f"(e.g. {self.secrets[0]}, key {build.SECRET_KEY})")
        if not (self.kubeconfigs or self.secrets):
            lines.append("no kubeconfigs made: give --out DIR and/or --hub-namespace NS")
        return "\n".join(lines + self.notes)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "total_seconds": round(self.total_seconds, 3)}


def _warm_discovery(lab: Lab, objs: Sequence[dict[str, Any]]) -> None:
    # The dynamic client discovers each kind on first use; do it once here, not in eight threads at once.
    for api_version, kind in sorted({(o["apiVersion"], o["kind"]) for o in objs}):
        lab.serves(api_version, kind)


def _require_namespace(lab: Lab, name: str) -> None:
    try:
        lab.read_namespace(name)
    except ApiError as err:
        if err.status == 404:
            raise InputError(f"namespace {name!r} (for the kubeconfig Secrets) does not exist",
                             hint=f"install JupyterHub there first (helm ... --namespace {name} "
                                  f"--create-namespace), or kubectl create namespace {name}") from None
        raise


def student_kubeconfig(lab: Lab, student: str, *, prefix: str, expiration_seconds: int,
                       ca_pem: bytes | None, server: str | None = None) -> tuple[str, str]:
    """``(kubeconfig text, granted expiry)`` for one student: a bound token for their service account."""
    import yaml

    from kslab.cluster.identities import kubeconfig_dict

    ns = build.namespace_for(student, prefix)
    token, expires = lab.create_token(build.SERVICE_ACCOUNT, ns, expiration_seconds=expiration_seconds)
    conn = lab.connection
    doc = kubeconfig_dict(server=server or conn.server, ca_pem=ca_pem, token=token,
                           context=build.STUDENT_CONTEXT, cluster=build.STUDENT_CONTEXT, user=student,
                           namespace=ns, insecure=conn.insecure, tls_server_name=conn.tls_server_name)
    return yaml.safe_dump(doc, sort_keys=False), expires


def create(lab: Lab, students: Sequence[Student | str], *, prefix: str = build.NAMESPACE_PREFIX,
           psa_version: str = "latest", out: str | Path | None = None, hub_namespace: str | None = None,
           expiration_seconds: int = DEFAULT_EXPIRY, server: str | None = None,
           workers: int = DEFAULT_WORKERS, progress: Progress | None = None) -> CreateReport:
    """Create (or bring up to date) the classroom; kubeconfigs into ``out`` and/or Secrets in ``hub_namespace``."""
    from kslab.cluster.identities import cluster_ca, write_private

    names = _names(students)
    build.check_prefix(prefix)
    lab.require_lab(f"creating a classroom of {len(names)} student(s)")
    lab = pooled(lab, workers)
    folder = check_out_dir(out) if out is not None else None
    if hub_namespace:
        _require_namespace(lab, hub_namespace)
    say = progress or (lambda line: None)
    role = build.course_role()
    per_student = [build.student_objects(s, prefix=prefix, psa_version=psa_version) for s in names]
    namespaces = [objs[0] for objs in per_student]
    inside = [o for objs in per_student for o in objs[1:]]
    seconds: dict[str, float] = {}

    def phase(name: str, fn: Callable[[], Any]) -> Any:
        start = time.perf_counter()
        result = fn()
        seconds[name] = time.perf_counter() - start
        say(f"{name}: {seconds[name]:.2f}s")
        return result

    def apply(obj: dict[str, Any]) -> None:
        lab.apply(obj, lab_id=build.LAB)

    kinds = [role, *per_student[0], {"apiVersion": "v1", "kind": "Secret"}]
    phase("discovery", lambda: _warm_discovery(lab, kinds))
    phase("course role", lambda: apply(role))
    phase(f"{len(namespaces)} namespaces", lambda: parallel(apply, namespaces, workers))
    phase(f"{len(inside)} objects in them", lambda: parallel(apply, inside, workers))
    report = CreateReport(lab.context or "", names, prefix, 1 + len(namespaces) + len(inside),
                          1 + len(namespaces) + len(inside), seconds, workers)
    if folder is None and not hub_namespace:
        return report

    ca_pem, _ = cluster_ca(lab, build.namespace_for(names[0], prefix))

    def credentials(student: str) -> tuple[str, str, str]:
        text, expires = student_kubeconfig(lab, student, prefix=prefix, expiration_seconds=expiration_seconds,
                                           ca_pem=ca_pem, server=server)
        path = secret = ""
        if folder is not None:
            path = str(write_private(kubeconfig_file(folder, student), text))
        if hub_namespace:
            apply(build.kubeconfig_secret(student, hub_namespace, text, prefix=prefix))
            secret = f"{hub_namespace}/{build.secret_name(student, prefix)}"
        return path, secret, expires

    made = phase(f"{len(names)} tokens and kubeconfigs", lambda: parallel(credentials, names, workers))
    report.kubeconfigs = [p for p, _, _ in made if p]
    report.secrets = [s for _, s, _ in made if s]
    report.requests += len(names) * (2 if hub_namespace else 1)
    report.expiry_requested = describe_duration(expiration_seconds)
    report.expires_at = min(e for _, _, e in made)
    return report


# ---- status ------------------------------------------------------------------------------------
def _expected_inside(student: str, prefix: str) -> set[tuple[str, str]]:
    """``(kind, name)`` of what create puts inside the student's namespace."""
    return {(o["kind"], o["metadata"]["name"]) for o in build.student_objects(student, prefix=prefix)[1:]}


def _list(lab: Lab, api_version: str, kind: str) -> list[Any]:
    """Every classroom object of a kind, in all namespaces (label-selected: one request)."""
    return lab.list_objects(api_version, kind, label_selector=SELECTOR)


def _label(item: Any, key: str) -> str:
    return str((item.metadata.labels or {}).get(key, "") or "")


@dataclass(repr=False)
class StatusReport(TextView):
    """Per student: namespace state, the objects inside, the kubeconfig Secret."""

    context: str
    rows: list[dict[str, Any]]
    course_role: bool

    @property
    def ready(self) -> bool:
        return self.course_role and bool(self.rows) and all(r["ready"] for r in self.rows)

    def text(self) -> str:
        shown = [{**r, "ready": "yes" if r["ready"] else "NO"} for r in self.rows]
        lines = [f"classroom on context {self.context}: {len(self.rows)} student(s); course role "
                 f"{build.COURSE_ROLE}: {'present' if self.course_role else 'MISSING'}", "",
                 format_table(shown, ["student", "namespace", "state", "objects", "kubeconfig_secret", "ready"])
                 if shown else "(no classroom namespaces found)"]
        missing = [f"  {r['student']}: missing {', '.join(r['missing'])}" for r in self.rows if r["missing"]]
        if missing:
            lines += ["", "missing objects:", *missing]
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        return {"context": self.context, "course_role": self.course_role, "ready": self.ready, "students": self.rows}


def status(lab: Lab, students: Sequence[Student | str] | None = None, *,
           prefix: str = build.NAMESPACE_PREFIX) -> StatusReport:
    """What exists of the classroom now (``students=None``: every classroom namespace found)."""
    lab.require_live("reading a classroom's state")
    ns_items = {i.metadata.name: i for i in _list(lab, "v1", "Namespace")}
    if students is None:
        labelled = {n: _label(i, build.STUDENT_LABEL) for n, i in ns_items.items()}
        names = sorted(s for n, s in labelled.items() if s and n == build.namespace_for(s, prefix))
    else:
        names = _names(students)
    inside: dict[str, set[tuple[str, str]]] = {}
    kinds = sorted({(o["apiVersion"], o["kind"]) for o in build.student_objects("x", prefix=prefix)[1:]})
    for api_version, kind in kinds:
        for item in _list(lab, api_version, kind):
            inside.setdefault(item.metadata.namespace, set()).add((kind, item.metadata.name))
    secrets = {(i.metadata.name, _label(i, build.STUDENT_LABEL)): f"{i.metadata.namespace}/{i.metadata.name}"
               for i in _list(lab, "v1", "Secret")}
    rows = []
    for student in names:
        ns = build.namespace_for(student, prefix)
        item = ns_items.get(ns)
        state = ("absent" if item is None else "Terminating" if item.metadata.deletionTimestamp
                 else str(getattr(item.status, "phase", "") or "Active"))
        expected = _expected_inside(student, prefix)
        found = inside.get(ns, set()) & expected
        missing = sorted(f"{k}/{n}" for k, n in expected - found) if item is not None else ["Namespace"]
        secret = secrets.get((build.secret_name(student, prefix), student), "")
        rows.append({"student": student, "namespace": ns, "state": state,
                     "objects": f"{len(found)}/{len(expected)}", "kubeconfig_secret": secret or "—",
                     "ready": state == "Active" and not missing, "missing": missing})
    try:
        lab.read(build.RBAC_V1, "ClusterRole", build.COURSE_ROLE)
        role = True
    except ApiError as err:
        if err.status != 404:
            raise
        role = False
    return StatusReport(lab.context or "", rows, role)


# ---- delete ------------------------------------------------------------------------------------
@dataclass(repr=False)
class DeleteReport(TextView):
    """What delete removed; namespaces finish terminating in the background unless waited for."""

    context: str
    deleted: list[str] = field(default_factory=list)
    terminating: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def text(self) -> str:
        if not self.deleted:
            lines = [f"nothing of the classroom left to delete on context {self.context}"]
        else:
            lines = [f"deleted {len(self.deleted)} object(s) on context {self.context} in {self.seconds:.1f}s:",
                     *(f"  {d}" for d in self.deleted[:20])]
            if len(self.deleted) > 20:
                lines.append(f"  … and {len(self.deleted) - 20} more")
        if self.terminating:
            lines.append(f"{len(self.terminating)} namespace(s) still terminating (the namespace controller "
                         "removes their contents first): " + ", ".join(self.terminating[:10]))
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _delete(lab: Lab, api_version: str, kind: str, name: str, namespace: str | None = None) -> bool:
    try:
        lab.delete_object(api_version, kind, name, namespace=namespace)
        return True
    except ApiError as err:
        if err.status in (404, 409):  # gone meanwhile, or already being deleted
            return False
        raise


def delete(lab: Lab, students: Sequence[Student | str] | None = None, *, prefix: str = build.NAMESPACE_PREFIX,
           wait: float = 0.0, workers: int = DEFAULT_WORKERS) -> DeleteReport:
    """Delete the students' namespaces and kubeconfig Secrets (``students=None``: every classroom on
    the cluster), and the course role when no classroom namespace is left. Idempotent."""
    lab.require_lab("deleting a classroom")
    lab = pooled(lab, workers)
    start = time.perf_counter()
    wanted = None if students is None else set(_names(students))

    def ours(item: Any, name_for: Callable[[str, str], str]) -> bool:
        student = _label(item, build.STUDENT_LABEL)
        if not student or item.metadata.deletionTimestamp:
            return False
        return wanted is None or (student in wanted and item.metadata.name == name_for(student, prefix))

    namespaces = _list(lab, "v1", "Namespace")
    doomed = [i.metadata.name for i in namespaces if ours(i, build.namespace_for)]
    secrets = [(i.metadata.namespace, i.metadata.name) for i in _list(lab, "v1", "Secret")
               if ours(i, build.secret_name)]
    gone_ns = parallel(lambda n: _delete(lab, "v1", "Namespace", n), doomed, workers)
    gone_secrets = parallel(lambda s: _delete(lab, "v1", "Secret", s[1], s[0]), secrets, workers)
    report = DeleteReport(lab.context or "")
    report.deleted += [f"Secret/{ns}/{n}" for (ns, n), ok in zip(secrets, gone_secrets) if ok]
    report.deleted += [f"Namespace/{n}" for n, ok in zip(doomed, gone_ns) if ok]
    remaining = [i for i in namespaces if i.metadata.name not in doomed and not i.metadata.deletionTimestamp]
    if not remaining and _delete(lab, build.RBAC_V1, "ClusterRole", build.COURSE_ROLE):
        report.deleted.append(f"ClusterRole/{build.COURSE_ROLE}")
    report.terminating = wait_gone(lab, doomed, wait) if wait > 0 else []
    report.seconds = time.perf_counter() - start
    return report


def wait_gone(lab: Lab, names: Sequence[str], timeout: float) -> list[str]:
    """Wait until these namespaces are gone; returns those still there after ``timeout`` seconds."""
    left = set(names)

    def all_gone() -> tuple[bool | None, str]:
        left.intersection_update(i.metadata.name for i in _list(lab, "v1", "Namespace"))
        return (True if not left else None), f"{len(left)} namespace(s) still terminating"

    if left:
        poll(all_gone, timeout=timeout)
    return sorted(left)


# ---- the isolation proof, observed -------------------------------------------------------------
def verify(lab: Lab, students: Sequence[Student | str], *, prefix: str = build.NAMESPACE_PREFIX,
           hub_namespace: str | None = None, workers: int = DEFAULT_WORKERS) -> proof.IsolationReport:
    """Every question of the proof as a SubjectAccessReview about the student's service account,
    next to kslab's prediction from the generated objects."""
    lab.require_live("asking the API server about the classroom's access")
    lab = pooled(lab, workers)
    names = _names(students)
    questions = proof.plan(names, prefix=prefix, hub_namespace=hub_namespace)
    predict = proof.policy_ask(build.classroom_objects(names, prefix=prefix))

    def observe(q: proof.Question) -> tuple[bool, str]:
        r = q.request
        return lab.access_review(r.verb, r.resource, group=r.group, namespace=r.namespace, name=r.name,
                                 subresource=r.subresource, user=q.user.name, groups=list(q.user.groups))

    start = time.perf_counter()
    observed = parallel(observe, questions, workers)
    took = time.perf_counter() - start
    report = proof.judge(questions, [predict(q) for q in questions], observed, students=names,
                         source=f"observed (SubjectAccessReview on context {lab.context}), next to the prediction")
    report.notes.append(f"{len(questions)} SubjectAccessReviews in {took:.1f}s, up to {workers} at once.")
    return report


__all__ = ["CreateReport", "DeleteReport", "StatusReport", "create", "delete", "parallel", "status",
           "student_kubeconfig", "verify", "wait_gone"]
