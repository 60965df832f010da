"""Can this machine run the sandbox faithfully? If not, exactly why not.

As root (CI, a laptop with sudo) the sandbox needs an OCI runtime that starts a container here, the
webapp's filesystem parts (busybox-static, a C compiler) and a state directory that honours setuid
bits. Without root it runs rootless in a user namespace where the kernel allows one and the caller's
subordinate ids (``/etc/subuid``/``/etc/subgid``, mapped by ``newuidmap``/``newgidmap``) cover root and
uid 1000 of the image and every id the pod names (:func:`rootless_plan`, the rules in
:mod:`kslab.sandbox.userns`). A run that cannot map a needed id is refused, never approximated.
"""

from __future__ import annotations

import functools
import os
import platform
import re
import shutil
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from kslab.sandbox import rootfs, runtime, userns
from kslab.sandbox.spec import HostFacts

@dataclass(frozen=True)
class Availability:
    """Whether the sandbox can run here, with which runtime, and if not the reason."""

    ok: bool
    reason: str = ""
    runtime: runtime.Runtime | None = None

    @property
    def label(self) -> str:
        return f"a local sandbox ({self.runtime.label}), not a Kubernetes node" if self.runtime else "no sandbox"


def host_facts() -> HostFacts:
    """The architecture, kernel version and cgroup mode of this machine (what containerd would ask)."""
    match = re.match(r"(\d+)\.(\d+)", platform.release())
    kernel = (int(match.group(1)), int(match.group(2))) if match else (0, 0)
    machine = {"amd64": "x86_64", "arm64": "aarch64"}.get(platform.machine().lower(), platform.machine())
    return HostFacts(arch=machine, kernel=kernel, cgroup_v2=Path("/sys/fs/cgroup/cgroup.controllers").exists())


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError:
        return ""


def rootless_plan(uids: Iterable[int] = userns.IMAGE_IDS, gids: Iterable[int] = userns.IMAGE_IDS) -> userns.Plan:
    """This machine's answer to :func:`kslab.sandbox.userns.rootless_plan` for the caller (reads
    ``/etc/subuid``, ``/etc/subgid`` and the kernel's user-namespace switches)."""
    import pwd

    uid, gid = os.geteuid(), os.getegid()
    try:
        user = pwd.getpwuid(uid).pw_name
    except KeyError:
        user = str(uid)
    max_userns = int(_read("/proc/sys/user/max_user_namespaces").strip() or "0")
    if _read("/proc/sys/kernel/unprivileged_userns_clone").strip() == "0":
        max_userns = 0
    return userns.rootless_plan(uid=uid, gid=gid, user=user, uids=uids, gids=gids, subuid=_read("/etc/subuid"),
                                subgid=_read("/etc/subgid"), max_userns=max_userns,
                                helpers=bool(shutil.which("newuidmap") and shutil.which("newgidmap")))


def _nosuid(path: Path) -> bool:
    probe = path
    while not probe.exists():
        probe = probe.parent
    return bool(os.statvfs(probe).f_flag & os.ST_NOSUID)


@functools.lru_cache(maxsize=1)
def _probe(rt: runtime.Runtime) -> str:
    """Start one tiny container to prove the runtime works here; the runtime's own error otherwise."""
    from kslab.sandbox.session import probe

    try:
        probe(rt)
    except Exception as exc:  # noqa: BLE001 - the reason is shown, and the prediction used
        return str(getattr(exc, "message", exc))
    return ""


def check(*, probe: bool = True) -> Availability:
    """Whether a faithful sandbox can run on this machine now (``KSLAB_SANDBOX=off`` turns it off)."""
    if os.environ.get("KSLAB_SANDBOX", "").strip().lower() in ("off", "0", "no", "false"):
        return Availability(False, "turned off by KSLAB_SANDBOX=off")
    if sys.platform != "linux":
        return Availability(False, f"the sandbox needs Linux namespaces; this is {sys.platform}")
    rt = runtime.find()
    if rt is None:
        return Availability(False, "no OCI runtime installed (Debian/Ubuntu: apt install runc)")
    if os.geteuid() != 0:
        plan = rootless_plan()
        if not plan.ok:
            return Availability(False, "not root, and a rootless run cannot map the image's users: " + plan.reason, rt)
    lacking = rootfs.missing()
    if lacking:
        return Availability(False, "cannot build the webapp's filesystem: missing " + "; ".join(lacking), rt)
    if _nosuid(runtime.bundles_dir()):
        return Availability(False, f"{runtime.bundles_dir()} is on a nosuid filesystem, where become-root's setuid "
                                   "bit would not count (set KSLAB_HOME elsewhere)", rt)
    if probe:
        failure = _probe(rt)
        if failure:
            return Availability(False, f"{rt.label} cannot start a container here: {failure}", rt)
    return Availability(True, "", rt)
