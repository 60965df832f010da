"""Hands-on steps: the commands printed for the student, the port-forward machinery against a real HTTP
server, the page fetch's fallbacks, and the checks' reading of what a pod says about itself."""

from __future__ import annotations

import functools
import http.server
import shlex
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import kslab
from kslab.cluster.portforward import LOOPBACK, PortForward
from kslab.exercises import exercise
from kslab.exercises.progress import ProgressStore
from kslab.handson import lab03, restricted
from kslab.handson.commands import POD_SHELL, TERMINAL, Command, Steps, kubectl
from kslab.handson.page import added_lines, fetch, http_get, image_page
from kslab.manifests.webapp import RESTRICTED_CONTEXT, seed_deployment

REPO = Path(__file__).resolve().parent.parent
PAGE_FILE = REPO / "webapp" / "www" / "index.html"


# ---- commands ------------------------------------------------------------------------------------
def test_kubectl_names_context_and_namespace_and_round_trips_through_a_shell() -> None:
    argv = kubectl("kind-kslab", "team a", "exec", "-it", "webapp-7c9d-x2", "--", "sh")
    cmd = Command(argv)
    assert shlex.split(cmd.text) == list(argv)  # what the student pastes is exactly the argv
    assert cmd.text == "kubectl --context kind-kslab -n 'team a' exec -it webapp-7c9d-x2 -- sh"


def test_hack_steps_fill_in_the_pod_and_say_where_each_is_typed() -> None:
    steps = lab03.hack_steps("kind-kslab", "kslab-03", "webapp-5d8f-abcde")
    assert steps.commands[0].argv == ("kubectl", "--context", "kind-kslab", "-n", "kslab-03", "exec", "-it",
                                      "webapp-5d8f-abcde", "--", "sh")
    assert [c.where for c in steps.commands] == [TERMINAL] + [POD_SHELL] * 4
    text = str(steps)
    assert "$ kubectl --context kind-kslab" in text and "# /usr/local/bin/become-root id" in text
    assert steps.copy_text(POD_SHELL).splitlines()[0] == "id"


def test_html_block_has_a_copy_button_per_command_and_escapes_the_commands() -> None:
    steps = Steps("t", [Command(("vi", "f.yaml")), Command(("kubectl", "apply", "-f", "f.yaml"), note="<i>"),
                        Command(("echo", "<b>x</b>"), POD_SHELL)])
    out = steps._repr_html_()
    assert out.count('class="kslab-command"') == 2  # one block per place the commands are typed
    assert out.count('class="kslab-copy"') == 3 == out.count('class="kslab-line"')  # one button per command
    assert "navigator.clipboard.writeText(this.closest('.kslab-line')" in out
    assert "&lt;b&gt;x&lt;/b&gt;" in out and "<b>x</b>" not in out and "<small>&lt;i&gt;</small>" in out


def test_offline_target_uses_placeholders_never_a_real_context() -> None:
    lab = kslab.connect(mode="offline")
    target = lab03.webapp(lab, seed_deployment("runAsUser"))
    assert not target.live and target.steps().commands[0].argv[2] == "YOUR-CONTEXT"
    assert target.security_context == {"runAsUser": 1000}
    assert "offline" in target.original.how and "(webapp/www/index.html)" in target.original.how


def test_a_non_lab_context_gets_no_commands() -> None:
    from kslab.cluster.lab import Lab
    from kslab.cluster.modes import ModeChoice
    from kslab.errors import NotALabContext

    prod = Lab(ModeChoice("live", "prod", False, "context prod answered"), api_client=object())
    with pytest.raises(NotALabContext):
        lab03.webapp(prod, seed_deployment())
    with pytest.raises(NotALabContext):
        restricted.steps(prod, Path("x.yaml"))


# ---- a real HTTP server and the port-forward ------------------------------------------------------
@pytest.fixture()
def served(tmp_path: Path) -> Iterator[tuple[str, int, Path]]:
    """The webapp's real page served over HTTP on loopback by Python's http.server."""
    (tmp_path / "index.html").write_text(PAGE_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *a: None  # type: ignore[method-assign]
    server = http.server.ThreadingHTTPServer((LOOPBACK, 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LOOPBACK, int(server.server_address[1]), tmp_path / "index.html"
    finally:
        server.shutdown()
        server.server_close()


def test_the_in_pod_wget_fetches_the_page_with_a_real_busybox(served: tuple[str, int, Path]) -> None:
    """The last HTTP path (wget inside the pod) run with the busybox the webapp image is built from, where it
    is installed: Debian's busybox 1.35 wget crashes with ``-T``, so the argv must work as it is."""
    import shutil
    import subprocess

    from kslab.handson.page import WGET

    busybox = shutil.which("busybox")
    if busybox is None:
        pytest.skip("busybox is not installed here")
    host, port, _ = served
    argv = [busybox, *WGET[:-1], WGET[-1].replace(f"127.0.0.1:{3000}", f"{host}:{port}")]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, (done.returncode, done.stderr)
    assert "kslab webapp" in done.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


def test_port_forward_carries_http_and_binds_loopback_only(served: tuple[str, int, Path]) -> None:
    host, port, page = served
    forward = PortForward(lambda: socket.create_connection((host, port), timeout=5), describe="test server")
    try:
        assert forward.url.startswith("http://127.0.0.1:")
        assert http_get(forward.url) == page.read_text(encoding="utf-8")
        page.write_text("<h1>hacked</h1>\n", encoding="utf-8")  # changed on the server: seen through the forward
        assert http_get(forward.url) == "<h1>hacked</h1>\n"
        bound = forward._server.getsockname()[0]
        assert bound == "127.0.0.1"
    finally:
        forward.close()
    assert forward.closed
    with pytest.raises(OSError):
        http_get(forward.url, timeout=2)


def test_the_labs_clean_up_closes_its_port_forwards(served: tuple[str, int, Path]) -> None:
    """The notebook's clean-up cell (clean(lab, "03")) ends the port-forwards the lab opened: the URL the
    student was given stops answering."""
    from kslab.cluster.cleanup import clean

    host, port, _ = served
    lab = kslab.connect(mode="offline")
    forward = PortForward(lambda: socket.create_connection((host, port), timeout=5), describe="pod ns/webapp port 3000")
    lab._forwards.append(forward)  # as Lab.port_forward records it
    assert "kslab webapp" in http_get(forward.url)
    clean(lab, "03")
    assert forward.closed and lab._forwards == []
    with pytest.raises(OSError):
        http_get(forward.url, timeout=2)


def test_port_forward_records_why_the_far_end_would_not_open() -> None:
    def refuse() -> Any:
        raise ConnectionRefusedError("kubelet said no")

    def hang() -> Any:
        time.sleep(30)

    for opener, said in ((refuse, "kubelet said no"), (hang, "no answer in 1s")):
        forward = PortForward(opener, describe="nowhere", timeout=1)
        try:
            with pytest.raises(Exception):
                http_get(forward.url, timeout=5)
            deadline = time.monotonic() + 5
            while not forward.errors and time.monotonic() < deadline:
                time.sleep(0.05)
            assert forward.errors and said in forward.errors[0]
        finally:
            forward.close()


class LoopbackLab:
    """Stands in for a Lab's port-forward and exec only: the forward goes to a real local HTTP server."""

    def __init__(self, port: int) -> None:
        self.port = port
        self._forwards: list[PortForward] = []
        self.execs: list[list[str]] = []

    def port_forward(self, namespace: str, pod: str, port: int) -> PortForward:
        forward = PortForward(lambda: socket.create_connection((LOOPBACK, self.port), timeout=5),
                              describe=f"pod {namespace}/{pod} port {port}")
        self._forwards.append(forward)
        return forward

    def exec(self, namespace: str, pod: str, argv: list[str], **_: Any) -> Any:
        self.execs.append(argv)
        raise AssertionError("not reached while HTTP answers")

    def close(self) -> None:
        for forward in self._forwards:
            forward.close()


def test_fetch_prefers_the_node_port_then_falls_back_to_a_port_forward(served: tuple[str, int, Path]) -> None:
    host, port, page = served
    lab = LoopbackLab(port)
    try:
        got = fetch(lab, "kslab-03", "webapp-1", node_port_url=f"http://{host}:{port}/")
        assert got.via == "nodeport" and got.served and got.body == page.read_text(encoding="utf-8")
        closed = f"http://{host}:{free_port()}/"
        got = fetch(lab, "kslab-03", "webapp-1", node_port_url=closed)
        assert got.via == "port-forward" and got.url.startswith("http://127.0.0.1:")
        assert got.tried and closed in got.tried[0] and "refused" in got.tried[0].lower()
        again = fetch(lab, "kslab-03", "webapp-1")
        assert again.url == got.url and len(lab._forwards) == 1  # one forward per pod, reused
        assert lab.execs == []
    finally:
        lab.close()


def test_added_lines_reads_the_defacement() -> None:
    before = PAGE_FILE.read_text(encoding="utf-8")
    after = before + "<h1>hacked</h1>\n"
    assert added_lines(before, after) == ["<h1>hacked</h1>"]
    assert added_lines(before, before) == []
    assert image_page() == before


# ---- what the pod says --------------------------------------------------------------------------
# Recorded from the course's webapp image under containerd/runc: /proc/mounts' first line, the
# status fields kslab reads, and the kernel's messages as busybox sh and become-root print them.
ROOT_RW = "overlay / overlay rw,relatime,lowerdir=/var/lib/containerd/l/1,upperdir=/u,workdir=/w 0 0"
ROOT_RO = "overlay / overlay ro,relatime,lowerdir=/var/lib/containerd/l/1,upperdir=/u,workdir=/w 0 0"
DENIED = "sh: can't create /www/index.html: Permission denied"
READ_ONLY = "sh: can't create /www/index.html: Read-only file system"
NO_ROOT = "become-root: cannot become root: Operation not permitted"


def facts(sc: dict[str, Any], *, uid: int, mounts: str, nnp: str, edit: lab03.Answer,
          escalate: lab03.Answer) -> lab03.PodFacts:
    ident = "uid=0(root) gid=0(root) groups=0(root)" if uid == 0 else \
        "uid=1000(webapp) gid=1000(webapp) groups=1000(webapp)"
    return lab03.PodFacts(ident, "0 0 644", lab03.root_mount_options(mounts + "\nproc /proc proc rw 0 0"),
                          lab03.status_field(f"Name:\tcat\nUid:\t{uid}\t{uid}\t{uid}\t{uid}\nNoNewPrivs:\t{nnp}\n",
                                             "NoNewPrivs"), edit, escalate, sc)


def test_explain_names_what_stopped_each_step_from_the_pods_own_facts() -> None:
    as_deployed = lab03.explain(facts({}, uid=0, mounts=ROOT_RW, nnp="0", edit=lab03.Answer(0),
                                      escalate=lab03.Answer(0)))
    assert [r.stopped for r in as_deployed] == [False, False, False]
    run_as = lab03.explain(facts({"runAsUser": 1000}, uid=1000, mounts=ROOT_RW, nnp="0",
                                 edit=lab03.Answer(1, DENIED), escalate=lab03.Answer(0)))
    assert [r.stopped for r in run_as] == [True, True, False]
    assert run_as[1].answered == DENIED and "belongs to uid 0 (mode 644) and the process is uid 1000" in run_as[1].why
    assert "NoNewPrivs: 0" in run_as[2].why
    read_only = lab03.explain(facts({"readOnlyRootFilesystem": True}, uid=0, mounts=ROOT_RO, nnp="0",
                                    edit=lab03.Answer(1, READ_ONLY), escalate=lab03.Answer(0)))
    assert read_only[1].stopped and "mounted read-only" in read_only[1].why
    assert "readOnlyRootFilesystem: true" in read_only[1].why
    all_three = lab03.explain(facts({"runAsUser": 1000, "readOnlyRootFilesystem": True,
                                     "allowPrivilegeEscalation": False}, uid=1000, mounts=ROOT_RO, nnp="1",
                                    edit=lab03.Answer(1, DENIED), escalate=lab03.Answer(1, NO_ROOT)))
    assert all(r.stopped for r in all_three)
    assert all_three[2].answered == NO_ROOT and "NoNewPrivs: 1" in all_three[2].why
    assert "allowPrivilegeEscalation: false" in all_three[2].why


def test_the_edit_step_is_explained_by_the_kernels_own_error() -> None:
    # runAsUser 1000 on a read-only root: appending to the root-owned page gets EACCES (the kernel checks
    # the file's owner and mode before the mount), so the owner is the reason, not the mount.
    both = {"runAsUser": 1000, "readOnlyRootFilesystem": True}
    denied = lab03.explain(facts(both, uid=1000, mounts=ROOT_RO, nnp="0", edit=lab03.Answer(1, DENIED),
                                 escalate=lab03.Answer(0)))[1]
    assert denied.stopped and denied.answered == DENIED
    assert denied.why.startswith("/www/index.html belongs to uid 0 (mode 644) and the process is uid 1000")
    assert "is mounted read-only" not in denied.why and "refused on the file's permissions first" in denied.why
    # The same pod answering EROFS (e.g. creating a file, or a root user) is the mount's doing.
    erofs = lab03.explain(facts(both, uid=1000, mounts=ROOT_RO, nnp="0", edit=lab03.Answer(1, READ_ONLY),
                                escalate=lab03.Answer(0)))[1]
    assert erofs.why.startswith("/ is mounted read-only (options ro): securityContext.readOnlyRootFilesystem: true")
    assert "belongs to uid" not in erofs.why
    # EACCES on a writable root says nothing about the mount.
    rw = lab03.explain(facts({"runAsUser": 1000}, uid=1000, mounts=ROOT_RW, nnp="0", edit=lab03.Answer(1, DENIED),
                             escalate=lab03.Answer(0)))[1]
    assert "read-only" not in rw.why


def test_real_proc_files_parse() -> None:
    status = Path("/proc/self/status").read_text()
    assert lab03.status_field(status, "NoNewPrivs") in ("0", "1")
    assert lab03.root_mount_options(Path("/proc/mounts").read_text())  # this machine's / has options


# ---- exercises ------------------------------------------------------------------------------------
@pytest.fixture()
def store(tmp_path: Path) -> ProgressStore:
    return ProgressStore(tmp_path / "progress.json")


def test_unanswered_is_not_an_attempt(store: ProgressStore) -> None:
    ex = exercise("03.deploy-restricted", store=store)
    result = ex.check(...)
    assert not result.answered and str(result).startswith("not answered yet")
    result = ex.check("x.yaml")  # no lab to read: nothing judged
    assert not result.answered and "against=" in result.reason
    assert store.load() == {}


def test_deploy_restricted_offline_judges_the_file_and_says_the_hack_is_predicted(
        store: ProgressStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KSLAB_SANDBOX", "off")
    lab = kslab.connect(mode="offline")
    ex = exercise("03.deploy-restricted", store=store)
    path = restricted.starter(tmp_path / "mine.yaml")
    first = ex.check(str(path), against=lab)
    assert not first.passed and "allowPrivilegeEscalation" in first.reason and "PREDICTED" in first.reason
    # Only runAsUser: root is gone, but become-root still works and restricted still fails.
    text = path.read_text()
    path.write_text(text.replace("imagePullPolicy:", "securityContext: {runAsUser: 1000}\n        imagePullPolicy:"),
                    encoding="utf-8")
    second = ex.check(str(path), against=lab)
    assert not second.passed and "no way to root (predicted: the step is NOT stopped)" in second.reason
    done = restricted.do_it_for_me(lab, path)
    assert done.path == path and done.backup == path.with_suffix(".yaml.bak") and done.backup.exists()
    assert "nothing applied" in str(done)
    third = ex.check(str(path), against=lab)
    assert third.passed and "PREDICTED" in third.reason and "turned off by KSLAB_SANDBOX=off" in third.reason
    assert store.load()["03.deploy-restricted"]["attempts"] == 3


def _sandbox() -> Any:
    from kslab.sandbox import available

    state = available()
    if not state.ok:
        pytest.skip(f"no local sandbox here: {state.reason}")
    return state


def test_deploy_restricted_offline_observes_the_hack_in_the_local_sandbox(tmp_path: Path) -> None:
    from kslab.sandbox import runtime

    state = _sandbox()
    lab = kslab.connect(mode="offline")
    label = f"observed in a local sandbox ({state.runtime.label}), not a Kubernetes node"
    try:
        seed = restricted.judge(restricted.starter(tmp_path / "seed.yaml"), lab)
        failed = {name: why for name, ok, why in seed.parts if not ok}
        # The 2019 webapp: restricted refuses it, and in the sandbox every step of the hack got through.
        assert set(failed) == {"Pod Security restricted", "not root", "page not editable", "no way to root"}
        assert "allowPrivilegeEscalation" in failed["Pod Security restricted"]
        assert failed["no way to root"] == f"{label}: the step is NOT stopped"
        assert not seed.passed and seed.notes[0].startswith("OBSERVED in a local sandbox")
        solution = tmp_path / "solution.yaml"
        restricted.do_it_for_me(lab, solution)
        mine = restricted.judge(solution, lab)
        assert mine.passed, mine.text()
        assert dict((n, w) for n, _, w in mine.parts)["no way to root"] == f"{label}: the step is stopped"
        assert "PREDICTED" not in mine.text()
    finally:
        assert runtime.leftovers(state.runtime) == {"containers": [], "mounts": [], "bundles": []}


def test_tried_offline_observes_in_the_local_sandbox_or_says_why_not(monkeypatch: pytest.MonkeyPatch) -> None:
    lab = kslab.connect(mode="offline")
    monkeypatch.setenv("KSLAB_SANDBOX", "off")
    predicted = lab03.tried(lab, lab03.webapp(lab, seed_deployment("runAsUser")))
    assert not predicted.sandboxed and str(predicted).startswith("PREDICTED (offline:")
    assert "turned off by KSLAB_SANDBOX=off" in str(predicted)
    monkeypatch.delenv("KSLAB_SANDBOX")
    state = _sandbox()
    seen = lab03.tried(lab, lab03.webapp(lab, seed_deployment("runAsUser")))
    text = str(seen)
    assert seen.sandboxed and text.startswith(f"OBSERVED in a local sandbox ({state.runtime.label}), not a Kubernetes node")
    assert seen.report.works() == {"id": False, "edit-page": False, "write-tmp": True, "become-root": True}


def test_starter_keeps_the_students_file(tmp_path: Path) -> None:
    path = restricted.starter(tmp_path / "w.yaml")
    path.write_text("# mine\n", encoding="utf-8")
    assert restricted.starter(path).read_text() == "# mine\n"
    assert restricted.starter(path, overwrite=True).read_text().startswith("# Exercise 03.deploy-restricted")


def test_solution_passes_restricted_and_stops_the_hack() -> None:
    from kslab import hack, pss

    body = restricted.solution_manifest()
    assert pss.evaluate(body, "restricted").allowed
    works = hack.predict(body).works()
    assert works["id"] is False and works["edit-page"] is False and works["become-root"] is False
    sc = body["spec"]["template"]["spec"]["containers"][0]["securityContext"]
    assert sc == RESTRICTED_CONTEXT


def test_deface_offline_is_not_an_attempt(store: ProgressStore) -> None:
    target = lab03.webapp(kslab.connect(mode="offline"), seed_deployment())
    result = exercise("03.deface", store=store).check("<h1>hacked</h1>", against=target)
    assert not result.answered and store.load() == {}


# ---- lab 04: the service account's kubeconfig ------------------------------------------------------
def test_lab04_commands_use_only_the_service_accounts_kubeconfig(tmp_path: Path) -> None:
    from dataclasses import replace

    from kslab.cluster import identities
    from kslab.handson import lab04

    me = identities.service_account_identity(kslab.connect(mode="offline"))
    texts = [c.text for c in lab04.steps(me).commands]
    assert texts[1] == "kubectl --kubeconfig SA-KUBECONFIG auth can-i --list"
    assert texts[4] == "kubectl --kubeconfig SA-KUBECONFIG -n default get pods"
    written = replace(me, kubeconfig=tmp_path / "sa kubeconfig.yaml")  # a path a shell must quote
    argv = lab04.steps(written).commands[2].argv
    assert argv[:3] == ("kubectl", "--kubeconfig", str(tmp_path / "sa kubeconfig.yaml"))
    assert shlex.split(lab04.steps(written).commands[2].text) == list(argv)
    assert all("--context" not in c.argv for c in lab04.steps(written).commands)


def test_lab04_answers_are_judged_against_the_access_decisions(store: ProgressStore) -> None:
    from kslab.cluster import identities

    me = identities.service_account_identity(kslab.connect(mode="offline"))
    ex = exercise("04.what-you-saw", store=store)
    assert not ex.check({"get pods": "allowed"}, against=me).passed  # incomplete
    wrong = ex.check({"get pods": "allowed", "get secrets": "allowed", "-n default get pods": "Forbidden"},
                     against=me)
    assert not wrong.passed and "get secrets` was forbidden" in wrong.reason
    right = ex.check({"get pods": "yes", "get secrets": "Error from server (Forbidden)",
                      "-n default get pods": False}, against=me)
    assert right.passed and "PREDICTED" in right.reason
    from kslab.handson import lab04

    did = str(lab04.do_it_for_me(me))
    assert 'secrets is forbidden: User "system:serviceaccount:webapp-rbac:webapp" cannot list resource' in did


# ---- lab 05: the captures -----------------------------------------------------------------------------
def test_lab05_offline_commands_make_real_captures_the_check_reads(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The printed commands, run as printed (no shell: the argv), make the captures the check passes."""
    import subprocess
    import sys

    from kslab.handson import lab05

    monkeypatch.setenv("KSLAB_HOME", str(tmp_path))
    lab = kslab.connect(mode="offline")
    for phase in ("before", "after"):
        demo = lab05.steps(lab, phase).commands[0].argv
        assert demo[:3] == ("kslab", "mesh", "demo")
        done = subprocess.run([sys.executable, "-m", "kslab", *demo[1:]], capture_output=True, text=True,
                              timeout=120, env={**__import__("os").environ, "KSLAB_HOME": str(tmp_path)})
        assert done.returncode == 0, done.stderr
    paths = lab05.capture_paths()
    assert all(p.is_file() and p.is_relative_to(tmp_path) for p in paths.values())
    verdict = lab05.judge(paths["before"], paths["after"])
    assert verdict.passed and "GET /details/" in verdict.before and "TLS 1.3" in verdict.after
    backwards = lab05.judge(paths["after"], paths["before"])
    assert not backwards.passed and "no plaintext HTTP" in backwards.reason
    ex = exercise("05.before-after", store=ProgressStore(tmp_path / "p.json"))
    assert ex.check((str(paths["before"]), str(paths["after"]))).passed
    assert not ex.check((str(paths["before"]), str(tmp_path / "nope.pcap"))).passed


def test_lab05_strict_refusal_is_not_only_tls() -> None:
    from kslab.handson import lab05
    from kslab.pcap import bundled

    verdict = lab05.judge(bundled("plaintext-http.pcap"), bundled("strict-refuses-plaintext.pcap"))
    assert not verdict.passed  # the refused client's request still crossed the wire in clear


# ---- lab 02: kube-bench and the hardened file --------------------------------------------------------
def test_lab02_kube_bench_job_is_valid_pinned_and_needs_privileged() -> None:
    from kslab import pss
    from kslab.handson import lab02
    from kslab.manifests.validate import validate

    ns, job = lab02.kube_bench_objects()
    assert validate(ns) == [] and validate(job) == []
    image = job["spec"]["template"]["spec"]["containers"][0]["image"]
    assert ":" in image.rsplit("/", 1)[-1] and not image.endswith(":latest")
    assert not pss.evaluate(job, "baseline").allowed  # hence its namespace:
    assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "privileged"
    assert all(m["readOnly"] for m in job["spec"]["template"]["spec"]["containers"][0]["volumeMounts"])


def test_lab02_kube_bench_commands_only_for_the_course_cluster() -> None:
    from kslab.cluster.lab import Lab
    from kslab.cluster.modes import ModeChoice
    from kslab.errors import NotALabContext
    from kslab.handson import lab02

    named = Lab(ModeChoice("live", "my-cluster", True, "named"), api_client=object())
    elsewhere = lab02.kube_bench_steps(named, Path("job.yaml"))  # a cell that says why, not an error
    assert elsewhere.commands == [] and "not my-cluster" in str(elsewhere) and "Harden" in str(elsewhere)
    not_run = lab02.run_kube_bench(named)  # "do it for me" refuses the same way, nothing sent
    assert not not_run.ran and "only on the course's kind cluster" in not_run.how
    not_a_lab = Lab(ModeChoice("live", "prod", False, "current-context"), api_client=object())
    with pytest.raises(NotALabContext):
        lab02.kube_bench_steps(not_a_lab, Path("job.yaml"))
    with pytest.raises(NotALabContext):
        lab02.run_kube_bench(not_a_lab)
    offline_lab = kslab.connect(mode="offline")
    offline = lab02.kube_bench_steps(offline_lab, Path("job.yaml"))
    assert offline.commands[0].text == "kubectl --context kind-kslab apply -f job.yaml"
    said = lab02.run_kube_bench(offline_lab)
    assert not said.ran and said.path is None and str(said).startswith("offline (")


def test_lab02_kube_bench_pinned_to_a_node_keeps_its_namespace_and_checks() -> None:
    from kslab.handson import lab02

    ns, job = lab02.kube_bench_objects(namespace="kslab-t-1", node_name="node-a")
    spec = job["spec"]["template"]["spec"]
    assert ns["metadata"]["name"] == job["metadata"]["namespace"] == "kslab-t-1"
    assert spec["nodeName"] == "node-a" and "nodeSelector" not in spec
    assert lab02.kube_bench_objects()[1]["spec"]["template"]["spec"]["nodeSelector"] == {
        "node-role.kubernetes.io/control-plane": ""}


def test_lab02_the_students_file_is_audited(tmp_path: Path, store: ProgressStore) -> None:
    from kslab.audit.kube_bench import bundled_sample
    from kslab.handson import lab02

    path = lab02.starter(tmp_path / "kube-apiserver.yaml")
    ex = exercise("02.harden-file", store=store)
    first = ex.check(str(path))
    assert not first.passed and "7 scored check(s) still FAIL" in first.reason
    text = path.read_text()
    path.write_text(text.replace("    - --authorization-mode=Node,RBAC", "    - --authorization-mode=Node,RBAC\n"
                                 "    - --profiling=false"), encoding="utf-8")
    second = ex.check(str(path))
    assert not second.passed and "6 scored check(s) still FAIL" in second.reason and "1.2.15" not in second.reason
    lab02.do_it_for_me(path)
    assert ex.check(str(path)).passed and path.with_suffix(".yaml.bak").exists()
    imported = exercise("02.kube-bench-import", store=store).check(str(bundled_sample()))
    assert imported.passed and "API server checks imported" in imported.reason
    assert not exercise("02.kube-bench-import", store=store).check(str(path)).passed  # not kube-bench JSON


def test_without_a_url_the_student_gets_a_port_forward_of_their_own() -> None:
    from kslab.handson.page import Page

    served_inside = Page("<h1>kslab webapp</h1>", "exec wget", "Served over HTTP inside pod ns/web-1",
                         tried=("a port-forward: 400 Bad Request",))
    target = lab03.Target(True, "ctx", "ns", "web-1", {}, served_inside)
    first = target.steps().commands[0]
    assert first.argv == ("kubectl", "--context", "ctx", "-n", "ns", "port-forward", "pod/web-1", "8080:3000")
    assert "http://127.0.0.1:8080/" in first.note
    forwarded = lab03.Target(True, "ctx", "ns", "web-1", {}, Page("x", "port-forward", "via", "http://127.0.0.1:4242/"))
    assert forwarded.steps().commands[0].argv[-3:] == ("web-1", "--", "sh")  # kslab's URL is printed instead
