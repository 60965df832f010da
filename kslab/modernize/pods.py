"""Pod settings in the wrong place, hostPort, and the seccomp annotations — rules for pod specs.

The 2019 workshop wrote its container security settings one level too far out, under the pod
(``spec.template.spec.securityContext.readOnlyRootFilesystem``): the pod-level type has no such
field, so a lenient API server dropped it and the container ran writable. These rules move each
field to where the API reads it.

>>> from kslab.modernize.context import DocContext
>>> ctx = DocContext({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
...                   "spec": {"securityContext": {"readOnlyRootFilesystem": True},
...                            "containers": [{"name": "c", "image": "x"}]}}, target=36)
>>> misplaced_security_context(ctx)
>>> ctx.obj["spec"]["containers"][0]["securityContext"], ctx.findings[0].rule.id
({'readOnlyRootFilesystem': True}, 'misplaced-security-context')
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from kslab.modernize.context import DocContext, containers
from kslab.modernize.finding import RULES

#: SecurityContext fields that exist only on containers (not in PodSecurityContext).
CONTAINER_ONLY = ("allowPrivilegeEscalation", "capabilities", "privileged", "procMount", "readOnlyRootFilesystem")
#: PodSecurityContext fields that exist only on the pod (not in a container's SecurityContext).
POD_ONLY = ("fsGroup", "fsGroupChangePolicy", "supplementalGroups", "supplementalGroupsPolicy", "sysctls")

APPARMOR_PREFIX = "container.apparmor.security.beta.kubernetes.io/"
SECCOMP_POD_ANNOTATION = "seccomp.security.alpha.kubernetes.io/pod"
SECCOMP_CONTAINER_PREFIX = "container.seccomp.security.alpha.kubernetes.io/"


def _names(items: list[MutableMapping[str, Any]]) -> str:
    return ", ".join(f'"{c.get("name", "?")}"' for c in items)


def misplaced_security_context(ctx: DocContext) -> None:
    """Container-only fields at pod level move into every container; pod-only fields move up."""
    spec = ctx.pod_spec()
    if spec is None:
        return
    pod_sc = spec.get("securityContext")
    conts = containers(spec)
    if isinstance(pod_sc, MutableMapping):
        for key in [k for k in CONTAINER_ONLY if k in pod_sc]:
            value = pod_sc.pop(key)
            for c in conts:
                sc = c.setdefault("securityContext", {})
                if isinstance(sc, MutableMapping) and key not in sc:
                    sc[key] = value
            ctx.report(RULES["misplaced-security-context"], "each container's securityContext",
                       detail=f"{ctx.pod_path()}.securityContext.{key} is not a pod-level field, so it never "
                              f"applied; kslab moved it to container{'s' if len(conts) != 1 else ''} "
                              f"{_names(conts)}.")
        if not pod_sc:
            del spec["securityContext"]
    for c in conts:
        sc = c.get("securityContext")
        if not isinstance(sc, MutableMapping):
            continue
        for key in [k for k in POD_ONLY if k in sc]:
            value = sc.pop(key)
            target = spec.setdefault("securityContext", {})
            clash = isinstance(target, MutableMapping) and key in target and target[key] != value
            if isinstance(target, MutableMapping) and key not in target:
                target[key] = value
            ctx.report(RULES["misplaced-security-context"], f"{ctx.pod_path()}.securityContext.{key}",
                       automatic=not clash,
                       detail=f"securityContext.{key} of container \"{c.get('name', '?')}\" is a pod-level "
                              f"field; kslab moved it to the pod" + (" (the pod already had another value: "
                                                                     "choose one)" if clash else "."))
        if not sc:
            del c["securityContext"]


def misplaced_ports(ctx: DocContext) -> None:
    """``ports`` under the pod spec moves into the only container (with several, a person decides)."""
    spec = ctx.pod_spec()
    if spec is None or "ports" not in spec:
        return
    conts = [c for c in spec.get("containers") or [] if isinstance(c, MutableMapping)]
    if len(conts) == 1 and isinstance(spec["ports"], list):
        ports = spec.pop("ports")
        conts[0].setdefault("ports", [])
        conts[0]["ports"].extend(ports)
        ctx.report(RULES["misplaced-ports"], "containers[0].ports",
                   detail=f"{ctx.pod_path()}.ports is not a pod field; kslab moved it to container "
                          f"{_names(conts)}.")
    else:
        ctx.report(RULES["misplaced-ports"], "containers[*].ports", automatic=False,
                   detail=f"{ctx.pod_path()}.ports is not a pod field, and with {len(conts)} containers kslab "
                          "cannot tell whose ports they are: move them by hand.")


def host_port(ctx: DocContext) -> None:
    """Drop every hostPort; write a Service for the same ports (or say how to port-forward)."""
    spec = ctx.pod_spec()
    if spec is None:
        return
    found: list[tuple[str, int, Any, str]] = []
    for c in containers(spec):
        for port in c.get("ports") or []:
            if isinstance(port, MutableMapping) and port.get("hostPort"):
                found.append((str(c.get("name", "?")), int(port.pop("hostPort")), port.get("containerPort"),
                              str(port.get("protocol") or "TCP")))
    if not found:
        return
    meta = ctx.pod_metadata() or {}
    labels = dict(meta.get("labels") or {}) if isinstance(meta, MutableMapping) else {}
    workload = f"{ctx.kind.lower()}/{ctx.name}" if ctx.name else "POD"
    forward = " ".join(f"{hp}:{cp}" for _, hp, cp, _ in found)
    service = ctx.name or "app"
    add_service = bool(labels) and ctx.kind != "Pod" and service not in ctx.services
    if add_service:
        svc_meta: dict[str, Any] = {"name": service}
        if ctx.namespace:
            svc_meta["namespace"] = ctx.namespace
        ctx.added.append({"apiVersion": "v1", "kind": "Service", "metadata": svc_meta, "spec": {
            "selector": labels,
            "ports": [{"name": f"port-{hp}", "port": hp, "targetPort": cp, "protocol": proto}
                      for _, hp, cp, proto in found]}})
    for cname, hp, cp, _ in found:
        ctx.report(RULES["host-port"],
                   (f"Service {service} (port {hp} -> {cp}), written next to it; " if add_service else "")
                   + f"from your machine: kubectl port-forward {workload} {forward}",
                   detail=f"container \"{cname}\" bound port {hp} on the node; kslab removed hostPort "
                          "(baseline forbids it) and kept containerPort.")


def _profile(value: str) -> dict[str, str] | None:
    """An annotation's profile name as a seccompProfile/appArmorProfile field (None: no equivalent)."""
    if value in ("runtime/default", "docker/default"):
        return {"type": "RuntimeDefault"}
    if value == "unconfined":
        return {"type": "Unconfined"}
    if value.startswith("localhost/"):
        return {"type": "Localhost", "localhostProfile": value[len("localhost/"):]}
    return None


def seccomp_annotations(ctx: DocContext) -> None:
    """The alpha seccomp annotations become ``securityContext.seccompProfile`` (pod or container)."""
    spec, meta = ctx.pod_spec(), ctx.pod_metadata()
    if spec is None or meta is None or not isinstance(meta.get("annotations"), MutableMapping):
        return
    annotations = meta["annotations"]
    by_name = {str(c.get("name")): c for c in containers(spec)}
    for key in [k for k in annotations if k == SECCOMP_POD_ANNOTATION or str(k).startswith(SECCOMP_CONTAINER_PREFIX)]:
        value = str(annotations[key])
        profile = _profile(value)
        target: MutableMapping[str, Any] | None
        if key == SECCOMP_POD_ANNOTATION:
            target, where = spec, f"{ctx.pod_path()}.securityContext.seccompProfile"
        else:
            cname = key[len(SECCOMP_CONTAINER_PREFIX):]
            target, where = by_name.get(cname), f'container "{cname}" securityContext.seccompProfile'
        if profile is None or target is None:
            ctx.report(RULES["seccomp-annotation"], where, automatic=False,
                       detail=f"annotation {key}={value!r} has no direct field equivalent: set seccompProfile by hand.")
            continue
        sc = target.setdefault("securityContext", {})
        if "seccompProfile" not in sc:
            sc["seccompProfile"] = profile
        del annotations[key]
        ctx.report(RULES["seccomp-annotation"], f"{where}: {profile}",
                   detail=f"annotation {key}={value!r} is ignored since v1.27; kslab set {where} instead.")
    if not annotations:
        del meta["annotations"]


def apparmor_annotations(ctx: DocContext) -> None:
    """``container.apparmor.security.beta.kubernetes.io/NAME`` -> that container's ``appArmorProfile`` (v1.30+)."""
    spec, meta = ctx.pod_spec(), ctx.pod_metadata()
    if ctx.target < 30 or spec is None or meta is None or not isinstance(meta.get("annotations"), MutableMapping):
        return
    annotations = meta["annotations"]
    by_name = {str(c.get("name")): c for c in containers(spec)}
    for key in [k for k in annotations if str(k).startswith(APPARMOR_PREFIX)]:
        value, cname = str(annotations[key]), str(key)[len(APPARMOR_PREFIX):]
        profile = _profile(value)
        container = by_name.get(cname)
        where = f'container "{cname}" securityContext.appArmorProfile'
        if profile is None or container is None:
            ctx.report(RULES["apparmor-annotation"], where, automatic=False,
                       detail=f"annotation {key}={value!r}: no such container or profile; set appArmorProfile by hand.")
            continue
        sc = container.setdefault("securityContext", {})
        if "appArmorProfile" not in sc:
            sc["appArmorProfile"] = profile
        del annotations[key]
        ctx.report(RULES["apparmor-annotation"], f"{where}: {profile}",
                   detail=f"annotation {key}={value!r} is deprecated since v1.30; kslab set {where} instead.")
    if not annotations:
        del meta["annotations"]


RULE_FUNCTIONS = (misplaced_security_context, misplaced_ports, host_port, seccomp_annotations, apparmor_annotations)
