"""Lab 02 by hand: audit a real control plane with kube-bench, or harden an API server manifest yourself.

* **kube-bench** (the course's kind cluster): :func:`kube_bench_objects` is a Job of kslab's own that
  runs kube-bench on the control-plane node (it needs the host's PID namespace and read-only views of
  the node's configuration, so it runs in a namespace of its own that enforces *privileged*); the image
  is pinned. The student applies it, saves its JSON log and imports it (``kslab audit import``); the
  check reads that file.
* **hardening** (anywhere, offline too): :func:`starter` copies the bundled kubeadm manifest into a
  file of the student's; they edit its flags and run ``kslab audit apiserver FILE``; the check audits
  that file with the same rules (every scored check must pass).

>>> job = kube_bench_objects()[1]
>>> job["spec"]["template"]["spec"]["containers"][0]["image"] == KUBE_BENCH_IMAGE
True
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kslab import settings
from kslab.handson.commands import TERMINAL, Command, Steps, kubectl

if TYPE_CHECKING:
    from kslab.cluster.lab import Lab

LAB = "02"
NAMESPACE = "kslab-02"
JOB = "kube-bench"
#: Pinned, never ``latest`` (KSLAB_KUBE_BENCH_IMAGE names another); its cfg/ holds cis-1.12.
KUBE_BENCH_IMAGE = os.environ.get("KSLAB_KUBE_BENCH_IMAGE", "docker.io/aquasec/kube-bench:v0.16.0")
#: Host paths kube-bench reads (read-only): the control plane's manifests and PKI, the kubelet's config.
HOST_PATHS = ("/etc/kubernetes", "/var/lib/kubelet", "/etc/systemd", "/var/lib/etcd")


def work_dir() -> Path:
    """Where the student's files for this lab go: kslab's state directory, never the repository."""
    return settings.state_dir() / "work" / LAB


def kube_bench_objects(image: str = KUBE_BENCH_IMAGE, *, namespace: str = NAMESPACE,
                       node_name: str | None = None) -> list[dict[str, Any]]:
    """The namespace and the Job that runs kube-bench once on the control-plane node, printing JSON.

    ``node_name`` pins the Job to that node instead (a cluster whose control-plane node carries no
    ``node-role.kubernetes.io/control-plane`` label: kube-bench must run where the API server runs).

    >>> kube_bench_objects(node_name="node-1")[1]["spec"]["template"]["spec"]["nodeName"]
    'node-1'
    """
    labels = {**settings.MANAGED_BY, settings.LAB_LABEL: LAB}
    mounts, volumes = [], []
    for path in HOST_PATHS:
        name = path.strip("/").replace("/", "-")
        mounts.append({"name": name, "mountPath": path, "readOnly": True})
        volumes.append({"name": name, "hostPath": {"path": path}})
    namespace_obj: dict[str, Any] = {"apiVersion": "v1", "kind": "Namespace",
                                     "metadata": {"name": namespace, "labels": {
                                         **labels, "pod-security.kubernetes.io/enforce": "privileged",
                                         "pod-security.kubernetes.io/warn": "baseline"}}}
    # Where it runs: the control-plane node by its label, or the node named.
    placement: dict[str, Any] = ({"nodeName": node_name} if node_name else
                                 {"nodeSelector": {"node-role.kubernetes.io/control-plane": ""}})
    job: dict[str, Any] = {"apiVersion": "batch/v1", "kind": "Job",
           "metadata": {"name": JOB, "namespace": namespace, "labels": labels},
           "spec": {"backoffLimit": 0, "ttlSecondsAfterFinished": 3600, "template": {
               "metadata": {"labels": {**labels, "app": JOB}},
               "spec": {
                   "hostPID": True,  # kube-bench reads the components' command lines from /proc
                   "restartPolicy": "Never",
                   "automountServiceAccountToken": False,
                   **placement,
                   "tolerations": [{"key": "node-role.kubernetes.io/control-plane", "operator": "Exists",
                                    "effect": "NoSchedule"}],
                   "containers": [{"name": JOB, "image": image, "imagePullPolicy": "IfNotPresent",
                                   "command": ["kube-bench", "run", "--targets", "master,node",
                                               "--benchmark", "cis-1.12", "--json"],
                                   "volumeMounts": mounts}],
                   "volumes": volumes}}}}
    return [namespace_obj, job]


def write_job(path: str | Path | None = None) -> Path:
    """Write the Job's manifest where the student can read it before applying it."""
    from kslab.manifests.render import to_yaml

    target = Path(path) if path else work_dir() / "kube-bench-job.yaml"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("# kube-bench, once, on the control-plane node (lab 02). Read it before you apply it:\n"
                      "# hostPID and read-only hostPath volumes are why its namespace enforces privileged.\n"
                      + to_yaml(kube_bench_objects()), encoding="utf-8")
    return target


def kube_bench_steps(lab: Lab, job_file: Path) -> Steps:
    """The commands: apply, wait, save the JSON, import it (the course's kind cluster only)."""
    work_dir().mkdir(parents=True, exist_ok=True)  # the commands write there
    out = str(work_dir() / "kube-bench.json")
    if lab.live:
        lab.require_lab("printing commands that run kube-bench on your nodes")
        if lab.context != settings.LAB_CONTEXT:
            return Steps("Run kube-bench on the course cluster", [], (
                f"Not printed: kube-bench runs privileged on the nodes, and kslab prints it only for the course's "
                f"kind cluster ({settings.LAB_CONTEXT}), not {lab.context}. Harden the bundled manifest instead "
                "(the next step), or run kube-bench as your cluster's documentation says.",))
        context = lab.context
        notes: tuple[str, ...] = ()
    else:
        context = "kind-kslab"
        notes = (f"Offline ({lab.reason}): run these once the course cluster is up (kslab cluster up).",)
    return Steps("Run kube-bench on the course cluster", [
        Command(kubectl(context, None, "apply", "-f", str(job_file)), TERMINAL, "the namespace and the Job"),
        Command(kubectl(context, NAMESPACE, "wait", "--for=condition=complete", f"job/{JOB}", "--timeout=300s"),
                TERMINAL, "until it has run"),
        Command(kubectl(context, NAMESPACE, "logs", f"job/{JOB}"), TERMINAL, f"its JSON, saved to {out}",
                typed=f"kubectl --context {context} -n {NAMESPACE} logs job/{JOB} > {out}"),
        Command(("kslab", "audit", "import", out), TERMINAL, "kube-bench's verdicts, with kslab's why"),
    ], notes)


def check_import(path: str | Path) -> tuple[bool, str]:
    """Whether a file is kube-bench JSON with API server checks, and what it says."""
    from kslab.audit.kube_bench import import_kube_bench

    report = import_kube_bench(path)
    rows = [r for r in report.rows if r.id.startswith("1.2.")]
    if not rows:
        return False, "kube-bench's JSON has no API server checks (1.2.x): was --targets master given?"
    counts = {s: sum(r.status == s for r in rows) for s in ("PASS", "FAIL", "WARN")}
    return True, (f"{len(rows)} API server checks imported: " + ", ".join(f"{n} {s}" for s, n in counts.items()))


@dataclass(frozen=True)
class KubeBenchRun:
    """What "do it for me" did with kube-bench: ran it (and saved its JSON to ``path``) or why not."""

    ran: bool
    how: str
    path: Path | None = None
    imported: str = ""

    def __str__(self) -> str:
        lines = [self.how]
        if self.path:
            lines.append(f"saved to {self.path}; exercise 02.kube-bench-import reads it: ex.check({str(self.path)!r})")
        if self.imported:
            lines.append(self.imported)
        return "\n".join(lines)

    __repr__ = __str__


def run_kube_bench(lab: Lab, *, out: str | Path | None = None, namespace: str = NAMESPACE,
                   node_name: str | None = None, course_cluster_only: bool = True,
                   timeout: float = 300, stuck_grace: float = 90) -> KubeBenchRun:
    """Do it for me: run the kube-bench Job, save its JSON log, and import it (live, the course's kind
    cluster; ``course_cluster_only=False`` is an explicit opt-in for another lab context). Offline, or
    when the Job cannot run (its image cannot be pulled here, no node takes it), say why."""
    from kslab.cluster import jobs, pods

    if not lab.live:
        return KubeBenchRun(False, f"offline ({lab.reason}): nothing ran. kube-bench's format is in "
                                   "kslab.audit.kube_bench.bundled_sample(), which the exercise also reads")
    lab.require_lab("running kube-bench on your nodes")
    if course_cluster_only and lab.context != settings.LAB_CONTEXT:
        return KubeBenchRun(False, f"not run: kube-bench runs privileged on the nodes, and kslab runs it only on "
                                   f"the course's kind cluster ({settings.LAB_CONTEXT}), not {lab.context}")
    ns_obj, job = kube_bench_objects(namespace=namespace, node_name=node_name)
    if namespace == NAMESPACE:
        lab.apply(ns_obj, lab_id=LAB)
    else:  # a namespace of the caller's: made to admit kube-bench (hostPID, hostPath) the same way
        pods.lab_namespace(lab, namespace, lab_name=LAB, enforce="privileged", warn="baseline")
    pods.ensure_service_account(lab, namespace)
    run = jobs.run_job(lab, job, lab_name=LAB, timeout=timeout, stuck_grace=stuck_grace)
    if not run.log:
        return KubeBenchRun(False, str(run))
    path = Path(out) if out else work_dir() / "kube-bench.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(run.log, encoding="utf-8")
    try:
        _, said = check_import(path)
    except Exception as exc:  # noqa: BLE001 - kube-bench printed something that is not its JSON: say what
        from kslab.errors import KslabError

        if not isinstance(exc, KslabError):
            raise
        said = f"not kube-bench JSON: {exc} (its last line: {(run.log.strip().splitlines() or [''])[-1][:200]})"
    return KubeBenchRun(run.succeeded, str(run), path, said)


# ---- hardening a file -----------------------------------------------------------------------------
def starter(path: str | Path | None = None, *, overwrite: bool = False) -> Path:
    """Copy the bundled kubeadm kube-apiserver manifest to the student's file (an existing one is kept)."""
    from kslab.audit import bundled

    target = Path(path) if path else work_dir() / "kube-apiserver.yaml"
    if target.exists() and not overwrite:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(bundled("kube-apiserver-kubeadm.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    return target


def harden_steps(path: Path) -> Steps:
    """The commands: edit the file's flags, audit it."""
    return Steps("Harden the API server's manifest", [
        Command(("vi", str(path)), TERMINAL, "add or change flags under the container's command"),
        Command(("kslab", "audit", "apiserver", str(path)), TERMINAL, "every scored check should PASS"),
    ])


def do_it_for_me(path: str | Path | None = None) -> Path:
    """Write the bundled hardened manifest into the student's file (theirs kept as ``.bak``)."""
    from kslab.audit import bundled

    target = Path(path) if path else work_dir() / "kube-apiserver.yaml"
    text = bundled("kube-apiserver-hardened.yaml").read_text(encoding="utf-8")
    if target.exists() and target.read_text(encoding="utf-8") != text:
        target.with_suffix(".yaml.bak").write_text(target.read_text(encoding="utf-8"), encoding="utf-8")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return target
