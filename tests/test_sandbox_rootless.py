"""The sandbox rootless, for real: `kslab sandbox hack` as an unprivileged user, in a user namespace that maps
root and uid 1000 of the image onto the user's own and subordinate ids, shows the same rows as the root run.

Runs only as root on a CI-like machine (``CI`` or ``KSLAB_TEST_ROOTLESS=1`` set; .ci/run sets the latter),
because it creates a user: ``kslab-rootless`` with ``/etc/subuid`` and ``/etc/subgid`` ranges (useradd gives
them). The account is left in place for the next run (``userdel -r kslab-rootless`` removes it); its processes
and files are not: the test checks that none of its processes survive and removes its state directory.
Skips with the reason where user namespaces are off or a tool is missing."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kslab import fidelity
from kslab.manifests.render import to_yaml
from kslab.sandbox import available, userns

USER = "kslab-rootless"
REPO = Path(__file__).resolve().parent.parent
CASES = tuple(fidelity.seed_cases())  # the seed's steps and the restricted webapp: every row of the table


def _why_not() -> str:
    if os.geteuid() != 0:
        return "creating the test user needs root"
    if not (os.environ.get("CI") or os.environ.get("KSLAB_TEST_ROOTLESS") == "1"):
        return "creates a user account: runs only where CI or KSLAB_TEST_ROOTLESS=1 is set"
    clone = Path("/proc/sys/kernel/unprivileged_userns_clone")
    if clone.exists() and clone.read_text().strip() == "0":
        return "unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone=0)"
    if Path("/proc/sys/user/max_user_namespaces").read_text().strip() == "0":
        return "user namespaces are disabled (user.max_user_namespaces=0)"
    lacking = [t for t in ("useradd", "runuser", "newuidmap", "newgidmap", "unshare", "nsenter") if not shutil.which(t)]
    if lacking:
        return "missing " + ", ".join(lacking)
    state = available()
    if not state.ok:
        return f"no root sandbox to compare with: {state.reason}"
    return ""


WHY = _why_not()
pytestmark = pytest.mark.skipif(bool(WHY), reason=WHY)


def _run_as(user: str, args: list[str], env: dict[str, str], cwd: str) -> subprocess.CompletedProcess[str]:
    # runuser switches user without a shell; env(1) sets exactly the environment given.
    cmd = ["runuser", "-u", user, "--", "env", "-i", *[f"{k}={v}" for k, v in env.items()], *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180, cwd=cwd, stdin=subprocess.DEVNULL,
                          check=False)


@pytest.fixture(scope="module")
def account() -> Iterator[dict[str, str]]:
    """The test user, a copy of kslab it can read, a Python it can run, and its own KSLAB_HOME."""
    try:
        pwd.getpwnam(USER)
    except KeyError:
        made = subprocess.run(["useradd", "--create-home", "--shell", "/usr/sbin/nologin", USER],
                              capture_output=True, text=True, timeout=60, check=False)
        if made.returncode != 0:
            pytest.skip(f"useradd failed: {made.stderr.strip()}")
    work = Path(tempfile.mkdtemp(prefix="kslab-rootless-"))
    try:
        os.chmod(work, 0o755)
        for part in ("kslab", "webapp"):  # the package finds webapp/ beside itself
            shutil.copytree(REPO / part, work / "src" / part, ignore=shutil.ignore_patterns("__pycache__"))
        home = work / "home"
        home.mkdir()
        entry = pwd.getpwnam(USER)
        os.chown(home, entry.pw_uid, entry.pw_gid)
        env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": str(home),
               "KSLAB_HOME": str(home / "kslab"), "PYTHONPATH": str(work / "src"), "LANG": "C.UTF-8"}
        python = next((p for p in (sys.executable, "/usr/bin/python3")
                       if _run_as(USER, [p, "-c", "import kslab.cli.main"], env, str(work)).returncode == 0), None)
        if python is None:
            pytest.skip(f"{USER} cannot run a Python that imports kslab and its dependencies")
        plan_gap = _run_as(USER, [python, "-c", "from kslab.sandbox.host import rootless_plan; print(rootless_plan().reason)"],
                           env, str(work)).stdout.strip()
        if plan_gap:
            pytest.skip(f"{USER} cannot map the image's users: {plan_gap}")
        yield {"python": python, "work": str(work), "home": str(home), **{f"env:{k}": v for k, v in env.items()}}
    finally:
        shutil.rmtree(work, ignore_errors=True)
        left = _processes_of(USER)
        assert left.strip() == "", f"processes of {USER} left behind: {left.split()}"


def _processes_of(user: str, patience: float = 10.0) -> str:
    """The user's processes once the last killed ones are reaped (a killed container's init is reaped by
    the host's init, a moment after ``runc delete`` returns)."""
    deadline = time.monotonic() + patience
    while True:
        left = subprocess.run(["pgrep", "-u", user], capture_output=True, text=True, timeout=10, check=False).stdout
        if not left.strip() or time.monotonic() > deadline:
            return left
        time.sleep(0.2)


def _rows(result: subprocess.CompletedProcess[str]) -> list[tuple[str, bool, str]]:
    assert result.returncode in (0, 1), result.stderr
    data = json.loads(result.stdout)
    assert data["observed"] is True
    return [(r["step"], r["works"], r["output"]) for r in data["rows"]]


@pytest.mark.parametrize("case", CASES)
def test_rootless_hack_shows_the_same_rows_as_the_root_run(account: dict[str, str], case: str) -> None:
    env = {k[4:]: v for k, v in account.items() if k.startswith("env:")}
    manifest = Path(account["work"]) / f"{case.replace(' ', '_').replace('/', '_')}.yaml"
    manifest.write_text(to_yaml(fidelity.seed_cases()[case]), encoding="utf-8")
    os.chmod(manifest, 0o644)
    as_root = subprocess.run([sys.executable, "-m", "kslab", "sandbox", "hack", str(manifest), "--json"],
                             capture_output=True, text=True, timeout=180, check=False)
    rootless = _run_as(USER, [account["python"], "-m", "kslab", "sandbox", "hack", str(manifest), "--json"], env,
                       account["work"])
    assert _rows(rootless) == _rows(as_root)
    # Nothing of the run is left in the user's state: no bundle, no container state.
    bundles = Path(env["KSLAB_HOME"]) / "sandbox" / "bundles"
    assert not bundles.is_dir() or list(bundles.iterdir()) == []
    state = Path(env["KSLAB_HOME"]) / "sandbox" / "state"
    assert not state.is_dir() or [p for p in state.iterdir() if p.is_dir()] == []


def test_a_case_needing_an_unmapped_uid_is_refused_with_the_reason(account: dict[str, str]) -> None:
    env = {k[4:]: v for k, v in account.items() if k.startswith("env:")}
    manifest = Path(account["work"]) / "far-uid.yaml"
    top = userns.MAX_SUBORDINATE + 1  # beyond any rootless mapping kslab makes
    manifest.write_text(to_yaml(fidelity.seed_cases()["runAsUser"]).replace("runAsUser: 1000", f"runAsUser: {top}"),
                        encoding="utf-8")
    os.chmod(manifest, 0o644)
    result = _run_as(USER, [account["python"], "-m", "kslab", "sandbox", "hack", str(manifest), "--json"], env,
                     account["work"])
    assert result.returncode == 2
    assert f"uid {top} cannot be mapped" in result.stderr and "Traceback" not in result.stderr


def test_rootless_shell_status_and_serve(account: dict[str, str]) -> None:
    env = {k[4:]: v for k, v in account.items() if k.startswith("env:")}
    manifest = Path(account["work"]) / "restricted.yaml"
    manifest.write_text(to_yaml(fidelity.seed_cases()["restricted + emptyDir /tmp"]), encoding="utf-8")
    os.chmod(manifest, 0o644)
    kslab = [account["python"], "-m", "kslab", "sandbox"]
    cmd = ["runuser", "-u", USER, "--", "env", "-i", *[f"{k}={v}" for k, v in env.items()], *kslab,
           "shell", str(manifest)]
    shell = subprocess.run(cmd, input="id\ntouch /tmp/ok && echo wrote\nexit 3\n", capture_output=True, text=True,
                           timeout=120, cwd=account["work"], check=False)
    assert shell.returncode == 3, shell.stderr
    # The supplemental groups are the pod's (runc run rootless directly would have left the caller's).
    assert shell.stdout.split() == ["uid=1000(webapp)", "gid=1000(webapp)", "groups=1000(webapp)", "wrote"]
    status = _run_as(USER, [*kslab, "status", "--json"], env, account["work"])
    data = json.loads(status.stdout)
    assert data["available"] is True and data["rootless"] is True and "1-65535 ->" in data["note"]
    serve = _run_as(USER, [*kslab, "serve", str(manifest), "--for", "1"], env, account["work"])
    assert serve.returncode == 2 and "`kslab sandbox serve` needs root" in serve.stderr
