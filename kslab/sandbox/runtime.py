"""The OCI runtime (runc or crun, what containerd and kind use), driven with a timeout on every call.

:class:`Runtime` wraps the command line; :func:`container` is a context manager that creates and starts
one container from a bundle and always removes it (``delete --force``) and its bundle, whatever
happens inside. Containers live under kslab's own state root (``--root``), so :func:`leftovers` can
show that nothing stayed behind and :func:`reap` can remove what a killed Python left.

>>> parse_version("runc version 1.1.5+ds1\\ncommit: x\\nspec: 1.0.2-dev")
'1.1.5'
>>> parse_version("crun version 1.8.1\\ncommit: f8a0")
'1.8.1'
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import shutil
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kslab import programs, settings
from kslab.errors import KslabError, ToolMissing

if TYPE_CHECKING:
    from kslab.sandbox.userns import Plan

#: Preference order: runc is containerd's (and kind's) default runtime.
RUNTIMES = ("runc", "crun")
CALL_TIMEOUT = 20  # seconds, every runtime call but exec
EXEC_TIMEOUT = 15
OWNER_ANNOTATION = "dev.kslab.sandbox.owner-pid"


class RuntimeError_(KslabError):
    """The OCI runtime failed or did not answer in time."""

    default_hint = "run `kslab sandbox hack FILE` again; `kslab doctor` shows the runtimes found"


def parse_version(text: str) -> str:
    match = re.search(r"version\s+(\d+\.\d+(?:\.\d+)?)", text)
    return match.group(1) if match else "unknown"


def state_root() -> Path:
    """kslab's private runtime state directory (never the system's /run/runc)."""
    return Path("/run/kslab-sandbox") if os.geteuid() == 0 else settings.state_dir() / "sandbox" / "state"


def bundles_dir() -> Path:
    return settings.state_dir() / "sandbox" / "bundles"


@dataclass(frozen=True)
class ExecResult:
    returncode: int
    stdout: str
    stderr: str


@dataclass(frozen=True)
class Runtime:
    """One OCI runtime binary."""

    name: str
    path: str
    version: str
    #: A command prefix entering kslab's user namespace (rootless: see :func:`user_namespace`); () as root.
    inside: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}"

    def _cmd(self, *args: str) -> list[str]:
        # Rootless there is no cgroup to limit (kslab's spec sets none then): crun is told not to make one.
        rootless = ["--cgroup-manager=disabled"] if self.name == "crun" and os.geteuid() != 0 else []
        return [*self.inside, self.path, *rootless, "--root", str(state_root()), *args]

    def as_namespace_root(self, *args: str, timeout: float = CALL_TIMEOUT) -> None:
        """Run a plain command as root of kslab's user namespace (rootless: chown to mapped ids, cleanup)."""
        try:
            result = programs.run([*self.inside, *args], check=False, timeout=timeout, stdin="null")
        except programs.TimedOut as exc:
            raise RuntimeError_(f"{args[0]} in the user namespace did not finish within {timeout:g} s") from exc
        if result.returncode != 0:
            raise RuntimeError_(f"{args[0]} in the user namespace failed: {result.stderr.strip()[-300:]}")

    def call(self, *args: str, timeout: float = CALL_TIMEOUT, check: bool = True) -> programs.Completed:
        """Run one runtime command (no shell), bounded by ``timeout``."""
        try:
            result = programs.run(self._cmd(*args), check=False, timeout=timeout, stdin="null")
        except programs.TimedOut as exc:
            raise RuntimeError_(f"{self.name} {args[0]} did not finish within {timeout:g} s") from exc
        if check and result.returncode != 0:
            detail = (result.stderr.strip().splitlines() or [f"exit {result.returncode}"])[-1]
            raise RuntimeError_(f"{self.name} {args[0]} failed: {detail[:300]}")
        return result

    def exec(self, cid: str, process: dict[str, Any], bundle: Path, *, timeout: float = EXEC_TIMEOUT) -> ExecResult:
        """Run one process in the container, as containerd's exec does: the container's process settings
        (user, capabilities, no_new_privs) with other arguments."""
        spec_file = bundle / f"exec-{uuid.uuid4().hex[:8]}.json"
        spec_file.write_text(json.dumps(process), encoding="utf-8")
        try:
            result = self.call("exec", "--process", str(spec_file), cid, timeout=timeout, check=False)
        finally:
            spec_file.unlink(missing_ok=True)
        return ExecResult(result.returncode, result.stdout, result.stderr)

    def state(self, cid: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.call("state", cid).stdout)
        return data

    def list(self) -> list[dict[str, Any]]:
        if not state_root().is_dir():
            return []
        result = self.call("list", "--format", "json", check=False)
        return list(json.loads(result.stdout or "null") or [])

    def delete(self, cid: str) -> None:
        self.call("delete", "--force", cid, check=False)


def find(preferred: str | None = None) -> Runtime | None:
    """The first OCI runtime installed (``KSLAB_SANDBOX_RUNTIME`` or ``preferred`` names one)."""
    names = [preferred] if preferred else [os.environ.get("KSLAB_SANDBOX_RUNTIME") or "", *RUNTIMES]
    for name in [n for n in names if n]:
        path = shutil.which(name)
        if not path:
            continue
        try:
            out = programs.run([path, "--version"], check=False, timeout=10).stdout
        except (programs.ToolFailed, ToolMissing):  # cannot start, or does not answer: not usable
            continue
        return Runtime(name, path, parse_version(out))
    return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def enter(pid: int) -> tuple[str, ...]:
    """The prefix that runs a command as root of process ``pid``'s user namespace (its owner may)."""
    return ("nsenter", f"--user=/proc/{pid}/ns/user", "--")


def reap(rt: Runtime) -> list[str]:
    """Remove sandbox containers whose owning Python process is gone; returns their ids."""
    removed = []
    for entry in rt.list():
        owner = (entry.get("annotations") or {}).get(OWNER_ANNOTATION, "")
        if owner.isdigit() and not _alive(int(owner)):
            pid = int(entry.get("pid") or 0)
            # Rootless, the container's processes belong to subordinate ids: only its namespace's root kills them.
            inside = enter(pid) if os.geteuid() != 0 and pid > 0 and _alive(pid) else rt.inside
            dataclasses.replace(rt, inside=inside).delete(entry["id"])
            shutil.rmtree(entry.get("bundle") or "/nonexistent", ignore_errors=True)
            removed.append(entry["id"])
    return removed


def leftovers(rt: Runtime) -> dict[str, list[str]]:
    """This process's sandbox containers, mounts and bundles still present (all empty after every run)."""
    base = str(bundles_dir())
    mounts = []
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/mountinfo").read_text(encoding="utf-8").splitlines():
            fields = line.split()
            if len(fields) > 4 and fields[4].startswith(base):
                mounts.append(fields[4])
    bundles = sorted(p.name for p in Path(base).iterdir()) if Path(base).is_dir() else []
    mine = [e["id"] for e in rt.list()  # this process's only: other sessions may run sandboxes too
            if (e.get("annotations") or {}).get(OWNER_ANNOTATION) == str(os.getpid())]
    return {"containers": mine, "mounts": mounts, "bundles": bundles}


@dataclass
class Running:
    """A started container: its id, bundle and spec (exec copies the spec's process)."""

    runtime: Runtime
    cid: str
    bundle: Path
    spec: dict[str, Any]

    def exec(self, args: list[str], *, timeout: float = EXEC_TIMEOUT) -> ExecResult:
        process = dict(self.spec["process"], args=list(args))
        return self.runtime.exec(self.cid, process, self.bundle, timeout=timeout)

    def interactive(self, args: list[str], *, timeout: float) -> int:
        """Run a process attached to this terminal (a shell for the student); its exit code.

        With a terminal on stdin the process gets one (``terminal: true``), as ``kubectl exec -it`` does."""
        import sys

        process = dict(self.spec["process"], args=list(args), terminal=sys.stdin.isatty())
        spec_file = self.bundle / f"exec-{uuid.uuid4().hex[:8]}.json"
        spec_file.write_text(json.dumps(process), encoding="utf-8")
        try:
            return programs.interactive(self.runtime._cmd("exec", "--process", str(spec_file), self.cid),
                                        timeout=timeout)
        except programs.TimedOut as exc:
            raise RuntimeError_(f"the shell ended after its time limit of {timeout:g} s") from exc
        finally:
            spec_file.unlink(missing_ok=True)

    @property
    def pid(self) -> int:
        return int(self.runtime.state(self.cid)["pid"])


@contextlib.contextmanager
def container(rt: Runtime, bundle: Path, spec: dict[str, Any]) -> Iterator[Running]:
    """Create and start a container from ``bundle`` (which must hold ``rootfs/``); always cleaned up."""
    cid = f"kslab-{uuid.uuid4().hex[:12]}"
    spec = dict(spec, annotations={**spec.get("annotations", {}), OWNER_ANNOTATION: str(os.getpid())})
    (bundle / "config.json").write_text(json.dumps(spec, indent=1), encoding="utf-8")
    state_root().mkdir(parents=True, exist_ok=True, mode=0o700)
    log, errors = bundle / "init.log", bundle / "create.err"
    try:
        # The container's init (httpd) inherits runc's stdio, so both go to files: a pipe would stay open
        # as long as the container runs.
        try:
            created = programs.run_into_files(rt._cmd("create", "--bundle", str(bundle), cid), stdout=log,
                                              stderr=errors, timeout=CALL_TIMEOUT)
        except programs.TimedOut as exc:
            raise RuntimeError_(f"{rt.name} create did not finish within {CALL_TIMEOUT} s") from exc
        if created != 0:
            text = errors.read_text(encoding="utf-8", errors="replace").strip()
            detail = (text.splitlines() or ["no output"])[-1]
            raise RuntimeError_(f"{rt.name} create failed: {detail[:300]}")
        rt.call("start", cid)
        yield Running(rt, cid, bundle, spec)
    finally:
        rt.delete(cid)
        if rt.inside:  # files a process wrote as a subordinate id: only the namespace's root removes them
            with contextlib.suppress(RuntimeError_):
                rt.as_namespace_root("rm", "-rf", str(bundle))
        shutil.rmtree(bundle, ignore_errors=True)


def _mapping_args(maps: list[dict[str, int]]) -> list[str]:
    return [str(v) for m in maps for v in (m["containerID"], m["hostID"], m["size"])]


@contextlib.contextmanager
def user_namespace(rt: Runtime, plan: Plan, *, lifetime: int = 7200) -> Iterator[Runtime]:
    """Rootless: a user namespace with ``plan``'s mappings (set by newuidmap/newgidmap), held open by a
    ``sleep`` for the block; yields ``rt`` running inside it as the namespace's root.

    runc run directly without root refuses any supplemental group ("cannot set any additional groups in
    a rootless container") and would leave the caller's own groups on the process; as root of a user
    namespace it sets them as on a node. The namespace ends with its last process."""
    holder = programs.start(["unshare", "--user", "--", "sleep", str(lifetime)], stdin="null")
    try:
        own = os.readlink("/proc/self/ns/user")
        deadline = time.monotonic() + CALL_TIMEOUT
        while os.readlink(f"/proc/{holder.pid}/ns/user") == own:
            if holder.poll() is not None or time.monotonic() > deadline:
                err = holder.stderr.read().strip() if holder.stderr else ""
                raise RuntimeError_(f"cannot create a user namespace: {err[-300:] or 'unshare did not start'}")
            time.sleep(0.01)
        for tool, maps in (("newuidmap", plan.uid_mappings), ("newgidmap", plan.gid_mappings)):
            try:
                done = programs.run([tool, str(holder.pid), *_mapping_args(maps)], check=False,
                                    timeout=CALL_TIMEOUT, stdin="null")
            except programs.TimedOut as exc:
                raise RuntimeError_(f"{tool} did not finish within {CALL_TIMEOUT} s") from exc
            if done.returncode != 0:
                raise RuntimeError_(f"{tool} failed: {done.stderr.strip()[-300:]}")
        yield dataclasses.replace(rt, inside=enter(holder.pid))
    finally:
        holder.kill()
        holder.wait(timeout=CALL_TIMEOUT)
        if holder.stderr:
            holder.stderr.close()
