"""The securityContext a container really gets: pod and container levels merged as the kubelet merges them,
checked as the API server and the kubelet check them, and refused where the sandbox cannot be faithful.

The kubelet (``pkg/securitycontext`` ``DetermineEffectiveSecurityContext``) lets a container's own
``runAsUser``, ``runAsGroup``, ``runAsNonRoot``, ``seccompProfile`` (and SELinux/AppArmor options)
override the pod's; everything else (``readOnlyRootFilesystem``, ``allowPrivilegeEscalation``,
``privileged``, ``capabilities``, ``procMount``) exists only on the container, and ``fsGroup`` and
``supplementalGroups`` only on the pod.

>>> from kslab.manifests.webapp import webapp_deployment
>>> eff = effective(webapp_deployment({"runAsUser": 1000, "allowPrivilegeEscalation": False}))
>>> eff.run_as_user, eff.no_new_privs, eff.read_only_root
(1000, True, False)
>>> refusal(webapp_deployment({"privileged": True, "allowPrivilegeEscalation": False}))[:70]
'The Deployment "webapp" is invalid: spec.template.spec.containers[0].s'
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kslab.errors import InputError, KslabError
from kslab.pss.pod import EMPTY
from kslab.pss.workloads import kind_path, pod_parts
from kslab.sandbox.defaults import SAFE_TO_ADD

#: The pod-level fields a container inherits unless it sets its own (kubelet's merge).
INHERITED = ("runAsUser", "runAsGroup", "runAsNonRoot", "seccompProfile", "seLinuxOptions", "appArmorProfile")

MAX_ID = 2147483647


class SandboxRefused(KslabError):
    """The sandbox will not run this pod: it could not do so faithfully or safely. Nothing was run."""

    default_hint = "the prediction (kslab.hack.predict) still applies; a live lab runs it on a real node"


@dataclass(frozen=True)
class EmptyDir:
    """An ``emptyDir`` volume mounted into the container (the sandbox gives it a fresh tmpfs)."""

    path: str
    read_only: bool
    size_limit: str = ""


@dataclass(frozen=True)
class Effective:
    """One container's effective security settings, plus where it sits in the object (for messages)."""

    kind: str
    name: str
    spec_path: str  # e.g. "spec.template.spec"
    index: int
    container: str
    run_as_user: int | None
    run_as_group: int | None
    run_as_non_root: bool
    fs_group: int | None
    supplemental_groups: tuple[int, ...]
    supplemental_groups_policy: str
    read_only_root: bool
    allow_privilege_escalation: bool | None
    privileged: bool
    cap_add: tuple[str, ...]
    cap_drop: tuple[str, ...]
    seccomp: str  # "" (unset), RuntimeDefault, Unconfined, Localhost
    proc_mount: str
    host_users: bool
    empty_dirs: tuple[EmptyDir, ...]
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    problems: tuple[str, ...] = ()  # what the sandbox does not model (refused, never approximated)

    @property
    def no_new_privs(self) -> bool:
        """The kubelet's AddNoNewPrivileges: only an explicit ``allowPrivilegeEscalation: false``."""
        return self.allow_privilege_escalation is False

    @property
    def field(self) -> str:
        return f"{self.spec_path}.containers[{self.index}].securityContext"


def _int(value: Any, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"{where} must be an integer, not {value!r}", hint="e.g. runAsUser: 1000")
    return value


def effective(obj: Mapping[str, Any], container: str | None = None) -> Effective:
    """The effective settings of one container (the first, by default) of a Pod or workload."""
    parts = pod_parts(obj)
    if parts is None:
        raise InputError(f"{obj.get('kind')} has no pod to run", hint="give the webapp Deployment or Pod")
    _, spec, _ = parts
    path = kind_path(str(obj.get("apiVersion") or ""), str(obj.get("kind") or "")) or ()
    spec_path = ".".join([*path, "spec"])
    containers = list(spec.get("containers") or [])
    index = next((i for i, c in enumerate(containers) if container in (None, c.get("name"))), None)
    if index is None:
        raise InputError(f"no container {container!r} in the pod", hint="name one of the pod's containers (--container)")
    chosen = containers[index]
    psc = spec.get("securityContext") or EMPTY
    sc = chosen.get("securityContext") or EMPTY
    merged = {k: (sc.get(k) if sc.get(k) is not None else psc.get(k)) for k in INHERITED}
    caps = sc.get("capabilities") or EMPTY
    volumes = {v.get("name"): v for v in spec.get("volumes") or ()}
    empty_dirs, problems = [], []
    for mount in chosen.get("volumeMounts") or ():
        volume = volumes.get(mount.get("name")) or EMPTY
        if "emptyDir" in volume:
            size = str((volume.get("emptyDir") or EMPTY).get("sizeLimit") or "")
            empty_dirs.append(EmptyDir(str(mount.get("mountPath")), bool(mount.get("readOnly")), size))
        else:
            kinds = [k for k in volume if k != "name"] or ["an undefined volume"]
            problems.append(f"volume {mount.get('name')!r} ({kinds[0]}) on {mount.get('mountPath')}: "
                            "the sandbox mounts only emptyDir volumes")
    for key, what in (("hostNetwork", "the node's network"), ("hostPID", "the node's processes"),
                      ("hostIPC", "the node's IPC")):
        if spec.get(key) is True:
            problems.append(f"{key}: true would share {what} with the pod")
    seccomp = str((merged["seccompProfile"] or EMPTY).get("type") or "")
    apparmor = str((merged["appArmorProfile"] or EMPTY).get("type") or "")
    if apparmor == "Localhost" or merged["seLinuxOptions"]:
        problems.append("appArmorProfile Localhost / seLinuxOptions name node-side policies the sandbox does not have")
    return Effective(
        kind=str(obj.get("kind") or "Pod"), name=str((obj.get("metadata") or EMPTY).get("name") or ""),
        spec_path=spec_path, index=index, container=str(chosen.get("name") or ""),
        run_as_user=_int(merged["runAsUser"], "runAsUser"), run_as_group=_int(merged["runAsGroup"], "runAsGroup"),
        run_as_non_root=merged["runAsNonRoot"] is True,
        fs_group=_int(psc.get("fsGroup"), "fsGroup"),
        supplemental_groups=tuple(_int(g, "supplementalGroups") or 0 for g in psc.get("supplementalGroups") or ()),
        supplemental_groups_policy=str(psc.get("supplementalGroupsPolicy") or "Merge"),
        read_only_root=sc.get("readOnlyRootFilesystem") is True,
        allow_privilege_escalation=sc.get("allowPrivilegeEscalation"),
        privileged=sc.get("privileged") is True,
        cap_add=tuple(str(c) for c in caps.get("add") or ()), cap_drop=tuple(str(c) for c in caps.get("drop") or ()),
        seccomp=seccomp, proc_mount=str(sc.get("procMount") or "Default"),
        host_users=spec.get("hostUsers") is not False,
        empty_dirs=tuple(empty_dirs), raw=sc, problems=tuple(problems))


def _value(sc: Mapping[str, Any]) -> str:
    return json.dumps(dict(sc), separators=(",", ":"), sort_keys=True)


def api_errors(eff: Effective) -> list[str]:
    """What the API server's validation says about the container's securityContext (empty: valid).

    The details are the API server's own words (``pkg/apis/core/validation``)."""
    errors = []
    for key, value in (("runAsUser", eff.run_as_user), ("runAsGroup", eff.run_as_group)):
        if value is not None and not 0 <= value <= MAX_ID:
            errors.append(f"{eff.field}.{key}: Invalid value: {value}: must be between 0 and {MAX_ID}, inclusive")
    if eff.proc_mount not in ("Default", "Unmasked"):
        errors.append(f'{eff.field}.procMount: Unsupported value: "{eff.proc_mount}": '
                      'supported values: "Default", "Unmasked"')
    elif eff.proc_mount == "Unmasked" and eff.host_users:
        errors.append(f'{eff.field}.procMount: Invalid value: "Unmasked": `hostUsers` must be false to use `Unmasked`')
    if eff.allow_privilege_escalation is False:
        if eff.privileged:
            errors.append(f"{eff.field}: Invalid value: {_value(eff.raw)}: "
                          "cannot set `allowPrivilegeEscalation` to false and `privileged` to true")
        if "CAP_SYS_ADMIN" in eff.cap_add:
            errors.append(f"{eff.field}: Invalid value: {_value(eff.raw)}: "
                          "cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN")
    return errors


def kubelet_error(eff: Effective) -> str:
    """Why the kubelet would not start the container (CreateContainerConfigError), or ``""``.

    The image runs as root (its default user), so ``runAsNonRoot`` needs a non-zero ``runAsUser``."""
    if not eff.run_as_non_root:
        return ""
    if eff.run_as_user == 0:
        return f"container's runAsUser breaks non-root policy (container: {eff.container})"
    if eff.run_as_user is None:
        return f"container has runAsNonRoot and image will run as root (container: {eff.container})"
    return ""


def refusal(obj: Mapping[str, Any], container: str | None = None) -> str:
    """Why a real cluster would never run this container (API server or kubelet words), or ``""``."""
    eff = effective(obj, container)
    errors = api_errors(eff)
    if errors:
        return f'The {eff.kind} "{eff.name}" is invalid: ' + ", ".join(errors)
    return kubelet_error(eff)


def sandbox_problems(eff: Effective) -> list[str]:
    """What the sandbox refuses to run (it would be unsafe for this machine, or not what a node does)."""
    problems = list(eff.problems)
    if eff.privileged:
        problems.append("privileged: true gives the container every capability and the machine's devices: "
                        "on this machine that is root on the host, so the sandbox will not run it")
    added = {c if c.startswith("CAP_") else f"CAP_{c.upper()}" for c in eff.cap_add}
    unsafe = sorted(c for c in added - SAFE_TO_ADD if c != "CAP_ALL")
    if "CAP_ALL" in added or unsafe:
        problems.append(f"capabilities.add {', '.join(unsafe) or 'ALL'} would give the sandboxed process power over "
                        "this machine's kernel, so the sandbox will not add it")
    if eff.seccomp == "Localhost":
        problems.append("seccompProfile Localhost names a profile file on the node, which is not here")
    if not eff.host_users:
        problems.append("hostUsers: false (a pod user namespace) is not modelled by the sandbox")
    return problems
