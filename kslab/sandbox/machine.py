"""What this machine offers the sandbox: its architecture, kernel and cgroup mode, and the user
namespace a rootless run could have (from ``/etc/subuid``, ``/etc/subgid`` and the kernel's switches).

Facts only, read from the machine; :mod:`kslab.sandbox.host` decides from them whether the sandbox can run.

>>> host_facts().kernel >= (0, 0)
True
"""

from __future__ import annotations

import os
import platform
import re
import shutil
from collections.abc import Iterable
from pathlib import Path

from kslab.sandbox import userns
from kslab.sandbox.spec import HostFacts


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
