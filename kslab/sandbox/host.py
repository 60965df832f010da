"""Can this machine run the sandbox faithfully? If not, exactly why not.

As root (CI, a laptop with sudo) the sandbox needs an OCI runtime that starts a container here, the
webapp's filesystem parts (busybox-static, a C compiler) and a state directory that honours setuid
bits. Without root it runs rootless in a user namespace where the kernel allows one and the caller's
subordinate ids (``/etc/subuid``/``/etc/subgid``, mapped by ``newuidmap``/``newgidmap``) cover root and
uid 1000 of the image and every id the pod names (:func:`~kslab.sandbox.machine.rootless_plan`, the
rules in :mod:`kslab.sandbox.userns`). A run that cannot map a needed id is refused, never approximated.
"""

from __future__ import annotations

import functools
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from kslab.sandbox import rootfs, runtime
from kslab.sandbox.launch import probe as start_probe
from kslab.sandbox.machine import host_facts, rootless_plan

__all__ = ["Availability", "check", "host_facts", "rootless_plan"]

@dataclass(frozen=True)
class Availability:
    """Whether the sandbox can run here, with which runtime, and if not the reason."""

    ok: bool
    reason: str = ""
    runtime: runtime.Runtime | None = None

    @property
    def label(self) -> str:
        return f"a local sandbox ({self.runtime.label}), not a Kubernetes node" if self.runtime else "no sandbox"


def _nosuid(path: Path) -> bool:
    probe = path
    while not probe.exists():
        probe = probe.parent
    return bool(os.statvfs(probe).f_flag & os.ST_NOSUID)


@functools.lru_cache(maxsize=1)
def _probe(rt: runtime.Runtime) -> str:
    """Start one tiny container to prove the runtime works here; the runtime's own error otherwise."""
    try:
        start_probe(rt)
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
