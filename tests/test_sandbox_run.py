"""The sandbox for real: the hack on a real kernel under runc/crun, its bounds, its isolation, its clean-up.

Skipped cleanly where no faithful sandbox can run (not root, no runtime, no busybox-static or C compiler);
`kslab sandbox status` says why. CI runs as root with runc installed (.ci/run), so there they run."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator

import pytest

from kslab import hack
from kslab.cluster.connect import connect
from kslab.errors import InputError
from kslab.manifests.render import to_yaml
from kslab.manifests.webapp import RESTRICTED_CONTEXT, seed_deployment, webapp_deployment, webapp_pod
from kslab import fidelity
from kslab.hack import sandboxed as observe
from kslab.sandbox import available, runtime, session
from kslab.sandbox.serve import Forwarder

STATE = available()
pytestmark = pytest.mark.skipif(not STATE.ok, reason=f"no local sandbox here: {STATE.reason}")

#: What a real node (containerd + runc, the course's webapp image) shows for each seed step and hack step:
#: the kernel's own words. The prediction and the sandbox must both say exactly this.
REAL_NODE = {
    "as deployed": {"id": "uid=0(root)", "edit-page": "ok", "write-tmp": "ok", "become-root": "uid=0(root)"},
    "runAsUser": {"id": "uid=1000(webapp)", "edit-page": "Permission denied", "write-tmp": "ok",
                  "become-root": "uid=0(root)"},
    "readOnlyRootFilesystem": {"id": "uid=0(root)", "edit-page": "Read-only file system",
                               "write-tmp": "Read-only file system", "become-root": "uid=0(root)"},
    "allowPrivilegeEscalation": {"id": "uid=0(root)", "edit-page": "ok", "write-tmp": "ok",
                                 "become-root": "uid=0(root)"},
    "all three": {"id": "uid=1000(webapp)", "edit-page": "Permission denied", "write-tmp": "Read-only file system",
                  "become-root": "cannot become root: Operation not permitted"},
    "restricted + emptyDir /tmp": {"id": "uid=1000(webapp)", "edit-page": "Permission denied", "write-tmp": "ok",
                                   "become-root": "cannot become root: Operation not permitted"},
}


@pytest.fixture(autouse=True)
def nothing_left_behind() -> Iterator[None]:
    yield
    assert STATE.runtime is not None
    assert runtime.leftovers(STATE.runtime) == {"containers": [], "mounts": [], "bundles": []}


def test_sandbox_prediction_and_real_node_agree_on_every_step_and_word() -> None:
    observed = fidelity.outcomes()
    assert observed.source == "sandbox"
    assert observed.cells == REAL_NODE
    assert fidelity.outcomes(observe=False).cells == REAL_NODE


def test_hack_run_offline_observes_in_the_sandbox_and_says_so() -> None:
    report = hack.run(connect(mode="offline"), seed_deployment("runAsUser"))
    text = str(report)
    assert "Observed by exec in a local sandbox (runc" in text or "(crun" in text
    assert "not a Kubernetes node" in text and "predicted" in report.table().splitlines()[0]
    assert not report.disagreements


def test_a_refused_pod_runs_nothing() -> None:
    with pytest.raises(InputError, match="`privileged` to true"):
        observe(webapp_pod({"privileged": True, "allowPrivilegeEscalation": False}))
    report = hack.run(connect(mode="offline"), webapp_pod({"runAsNonRoot": True}))
    assert all(r.observed is None for r in report.rows)
    assert "image will run as root" in str(report)


def test_the_process_gets_what_the_spec_says() -> None:
    obj = webapp_pod(RESTRICTED_CONTEXT, pod_security_context={"fsGroup": 2000}, tmp_volume=True)
    with session.webapp(obj) as running:
        status = running.exec(["cat", "/proc/self/status"]).stdout
        fields = dict(line.split(":\t", 1) for line in status.splitlines() if ":\t" in line)
        assert fields["Uid"].split()[0] == "1000" and fields["NoNewPrivs"] == "1"
        assert fields["Seccomp"] == "2" and int(fields["CapBnd"], 16) == 0
        assert running.exec(["id"]).stdout.strip() == "uid=1000(webapp) gid=1000(webapp) groups=1000(webapp),2000"
        assert running.exec(["stat", "-c", "%a %g", "/tmp"]).stdout.split() == ["2777", "2000"]
        assert "Operation not permitted" in running.exec(["unshare", "-n", "true"]).stderr
        assert running.exec(["cat", "/proc/kcore"]).returncode != 0  # masked


def test_no_network_but_loopback_and_no_way_to_host_services() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    with session.webapp(webapp_pod({})) as running:
        links = running.exec(["ip", "-o", "link"]).stdout.splitlines()
        assert [line.split(": ")[1] for line in links] == ["lo"]
        probe = running.exec(["nc", "-w", "2", "127.0.0.1", str(port)], timeout=10)
        assert probe.returncode != 0  # the host's 127.0.0.1 is not the sandbox's
    listener.close()


def test_memory_is_bounded() -> None:
    with session.webapp(webapp_pod({})) as running:
        v1 = running.exec(["cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes"]).stdout.strip()
        v2 = running.exec(["cat", "/sys/fs/cgroup/memory.max"]).stdout.strip()
        assert str(64 * 1024 * 1024) in (v1, v2)


def test_a_hung_command_times_out_and_is_cleaned_up() -> None:
    with pytest.raises(runtime.RuntimeError_, match="did not finish within 1 s"), session.webapp(webapp_pod({})) as r:
        r.exec(["sleep", "30"], timeout=1)


def test_cleanup_after_an_error_inside_the_block() -> None:
    with pytest.raises(ZeroDivisionError), session.webapp(webapp_pod({})):
        1 / 0  # noqa: B018


def test_serve_forwards_loopback_into_the_sandbox() -> None:
    with session.webapp(webapp_pod({"runAsUser": 1000})) as running, Forwarder(running.pid) as forwarder:
        assert forwarder.url.startswith("http://127.0.0.1:")
        for _ in range(20):  # httpd may need a moment to listen
            try:
                page = urllib.request.urlopen(forwarder.url, timeout=5).read().decode()
                break
            except OSError:
                threading.Event().wait(0.1)
        assert "kslab webapp" in page


def _cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kslab", "sandbox", *args], input=stdin, capture_output=True,
                          text=True, timeout=120, env=os.environ, check=False)


def test_cli_hack_json(tmp_path: os.PathLike[str]) -> None:
    path = os.path.join(tmp_path, "all3.yaml")
    with open(path, "w", encoding="utf-8") as f:
        f.write(to_yaml(seed_deployment("all three")))
    result = _cli("hack", path, "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["observed"] is True and data["runtime"].startswith(("runc ", "crun "))
    assert [(r["step"], r["works"], r["output"]) for r in data["rows"]] == [
        (step, False, REAL_NODE["all three"][step]) for step in ("id", "edit-page", "write-tmp", "become-root")]


def test_cli_shell_runs_as_the_pods_user(tmp_path: os.PathLike[str]) -> None:
    path = os.path.join(tmp_path, "pod.yaml")
    with open(path, "w", encoding="utf-8") as f:
        f.write(to_yaml(webapp_deployment(RESTRICTED_CONTEXT, tmp_volume=True)))
    result = _cli("shell", path, stdin="id -u\ntouch /tmp/ok && echo wrote\nexit 3\n")
    assert result.returncode == 3, result.stderr
    assert result.stdout.split() == ["1000", "wrote"] and "not a Kubernetes node" in result.stderr


def test_widget_apply_offline_runs_the_hack_in_the_sandbox() -> None:
    pytest.importorskip("ipywidgets")
    from kslab.widgets.security_context import security_context_widget

    widget = security_context_widget(connect(mode="offline"), run_as_user=1000, read_only_root_filesystem=True)
    assert widget.apply_button in widget.box.children
    report = widget.apply()
    assert report is not None and all(r.observed is not None for r in report.rows)
    assert "not a Kubernetes node" in widget.status.value
    assert report.works() == {"id": False, "edit-page": False, "write-tmp": False, "become-root": True}
