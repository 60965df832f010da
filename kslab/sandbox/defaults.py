"""What a containerd node puts in every container's OCI spec before the pod's security context applies.

Facts, not code, so each reads next to its source: containerd's ``pkg/oci`` defaults and CRI plugin
(``internal/cri``), and the kubelet's ``pkg/securitycontext`` (masked and read-only ``/proc`` paths).
The sandbox's spec translation (:mod:`kslab.sandbox.spec`) starts from these and changes only what the
securityContext changes, as containerd does.

>>> len(DEFAULT_CAPABILITIES), "CAP_SYS_ADMIN" in DEFAULT_CAPABILITIES
(14, False)
"""

from __future__ import annotations

from typing import Any

#: containerd's default capability set (``pkg/oci`` ``defaultUnixCaps``): bounding, effective and
#: permitted of a non-privileged container start from these; inheritable and ambient stay empty.
DEFAULT_CAPABILITIES: tuple[str, ...] = (
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
    "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL",
    "CAP_AUDIT_WRITE",
)

#: Every capability Linux 6.x knows (``capabilities.add: [ALL]`` and ``privileged: true`` grant what the
#: runtime can grant; containerd asks the kernel, kslab lists them in the kernel's order).
ALL_CAPABILITIES: tuple[str, ...] = (
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
    "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
)

#: Capabilities the sandbox adds when a pod asks (``capabilities.add``): a node would grant any, but
#: these are the only ones that give a process no power over the machine running the sandbox (the
#: default set, plus a few that act only inside the container's own namespaces).
SAFE_TO_ADD: frozenset[str] = frozenset(DEFAULT_CAPABILITIES) | {"CAP_NET_BROADCAST", "CAP_IPC_LOCK", "CAP_LEASE",
                                                                 "CAP_WAKE_ALARM", "CAP_AUDIT_READ"}

#: The kubelet's masked and read-only ``/proc`` paths for ``procMount: Default`` (``pkg/securitycontext``
#: ``defaultMaskedPaths`` / ``defaultReadonlyPaths``); ``Unmasked`` sends empty lists. containerd's
#: CRI plugin clears its own defaults and applies exactly these.
MASKED_PATHS: tuple[str, ...] = (
    "/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
    "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
)
READONLY_PATHS: tuple[str, ...] = ("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger")

#: containerd's default mounts (``pkg/oci`` ``defaultMounts``) minus ``/run`` (the CRI plugin removes it),
#: plus the cgroup filesystem the CRI plugin adds read-only.
DEFAULT_MOUNTS: tuple[dict[str, Any], ...] = (
    {"destination": "/proc", "type": "proc", "source": "proc", "options": ["nosuid", "noexec", "nodev"]},
    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
     "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
    {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
     "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
    {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue", "options": ["nosuid", "noexec", "nodev"]},
    {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]},
    {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
     "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]},
)

#: The pod's shared memory: on a node, the sandbox (pause) container's /dev/shm, a 64 MiB tmpfs.
DEV_SHM: dict[str, Any] = {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
                           "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]}

#: Files the kubelet and containerd bind into every container: ``/etc/hosts`` and
#: ``/dev/termination-log`` (kubelet, always writable), ``/etc/hostname`` and ``/etc/resolv.conf``
#: (containerd, read-only when the root filesystem is). Name → (always writable?, initial content).
POD_FILES: dict[str, tuple[bool, str]] = {
    "/etc/hosts": (True, "# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost\n"),
    "/dev/termination-log": (True, ""),
    "/etc/hostname": (False, "webapp\n"),
    "/etc/resolv.conf": (False, "# the sandbox has no network but loopback: no name server\n"),
}

#: containerd's default PATH (``oci.WithDefaultPathEnv``), used when the image sets none.
DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

#: The namespaces of a pod's container that the sandbox creates (never the host's): pid, ipc, uts, mount
#: and network (the network one holds only loopback).
NAMESPACES: tuple[str, ...] = ("pid", "ipc", "uts", "mount", "network")

#: Bounds of every sandbox run (the spec's cgroup limits and rlimits; each runtime call has its own timeout).
MEMORY_LIMIT = 64 * 1024 * 1024
#: Rootless there is no cgroup: each process's address space is bounded instead. runc's own init (a Go
#: program) runs under the limit before it execs the step: it fails below a few hundred MiB, and at 1 GiB
#: libseccomp's filter build failed once under load (ENOMEM), hence 4 GiB — still a bound.
ROOTLESS_ADDRESS_SPACE = 4 * 1024 * 1024 * 1024
PIDS_LIMIT = 64
NOFILE = 1024
CPU_SHARES = 256
