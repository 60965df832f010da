"""The student's hands-on steps, driven for real against an API server and a node.

Each test does what the notebook asks the student to do — exec into the webapp's pod, deface the page,
try become-root; apply a manifest; use the service account's kubeconfig with kubectl — and then runs
kslab's check, which must read the real outcome. The page is fetched over the first path that answers
(the course cluster's NodePort, a port-forward through the API server, or wget inside the pod); a
cluster that refuses port-forwards (or has no kube-proxy for NodePorts) passes too, and the test
asserts that the fallback says why.

Run with KSLAB_MODE=live and KSLAB_CONTEXT=<context>. The pod tests need a Ready node and the webapp
image (KSLAB_WEBAPP_IMAGE) and skip otherwise.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kslab.cluster import identities, pods
from kslab.cluster.jobs import IMAGE_REASONS
from kslab.errors import ApiError
from kslab.exercises import exercise
from kslab.exercises.progress import ProgressStore
from kslab.handson import lab03, lab04, lab05, restricted
from kslab.handson.page import WGET, http_get
from kslab.manifests.webapp import PORT, SEED_STEPS, webapp_deployment

pytestmark = pytest.mark.live
SERVED = ("nodeport", "port-forward", "exec wget")


def needs_a_node(lab: Any) -> None:
    if not pods.nodes_ready(lab):
        pytest.skip("no node is Ready: pods can be admitted but not run on this cluster")


def student_types(lab: Any, target: lab03.Target, line: str) -> Any:
    """What the student types in the pod's shell (the exec -it shell), as one command there."""
    return lab.exec(target.namespace, target.pod, ["sh", "-c", line])


def test_hack_by_hand_then_the_fix_read_from_the_pod(live_lab: Any, live_namespace: str, webapp_image: str,
                                                     tmp_path: Path) -> None:
    needs_a_node(live_lab)
    target = lab03.webapp(live_lab, webapp_deployment(SEED_STEPS["as deployed"], image=webapp_image),
                          namespace=live_namespace, lab_name="tests", timeout=180)
    assert target.live and target.pod
    # The commands printed for this pod name it, its namespace and the context.
    shell = target.steps().commands[0].argv
    assert shell == ("kubectl", "--context", live_lab.context, "-n", live_namespace, "exec", "-it", target.pod,
                     "--", "sh")
    # The page, before: served over HTTP, the image's own.
    before = target.original
    assert before.via in SERVED, before.text()
    assert "kslab webapp" in before.body
    if before.via == "port-forward":
        assert before.url.startswith("http://127.0.0.1:")
    if before.via == "exec wget":
        assert any("port-forward" in t for t in before.tried), "the fallback must say why the port-forward failed"

    # The student: id, deface, become-root.
    assert "uid=0(root)" in student_types(live_lab, target, "id").stdout
    assert student_types(live_lab, target, lab03.DEFACE_LINE).returncode == 0
    assert student_types(live_lab, target, "/usr/local/bin/become-root id").returncode == 0

    found = lab03.tried(live_lab, target)
    assert found.defaced and lab03.DEFACEMENT in found.added, str(found)
    assert found.page.via in SERVED and lab03.DEFACEMENT in found.page.body
    assert found.stopped == [], str(found)
    result = exercise("03.deface", store=ProgressStore(tmp_path / "p.json")).check(lab03.DEFACEMENT, against=target)
    assert result.passed, result.reason
    wrong = exercise("03.deface", store=ProgressStore(tmp_path / "p.json")).check("<p>never written</p>",
                                                                                   against=target)
    assert not wrong.passed and "but not with" in wrong.reason
    if found.page.via == "port-forward":  # the lab's clean-up closes it: the URL stops answering
        assert found.page.url in live_lab.close_port_forwards()
        with pytest.raises(OSError):
            http_get(found.page.url, timeout=3)

    # Step 1 of the fix: runAsUser 1000. The page is safe, become-root still works.
    target = lab03.webapp(live_lab, webapp_deployment(SEED_STEPS["runAsUser"], image=webapp_image),
                          namespace=live_namespace, lab_name="tests", timeout=180)
    assert student_types(live_lab, target, lab03.DEFACE_LINE).returncode != 0
    found = lab03.tried(live_lab, target)
    steps = {s.step: s for s in found.steps}
    assert not found.defaced and found.stopped == ["who am I (id)", "edit the served page"], str(found)
    assert "Permission denied" in steps["edit the served page"].answered
    assert "belongs to uid 0 (mode 644) and the process is uid 1000" in steps["edit the served page"].why
    assert "runAsUser: 1000" in steps["who am I (id)"].why

    # All three: every step stopped, each with the kernel's own error and the fact in the pod.
    target = lab03.webapp(live_lab, webapp_deployment(SEED_STEPS["all three"], image=webapp_image),
                          namespace=live_namespace, lab_name="tests", timeout=180)
    assert student_types(live_lab, target, lab03.DEFACE_LINE).returncode != 0
    found = lab03.tried(live_lab, target)
    steps = {s.step: s for s in found.steps}
    assert not found.defaced and len(found.stopped) == 3, str(found)
    # Appending (>>) as uid 1000: the kernel checks the root-owned file's permissions before the mount's
    # read-only flag, so the answer is EACCES (as in the local sandbox), and the why names both.
    assert "Permission denied" in steps["edit the served page"].answered
    assert "belongs to uid 0" in steps["edit the served page"].why
    assert "read-only too" in steps["edit the served page"].why
    assert "Operation not permitted" in steps["become root via setuid"].answered
    assert "NoNewPrivs: 1" in steps["become root via setuid"].why
    # and the page still serves (read-only root, non-root: the server only reads /www)
    assert found.page.served and "kslab webapp" in found.page.body
    live_lab.close_port_forwards()


def test_do_it_for_me_defaces_the_same_pod(live_lab: Any, live_namespace: str, webapp_image: str) -> None:
    needs_a_node(live_lab)
    target = lab03.webapp(live_lab, webapp_deployment({}, image=webapp_image), namespace=live_namespace,
                          lab_name="tests", timeout=180)
    found = lab03.do_it_for_me(live_lab, target)
    assert found.defaced and lab03.DEFACEMENT in found.added
    inside = live_lab.exec(target.namespace, target.pod, list(WGET))
    assert inside.returncode == 0 and lab03.DEFACEMENT in inside.stdout  # the pod itself serves it
    live_lab.close_port_forwards()


def test_deploy_restricted_passes_only_for_the_right_reasons(live_lab: Any, live_namespace: str,
                                                              webapp_image: str, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    needs_a_node(live_lab)
    monkeypatch.setenv("KSLAB_WEBAPP_IMAGE", webapp_image)
    pods.lab_namespace(live_lab, live_namespace, lab_name="tests", enforce="privileged")
    path = restricted.starter(tmp_path / "webapp-mine.yaml")
    # Nothing applied yet: said so.
    first = restricted.judge(path, live_lab, namespace=live_namespace)
    assert not first.passed and first.parts[0][0] == "deployed"

    # The starter, applied as the student would (kubectl apply -f: the same object).
    body = restricted.manifest()
    body["metadata"]["namespace"] = live_namespace
    live_lab.apply(body, lab_id="tests")
    bad = restricted.judge(path, live_lab, namespace=live_namespace)
    parts = {name: ok for name, ok, _ in bad.parts}
    assert not bad.passed and bad.observed
    assert parts["Pod Security restricted"] is False
    assert parts["not root"] is False and parts["page not editable"] is False and parts["no way to root"] is False
    assert parts["the page still serves"] is True  # it serves; it is just not safe

    # The solution, applied: restricted passes, every step is stopped, the page serves — read from the pod.
    done = restricted.do_it_for_me(live_lab, path, namespace=live_namespace)
    assert "applied Deployment" in str(done)
    good = restricted.judge(path, live_lab, namespace=live_namespace)
    assert good.passed, good.text()
    assert any("observed: Deployment" in n for n in good.notes)

    # Break one thing on the cluster (not in the file): the check follows the cluster.
    broken = restricted.solution_manifest()
    broken["metadata"]["namespace"] = live_namespace
    broken["spec"]["template"]["spec"]["containers"][0]["securityContext"]["allowPrivilegeEscalation"] = True
    live_lab.apply(broken, lab_id="tests")
    again = restricted.judge(path, live_lab, namespace=live_namespace)
    parts = {name: ok for name, ok, _ in again.parts}
    assert not again.passed and parts["Pod Security restricted"] is False
    assert parts["not root"] is True  # still uid 1000: only the escalation door is open again
    live_lab.close_port_forwards()


def test_kubectl_as_the_service_account_matches_the_check(live_lab: Any, live_namespace: str,
                                                          tmp_path: Path) -> None:
    from kslab.rbac import scenario

    identities.set_up(live_lab, scenario.lab_objects(live_namespace)[1:])
    me = identities.service_account_identity(live_lab, live_namespace, expiration_seconds=600)
    assert me.kubeconfig is not None
    try:
        check_kubectl_as(me, live_namespace, tmp_path)
    finally:
        me.kubeconfig.unlink(missing_ok=True)  # the namespace (and the service account) goes with the fixture


def check_kubectl_as(me: Any, live_namespace: str, tmp_path: Path) -> None:
    """The student's three kubectl commands as the service account, and the exercise that compares them."""
    commands = {c.text.split(" ", 3)[-1]: c.argv for c in lab04.steps(me).commands}
    assert all(argv[1:3] == ("--kubeconfig", str(me.kubeconfig)) for argv in commands.values())

    ex = exercise("04.what-you-saw", store=ProgressStore(tmp_path / "p.json"))
    kubectl = shutil.which("kubectl")
    if kubectl:  # the student's commands, run as printed (no shell)
        saw = {}
        for key in lab04.QUESTIONS:
            argv = commands[key]
            done = subprocess.run([kubectl, *argv[1:]], capture_output=True, text=True, timeout=60)
            saw[key] = "allowed" if done.returncode == 0 else ("forbidden" if "Forbidden" in done.stderr
                                                               else done.stderr.strip())
        assert saw == {"get pods": "allowed", "get secrets": "forbidden", "-n default get pods": "forbidden"}
    else:
        saw = {"get pods": "allowed", "get secrets": "forbidden", "-n default get pods": "forbidden"}
    result = ex.check(saw, against=me)
    assert result.passed and "SelfSubjectAccessReview as the service account" in result.reason, result.reason
    wrong = ex.check({**saw, "get secrets": "allowed"}, against=me)
    assert not wrong.passed and "`kubectl get secrets` was forbidden" in wrong.reason

    did = str(lab04.do_it_for_me(me))
    assert did.startswith("As the service account")
    assert f'secrets is forbidden: User "system:serviceaccount:{live_namespace}:webapp" cannot list' in did


# ---- lab 05: the capture ------------------------------------------------------------------------------
def skip_if_unpullable(err: Exception) -> None:
    """Images other than the webapp's may not be pullable on a test cluster: skip, naming the reason."""
    text = str(err)
    if any(reason in text for reason in IMAGE_REASONS):
        pytest.skip(f"the capture image cannot run here: {text[:300]}")


def test_capture_from_the_pod_reads_the_plaintext_request(live_lab: Any, live_namespace: str,
                                                          webapp_image: str, tmp_path: Path) -> None:
    """Lab 05's capture mechanism on a real node, without Istio: tcpdump in an ephemeral container that
    shares the webapp pod's network, a request made in the pod, the pcap copied back and read."""
    from kslab.cluster import istio_lab

    needs_a_node(live_lab)
    target = lab03.webapp(live_lab, webapp_deployment({}, image=webapp_image), namespace=live_namespace,
                          lab_name="tests", timeout=180)
    live_lab.close_port_forwards()
    out = tmp_path / "webapp.pcap"
    try:
        istio_lab.capture_from_pod(live_lab, target.pod, out=out, namespace=live_namespace, seconds=8,
                                   target="webapp", port=PORT,
                                   traffic=lambda: [live_lab.exec(live_namespace, target.pod, list(WGET))
                                                    for _ in range(3)])
    except ApiError as err:
        skip_if_unpullable(err)
        raise
    http, tls, _, said = lab05._describe(out)
    assert http >= 1 and tls == 0, said
    assert "readable: GET /" in said
    summary = subprocess.run([sys.executable, "-m", "kslab", "pcap", "summary", str(out)], capture_output=True,
                             text=True, timeout=60)  # what the student feeds it to
    assert summary.returncode == 0 and "GET / HTTP/1.1" in summary.stdout, summary.stderr


def test_lab05_without_istio_uses_the_local_mesh_and_says_why(live_lab: Any, tmp_path: Path) -> None:
    from kslab.cluster import istio_lab

    why = istio_lab.without_istio(live_lab)
    if why is None:
        pytest.skip("Istio is installed here: test_lab05_captures_in_the_mesh covers the cluster's path")
    assert why.startswith(f"no Istio on {live_lab.context}")
    before = lab05.steps(live_lab, "before")
    assert why in before.title and before.commands[0].argv[:3] == ("kslab", "mesh", "demo")
    made = lab05.do_it_for_me(live_lab)  # real captures on loopback, the student's files
    assert why in made.how
    verdict = lab05.judge(made.before, made.after)
    assert verdict.passed, str(verdict)
    checked = exercise("05.before-after", store=ProgressStore(tmp_path / "p.json")).check((made.before, made.after))
    assert checked.passed, checked.reason
    swapped = exercise("05.before-after", store=ProgressStore(tmp_path / "p.json")).check((made.after, made.before))
    assert not swapped.passed and "no plaintext HTTP" in swapped.reason


def test_lab05_captures_in_the_mesh_before_and_after_strict(live_lab: Any) -> None:
    from kslab.cluster import istio_lab, jobs
    from kslab.cluster.cleanup import clean

    why = istio_lab.without_istio(live_lab)
    if why:
        pytest.skip(f"needs Istio: {why}")
    try:
        setup = istio_lab.enable_mtls(live_lab, "PERMISSIVE")
        not_ready = [o for o in setup.observed if o.startswith("not Ready")]
        if not_ready:  # bookinfo's and curl's images may not be pullable on a test cluster: skip only then
            unpullable = [why for ns in istio_lab.lab_namespaces(live_lab) for p in live_lab.list_pods(ns)
                          if (why := jobs.pod_stuck(live_lab.serialize(p))).split(":")[0] in IMAGE_REASONS]
            if unpullable:
                pytest.skip(f"the mesh lab's images cannot run here: {unpullable[0][:300]}")
        assert not not_ready, not_ready
        shown = lab05.steps(live_lab, "before")
        assert shown.commands[1].argv[:6] == ("kubectl", "--context", live_lab.context, "-n",
                                              istio_lab.lab_namespaces(live_lab)[0], "debug")
        try:
            made = lab05.do_it_for_me(live_lab)
        except ApiError as err:
            skip_if_unpullable(err)
            raise
        verdict = lab05.judge(made.before, made.after)
        assert verdict.passed, str(verdict)
    finally:
        clean(live_lab, "05")


# ---- lab 02: kube-bench as a Job ------------------------------------------------------------------------
def kube_bench_node(lab: Any) -> str | None:
    """The node kube-bench must run on: the one labelled control-plane, else the only node there is."""
    nodes = lab.list_nodes()
    labelled = [n.metadata.name for n in nodes if "node-role.kubernetes.io/control-plane" in (n.metadata.labels or {})]
    if labelled:
        return None  # the Job's own nodeSelector finds it
    if len(nodes) == 1:
        return str(nodes[0].metadata.name)
    pytest.skip("no node is labelled control-plane and there are several: which runs the API server is unknown")


def test_run_job_reads_the_log_and_reports_an_image_it_cannot_run(live_lab: Any, live_namespace: str,
                                                                 webapp_image: str) -> None:
    """The cluster operation under the kube-bench step, with the webapp image (which this cluster has)."""
    from kslab import settings
    from kslab.cluster import jobs

    needs_a_node(live_lab)
    pods.lab_namespace(live_lab, live_namespace, lab_name="tests", enforce="privileged")

    def job(name: str, image: str, policy: str) -> dict[str, Any]:
        return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name, "namespace": live_namespace},
                "spec": {"backoffLimit": 0, "template": {"spec": {
                    "restartPolicy": "Never", "automountServiceAccountToken": False,
                    "containers": [{"name": "c", "image": image, "imagePullPolicy": policy,
                                    "command": ["cat", "/www/index.html"]}]}}}}

    ran = jobs.run_job(live_lab, job("reads", webapp_image, settings.image_pull_policy()), lab_name="tests",
                       timeout=180)
    assert ran.finished and ran.succeeded and "kslab webapp" in ran.log, str(ran)
    again = jobs.run_job(live_lab, job("reads", webapp_image, settings.image_pull_policy()), lab_name="tests",
                         timeout=180)  # a finished Job is replaced, and runs again
    assert again.succeeded and again.pod != ran.pod
    missing = jobs.run_job(live_lab, job("missing", "localhost/kslab/not-there:0", "Never"), lab_name="tests",
                           timeout=120, stuck_grace=5)
    assert not missing.finished and missing.stuck.startswith("ErrImageNeverPull"), str(missing)


def test_kube_bench_job_runs_and_its_json_imports(live_lab: Any, live_namespace: str, tmp_path: Path) -> None:
    from kslab.handson import lab02

    needs_a_node(live_lab)
    node = kube_bench_node(live_lab)
    out = tmp_path / "kube-bench.json"
    run = lab02.run_kube_bench(live_lab, out=out, namespace=live_namespace, node_name=node,
                               course_cluster_only=False, timeout=300, stuck_grace=60)
    if run.path is None and "never ran" in run.how and any(r in run.how for r in IMAGE_REASONS):
        pytest.skip(f"kube-bench's image cannot run here: {run.how}")
    assert run.path == out and out.exists(), str(run)
    if not run.ran:  # kube-bench ran on the node and refused (e.g. it found no control plane there)
        assert "failed" in run.how
        pytest.skip(f"kube-bench ran but could not audit this node: {run.imported}")
    ok, said = lab02.check_import(out)
    assert ok and "API server checks imported" in said and said == run.imported
    result = exercise("02.kube-bench-import", store=ProgressStore(tmp_path / "p.json")).check(str(out))
    assert result.passed, result.reason
