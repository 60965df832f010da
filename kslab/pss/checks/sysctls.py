"""sysctls (baseline): only sysctls that are namespaced and isolated from other pods.

The standard: every ``spec.securityContext.sysctls[*].name`` must be in the allowed set of the
policy version (names only; values are not checked). The set has grown over releases.
"""

from __future__ import annotations

from kslab.pss.check import Check, Forbidden, VersionedCheck, since
from kslab.pss.levels import BASELINE
from kslab.pss.pod import PodView

# policy version (minor) -> sysctls added to the allowed set in that version
ADDED_IN = {
    0: ("kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range", "net.ipv4.ip_unprivileged_port_start"),
    27: ("net.ipv4.ip_local_reserved_ports",),
    29: ("net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
         "net.ipv4.tcp_keepalive_probes"),
    32: ("net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"),
    37: ("net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat"),
}


def allowed_sysctls(minor: int) -> frozenset[str]:
    """The allowed set at policy version ``v1.<minor>``.

    >>> "net.ipv4.tcp_rmem" in allowed_sysctls(31), "net.ipv4.tcp_rmem" in allowed_sysctls(32)
    (False, True)
    """
    return frozenset(name for since_minor, names in ADDED_IN.items() if since_minor <= minor for name in names)


def _version(minor: int) -> VersionedCheck:
    allowed = allowed_sysctls(minor)

    def run(pod: PodView) -> Forbidden | None:
        sysctls = pod.security_context.get("sysctls")
        if not sysctls:
            return None  # the usual case: nothing to look at
        names = [str(s.get("name") or "") for s in sysctls]
        forbidden = [n for n in names if n not in allowed]
        return Forbidden("forbidden sysctls", ", ".join(forbidden)) if forbidden else None

    run.__name__ = run.__qualname__ = f"run_1_{minor}"
    return VersionedCheck(since(minor), run)


CHECK = Check("sysctls", BASELINE, tuple(_version(minor) for minor in sorted(ADDED_IN)))
