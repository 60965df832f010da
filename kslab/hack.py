"""The hack of notebook 03: what an attacker inside the webapp container can do, step by step.

Four steps, each a command run in the container: who am I (``id``), edit the served page, write to
``/tmp``, become root through the setuid ``become-root``. :func:`predict` works out each outcome
from the pod's security context and the image's contract (root by default, page owned by root
with mode 0644, ``/tmp`` world-writable, ``become-root`` setuid root) — offline, as a prediction.
:func:`run` does it for real in a live lab by exec in the pod, and shows predicted and observed side
by side, flagging any disagreement.

>>> from kslab.manifests.webapp import webapp_deployment
>>> print(predict(webapp_deployment({"runAsUser": 1000})).table())  # doctest: +NORMALIZE_WHITESPACE
step                    predicted                                     hack works?  why
who am I (id)           uid=1000(webapp)                              no           runAsUser: 1000 runs the process as uid 1000, not root
edit the served page    Permission denied                             no           /www/index.html belongs to root (mode 0644) and uid 1000 is not root
write to /tmp           ok                                            yes          /tmp is world-writable and the root filesystem is writable
become root via setuid  uid=0(root)                                   yes          allowPrivilegeEscalation is not false: the kernel honours become-root's setuid bit
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kslab.pss.pod import EMPTY
from kslab.pss.workloads import pod_parts
from kslab.views.styles import BAD, GOOD, NEUTRAL, WARNING
from kslab.views.tables import Table, html_block

if TYPE_CHECKING:
    from kslab.cluster.lab import Lab

#: The image's facts the model relies on (webapp/Dockerfile; COURSE.md "The webapp image").
IMAGE_UID = 0
USER_NAMES = {0: "root", 1000: "webapp"}
PAGE = "/www/index.html"
SCRATCH = "/tmp/kslab-hack"
BECOME_ROOT = "/usr/local/bin/become-root"


@dataclass(frozen=True)
class Step:
    """One step of the hack: a short title and the command run in the container."""

    id: str
    title: str
    command: tuple[str, ...]


STEPS: tuple[Step, ...] = (
    Step("id", "who am I (id)", ("id",)),
    Step("edit-page", "edit the served page", ("sh", "-c", f"echo '<p>hacked by kslab</p>' >> {PAGE}")),
    Step("write-tmp", "write to /tmp", ("touch", SCRATCH)),
    Step("become-root", "become root via setuid", (BECOME_ROOT, "id", "-u")),
)


@dataclass(frozen=True)
class StepOutcome:
    """What a step did: whether the attacker got what they wanted, what the shell showed, and why."""

    works: bool | None  # None: the step could not run (no container)
    shown: str
    why: str = ""


@dataclass(frozen=True)
class Context:
    """The settings of the webapp container that decide the hack, after pod-level defaults apply."""

    uid: int
    uid_source: str
    run_as_non_root: bool
    read_only_root: bool
    no_new_privs: bool
    tmp_volume: bool
    refused: str = ""  # why the API server or the kubelet would not run the container at all


def _user(uid: int) -> str:
    return f"uid={uid}({USER_NAMES[uid]})" if uid in USER_NAMES else f"uid={uid}"


def container_context(obj: Mapping[str, Any], container: str | None = None) -> Context:
    """The effective settings of one container (the first, by default) of a Pod or workload."""
    parts = pod_parts(obj)
    if parts is None:
        from kslab.errors import InputError

        raise InputError(f"{obj.get('kind')} has no pod to attack", hint="give the webapp Deployment or Pod")
    _, spec, _ = parts
    containers = list(spec.get("containers") or [])
    chosen = next((c for c in containers if container in (None, c.get("name"))), None)
    if chosen is None:
        from kslab.errors import InputError

        raise InputError(f"no container {container!r} in the pod", hint="name one of the pod's containers")
    psc, sc = spec.get("securityContext") or EMPTY, chosen.get("securityContext") or EMPTY
    if sc.get("runAsUser") is not None:
        uid, source = int(sc["runAsUser"]), f"runAsUser: {sc['runAsUser']}"
    elif psc.get("runAsUser") is not None:
        uid, source = int(psc["runAsUser"]), f"the pod's runAsUser: {psc['runAsUser']}"
    else:
        uid, source = IMAGE_UID, "the image's default user (root)"
    non_root = (sc.get("runAsNonRoot") if sc.get("runAsNonRoot") is not None else psc.get("runAsNonRoot")) is True
    no_new_privs = sc.get("allowPrivilegeEscalation") is False
    refused = ""
    added = [str(c) for c in (sc.get("capabilities") or EMPTY).get("add") or ()]
    if no_new_privs and sc.get("privileged") is True:
        refused = ("the API server rejects the pod: cannot set `allowPrivilegeEscalation` to false and "
                   "`privileged` to true")
    elif no_new_privs and "CAP_SYS_ADMIN" in added:
        refused = ("the API server rejects the pod: cannot set `allowPrivilegeEscalation` to false and "
                   "`capabilities.Add` CAP_SYS_ADMIN")
    elif non_root and uid == 0:
        refused = ("the kubelet will not start it: container's runAsUser breaks non-root policy"
                   if sc.get("runAsUser") is not None or psc.get("runAsUser") is not None
                   else "the kubelet will not start it: container has runAsNonRoot and image will run as root")
    mounts = {m.get("mountPath"): m for m in chosen.get("volumeMounts") or ()}
    tmp_volume = "/tmp" in mounts and not mounts["/tmp"].get("readOnly")
    return Context(uid, source, non_root, sc.get("readOnlyRootFilesystem") is True, no_new_privs, tmp_volume, refused)


def predict_step(step: Step, ctx: Context) -> StepOutcome:
    """The predicted outcome of one step under a container's settings."""
    if ctx.refused:
        return StepOutcome(None, "not run", ctx.refused)
    root = ctx.uid == 0
    if step.id == "id":
        return StepOutcome(root, _user(ctx.uid), f"{ctx.uid_source} runs the process as "
                                              f"{'root' if root else f'uid {ctx.uid}, not root'}")
    if step.id == "edit-page":
        # The kernel checks the file's permissions before the mount's read-only flag, so a non-root
        # user is told "Permission denied" even on a read-only root filesystem.
        if not root:
            return StepOutcome(False, "Permission denied",
                               f"{PAGE} belongs to root (mode 0644) and uid {ctx.uid} is not root"
                               + (" (checked before readOnlyRootFilesystem)" if ctx.read_only_root else ""))
        if ctx.read_only_root:
            return StepOutcome(False, "Read-only file system", "readOnlyRootFilesystem: true — even root cannot write")
        return StepOutcome(True, "ok", "root owns the page and the root filesystem is writable")
    if step.id == "write-tmp":
        if ctx.tmp_volume:
            return StepOutcome(True, "ok", "an emptyDir volume is mounted on /tmp (writable even with a read-only root)")
        if ctx.read_only_root:
            return StepOutcome(False, "Read-only file system", "readOnlyRootFilesystem: true and no volume on /tmp")
        return StepOutcome(True, "ok", "/tmp is world-writable and the root filesystem is writable")
    if step.id == "become-root":
        if root:
            return StepOutcome(True, _user(0), "already root: nothing to escalate")
        if ctx.no_new_privs:
            return StepOutcome(False, "cannot become root: Operation not permitted",
                           "allowPrivilegeEscalation: false sets no_new_privs: the setuid bit is ignored")
        return StepOutcome(True, _user(0), "allowPrivilegeEscalation is not false: the kernel honours "
                                       "become-root's setuid bit")
    raise ValueError(f"unknown step {step.id!r}")


def observe_step(step: Step, returncode: int, stdout: str, stderr: str) -> StepOutcome:
    """Read what a step's command did in the container (live)."""
    last_error = (stderr.strip().splitlines() or [""])[-1]
    if step.id == "id":
        match = re.search(r"uid=(\d+)(\([^)]*\))?", stdout)
        if returncode != 0 or not match:
            return StepOutcome(None, last_error or f"exit {returncode}")
        return StepOutcome(int(match.group(1)) == 0, match.group(0))
    if step.id == "become-root":
        if returncode == 0 and stdout.strip() == "0":
            return StepOutcome(True, _user(0))
        return StepOutcome(False, last_error.replace("become-root: ", "") or f"exit {returncode}")
    if returncode == 0:
        return StepOutcome(True, "ok")
    for known in ("Read-only file system", "Permission denied"):
        if known in last_error:
            return StepOutcome(False, known)
    return StepOutcome(False, last_error or f"exit {returncode}")


@dataclass(frozen=True)
class StepRow:
    step: Step
    predicted: StepOutcome
    observed: StepOutcome | None = None

    @property
    def agrees(self) -> bool | None:
        if self.observed is None:
            return None
        if self.step.id == "id" and self.predicted.works is not None:
            return self.predicted.shown.split("(")[0] == self.observed.shown.split("(")[0]
        return self.predicted.works == self.observed.works


#: Column widths of :meth:`HackReport.table` (predicted only, and with observed outcomes too): under
#: 130 characters, so the table fits a notebook in a laptop's browser window.
TABLE_WRAP = {"predicted": 26, "why": 62}
LIVE_TABLE_WRAP = {"predicted": 22, "observed": 22, "why": 44}


def _works(outcome: StepOutcome) -> str:
    return {True: "yes", False: "no", None: "—"}[outcome.works]


def _works_style(value: object) -> str:
    """Red where the attacker got through, green where they were stopped (the word says it too)."""
    return f"color:{ {'yes': BAD, 'no': GOOD}.get(str(value), NEUTRAL)};font-weight:bold"


def _agree_style(value: object) -> str:
    return f"color:{WARNING};font-weight:bold" if str(value).startswith("NO") else ""


@dataclass(frozen=True)
class HackReport:
    """The hack's table: one row per step, predicted (always) and observed (live only)."""

    rows: tuple[StepRow, ...]
    context: Context
    note: str = ""
    observed_from: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def live(self) -> bool:
        return any(r.observed is not None for r in self.rows)

    @property
    def disagreements(self) -> list[StepRow]:
        return [r for r in self.rows if r.agrees is False]

    def works(self) -> dict[str, bool | None]:
        """Step id → whether the attacker succeeded (observed when live, else predicted)."""
        return {r.step.id: (r.observed or r.predicted).works for r in self.rows}

    def as_rows(self) -> list[dict[str, str]]:
        rows = []
        for r in self.rows:
            row = {"step": r.step.title, "predicted": r.predicted.shown, "hack works?": _works(r.predicted)}
            if self.live:
                row["observed"] = r.observed.shown if r.observed else "—"
                row["agree"] = {True: "yes", False: "NO ≠", None: "—"}[r.agrees]
            row["why"] = r.predicted.why
            rows.append(row)
        return rows

    def view(self) -> Table:
        """The rows as a :class:`~kslab.views.tables.Table`: HTML in a notebook, aligned text elsewhere
        (long outcomes and reasons wrapped so either form fits a notebook column)."""
        rows = self.as_rows()
        columns = list(rows[0])
        return Table(rows, columns, headers=columns, wrap=LIVE_TABLE_WRAP if self.live else TABLE_WRAP,
                     abbreviate={"predicted": 60, "observed": 60},
                     style={"hack works?": _works_style, "agree": _agree_style})

    def table(self) -> str:
        """The rows as aligned text, long outcomes and reasons wrapped so the table fits a notebook."""
        return self.view().text()

    def said(self) -> list[str]:
        """The lines under the table: how the outcomes were found, and whether they agree."""
        lines = [self.note] if self.note else []
        if self.live:
            lines.append(f"Observed by exec in {self.observed_from}. " + (
                "Predicted and observed agree on every step." if not self.disagreements else
                f"DISAGREEMENT on {', '.join(r.step.title for r in self.disagreements)}: the model is wrong here."))
        return lines

    def __str__(self) -> str:
        return "\n".join([self.table(), *self.said()])

    def _repr_html_(self) -> str:
        return html_block(self.view(), *self.said())

    __repr__ = __str__


def predict(obj: Mapping[str, Any], container: str | None = None) -> HackReport:
    """The hack's predicted outcome for a Pod or workload (offline; nothing is run)."""
    ctx = container_context(obj, container)
    rows = tuple(StepRow(step, predict_step(step, ctx)) for step in STEPS)
    return HackReport(rows, ctx, note="Predicted from the security context (nothing was run).")


def sandboxed(obj: Mapping[str, Any], container: str | None = None) -> HackReport:
    """The hack run for real in the local sandbox (:mod:`kslab.sandbox`), next to the prediction; raises a
    :class:`~kslab.errors.KslabError` saying why where no faithful sandbox can run here."""
    from kslab.sandbox import observe

    predicted = predict(obj, container)
    seen = observe(obj, [row.step.command for row in predicted.rows], container)
    rows = tuple(StepRow(row.step, row.predicted, observe_step(row.step, r.returncode, r.stdout, r.stderr))
                 for row, r in zip(predicted.rows, seen.results))
    return HackReport(rows, predicted.context, observed_from=seen.where,
                      extra={"runtime": seen.runtime, "observed": "sandbox"})


def _offline(obj: Mapping[str, Any], predicted: HackReport, reason: str) -> HackReport:
    """Offline: observed in the local sandbox where one can run faithfully, else the prediction and why not."""
    from kslab.errors import KslabError

    try:
        return sandboxed(obj)
    except KslabError as exc:
        why = exc.message
    except OSError as exc:  # e.g. a full disk while copying the filesystem: say so, and predict
        why = f"the sandbox failed: {exc}"
    return HackReport(predicted.rows, predicted.context,
                      note=f"PREDICTED (offline: {reason}; {why}); live mode runs each command in the pod and "
                           "shows what happened next to this.", extra={"observed": "predicted", "sandbox": why})


def run(lab: Lab, obj: Mapping[str, Any], *, namespace: str | None = None, lab_name: str = "03",
        timeout: int = 120) -> HackReport:
    """Run the hack against the webapp: live, deploy ``obj`` and exec each step in its pod; offline, run it
    in the local sandbox (:mod:`kslab.sandbox`) where one can run here, else predict and say why.

    Live, the result shows predicted and observed side by side; a pod that never starts (for
    example ``runAsNonRoot`` with a root image, or one Pod Security refuses) is reported with the
    reason. The webapp goes to the lab's namespace ``kslab-03`` — or, for an identity that may not
    create namespaces (a classroom student), to their own.
    """
    predicted = predict(obj)
    if not lab.live:
        return _offline(obj, predicted, lab.reason)
    from kslab.cluster import pods

    namespace = namespace or lab.namespace_for(pods.HACK_NAMESPACE)
    started = pods.deploy_and_wait(lab, obj, namespace=namespace, lab_name=lab_name, timeout=timeout)
    if not started.admitted:  # nothing ran, so nothing was observed: the prediction, and why
        return HackReport(predicted.rows, predicted.context, note="\n".join(
            [*([started.note] if started.note else []), f"Not run in namespace {namespace}: {started.reason}"]))
    rows = []
    for row in predicted.rows:
        if started.pod is None:
            observed = StepOutcome(None, "not run", started.reason)
        else:
            result = lab.exec(namespace, started.pod, list(row.step.command))
            observed = observe_step(row.step, result.returncode, result.stdout, result.stderr)
        rows.append(StepRow(row.step, row.predicted, observed))
    where = f"pod {namespace}/{started.pod}" if started.pod else f"namespace {namespace} (no pod started)"
    notes = [started.note] if started.note else []
    if started.pod is None:
        notes.append(f"Not run: {started.reason}")
    return HackReport(tuple(rows), predicted.context, note="\n".join(notes), observed_from=where)
