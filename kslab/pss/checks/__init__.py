"""One module per Pod Security Standards check, each defining ``CHECK`` (see :mod:`kslab.pss.check`).

Each module starts with what the standard says (the restricted fields and their allowed values),
keeps its allowed values as data, and implements one function per policy version that changed
the rule. :data:`ALL_CHECKS` lists them for the registry.
"""

from __future__ import annotations

from kslab.pss.check import Check
from kslab.pss.checks import (
    allow_privilege_escalation,
    app_armor_profile,
    capabilities_baseline,
    capabilities_restricted,
    host_namespaces,
    host_path_volumes,
    host_ports,
    host_probes_and_host_lifecycle,
    privileged,
    proc_mount,
    proc_mount_restricted,
    restricted_volumes,
    run_as_non_root,
    run_as_user,
    se_linux_options,
    seccomp_profile_baseline,
    seccomp_profile_restricted,
    sysctls,
    windows_host_process,
)

ALL_CHECKS: tuple[Check, ...] = tuple(module.CHECK for module in (
    app_armor_profile, capabilities_baseline, host_namespaces, host_path_volumes, host_ports,
    host_probes_and_host_lifecycle, privileged, proc_mount, se_linux_options,
    seccomp_profile_baseline, sysctls, windows_host_process,
    allow_privilege_escalation, capabilities_restricted, proc_mount_restricted, restricted_volumes,
    run_as_non_root, run_as_user, seccomp_profile_restricted,
))
