"""Lab 03's state-based exercise: make the webapp pass *restricted*, deploy it yourself, and prove it.

The student edits a manifest file (:func:`starter` writes the 2019 webapp there, as a Deployment
named ``webapp-mine``) and applies it with kubectl. :func:`judge` is the check: live it reads the
Deployment **as the API server stored it**, judges it with Pod Security (:mod:`kslab.pss`), asks its
running pod what stops each step of the hack (:func:`kslab.handson.lab03.read_facts`) and fetches the
page over HTTP; it passes only when the Deployment passes restricted, every step is stopped and the
page still serves. Offline it reads the file and runs the hack in the local sandbox (:mod:`kslab.sandbox`)
where one can run here, labelled as observed there; elsewhere the hack is predicted, with the sandbox's
reason. Offline the page is always predicted (and says so).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from kslab import settings
from kslab.handson.commands import TERMINAL, Command, Steps, kubectl

if TYPE_CHECKING:
    from kslab.cluster.lab import Lab

LAB = "03"
NAME = "webapp-mine"
FILE = "webapp-mine.yaml"


def work_dir() -> Path:
    """Where the student's files for this lab go: kslab's state directory, never the repository."""
    return settings.state_dir() / "work" / LAB


def manifest(security_context: dict[str, Any] | None = None, *, tmp_volume: bool = False) -> dict[str, Any]:
    """The student's Deployment: the webapp as ``webapp-mine``, labelled so the lab's clean-up removes it.

    >>> d = manifest()
    >>> d["metadata"]["name"], d["spec"]["selector"]["matchLabels"]
    ('webapp-mine', {'app': 'webapp-mine'})
    """
    from kslab.manifests.webapp import webapp_deployment

    body = copy.deepcopy(webapp_deployment(security_context, tmp_volume=tmp_volume))
    labels = {"app": NAME}
    body["metadata"] = {"name": NAME, "labels": {**labels, **settings.MANAGED_BY, settings.LAB_LABEL: LAB}}
    body["spec"]["selector"] = {"matchLabels": labels}
    body["spec"]["template"]["metadata"] = {"labels": labels}
    return body


HEADER = """# Exercise 03.deploy-restricted: make this webapp pass Pod Security "restricted",
# keep it serving its page, and apply it. Change only the container's securityContext (and, if the
# root filesystem becomes read-only, give /tmp a volume). The labels let the lab's clean-up remove it.
"""


def starter(path: str | Path | None = None, *, overwrite: bool = False) -> Path:
    """Write the starting manifest (the 2019 webapp, no security context) where the student edits it.

    An existing file is the student's work: it is kept unless ``overwrite``.
    """
    from kslab.manifests.render import to_yaml

    target = Path(path) if path else work_dir() / FILE
    if target.exists() and not overwrite:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(HEADER + to_yaml(manifest()), encoding="utf-8")
    return target


def steps(lab: Lab, path: Path) -> Steps:
    """The commands: edit the file, apply it in the lab namespace, wait for it."""
    from kslab.cluster import pods

    if lab.live:
        lab.require_lab("printing commands that deploy into your lab namespace")
        namespace = lab.namespace_for(pods.HACK_NAMESPACE)
        context = lab.context or ""
        notes: tuple[str, ...] = ("Then run the check below: it reads what you deployed.",)
    else:
        namespace, context = pods.HACK_NAMESPACE, "YOUR-CONTEXT"
        notes = ("Offline: edit the file and run the check; it judges the file and runs the hack in the local "
                 "sandbox where one runs here (else predicts it).",)
    return Steps("Deploy your restricted webapp", [
        Command(("vi", str(path)), TERMINAL, "edit the securityContext (any editor will do)"),
        Command(kubectl(context, namespace, "apply", "-f", str(path)), TERMINAL, "deploy it"),
        Command(kubectl(context, namespace, "rollout", "status", f"deployment/{NAME}", "--timeout=120s"),
                TERMINAL, "wait until it runs"),
    ], notes)


@dataclass(frozen=True)
class Judgement:
    """The check's findings: each part passed or not, with its reason; ``observed`` says where from."""

    parts: list[tuple[str, bool, str]]
    observed: bool
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return bool(self.parts) and all(ok for _, ok, _ in self.parts)

    def text(self) -> str:
        lines = [f"{'ok ' if ok else 'NO '} {name}: {why}" for name, ok, why in self.parts]
        return "\n".join([*lines, *self.notes])

    __str__ = text


def _deployment_in(path: Path) -> dict[str, Any]:
    from kslab.errors import InputError
    from kslab.manifests.load import load_text, read_source

    text, source = read_source(path)
    docs = [d.obj for d in load_text(text, source=source) if isinstance(d.obj, dict)]
    found = [d for d in docs if d.get("kind") == "Deployment"]
    if len(found) != 1:
        raise InputError(f"{source} holds {len(found)} Deployments; the exercise needs exactly one",
                         hint="start again from kslab.handson.restricted.starter(overwrite=True)")
    return found[0]


def judge(path: str | Path, lab: Lab, *, namespace: str | None = None) -> Judgement:
    """Judge the student's webapp: the file offline; live, what the cluster runs (see the module's docstring)."""
    wanted = _deployment_in(Path(path))
    if not lab.live:
        return _judge_offline(lab, wanted, Path(path))
    return _judge_live(lab, wanted, namespace)


def _judge_offline(lab: Lab, wanted: dict[str, Any], path: Path) -> Judgement:
    """The file judged by Pod Security, and the hack run in the local sandbox where one runs here (through
    :func:`kslab.hack.run`, which falls back to the prediction and says why the sandbox did not run)."""
    from kslab import hack, pss

    verdict = pss.evaluate(wanted, "restricted")
    report = hack.run(lab, wanted)
    live = ("Live, kslab reads the Deployment you applied, runs each step in its pod and fetches its page.")
    if report.extra.get("observed") == "sandbox":
        how = f"observed in {report.observed_from}"
        return Judgement(_parts(verdict, report.works(), None, how=how), observed=False, notes=[
            f"OBSERVED in {report.observed_from} (offline: {lab.reason}): judged from the file {path}, each step "
            f"of the hack run in a fresh container of it; that the page serves is predicted. {live}"])
    why = report.extra.get("sandbox", "no local sandbox ran")
    return Judgement(_parts(verdict, report.works(), None, how="predicted"), observed=False, notes=[
        f"PREDICTED (offline: {lab.reason}; {why}): judged from the file {path}. {live}"])


def _parts(verdict: Any, works: Mapping[str, bool | None], page: Any, *, how: str) -> list[tuple[str, bool, str]]:
    parts = [("Pod Security restricted", bool(verdict.allowed),
              "passes restricted:latest" if verdict.allowed else verdict.message())]
    if any(w is None for w in works.values()):
        parts.append(("the pod runs", False, f"{how}: the pod would not start"))
        return parts
    for step, title in (("id", "not root"), ("edit-page", "page not editable"), ("become-root", "no way to root")):
        parts.append((title, works.get(step) is False, f"{how}: the step is " + ("stopped" if works.get(step) is False
                                                                                 else "NOT stopped")))
    if page is None:
        parts.append(("the page still serves", True, "predicted: nothing stops the server (it only reads /www)"))
    else:
        parts.append(("the page still serves", bool(page.served and page.body.strip()), page.how))
    return parts


#: How long the check waits for the student's rollout to finish.
ROLLOUT_SECONDS = 90


def rolled_out(deployment: dict[str, Any]) -> str:
    """Why a Deployment (as stored) has not finished rolling out, or '' when every replica is new and ready.

    >>> rolled_out({"metadata": {"generation": 2}, "spec": {"replicas": 1},
    ...             "status": {"observedGeneration": 2, "replicas": 2, "updatedReplicas": 1, "availableReplicas": 1}})
    'an old pod is still there (2 pods, 1 updated)'
    """
    want = int((deployment.get("spec") or {}).get("replicas", 1) or 0)
    status = deployment.get("status") or {}
    if int(status.get("observedGeneration") or 0) < int((deployment.get("metadata") or {}).get("generation") or 0):
        return "the deployment controller has not seen your last change yet"
    updated, total = int(status.get("updatedReplicas") or 0), int(status.get("replicas") or 0)
    if updated < want:
        return f"{updated} of {want} pod(s) run your last change"
    if total > updated:
        return f"an old pod is still there ({total} pods, {updated} updated)"
    if int(status.get("availableReplicas") or 0) < want:
        return f"{status.get('availableReplicas') or 0} of {want} pod(s) ready"
    return ""


def _newest_ready_pod(lab: Lab, namespace: str, deployment: dict[str, Any]) -> tuple[str | None, str]:
    """Wait for the rollout to finish; then the Ready pod of the newest ReplicaSet, or why there is none."""
    import time

    name = deployment["metadata"]["name"]
    selector = ",".join(f"{k}={v}" for k, v in
                        ((deployment.get("spec") or {}).get("selector") or {}).get("matchLabels", {}).items())
    deadline = time.monotonic() + ROLLOUT_SECONDS
    why = rolled_out(deployment)
    while why and time.monotonic() < deadline:
        time.sleep(1)
        deployment = lab.read("apps/v1", "Deployment", name, namespace=namespace)
        why = rolled_out(deployment)
    if why:
        return None, f"not rolled out after {ROLLOUT_SECONDS}s: {why} (kubectl -n {namespace} describe deployment {name})"
    for pod in lab.list_pods(namespace, label_selector=selector):
        ready = any(c.type == "Ready" and c.status == "True" for c in (pod.status.conditions or []))
        if ready and pod.metadata.deletion_timestamp is None:
            return str(pod.metadata.name), ""
    return None, "no Ready pod"


def _judge_live(lab: Lab, wanted: dict[str, Any], namespace: str | None) -> Judgement:
    from kslab import pss
    from kslab.cluster import pods
    from kslab.errors import ApiError
    from kslab.handson.lab03 import explain, read_facts
    from kslab.handson.page import fetch

    lab.require_lab("checking your deployed webapp")
    namespace = namespace or lab.namespace_for(pods.HACK_NAMESPACE)
    name = (wanted.get("metadata") or {}).get("name") or NAME
    try:
        body = lab.read("apps/v1", "Deployment", name, namespace=namespace)
    except ApiError as err:
        if err.status == 404:
            return Judgement([("deployed", False, f"no Deployment {name} in {namespace} yet: apply your file first")],
                             observed=True)
        raise
    verdict = pss.evaluate(body, "restricted")
    pod, why = _newest_ready_pod(lab, namespace, body)
    if pod is None:
        return Judgement([("Pod Security restricted", bool(verdict.allowed), verdict.message() or "passes"),
                          ("the pod runs", False, why)], observed=True)
    steps = {r.step: r.stopped for r in explain(read_facts(lab, namespace, pod))}
    works = {"id": not steps["who am I (id)"], "edit-page": not steps["edit the served page"],
             "become-root": not steps["become root via setuid"]}
    page = fetch(lab, namespace, pod)
    return Judgement(_parts(verdict, works, page, how="observed in the pod"), observed=True,
                     notes=[f"observed: Deployment {namespace}/{name} as stored by the API server, pod {pod} "
                            "(each step asked of the pod without changing it)"])


def solution_manifest() -> dict[str, Any]:
    """A webapp that passes restricted and still serves: the restricted settings and a /tmp volume."""
    from kslab.manifests.webapp import RESTRICTED_CONTEXT

    return manifest(dict(RESTRICTED_CONTEXT), tmp_volume=True)


@dataclass(frozen=True)
class Done:
    """What "do it for me" did."""

    path: Path
    backup: Path | None
    applied: str

    def __str__(self) -> str:
        lines = [f"wrote a solution to {self.path}" + (f" (yours is kept in {self.backup})" if self.backup else "")]
        lines.append(self.applied)
        return "\n".join(lines)

    __repr__ = __str__


def do_it_for_me(lab: Lab, path: str | Path | None = None, *, namespace: str | None = None) -> Done:
    """Write the solution into the student's file (kept as ``.bak`` if it differs) and, live, apply it."""
    from kslab.cluster import pods
    from kslab.manifests.render import to_yaml

    target = Path(path) if path else work_dir() / FILE
    text = HEADER + to_yaml(solution_manifest())
    backup = None
    if target.exists() and target.read_text(encoding="utf-8") != text:
        backup = target.with_suffix(".yaml.bak")
        backup.write_text(target.read_text(encoding="utf-8"), encoding="utf-8")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    if not lab.live:
        return Done(target, backup, f"offline ({lab.reason}): nothing applied")
    namespace = namespace or lab.namespace_for(pods.HACK_NAMESPACE)
    body = solution_manifest()
    body["metadata"]["namespace"] = namespace
    lab.apply(body, lab_id=LAB)
    return Done(target, backup, f"applied Deployment {namespace}/{NAME} (server-side apply, labelled {settings.LAB_LABEL}={LAB})")
