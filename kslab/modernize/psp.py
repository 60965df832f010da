"""PodSecurityPolicy -> the Pod Security level that admits what the policy admitted, computed.

For every PSP field that Pod Security has an opinion on, kslab builds the most permissive pod the
policy lets through for that field — as it was after the PSP's own defaulting (``requiredDrop``
capabilities, ``allowPrivilegeEscalation: false``, default profiles) — on top of a pod that meets
*restricted* otherwise, and judges it with :mod:`kslab.pss` at the target version. The policy's
level is the strictest one that every such pod meets; the checks that fail say which PSP field is
why. Two facts follow upstream's mapping table (docs "Mapping PodSecurityPolicies to Pod Security
Standards"): ``runAsUser: MustRunAsNonRoot`` counts as ``runAsNonRoot: true``, and checks PSP never
had (probe/lifecycle hosts, Windows host processes) are left out, because no PSP could forbid them.

>>> psp = {"apiVersion": "policy/v1beta1", "kind": "PodSecurityPolicy", "metadata": {"name": "p"},
...        "spec": {"privileged": False, "allowedCapabilities": ["NET_ADMIN"],
...                 "runAsUser": {"rule": "RunAsAny"}, "seLinux": {"rule": "RunAsAny"},
...                 "volumes": ["configMap", "secret"]}}
>>> level_for(psp["spec"], {}, 36).level
'privileged'
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from kslab.modernize.context import DocContext
from kslab.modernize.finding import RULES

SECCOMP_ALLOWED = "seccomp.security.alpha.kubernetes.io/allowedProfileNames"
SECCOMP_DEFAULT = "seccomp.security.alpha.kubernetes.io/defaultProfileName"
APPARMOR_ALLOWED = "apparmor.security.beta.kubernetes.io/allowedProfileNames"
APPARMOR_DEFAULT = "apparmor.security.beta.kubernetes.io/defaultProfileName"
#: Pod Security checks that no PodSecurityPolicy field could express: left out of the computation.
NOT_IN_PSP = frozenset({"hostProbesAndHostLifecycle", "windowsHostProcess"})
LEVEL_ORDER = ("restricted", "baseline", "privileged")


def _base_pod() -> tuple[dict[str, Any], dict[str, Any]]:
    """A pod that meets restricted: each aspect below makes one field as loose as the PSP allows."""
    spec = {"securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [{"name": "probe", "image": "probe",
                            "securityContext": {"allowPrivilegeEscalation": False,
                                                "capabilities": {"drop": ["ALL"]}}}]}
    return {"name": "probe"}, spec


def _container(spec: dict[str, Any]) -> dict[str, Any]:
    return spec["containers"][0]


def _profile_names(annotations: Mapping[str, str], key: str) -> list[str] | None:
    """The PSP's allowed profile names ('' = unset allowed, from a trailing comma); None = annotation absent."""
    if key not in annotations:
        return None
    return [p.strip() for p in str(annotations[key]).split(",")]


_PROFILE_RANK = {"*": 0, "unconfined": 0, "": 1}  # worse first; named profiles rank 2


def _worst_profile(names: list[str]) -> str:
    return sorted(names, key=lambda n: _PROFILE_RANK.get(n, 2))[0]


def _seccomp_field(name: str) -> dict[str, str] | None:
    if name in ("*", "unconfined"):
        return {"type": "Unconfined"}
    if name in ("runtime/default", "docker/default"):
        return {"type": "RuntimeDefault"}
    if name.startswith("localhost/"):
        return {"type": "Localhost", "localhostProfile": name[len("localhost/"):]}
    return None


Aspect = Callable[[Mapping[str, Any], Mapping[str, str], dict[str, Any], dict[str, Any]], str | None]


def _privileged(spec: Mapping[str, Any], ann: Mapping[str, str], meta: dict[str, Any], pod: dict[str, Any]) -> str | None:
    if spec.get("privileged"):
        _container(pod)["securityContext"]["privileged"] = True
        return "privileged: true"
    return None


def _capabilities(spec: Mapping[str, Any], ann: Mapping[str, str], meta: dict[str, Any], pod: dict[str, Any]) -> str | None:
    allowed = list(spec.get("allowedCapabilities") or []) + list(spec.get("defaultAddCapabilities") or [])
    drop = list(spec.get("requiredDropCapabilities") or [])
    add = ["SYS_ADMIN"] if "*" in allowed else sorted(set(allowed))
    caps: dict[str, Any] = {}
    if drop:
        caps["drop"] = drop
    if add:
        caps["add"] = add
    _container(pod)["securityContext"]["capabilities"] = caps
    return f"requiredDropCapabilities: {drop or '[]'}, allowedCapabilities: {allowed or '[]'}"


def _host_namespaces(spec: Mapping[str, Any], ann: Mapping[str, str], meta: dict[str, Any], pod: dict[str, Any]) -> str | None:
    on = [k for k in ("hostNetwork", "hostPID", "hostIPC") if spec.get(k)]
    for key in on:
        pod[key] = True
    return ", ".join(f"{k}: true" for k in on) or None


def _host_ports(spec: Mapping[str, Any], ann: Mapping[str, str], meta: dict[str, Any], pod: dict[str, Any]) -> str | None:
    for r in spec.get("hostPorts") or []:
        top = int((r or {}).get("max") or 0)
        if top > 0:
            _container(pod)["ports"] = [{"containerPort": top, "hostPort": top}]
            return f"hostPorts {r.get('min')}-{top}"
    return None


def _volumes(spec: Mapping[str, Any], ann: Mapping[str, str], meta: dict[str, Any], pod: dict[str, Any]) -> str | None:
    kinds = [str(v) for v in spec.get("volumes") or []]
    if not kinds:
        return None
    if "*" in kinds:
        kinds = ["hostPath"]
    prefix = next((p.get("pathPrefix") for p in spec.get("allowedHostPaths") or [] if p.get("pathPrefix")), "/")
    pod["volumes"] = [{"name": f"v{i}", k: ({"path": prefix} if k == "hostPath" else {})}
                      for i, k in enumerate(kinds)]
    return f"volumes: {spec.get('volumes')}"


def _selinux(spec: Mapping[str, Any], ann: Mapping[str, str], meta: dict[str, Any], pod: dict[str, Any]) -> str | None:
    rule = (spec.get("seLinux") or {}).get("rule", "RunAsAny")
    if rule == "MustRunAs":
        options = dict((spec.get("seLinux") or {}).get("seLinuxOptions") or {})
        if options:
            pod["securityContext"]["seLinuxOptions"] = options
        return f"seLinux: MustRunAs {options}"
    pod["securityContext"]["seLinuxOptions"] = {"type": "spc_t", "user": "system_u", "role": "system_r"}
    return "seLinux: RunAsAny (any SELinux type, user and role)"


def _run_as_user(spec: Mapping[str, Any], ann: Mapping[str, str], meta: dict[str, Any], pod: dict[str, Any]) -> str | None:
    rule_ = spec.get("runAsUser") or {}
    rule = rule_.get("rule", "RunAsAny")
    if rule == "MustRunAsNonRoot":
        return None  # counted as runAsNonRoot: true (upstream's mapping); the pods must now say so
    del pod["securityContext"]["runAsNonRoot"]
    ranges = rule_.get("ranges") or []
    lowest = min((int(r.get("min", 0)) for r in ranges), default=0) if rule == "MustRunAs" else 0
    pod["securityContext"]["runAsUser"] = lowest
    return f"runAsUser: {rule}" + (f" from {lowest}" if rule == "MustRunAs" else "")


def _privilege_escalation(spec: Mapping[str, Any], ann: Mapping[str, str], meta: dict[str, Any], pod: dict[str, Any]) -> str | None:
    if spec.get("allowPrivilegeEscalation", True) is False:
        return None
    _container(pod)["securityContext"]["allowPrivilegeEscalation"] = True
    return "allowPrivilegeEscalation: true (the PSP default)"


def _sysctls(spec: Mapping[str, Any], ann: Mapping[str, str], meta: dict[str, Any], pod: dict[str, Any]) -> str | None:
    unsafe = [str(s) for s in spec.get("allowedUnsafeSysctls") or []]
    if not unsafe:
        return None
    name = "kernel.msgmax" if any("*" in s for s in unsafe) else unsafe[0]
    pod["securityContext"]["sysctls"] = [{"name": name, "value": "1"}]
    return f"allowedUnsafeSysctls: {unsafe}"


def _proc_mount(spec: Mapping[str, Any], ann: Mapping[str, str], meta: dict[str, Any], pod: dict[str, Any]) -> str | None:
    if "Unmasked" in (spec.get("allowedProcMountTypes") or []):
        _container(pod)["securityContext"]["procMount"] = "Unmasked"
        return "allowedProcMountTypes: Unmasked"
    return None


def _seccomp(spec: Mapping[str, Any], ann: Mapping[str, str], meta: dict[str, Any], pod: dict[str, Any]) -> str | None:
    names = _profile_names(ann, SECCOMP_ALLOWED)
    default = ann.get(SECCOMP_DEFAULT)
    reachable = [""] if names is None else names  # no annotation: pods may not set a profile
    if default:
        reachable = [n for n in reachable if n != ""] or [default]  # unset pods got the default
    worst = _worst_profile(reachable)
    profile = _seccomp_field(worst)
    if profile is None:
        del pod["securityContext"]["seccompProfile"]
    else:
        pod["securityContext"]["seccompProfile"] = profile
    return f"seccomp profiles allowed: {ann.get(SECCOMP_ALLOWED, '(annotation absent: none may be set)')}"


def _apparmor(spec: Mapping[str, Any], ann: Mapping[str, str], meta: dict[str, Any], pod: dict[str, Any]) -> str | None:
    names = _profile_names(ann, APPARMOR_ALLOWED)
    if names is None:
        _container(pod)["securityContext"]["appArmorProfile"] = {"type": "Unconfined"}
        return "AppArmor: no allowedProfileNames annotation, so any profile (even unconfined) was allowed"
    worst = _worst_profile([n for n in names if n] or [""])
    if worst in ("*", "unconfined"):
        _container(pod)["securityContext"]["appArmorProfile"] = {"type": "Unconfined"}
    return f"AppArmor profiles allowed: {ann[APPARMOR_ALLOWED]}"


ASPECTS: tuple[Aspect, ...] = (_privileged, _capabilities, _host_namespaces, _host_ports, _volumes, _selinux,
                               _run_as_user, _privilege_escalation, _sysctls, _proc_mount, _seccomp, _apparmor)

#: What a PSP set on pods by itself; after the migration the pods must say it (upstream's migration guide).
MUTATING = (
    ("requiredDropCapabilities", lambda s, a: s.get("requiredDropCapabilities"),
     "capabilities.drop: {} in every container"),
    ("defaultAddCapabilities", lambda s, a: s.get("defaultAddCapabilities"), "capabilities.add: {}"),
    ("allowPrivilegeEscalation", lambda s, a: s.get("allowPrivilegeEscalation") is False or None,
     "allowPrivilegeEscalation: false in every container"),
    ("defaultAllowPrivilegeEscalation", lambda s, a: s.get("defaultAllowPrivilegeEscalation") is False or None,
     "allowPrivilegeEscalation: false in every container"),
    ("runAsUser", lambda s, a: (s.get("runAsUser") or {}).get("rule") == "MustRunAsNonRoot" or None,
     "securityContext.runAsNonRoot: true"),
    ("seccomp default", lambda s, a: a.get(SECCOMP_DEFAULT), "securityContext.seccompProfile for {}"),
    ("AppArmor default", lambda s, a: a.get(APPARMOR_DEFAULT), "securityContext.appArmorProfile for {}"),
    ("readOnlyRootFilesystem", lambda s, a: s.get("readOnlyRootFilesystem") or None,
     "readOnlyRootFilesystem: true in every container"),
)


@dataclass(frozen=True)
class PspLevel:
    """The computed level, which PSP field kept it from a stricter one, and what pods must now set."""

    level: str
    because: tuple[str, ...] = ()
    pods_must_set: tuple[str, ...] = ()
    per_level: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def labels(self, version: str = "latest") -> dict[str, str]:
        """Namespace labels: enforce the computed level, warn and audit against restricted."""
        return {"pod-security.kubernetes.io/enforce": self.level,
                "pod-security.kubernetes.io/enforce-version": version,
                "pod-security.kubernetes.io/warn": "restricted",
                "pod-security.kubernetes.io/audit": "restricted"}


def level_for(spec: Mapping[str, Any], annotations: Mapping[str, str], target: int) -> PspLevel:
    """The strictest Pod Security level every pod this PSP admits meets, at policy version v1.<target>.

    >>> level_for({"requiredDropCapabilities": ["ALL"], "allowPrivilegeEscalation": False,
    ...            "runAsUser": {"rule": "MustRunAsNonRoot"}, "seLinux": {"rule": "MustRunAs"},
    ...            "volumes": ["configMap", "emptyDir", "secret", "projected"]},
    ...           {SECCOMP_ALLOWED: "runtime/default", SECCOMP_DEFAULT: "runtime/default",
    ...            APPARMOR_ALLOWED: "runtime/default"}, 36).level
    'restricted'
    """
    from kslab.pss import NEWEST_MINOR, evaluate_pod  # noqa: PLC0415 - kslab.pss is pure but not needed to import

    version = f"v1.{min(target, NEWEST_MINOR)}"
    failing: dict[str, list[str]] = {"restricted": [], "baseline": []}
    for aspect in ASPECTS:
        meta, pod = _base_pod()
        said = aspect(spec, annotations, meta, pod)
        for level in ("restricted", "baseline"):
            bad = [v.check for v in evaluate_pod(meta, pod, level, version) if v.check not in NOT_IN_PSP]
            if bad and said:
                failing[level].append(f"{said} -> {', '.join(bad)}")
    level = "restricted" if not failing["restricted"] else "baseline" if not failing["baseline"] else "privileged"
    stricter = {"privileged": "baseline", "baseline": "restricted"}.get(level)
    because = tuple(failing[stricter]) if stricter else ()
    musts = []
    for _name, getter, text in MUTATING:
        value = getter(spec, annotations)
        if value:
            musts.append(text.format(value) if "{}" in text else text)
    return PspLevel(level, because, tuple(dict.fromkeys(musts)), {k: tuple(v) for k, v in failing.items()})


def pod_security_policy(ctx: DocContext) -> None:
    """A PodSecurityPolicy object: its level, the namespace labels; the object itself is not written."""
    if ctx.kind != "PodSecurityPolicy":
        return
    spec = ctx.obj.get("spec") if isinstance(ctx.obj.get("spec"), Mapping) else {}
    meta = ctx.obj.get("metadata") if isinstance(ctx.obj.get("metadata"), Mapping) else {}
    annotations = {str(k): str(v) for k, v in ((meta or {}).get("annotations") or {}).items()}
    result = level_for(spec or {}, annotations, ctx.target)
    labels = " ".join(f"{k}={v}" for k, v in result.labels(f"v1.{ctx.target}").items())
    why = f"PodSecurityPolicy {ctx.name or '(unnamed)'} admitted pods at the {result.level} level"
    if result.because:
        why += f" (not stricter because: {'; '.join(result.because)})"
    if result.pods_must_set:
        why += f". It also set, and pods must now set themselves: {'; '.join(result.pods_must_set)}"
    ctx.report(RULES["psp"], f"Pod Security level {result.level}: kubectl label namespace NS {labels}",
               automatic=False, detail=why + ".")
    ctx.drop = True


def _grants_use_on_psp(rule: Mapping[str, Any]) -> bool:
    resources = [str(r) for r in rule.get("resources") or []]
    verbs = [str(v) for v in rule.get("verbs") or []]
    groups = [str(g) for g in rule.get("apiGroups") or []]
    return ("podsecuritypolicies" in resources and ("use" in verbs)
            and any(g in ("policy", "extensions", "*") for g in groups))


def psp_use_grant(ctx: DocContext) -> None:
    """Roles and ClusterRoles: a rule granting ``use`` on podsecuritypolicies is removed."""
    if ctx.kind not in ("Role", "ClusterRole") or not isinstance(ctx.obj.get("rules"), list):
        return
    rules = ctx.obj["rules"]
    kept = []
    changed = False
    for rule in rules:
        if isinstance(rule, MutableMapping) and _grants_use_on_psp(rule):
            changed = True
            names = ", ".join(str(n) for n in rule.get("resourceNames") or []) or "every PSP"
            where = f"namespace {ctx.namespace}" if ctx.namespace else "the namespaces where it is bound"
            other = [v for v in rule.get("verbs") or [] if v != "use"]
            if other:  # keep what else the rule grants
                rule = copy.deepcopy(rule)
                rule["verbs"] = other
                kept.append(rule)
            ctx.report(RULES["psp-use-grant"],
                       f"label {where} with pod-security.kubernetes.io/enforce=<the level of {names}>",
                       detail=f"{ctx.kind} {ctx.name} let its subjects use {names}; the grant does nothing "
                              "without PSP, so kslab removed it. Pod Security labels on the namespace replace it.")
        else:
            kept.append(rule)
    if changed:
        rules[:] = kept
        if not kept:
            ctx.notes.append(f"{ctx.kind} {ctx.name} grants nothing now: delete it and its bindings")


RULE_FUNCTIONS = (pod_security_policy, psp_use_grant)


def _level_order(level: str) -> int:
    return LEVEL_ORDER.index(level)


def namespace_plan(objs: list[Mapping[str, Any]], target: int) -> dict[int, tuple[str, str, bool]]:
    """For each RoleBinding that let a namespace use PSPs of the same input: the labels for that namespace.

    The namespace needs the most permissive level among the PSPs it could use (its pods were admitted
    by any of them). Returns ``{document index: (replacement, detail, exact)}``; ``exact`` is False
    when a PSP it names is not in the input, or the binding is cluster-wide.

    >>> psp = {"kind": "PodSecurityPolicy", "metadata": {"name": "open"}, "spec": {"privileged": True}}
    >>> role = {"kind": "ClusterRole", "metadata": {"name": "use-open"}, "rules": [
    ...     {"apiGroups": ["policy"], "resources": ["podsecuritypolicies"], "verbs": ["use"]}]}
    >>> rb = {"kind": "RoleBinding", "metadata": {"name": "b", "namespace": "shop"},
    ...       "roleRef": {"kind": "ClusterRole", "name": "use-open"}}
    >>> namespace_plan([psp, role, rb], 36)[2][0].split()[:5]
    ['kubectl', 'label', 'namespace', 'shop', 'pod-security.kubernetes.io/enforce=privileged']
    """
    def meta(o: Mapping[str, Any]) -> Mapping[str, Any]:
        m = o.get("metadata")
        return m if isinstance(m, Mapping) else {}

    levels: dict[str, str] = {}
    for o in objs:
        if o.get("kind") == "PodSecurityPolicy" and meta(o).get("name"):
            ann = {str(k): str(v) for k, v in (meta(o).get("annotations") or {}).items()}
            spec = o.get("spec") if isinstance(o.get("spec"), Mapping) else {}
            levels[str(meta(o)["name"])] = level_for(spec or {}, ann, target).level
    grants: dict[tuple[str, str, str], list[str]] = {}
    for o in objs:
        if o.get("kind") in ("Role", "ClusterRole") and isinstance(o.get("rules"), list):
            names: list[str] = []
            granted = False
            for rule in o["rules"]:
                if isinstance(rule, Mapping) and _grants_use_on_psp(rule):
                    granted = True
                    names += [str(n) for n in rule.get("resourceNames") or []] or sorted(levels)
            if granted:
                ns = "" if o.get("kind") == "ClusterRole" else str(meta(o).get("namespace") or "")
                grants[(str(o.get("kind")), ns, str(meta(o).get("name") or ""))] = names
    plan: dict[int, tuple[str, str, bool]] = {}
    for i, o in enumerate(objs):
        if o.get("kind") not in ("RoleBinding", "ClusterRoleBinding"):
            continue
        ref = o.get("roleRef") if isinstance(o.get("roleRef"), Mapping) else {}
        ns = str(meta(o).get("namespace") or "")
        key = (str((ref or {}).get("kind")), "" if (ref or {}).get("kind") == "ClusterRole" else ns,
               str((ref or {}).get("name")))
        if key not in grants:
            continue
        names = grants[key]
        known = [levels[n] for n in names if n in levels]
        missing = [n for n in names if n not in levels]
        if o.get("kind") == "ClusterRoleBinding" or not ns:
            plan[i] = ("label each namespace whose pods it covered with pod-security.kubernetes.io/enforce=<level>",
                       f"{o.get('kind')} {meta(o).get('name')} granted PSP use cluster-wide: choose the "
                       f"namespaces; their level is the most permissive of: {', '.join(names) or 'no PSP'}.", False)
            continue
        if not known:
            plan[i] = (f"kubectl label namespace {ns} pod-security.kubernetes.io/enforce=<the level of "
                       f"{', '.join(names)}>", f"the PSPs {', '.join(missing)} are not in the input.", False)
            continue
        level = max(known, key=_level_order)
        labels = " ".join(f"{k}={v}" for k, v in PspLevel(level).labels(f"v1.{target}").items())
        detail = (f"namespace {ns} could use {', '.join(names)} through {o.get('kind')} {meta(o).get('name')}; "
                  f"its pods met {level}, so that is what to enforce (warn and audit restricted to see what is "
                  "left)." + (f" Not in the input: {', '.join(missing)}." if missing else ""))
        plan[i] = (f"kubectl label namespace {ns} {labels}", detail, not missing)
    return plan
