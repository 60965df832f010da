"""Lab 03 by hand: the student gets a shell in the webapp's pod, defaces the page, tries to become root —
and after each security-context fix tries again. kslab prints the commands and reads what happened.

:func:`webapp` deploys the webapp (live) and returns a :class:`Target`: its pod, the page it served
when it started, the commands to type. :func:`tried` is the check: it fetches the page over HTTP
(:mod:`kslab.handson.page`) and asks the pod itself what stops each step — its ``id``, the page's
owner and mode, how ``/`` is mounted, the kernel's ``NoNewPrivs`` flag, and the kernel's answer to
opening the page for writing (an append of nothing: it changes no byte) and to ``become-root``.
:func:`do_it_for_me` runs the student's steps in the same pod, for a reader who only reads.

The reading is pure and tested on real inputs (:func:`explain`); the I/O goes through ``Lab``.

>>> facts = PodFacts(id_output="uid=1000(webapp) gid=1000(webapp) groups=1000(webapp)",
...                  page_stat="0 0 644", root_options="rw,relatime", no_new_privs="1",
...                  edit=Answer(1, "sh: can't create /www/index.html: Permission denied"),
...                  escalate=Answer(1, "become-root: cannot become root: Operation not permitted"),
...                  security_context={"runAsUser": 1000, "allowPrivilegeEscalation": False})
>>> [(r.step, r.stopped) for r in explain(facts)]
[('who am I (id)', True), ('edit the served page', True), ('become root via setuid', True)]
>>> print(explain(facts)[1].why)
/www/index.html belongs to uid 0 (mode 644) and the process is uid 1000
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kslab import settings
from kslab.handson.commands import OPEN_A_TERMINAL, POD_SHELL, TERMINAL, Command, Steps, kubectl
from kslab.handson.page import Page, added_lines, fetch, offline_page
from kslab.hack import BECOME_ROOT, PAGE
from kslab.manifests.webapp import PORT
from kslab.views.tables import Table

if TYPE_CHECKING:
    from kslab.cluster.lab import Lab

LAB = "03"
#: The course cluster maps this NodePort to the laptop's loopback (kslab/data/kind/cluster.yaml).
NODE_PORT = 30080
NODE_PORT_URL = f"http://127.0.0.1:{NODE_PORT}/"
#: What the student appends to the page (any text of their own will do).
DEFACEMENT = "<h1>hacked</h1>"
DEFACE_LINE = f"echo '{DEFACEMENT}' >> {PAGE}"
#: The local port of the student's own ``kubectl port-forward`` (kubectl binds 127.0.0.1 by default).
BROWSER_PORT = 8080

#: Asked of the pod, never changing it: (name, argv).
PROBES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("id", ("id",)),
    ("page_stat", ("stat", "-c", "%u %g %a", PAGE)),
    ("mounts", ("cat", "/proc/mounts")),
    ("status", ("cat", "/proc/self/status")),
    # Opening the page for appending is exactly the write the student tried; appending nothing
    # leaves every byte as it was, so the kernel's answer is read without defacing anything.
    ("edit", ("sh", "-c", f": >> {PAGE}")),
    ("escalate", (BECOME_ROOT, "id", "-u")),
)


@dataclass(frozen=True)
class Target:
    """The webapp pod the student attacks, and how to reach it."""

    live: bool
    context: str
    namespace: str
    pod: str
    security_context: dict[str, Any]
    original: Page
    node_port_url: str = ""
    note: str = ""
    reason: str = ""
    lab: Lab | None = field(default=None, repr=False, compare=False)  # the Lab it runs in (live)
    manifest: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)  # what was deployed

    def steps(self) -> Steps:
        """What to type: the shell in the pod, then the hack, one command at a time; and, when kslab has
        no URL for the page (no NodePort, port-forwards refused), how to open one yourself."""
        steps = hack_steps(self.context, self.namespace, self.pod, live=self.live)
        if self.live and not self.original.url:
            forward = Command(kubectl(self.context, self.namespace, "port-forward", f"pod/{self.pod}",
                                      f"{BROWSER_PORT}:{PORT}"), TERMINAL,
                              f"in another terminal, to see the page in your browser at http://127.0.0.1:{BROWSER_PORT}/")
            steps = Steps(steps.title, [forward, *steps.commands], steps.notes)
        return steps

    def text(self) -> str:
        head = (f"webapp pod {self.namespace}/{self.pod} on context {self.context}" if self.live
                else f"offline ({self.reason}): no pod runs; the commands below use placeholders")
        sc = f"securityContext: {self.security_context}" if self.security_context else "no securityContext"
        return "\n".join([head + f" — {sc}", *([self.note] if self.note else []), "", OPEN_A_TERMINAL, "",
                          str(self.steps())])

    def __str__(self) -> str:
        return self.text()

    __repr__ = __str__

    def _repr_html_(self) -> str:
        head = (f"webapp pod <code>{html.escape(self.namespace)}/{html.escape(self.pod)}</code> on context "
                f"<code>{html.escape(self.context)}</code>" if self.live else
                f"<b>offline</b> ({html.escape(self.reason)}): no pod runs; the commands use placeholders")
        note = f"<div>{html.escape(self.note)}</div>" if self.note else ""
        return (f"<div>{head}</div>{note}<p>{html.escape(OPEN_A_TERMINAL)}</p>" + self.steps()._repr_html_())


def hack_steps(context: str, namespace: str, pod: str, *, live: bool = True) -> Steps:
    """The commands of the hack, for this pod.

    >>> print(hack_steps("kind-kslab", "kslab-03", "webapp-1").commands[0].text)
    kubectl --context kind-kslab -n kslab-03 exec -it webapp-1 -- sh
    """
    notes: tuple[str, ...] = ("Then run the next cell: it fetches the page and asks the pod what happened.",)
    if not live:
        notes = ("Offline there is no pod: run these on the course cluster (kslab cluster up).", *notes)
    return Steps("Hack the webapp by hand", [
        Command(kubectl(context, namespace, "exec", "-it", pod, "--", "sh"), TERMINAL, "a shell in the pod"),
        Command(("id",), POD_SHELL, "who am I?"),
        Command(("sh", "-c", DEFACE_LINE), POD_SHELL, f"deface the page (or edit it: vi {PAGE}); reload it in the browser",
                typed=DEFACE_LINE),
        Command((BECOME_ROOT, "id"), POD_SHELL, "try to become root"),
        Command(("exit",), POD_SHELL, "leave the pod's shell"),
    ], notes)


def _context_of(obj: Mapping[str, Any]) -> dict[str, Any]:
    spec = obj.get("spec") or {}
    if obj.get("kind") != "Pod":
        spec = ((spec.get("template") or {}).get("spec")) or {}
    containers = spec.get("containers") or [{}]
    return dict(containers[0].get("securityContext") or {})


def webapp(lab: Lab, deployment: Mapping[str, Any], *, namespace: str | None = None, timeout: int = 120,
           lab_name: str = LAB) -> Target:
    """Deploy the webapp for the student to attack and return the :class:`Target` (live);
    offline, the target with placeholders and the page the image would serve.

    Live it runs in the lab namespace ``kslab-03`` (a classroom student: their own). On the course's
    kind cluster the webapp also gets the NodePort 30080, so ``http://127.0.0.1:30080`` shows the page.
    """
    from kslab.cluster import pods

    sc = _context_of(deployment)
    if not lab.live:
        return Target(False, "YOUR-CONTEXT", pods.HACK_NAMESPACE, "WEBAPP-POD", sc,
                      offline_page(lab.reason), reason=lab.reason, manifest=dict(deployment))
    lab.require_lab("the hands-on hack (deploys the webapp and prints commands that attack it)")
    namespace = namespace or lab.namespace_for(pods.HACK_NAMESPACE)
    started = pods.deploy_and_wait(lab, deployment, namespace=namespace, lab_name=lab_name, timeout=timeout)
    if started.pod is None:
        from kslab.errors import ApiError

        raise ApiError(f"the webapp did not start in {namespace}: {started.reason}",
                       hint="this security context does not let the pod run; `kslab.hack.predict` says why")
    node_port_url, note = _node_port(lab, namespace, lab_name)
    notes = [n for n in (started.note, note) if n]
    page = fetch(lab, namespace, started.pod, node_port_url=node_port_url)
    return Target(True, lab.context or "", namespace, started.pod, sc, page, node_port_url, "\n".join(notes),
                  lab=lab)


def _node_port(lab: Lab, namespace: str, lab_name: str = LAB) -> tuple[str, str]:
    """On the course's own cluster, a NodePort Service for the webapp (its port is mapped to the laptop)."""
    from kslab.errors import ApiError
    from kslab.manifests.webapp import webapp_service

    if lab.context != settings.LAB_CONTEXT:
        return "", ""
    try:
        lab.apply(webapp_service(namespace=namespace, node_port=NODE_PORT), lab_id=lab_name)
    except ApiError as err:  # e.g. 30080 already taken by another namespace's Service
        return "", f"no NodePort ({err.server_message or err}); kslab uses a port-forward instead"
    return NODE_PORT_URL, ""


# ---- reading what happened ------------------------------------------------------------------------
@dataclass(frozen=True)
class Answer:
    """The kernel's answer to one probe: exit code and the last line it printed on stderr."""

    returncode: int
    error: str = ""


@dataclass(frozen=True)
class PodFacts:
    """What the pod says about itself (every field read in the pod or from its spec)."""

    id_output: str
    page_stat: str
    root_options: str
    no_new_privs: str
    edit: Answer
    escalate: Answer
    security_context: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StepResult:
    """One step of the hack: stopped or not, what the kernel answered, and why (from the pod)."""

    step: str
    stopped: bool
    answered: str
    why: str


def _uid(id_output: str) -> int | None:
    match = re.search(r"uid=(\d+)", id_output)
    return int(match.group(1)) if match else None


def root_mount_options(mounts: str) -> str:
    """The mount options of ``/`` from ``/proc/mounts`` (the last mount on ``/`` wins).

    >>> root_mount_options("overlay / overlay ro,relatime,lowerdir=/l 0 0\\nproc /proc proc rw 0 0")
    'ro,relatime,lowerdir=/l'
    """
    found = ""
    for line in mounts.splitlines():
        parts = line.split()
        if len(parts) >= 4 and parts[1] == "/":
            found = parts[3]
    return found


def status_field(status: str, name: str) -> str:
    """One field of ``/proc/<pid>/status``.

    >>> status_field("Name:\\tcat\\nNoNewPrivs:\\t1\\n", "NoNewPrivs")
    '1'
    """
    for line in status.splitlines():
        key, _, value = line.partition(":")
        if key == name:
            return value.strip()
    return ""


def _sc_says(sc: Mapping[str, Any], key: str) -> str:
    return f"securityContext.{key}: {str(sc[key]).lower() if isinstance(sc[key], bool) else sc[key]}" \
        if key in sc else f"no securityContext.{key}"


#: The kernel's errors for a refused open, as busybox sh prints them (strerror of EROFS and EACCES).
EROFS = "Read-only file system"
EACCES = "Permission denied"


def _why_not_editable(error: str, owner_mode: list[str], uid: int | None, read_only: bool, root_options: str,
                      sc: Mapping[str, Any]) -> str:
    """Why opening the page failed, following the error the kernel gave: ``EROFS`` is the mount, ``EACCES``
    the file's owner and mode against the uid. Appending (``>>``) checks the file's permissions before the
    mount's read-only flag, so a non-root user on a read-only root gets ``EACCES``; saying "read-only" then
    would name the wrong defence."""
    mount = f"/ is mounted read-only (options {root_options.split(',')[0]}): {_sc_says(sc, 'readOnlyRootFilesystem')}"
    owner = (f"{PAGE} belongs to uid {owner_mode[0]} (mode {owner_mode[2]}) and the process is uid {uid}"
             if len(owner_mode) == 3 else "")
    if EROFS in error:
        return mount
    if EACCES in error:
        why = owner or f"the page's owner and mode do not let uid {uid} write it"
        return why + ("; / is read-only too, but the kernel refused on the file's permissions first"
                      if read_only else "")
    if read_only:  # no message to go by (e.g. another shell): the mount refuses every write
        return mount
    return owner or "the kernel refused to open the page for writing"


def explain(facts: PodFacts) -> list[StepResult]:
    """Which steps the kernel stopped, with its own error, and the fact in the pod that explains it."""
    uid = _uid(facts.id_output)
    sc = facts.security_context
    rows = [StepResult("who am I (id)", uid not in (0, None), facts.id_output.strip() or "no answer",
                       f"{_sc_says(sc, 'runAsUser')} (from the pod's spec)" if uid != 0 else
                       f"{_sc_says(sc, 'runAsUser')}: the image's default user, root")]
    owner_mode = facts.page_stat.split()
    read_only = "ro" in facts.root_options.split(",")
    if facts.edit.returncode == 0:
        why = (f"{PAGE} belongs to uid {owner_mode[0]} (mode {owner_mode[2]}) and the process is uid {uid}; "
               "/ is mounted read-write" if len(owner_mode) == 3 else "the kernel let the process open the page for writing")
        rows.append(StepResult("edit the served page", False, "opened for writing: the page can be changed", why))
    else:
        why = _why_not_editable(facts.edit.error, owner_mode, uid, read_only, facts.root_options, sc)
        rows.append(StepResult("edit the served page", True, facts.edit.error or f"exit {facts.edit.returncode}", why))
    if facts.escalate.returncode == 0:
        rows.append(StepResult("become root via setuid", False, "uid=0(root)",
                               f"NoNewPrivs: {facts.no_new_privs or '?'} — the kernel honours become-root's setuid bit "
                               f"({_sc_says(sc, 'allowPrivilegeEscalation')})"))
    else:
        rows.append(StepResult("become root via setuid", True, facts.escalate.error or f"exit {facts.escalate.returncode}",
                               f"NoNewPrivs: {facts.no_new_privs or '?'} in /proc/self/status: the kernel ignores "
                               f"setuid bits ({_sc_says(sc, 'allowPrivilegeEscalation')})"
                               if facts.no_new_privs == "1" else "become-root could not change its user"))
    return rows


def _last_error(stderr: str) -> str:
    return (stderr.strip().splitlines() or [""])[-1][:200]


def read_facts(lab: Lab, namespace: str, pod: str) -> PodFacts:
    """Ask the pod (exec) and its spec (the API) the facts :func:`explain` reads."""
    out: dict[str, Any] = {}
    for name, argv in PROBES:
        result = lab.exec(namespace, pod, list(argv))
        out[name] = result
    spec = lab.read_pod(namespace, pod).spec
    sc = spec.containers[0].security_context
    security_context = dict(lab.serialize(sc) or {}) if sc else {}
    return PodFacts(out["id"].stdout.strip(), out["page_stat"].stdout.strip(),
                    root_mount_options(out["mounts"].stdout), status_field(out["status"].stdout, "NoNewPrivs"),
                    Answer(out["edit"].returncode, _last_error(out["edit"].stderr)),
                    Answer(out["escalate"].returncode, _last_error(out["escalate"].stderr or out["escalate"].stdout)),
                    security_context)


@dataclass(frozen=True)
class Tried:
    """The check after the student's attempt: the page now, whether it was defaced, and each step."""

    target: Target
    page: Page
    added: list[str]
    steps: list[StepResult]
    report: Any = None  # offline: kslab.hack's report (observed in the local sandbox, or predicted)
    live: bool = True

    @property
    def defaced(self) -> bool:
        return bool(self.added)

    @property
    def stopped(self) -> list[str]:
        return [s.step for s in self.steps if s.stopped]

    @property
    def sandboxed(self) -> bool:
        """Offline, whether the local sandbox ran the steps (else they are predicted)."""
        return bool(self.report is not None and self.report.extra.get("observed") == "sandbox")

    def _headline(self) -> str:
        if not self.live:
            if self.sandboxed:
                return (f"OBSERVED in {self.report.observed_from} (offline: {self.target.reason}): the hack's steps "
                        "ran in a fresh container of the webapp; live, kslab reads this from your pod")
            return f"PREDICTED (offline: {self.target.reason}) — nothing was run; live, kslab reads this from your pod"
        page = ("the page is DEFACED: it now also says " + " / ".join(self.added) if self.defaced
                else "the page is as the pod first served it")
        stopped = (f"the kernel stopped: {', '.join(self.stopped)}" if self.stopped
                   else "nothing stopped any step")
        return f"{page}. {stopped[0].upper() + stopped[1:]}."

    def rows(self) -> list[dict[str, str]]:
        return [{"step": s.step, "stopped?": "stopped" if s.stopped else "works",
                 "what the kernel answered": s.answered, "why (read from the pod)": s.why} for s in self.steps]

    def table(self) -> Table:
        """Live: one row per step, what the kernel answered and why, read from the pod."""
        rows = self.rows()
        return Table(rows, list(rows[0]), headers=list(rows[0]),
                     wrap={"what the kernel answered": 30, "why (read from the pod)": 46})

    def __str__(self) -> str:
        if not self.live:
            return "\n".join([self._headline(), str(self.report)])
        return "\n".join([self._headline(), "", self.table().text(), "", self.page.text()])

    __repr__ = __str__

    def _repr_html_(self) -> str:
        head = f"<div><b>{html.escape(self._headline())}</b></div>"
        if not self.live:
            return head + (self.report._repr_html_() if self.report is not None else "")
        return f"{head}{self.table().html()}{self.page._repr_html_()}"


def tried(lab: Lab, target: Target) -> Tried:
    """Read what the student's attempt did: the page over HTTP, and each step's answer from the pod.

    Offline there is no pod: the hack's steps run in the local sandbox where one can run here
    (:func:`kslab.hack.run`), else they are predicted and the table says why the sandbox did not run."""
    from kslab import hack

    if not target.live:
        deployment = target.manifest or {
            "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "webapp"},
            "spec": {"containers": [{"name": "webapp", "securityContext": target.security_context}]}}
        return Tried(target, target.original, [], [], hack.run(lab, deployment), live=False)
    lab.require_lab("checking the hands-on hack")
    page = fetch(lab, target.namespace, target.pod, node_port_url=target.node_port_url)
    facts = read_facts(lab, target.namespace, target.pod)
    return Tried(target, page, added_lines(target.original.body, page.body), explain(facts))


def do_it_for_me(lab: Lab, target: Target) -> Tried:
    """Run the student's steps in the target's pod (no shell of the student's: fixed argv lists), then
    check them like :func:`tried`. Offline: the hack in the local sandbox, or the prediction, labelled."""
    if target.live:
        lab.require_lab("the hands-on hack")
        for cmd in target.steps().commands:
            if cmd.where == POD_SHELL and cmd.argv != ("exit",):
                lab.exec(target.namespace, target.pod, list(cmd.argv))  # what counts is what the pod shows next
    return tried(lab, target)
