"""A container's effective securityContext as an OCI runtime ``config.json``, the way containerd writes it.

Pure: every input is an argument (the image's facts, the host's architecture and kernel, where the
bundle's files are); the result is a dict ready for ``json.dump``. The rules, in containerd's order
(``internal/cri/server/container_create*.go``):

- **user**: ``runAsUser`` (or the image's user, root); the primary group is ``runAsGroup``, else the
  user's group in the image's ``/etc/passwd`` (0 when the uid is not there); supplemental groups are the
  primary group, the user's groups in ``/etc/group`` (policy ``Merge``), ``fsGroup`` and
  ``supplementalGroups``, sorted and without repeats;
- **no_new_privs** only from ``allowPrivilegeEscalation: false``;
- **capabilities**: containerd's 14 defaults in bounding/effective/permitted, then ``add: [ALL]`` /
  ``drop: [ALL]``, then the named adds and drops (``CAP_`` prefixed); never ambient or inheritable;
  ``privileged`` gets them all;
- **seccomp**: ``RuntimeDefault`` → :func:`kslab.sandbox.seccomp.runtime_default`; unset or
  ``Unconfined`` → none (the kubelet's default without ``seccompDefault``); privileged → none;
- **/proc**: the kubelet's masked and read-only paths unless ``procMount: Unmasked`` or privileged;
- **root** read-only with ``readOnlyRootFilesystem``; ``/etc/hosts`` and ``/dev/termination-log`` stay
  writable, ``/etc/hostname`` and ``/etc/resolv.conf`` follow the root; each ``emptyDir`` is a writable tmpfs
  (setgid and owned by ``fsGroup`` when set, as the kubelet makes it).

>>> from kslab.manifests.webapp import webapp_deployment
>>> from kslab.sandbox.security import effective
>>> s = oci_spec(effective(webapp_deployment({"runAsUser": 1000, "readOnlyRootFilesystem": True})), IMAGE,
...              HostFacts(), BundlePaths("/b/rootfs", {}))
>>> s["process"]["user"], s["root"]
({'uid': 1000, 'gid': 1000, 'additionalGids': [1000]}, {'path': '/b/rootfs', 'readonly': True})
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kslab.sandbox import defaults
from kslab.sandbox.security import Effective


@dataclass(frozen=True)
class ImageConfig:
    """The image's facts the runtime reads: default user, environment, command, users and groups."""

    user: str = ""  # the image's USER; "" is root
    env: tuple[str, ...] = ("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",)
    cmd: tuple[str, ...] = ("busybox", "httpd", "-f", "-v", "-p", "3000", "-h", "/www")
    cwd: str = "/"
    passwd: tuple[tuple[str, int, int], ...] = (("root", 0, 0), ("webapp", 1000, 1000))  # name, uid, gid
    group: tuple[tuple[str, int, tuple[str, ...]], ...] = (("root", 0, ("root",)), ("webapp", 1000, ()))


#: The webapp image's contract (COURSE.md; webapp/Dockerfile): root by default, busybox httpd on 3000.
IMAGE = ImageConfig()


@dataclass(frozen=True)
class HostFacts:
    """What containerd asks the host: the architecture, the kernel, whether cgroups are v2 (unified)."""

    arch: str = "x86_64"
    kernel: tuple[int, int] = (6, 1)
    cgroup_v2: bool = True


@dataclass(frozen=True)
class BundlePaths:
    """Where the sandbox keeps the rootfs and the per-pod files on this machine."""

    rootfs: str
    pod_files: Mapping[str, str] = field(default_factory=dict)  # container path -> host file


@dataclass(frozen=True)
class Bounds:
    """The sandbox's own bounds (cgroup limits), whatever the pod asks."""

    memory: int = defaults.MEMORY_LIMIT
    pids: int = defaults.PIDS_LIMIT
    cpu_shares: int = defaults.CPU_SHARES


def _cap(name: str) -> str:
    return name.upper() if name.upper().startswith("CAP_") else "CAP_" + name.upper()


def capabilities(eff: Effective) -> list[str]:
    """Bounding = effective = permitted capabilities, as containerd's WithCapabilities computes them.

    >>> from dataclasses import replace
    >>> from kslab.manifests.webapp import webapp_deployment
    >>> from kslab.sandbox.security import effective
    >>> capabilities(effective(webapp_deployment({"capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}})))
    ['CAP_NET_BIND_SERVICE']
    """
    if eff.privileged:
        return list(defaults.ALL_CAPABILITIES)
    caps = list(defaults.DEFAULT_CAPABILITIES)
    if any(c.upper() == "ALL" for c in eff.cap_add):
        caps = list(defaults.ALL_CAPABILITIES)
    if any(c.upper() == "ALL" for c in eff.cap_drop):
        caps = []
    for c in eff.cap_add:
        if c.upper() != "ALL" and _cap(c) not in caps:
            caps.append(_cap(c))
    drop = {_cap(c) for c in eff.cap_drop if c.upper() != "ALL"}
    return [c for c in caps if c not in drop]


def user(eff: Effective, image: ImageConfig) -> dict[str, Any]:
    """The process user: uid, primary gid and supplemental gids (containerd's WithUser + groups)."""
    if eff.run_as_user is not None:
        uid = eff.run_as_user
    elif image.user:
        uid = int(image.user.split(":")[0])  # numeric image users only (the webapp has none)
    else:
        uid = 0
    entry = next((p for p in image.passwd if p[1] == uid), None)
    gid = eff.run_as_group if eff.run_as_group is not None else (entry[2] if entry else 0)
    gids = {gid}
    if eff.supplemental_groups_policy != "Strict" and entry:
        gids |= {g[1] for g in image.group if entry[0] in g[2] and g[0] != entry[0]}
    if eff.fs_group is not None:
        gids.add(eff.fs_group)
    gids |= set(eff.supplemental_groups)
    return {"uid": uid, "gid": gid, "additionalGids": sorted(gids)}


def mounts(eff: Effective, paths: BundlePaths) -> list[dict[str, Any]]:
    """Runtime, pod and volume mounts; nothing of the host is bind-mounted but the sandbox's own files."""
    out = [dict(m, options=list(m["options"])) for m in defaults.DEFAULT_MOUNTS]
    if eff.privileged:  # containerd's WithWriteableSysfs / WithWriteableCgroupfs
        for m in out:
            if m["type"] in ("sysfs", "cgroup"):
                m["options"] = [o for o in m["options"] if o != "ro"] + ["rw"]
    out.append(dict(defaults.DEV_SHM, options=list(defaults.DEV_SHM["options"])))
    for target, (always_writable, _) in defaults.POD_FILES.items():
        if target in paths.pod_files:
            ro = eff.read_only_root and not always_writable
            out.append({"destination": target, "type": "bind", "source": paths.pod_files[target],
                        "options": ["rbind", "rprivate", "nosuid", "nodev", "ro" if ro else "rw"]})
    for vol in eff.empty_dirs:
        mode = "mode=2777" if eff.fs_group is not None else "mode=0777"
        options = ["nosuid", "nodev", mode, "size=" + str(16 * 1024 * 1024)]
        if eff.fs_group is not None:
            options.append(f"gid={eff.fs_group}")
        options.append("ro" if vol.read_only else "rw")
        out.append({"destination": vol.path, "type": "tmpfs", "source": "tmpfs", "options": options})
    return out


def oci_spec(eff: Effective, image: ImageConfig, host: HostFacts, paths: BundlePaths, *,
             bounds: Bounds = Bounds(), args: tuple[str, ...] | None = None,
             hostname: str = "webapp", annotations: Mapping[str, str] | None = None,
             rootless: bool = False) -> dict[str, Any]:
    """The OCI runtime spec for the container (see the module's rules).

    ``rootless``: the runtime runs as root of kslab's user namespace (:func:`kslab.sandbox.runtime.user_namespace`
    holds the id mappings, so the spec needs no user namespace of its own), where it cannot set cgroup
    limits without a delegated cgroup. Memory is then bounded per process by ``RLIMIT_AS``
    (:data:`~kslab.sandbox.defaults.ROOTLESS_ADDRESS_SPACE`); the number of processes is not bounded by the
    sandbox (``RLIMIT_NPROC`` counts every process of the host uid, so it would fail steps no node fails)."""
    from kslab.sandbox.seccomp import runtime_default

    caps = capabilities(eff)
    env = list(image.env) or [defaults.DEFAULT_PATH]
    if not any(e.startswith("PATH=") for e in env):
        env.insert(0, defaults.DEFAULT_PATH)
    process: dict[str, Any] = {
        "terminal": False,
        "user": user(eff, image),
        "args": list(args or image.cmd),
        "env": [f"HOSTNAME={hostname}", *env],
        "cwd": image.cwd or "/",
        "capabilities": {"bounding": caps, "effective": list(caps), "permitted": list(caps)},
        "noNewPrivileges": eff.no_new_privs,
        "oomScoreAdj": 1000,
    }
    linux: dict[str, Any] = {
        "namespaces": [{"type": ns} for ns in defaults.NAMESPACES]
        + ([{"type": "cgroup"}] if host.cgroup_v2 and not eff.privileged else []),
        "resources": {
            "devices": [{"allow": False, "access": "rwm"}],
            "memory": {"limit": bounds.memory, "swap": bounds.memory},
            "pids": {"limit": bounds.pids},
            "cpu": {"shares": bounds.cpu_shares},
        },
    }
    if rootless:
        del linux["resources"]
        limit = defaults.ROOTLESS_ADDRESS_SPACE
        process["rlimits"] = [{"type": "RLIMIT_AS", "hard": limit, "soft": limit}]
    if not eff.privileged and eff.proc_mount != "Unmasked":
        linux["maskedPaths"] = list(defaults.MASKED_PATHS)
        linux["readonlyPaths"] = list(defaults.READONLY_PATHS)
    if eff.seccomp == "RuntimeDefault" and not eff.privileged:
        linux["seccomp"] = runtime_default(caps, arch=host.arch, kernel=host.kernel)
    return {
        "ociVersion": "1.0.2",
        "process": process,
        "root": {"path": paths.rootfs, "readonly": eff.read_only_root},
        "hostname": hostname,
        "mounts": mounts(eff, paths),
        "annotations": dict(annotations or {}),
        "linux": linux,
    }
