"""Can this machine run the sandbox faithfully? If not, exactly why not.

As root (CI, a laptop with sudo) the sandbox needs an OCI runtime that starts a container here, the
webapp's filesystem parts (busybox-static, a C compiler) and a state directory that honours setuid
bits. Without root it would need a user namespace mapping both root and uid 1000 of the image onto
ids of this machine (``newuidmap``/``newgidmap`` and ranges in ``/etc/subuid``/``/etc/subgid``);
:func:`rootless_gaps` lists what is missing for that. A run that cannot map a needed uid is refused,
never approximated.

>>> rootless_gaps(uid=1000, user="ana", max_userns=0, helpers=True, subuid="", subgid="")[0]
'user namespaces are disabled (user.max_user_namespaces is 0)'
>>> rootless_gaps(uid=1000, user="ana", max_userns=100, helpers=True, subuid="ana:100000:500\\n", subgid="ana:100000:65536\\n")
['/etc/subuid gives ana 500 subordinate uids; the image needs uid 1000 mapped, so at least 1000']
"""

from __future__ import annotations

import functools
import os
import platform
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from kslab.sandbox import rootfs, runtime
from kslab.sandbox.spec import HostFacts

#: The highest container uid the webapp needs (the ``webapp`` user); root is the other.
HIGHEST_UID = 1000


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


def _ids(text: str, user: str, uid: int) -> int:
    total = 0
    for line in text.splitlines():
        parts = line.strip().split(":")
        if len(parts) == 3 and parts[0] in (user, str(uid)) and parts[2].isdigit():
            total += int(parts[2])
    return total


def rootless_gaps(*, uid: int, user: str, max_userns: int, helpers: bool, subuid: str, subgid: str) -> list[str]:
    """What a rootless run lacks to map root and uid 1000 of the image (pure; empty: nothing lacks)."""
    if max_userns <= 0:
        return ["user namespaces are disabled (user.max_user_namespaces is 0)"]
    gaps = []
    if not helpers:
        gaps.append("newuidmap/newgidmap are not installed (Debian/Ubuntu: apt install uidmap)")
    for name, text in (("subuid", subuid), ("subgid", subgid)):
        have = _ids(text, user, uid)
        if have < HIGHEST_UID:
            gaps.append(f"/etc/{name} gives {user} {have} subordinate {name[3:]}s; the image needs "
                        f"{name[3:]} {HIGHEST_UID} mapped, so at least {HIGHEST_UID}")
    return gaps


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError:
        return ""


def _rootless_reason() -> str:
    import pwd

    uid = os.geteuid()
    try:
        user = pwd.getpwuid(uid).pw_name
    except KeyError:
        user = str(uid)
    max_userns = int(_read("/proc/sys/user/max_user_namespaces").strip() or "0")
    if _read("/proc/sys/kernel/unprivileged_userns_clone").strip() == "0":
        max_userns = 0
    gaps = rootless_gaps(uid=uid, user=user, max_userns=max_userns,
                         helpers=bool(shutil.which("newuidmap") and shutil.which("newgidmap")),
                         subuid=_read("/etc/subuid"), subgid=_read("/etc/subgid"))
    if gaps:
        return "not root, and a rootless run cannot map the image's users: " + "; ".join(gaps)
    return ("not root; this machine could map the image's users in a user namespace, but kslab's rootless "
            "sandbox is not implemented yet (its filesystem must belong to root and become-root be setuid root)")


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
        return Availability(False, _rootless_reason(), rt)
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
