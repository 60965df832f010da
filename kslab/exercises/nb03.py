"""Exercises of notebook 03 (pod security context), checked with the same functions the lesson uses:
the Pod Security evaluator (:mod:`kslab.pss`) and the hack model (:mod:`kslab.hack`)."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from kslab import hack
from kslab.exercises.model import CheckResult, Exercise, not_answered
from kslab.manifests.webapp import seed_deployment, webapp_deployment
from kslab.pss import evaluate

if TYPE_CHECKING:
    from kslab.cluster.lab import Lab

#: The pod to fix in "03.fewest-changes": the seed's three settings, nothing else.
FEWEST_POD: dict[str, Any] = {
    "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "webapp"},
    "spec": {"containers": [{"name": "webapp", "image": "localhost/kslab/webapp:1.0",
                             "securityContext": {"runAsUser": 1000, "readOnlyRootFilesystem": True}}]},
}
FEWEST = 4  # allowPrivilegeEscalation, capabilities.drop, runAsNonRoot, seccompProfile.type


def _leaves(value: Any, path: str = "") -> dict[str, Any]:
    """Flatten a manifest to {path: value}; lists of scalars count as one value."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(_leaves(item, f"{path}.{key}" if path else str(key)))
        return out
    if isinstance(value, list) and any(isinstance(i, (dict, list)) for i in value):
        out = {}
        for index, item in enumerate(value):
            out.update(_leaves(item, f"{path}[{index}]"))
        return out
    return {path: value}


def changes(before: Any, after: Any) -> list[str]:
    """The field paths that differ between two manifests (added, removed or changed)."""
    a, b = _leaves(before), _leaves(after)
    return sorted(k for k in a.keys() | b.keys() if a.get(k, object()) != b.get(k, object()))


def check_fewest_changes(answer: Any) -> CheckResult:
    if not isinstance(answer, dict):
        return CheckResult(False, "answer with the whole pod as a dict (start from copy.deepcopy(FEWEST_POD))")
    verdict = evaluate(answer, "restricted")
    if not verdict.allowed:
        return CheckResult(False, f"not yet: {verdict.message()}")
    before = [(c["name"], c["image"]) for c in FEWEST_POD["spec"]["containers"]]
    after = [(c.get("name"), c.get("image")) for c in answer.get("spec", {}).get("containers", [])]
    if before != after:
        return CheckResult(False, "keep the same container (name and image): fix it, don't replace it")
    changed = changes(FEWEST_POD, answer)
    if len(changed) > FEWEST:
        return CheckResult(False, f"it passes restricted, but with {len(changed)} changes ({', '.join(changed)}); "
                                  f"{FEWEST} are enough")
    return CheckResult(True, f"passes restricted:latest with {len(changed)} changes: {', '.join(changed)}")


def check_stop_the_hack(answer: Any) -> CheckResult:
    if not isinstance(answer, dict):
        return CheckResult(False, "answer with a container securityContext dict, e.g. {'runAsUser': 1000}")
    report = hack.predict(webapp_deployment(answer))
    works = report.works()
    if any(w is None for w in works.values()):
        return CheckResult(False, f"the pod would not even run: {report.rows[0].predicted.why}")
    still = [r.step.title for r in report.rows if r.predicted.works]
    if still:
        return CheckResult(False, f"the hack still works for: {', '.join(still)}")
    return CheckResult(True, "every step of the hack is stopped, and the webapp still runs")


def check_seed_checks(answer: Any) -> CheckResult:
    """The failed checks, named as the verdict names them (the API server's reason, e.g. 'hostPort');
    the check ids of :mod:`kslab.pss` (``hostPorts``) are accepted too."""
    violations = evaluate(seed_deployment("all three"), "restricted").violations
    by_name = {v.reason.lower(): v.reason for v in violations} | {v.check.lower(): v.reason for v in violations}
    got = [answer] if isinstance(answer, str) else list(answer or [])
    named = {by_name.get(str(a).strip().lower()) for a in got}
    want = {v.reason for v in violations}
    extra = sorted(str(a) for a in got if str(a).strip().lower() not in by_name)
    if named == want and not extra:
        return CheckResult(True, f"the 2019 manifest fails {len(want)} restricted checks: "
                                 + ", ".join(v.reason for v in violations))
    missing = want - named
    parts = ([f"{len(missing)} missing"] if missing else []) + ([f"not failed: {', '.join(extra)}"] if extra else [])
    return CheckResult(False, "; ".join(parts) or "name the checks as the verdict names them")


def check_deface(answer: Any, target: Any) -> CheckResult:
    """Hands-on: the line the student added must be on the page the pod serves now, and not before."""
    from kslab.handson.page import added_lines, fetch

    if not getattr(target, "live", False):
        return not_answered("offline there is no pod to deface; on the course cluster this check fetches your "
                            "pod's page over HTTP")
    if not isinstance(answer, str) or not answer.strip():
        return CheckResult(False, "answer with the text you added to the page, as a string")
    page = fetch(target.lab, target.namespace, target.pod, node_port_url=target.node_port_url)
    added = added_lines(target.original.body, page.body)
    if any(answer.strip() in line for line in added):
        return CheckResult(True, f"the page your pod serves now says {answer.strip()!r}, which it did not when it "
                                 f"started ({page.how})")
    if added:
        return CheckResult(False, f"the page changed (it now also says {' / '.join(added)[:120]}), but not "
                                  f"with {answer.strip()!r}")
    return CheckResult(False, f"the page your pod serves is unchanged ({page.how}); was the edit refused?")


def check_deploy_restricted(answer: Any, lab: Lab) -> CheckResult:
    """State-based: the Deployment the student applied (offline: their file) passes restricted, every step
    of the hack is stopped and the page still serves."""
    from pathlib import Path

    from kslab.handson.restricted import judge

    if not isinstance(answer, (str, Path)) or not Path(answer).is_file():
        return CheckResult(False, "answer with the path of your manifest file (kslab.handson.restricted.starter() "
                                  "wrote one)")
    found = judge(answer, lab)
    failed = [f"{name} ({why})" for name, ok, why in found.parts if not ok]
    tail = " " + " ".join(found.notes) if found.notes else ""
    if failed:
        return CheckResult(False, "not yet: " + "; ".join(failed) + tail)
    return CheckResult(True, "passes restricted, every step of the hack is stopped, and the page still serves."
                       + tail)


#: The manifest to modernise in "03.modernize-2019": a 2019 webapp Deployment, slips and all.
SEED_2019 = """\
# The webapp, as a 2019 cluster (Kubernetes 1.14) took it.
apiVersion: extensions/v1beta1
kind: Deployment
metadata:
  name: webapp
spec:
  replicas: 1
  template:
    metadata:
      labels:
        app: webapp
    spec:
      containers:
      - name: webapp
        image: localhost/kslab/webapp:1.0
        ports:
        - containerPort: 3000
          hostPort: 3000
      securityContext:
        runAsUser: 1000
        readOnlyRootFilesystem: true
        allowPrivilegeEscalation: false
"""


def _deployment_of(answer: Any) -> tuple[dict[str, Any] | None, str]:
    from kslab.errors import InputError
    from kslab.manifests.load import load_text

    if isinstance(answer, dict):
        objs = [answer]
    elif isinstance(answer, str):
        try:
            objs = [d.obj for d in load_text(answer, source="your answer")]
        except InputError as exc:
            return None, exc.message
    else:
        return None, "answer with the modern manifest as YAML text (or the Deployment as a dict)"
    deployments = [o for o in objs if o.get("kind") == "Deployment"]
    if len(deployments) != 1:
        return None, "the answer must hold exactly one Deployment (a Service next to it is welcome)"
    return deployments[0], ""


def check_modernize_2019(answer: Any) -> CheckResult:
    """Valid for v1.36, nothing left for `kslab modernize` to change, and the 2019 settings still in force."""
    from kslab.manifests.validate import validate
    from kslab.modernize import modernize_text

    deployment, problem = _deployment_of(answer)
    if deployment is None:
        return CheckResult(False, problem)
    problems = validate(deployment, kubernetes_version="1.36.0")
    if problems:
        return CheckResult(False, f"not valid for Kubernetes v1.36: {problems[0]}")
    import yaml

    left = modernize_text(yaml.safe_dump(deployment), source="your answer").findings
    if left:
        return CheckResult(False, f"kslab modernize still finds {len(left)} thing(s) to change, first: "
                                  f"{left[0].rule.id} ({left[0].detail or left[0].rule.why})")
    spec = deployment["spec"]["template"]["spec"]
    containers = spec.get("containers") or []
    if [c.get("image") for c in containers] != ["localhost/kslab/webapp:1.0"]:
        return CheckResult(False, "keep the one webapp container and its image")
    sc, pod_sc = containers[0].get("securityContext") or {}, spec.get("securityContext") or {}
    lost = [k for k, want in (("readOnlyRootFilesystem", True), ("allowPrivilegeEscalation", False))
            if sc.get(k) is not want]
    if sc.get("runAsUser", pod_sc.get("runAsUser")) != 1000:
        lost.append("runAsUser")
    if lost:
        return CheckResult(False, f"the 2019 manifest meant {', '.join(lost)} to apply to the container; "
                                  "in your answer it does not")
    return CheckResult(True, "valid for v1.36, nothing left to modernise, and runAsUser 1000, a read-only root "
                             "filesystem and no privilege escalation now really apply to the container")


EXERCISES = [
    Exercise(
        "03.deface", "Deface the page yourself",
        "In the webapp's pod (the commands are printed above), add a line of your own to /www/index.html and "
        "reload the page in your browser. The check fetches the page your pod serves now.",
        hints=("kubectl exec -it POD -- sh gives you a shell in the pod; the image runs as root.",
               "echo '<h1>my text</h1>' >> /www/index.html appends a line; any editor (vi) works too."),
        solution="# in the pod's shell: echo '<h1>hacked</h1>' >> /www/index.html\n'<h1>hacked</h1>'",
        checker=check_deface, answer_form="the text you added to the page, as a string",
        reads="your webapp pod (the target kslab.handson.lab03.webapp returned)", against="you",
        explanation="the image runs as root and root owns the page, so nothing stops the write"),
    Exercise(
        "03.seed-checks", "Read the verdict",
        "Which Pod Security checks does the 2019 webapp with all three settings "
        "(kslab.manifests.webapp.seed_deployment('all three')) fail at restricted:latest? Name each as the "
        "verdict above does, before its parenthesis (e.g. 'hostPort').",
        hints=("The verdict of kslab.pss.evaluate(seed_pod, 'restricted') above lists one line per failed check.",
               "Not every setting the seed made is one restricted asks for; and hostPort is baseline."),
        solution="{'hostPort', 'unrestricted capabilities', 'runAsNonRoot != true', 'seccompProfile'}",
        explanation="The seed's three settings are good, but restricted also asks for dropped capabilities, "
                    "runAsNonRoot and a seccomp profile; the hostPort already fails baseline.",
        checker=check_seed_checks, answer_form="a set of the checks' names as the verdict prints them",
        start={"hostPort"}),
    Exercise(
        "03.stop-the-hack", "Stop every step of the hack",
        "Give a container securityContext (a dict) for the webapp such that no step of the hack works "
        "(not root, page not editable, /tmp not writable, become-root fails) and the pod still starts.",
        hints=("Each of the seed's three settings stops some steps; which step does each one stop?",
               "runAsNonRoot: true without a runAsUser would stop the pod from starting: the image runs as root."),
        solution="{'runAsUser': 1000, 'readOnlyRootFilesystem': True, 'allowPrivilegeEscalation': False}",
        checker=check_stop_the_hack, answer_form="a container securityContext as a dict, e.g. {'runAsUser': 1000}",
        start={"runAsUser": 1000}),
    Exercise(
        "03.fewest-changes", "Pass restricted with the fewest changes",
        "kslab.exercises.nb03.FEWEST_POD passes baseline but not restricted. Return a fixed copy that passes "
        "restricted:latest, keeping its container, with as few changed fields as possible.",
        hints=("Start from copy.deepcopy(FEWEST_POD) and read kslab.pss.evaluate(pod).message(): one change per "
               "violation.",
               "runAsNonRoot and seccompProfile can be set once for the pod (spec.securityContext) or on the container.",
               "capabilities.drop: ['ALL'] counts as one change."),
        solution="from kslab.exercises.nb03 import fewest_pod\n"
                 "my_pod = fewest_pod()\n"
                 "sc = my_pod['spec']['containers'][0]['securityContext']\n"
                 "sc['allowPrivilegeEscalation'] = False\n"
                 "sc['capabilities'] = {'drop': ['ALL']}\n"
                 "sc['runAsNonRoot'] = True\n"
                 "sc['seccompProfile'] = {'type': 'RuntimeDefault'}\n"
                 "my_pod",
        checker=check_fewest_changes, answer_form="the whole pod as a dict (a changed copy of FEWEST_POD)",
        start=lambda: copy.deepcopy(FEWEST_POD)),
    Exercise(
        "03.modernize-2019", "Modernise a 2019 manifest",
        "kslab.exercises.nb03.SEED_2019 is a webapp Deployment as a 2019 cluster accepted it. Write it for "
        "Kubernetes v1.36: valid for that release, with nothing left for kslab modernize to change, and with "
        "the three security settings the 2019 author meant really applying to the container. Answer with "
        "the YAML text.",
        hints=("print(kslab.modernize.modernize_text(SEED_2019)) lists what is wrong, rule by rule.",
               "extensions/v1beta1 is gone (apps/v1 needs a selector); two of the three settings sit one level "
               "too far out; hostPort has to go (a Service or kubectl port-forward reaches the pod)."),
        solution='"""\n'
                 "apiVersion: apps/v1\n"
                 "kind: Deployment\n"
                 "metadata: {name: webapp}\n"
                 "spec:\n"
                 "  replicas: 1\n"
                 "  selector: {matchLabels: {app: webapp}}\n"
                 "  template:\n"
                 "    metadata: {labels: {app: webapp}}\n"
                 "    spec:\n"
                 "      securityContext: {runAsUser: 1000}\n"
                 "      containers:\n"
                 "      - name: webapp\n"
                 "        image: localhost/kslab/webapp:1.0\n"
                 "        ports: [{containerPort: 3000}]\n"
                 "        securityContext: {readOnlyRootFilesystem: true, allowPrivilegeEscalation: false}\n"
                 '"""',
        checker=check_modernize_2019, answer_form="the modern manifest as YAML text",
        start=lambda: SEED_2019,
        explanation="apps/v1 with a selector, the container-only settings on the container, and no hostPort"),
    Exercise(
        "03.deploy-restricted", "Deploy a webapp the hack cannot touch",
        "Edit the manifest file kslab wrote (kslab.handson.restricted.starter()) so that the webapp passes Pod "
        "Security restricted and still serves its page, and apply it to your lab namespace. The check reads the "
        "Deployment you applied, runs the hack against its pod and fetches the page (offline: it judges the file "
        "and predicts the rest).",
        hints=("kslab pss FILE tells you what restricted still misses.",
               "The seed's three settings plus runAsNonRoot, capabilities.drop [ALL] and a RuntimeDefault seccomp "
               "profile; a read-only root filesystem needs an emptyDir on /tmp."),
        solution="from kslab.handson import restricted\n"
                 "my_file = restricted.do_it_for_me(kslab.connect(), restricted.starter()).path\n"
                 "my_file",
        checker=check_deploy_restricted, answer_form="the path of your manifest file",
        reads="your lab (the Lab kslab.connect() returned)", against="lab",
        explanation="RESTRICTED_CONTEXT stops every step, and an emptyDir on /tmp leaves the server what it needs"),
]


def fewest_pod() -> dict[str, Any]:
    """A fresh copy of the pod to fix (so experiments never change the original)."""
    return copy.deepcopy(FEWEST_POD)
