"""The removed-API rule: find apiVersions the target release no longer serves, and move them on.

At ``--target-version v1.N`` a row of the table whose ``removed_in <= N`` is a *removed* API (the
manifest fails on that cluster); one deprecated by then but still served is *deprecated*. Moving an
object to the replacing version sometimes needs more than a new apiVersion: the notable changes the
guide lists are made here, per kind, or listed when kslab cannot make them safely.

>>> from kslab.modernize.context import DocContext
>>> ctx = DocContext({"apiVersion": "extensions/v1beta1", "kind": "Deployment", "metadata": {"name": "w"},
...                   "spec": {"template": {"metadata": {"labels": {"app": "w"}}, "spec": {}}}}, target=36)
>>> removed_api(ctx)
>>> ctx.obj["apiVersion"], ctx.obj["spec"]["selector"], ctx.findings[0].replacement
('apps/v1', {'matchLabels': {'app': 'w'}}, 'apps/v1')
"""

from __future__ import annotations

import copy
from collections.abc import Callable, MutableMapping
from typing import Any

from kslab.modernize.apis import lookup, replacement_for
from kslab.modernize.context import DocContext
from kslab.modernize.finding import RULES

Converter = Callable[[DocContext], list[str]]  # returns what it could not convert (empty: all done)


def _selector(ctx: DocContext) -> list[str]:
    spec = ctx.obj.get("spec")
    if not isinstance(spec, MutableMapping):
        return []
    for old in ("rollbackTo", "templateGeneration"):
        if old in spec:
            del spec[old]
            ctx.report(RULES["removed-field"], "nothing (the field is gone)",
                       detail=f"spec.{old} does not exist in apps/v1; kslab removed it.", removed_in="v1.16")
    if "selector" not in spec:
        labels = (((spec.get("template") or {}).get("metadata") or {}).get("labels"))
        if not labels:
            return ["apps/v1 needs spec.selector and the pod template has no labels to copy"]
        spec["selector"] = {"matchLabels": dict(labels)}
    return []


def _ingress_backend(backend: MutableMapping[str, Any]) -> None:
    if "serviceName" in backend:
        port = backend.pop("servicePort", None)
        service: dict[str, Any] = {"name": backend.pop("serviceName")}
        if port is not None:
            service["port"] = {"number": port} if isinstance(port, int) else {"name": str(port)}
        backend["service"] = service


def _ingress(ctx: DocContext) -> list[str]:
    spec = ctx.obj.get("spec")
    if not isinstance(spec, MutableMapping):
        return []
    if "backend" in spec:
        spec["defaultBackend"] = spec.pop("backend")
        _ingress_backend(spec["defaultBackend"])
    for rule in spec.get("rules") or []:
        for path in ((rule or {}).get("http") or {}).get("paths") or []:
            if isinstance(path, MutableMapping):
                path.setdefault("pathType", "ImplementationSpecific")
                if isinstance(path.get("backend"), MutableMapping):
                    _ingress_backend(path["backend"])
    return []


def _hpa(ctx: DocContext) -> list[str]:
    left = []
    for metric in (ctx.obj.get("spec") or {}).get("metrics") or []:
        res = (metric or {}).get("resource") if isinstance(metric, MutableMapping) else None
        if isinstance(res, MutableMapping) and "targetAverageUtilization" in res:
            res["target"] = {"type": "Utilization", "averageUtilization": res.pop("targetAverageUtilization")}
        elif isinstance(res, MutableMapping) and "targetAverageValue" in res:
            res["target"] = {"type": "AverageValue", "averageValue": res.pop("targetAverageValue")}
        elif isinstance(metric, MutableMapping) and metric.get("type") != "Resource":
            left.append(f"metric type {metric.get('type')}: rewrite its target as autoscaling/v2 asks")
    return left


def _access_review(ctx: DocContext) -> list[str]:
    spec = ctx.obj.get("spec")
    if isinstance(spec, MutableMapping) and "group" in spec:
        spec["groups"] = spec.pop("group")
    return []


def _manual(reason: str) -> Converter:
    def convert(ctx: DocContext) -> list[str]:
        return [reason]
    return convert


def _webhooks(ctx: DocContext) -> list[str]:
    missing = [f"webhooks[{i}] needs {', '.join(k for k in ('sideEffects', 'admissionReviewVersions') if k not in w)}"
               for i, w in enumerate(ctx.obj.get("webhooks") or [])
               if isinstance(w, MutableMapping) and not {"sideEffects", "admissionReviewVersions"} <= set(w)]
    return missing


def _csr(ctx: DocContext) -> list[str]:
    spec = ctx.obj.get("spec") or {}
    return [f"certificates.k8s.io/v1 needs spec.{k}" for k in ("signerName", "usages") if k not in spec]


def _crd(ctx: DocContext) -> list[str]:
    """v1beta1 -> v1: per-version schema, subresources and columns; scope made explicit."""
    spec = ctx.obj.get("spec")
    if not isinstance(spec, MutableMapping):
        return ["the CRD has no spec"]
    left = []
    spec.setdefault("scope", "Namespaced")  # the v1beta1 default, explicit in v1
    schema = spec.pop("validation", None)
    subresources = spec.pop("subresources", None)
    columns = spec.pop("additionalPrinterColumns", None)
    spec.pop("preserveUnknownFields", None)
    versions = spec.get("versions")
    if not versions:
        name = spec.pop("version", None)
        versions = spec["versions"] = [{"name": name, "served": True, "storage": True}] if name else []
    spec.pop("version", None)
    if not versions:
        return ["the CRD names no version"]
    for version in versions:
        if not isinstance(version, MutableMapping):
            continue
        version.setdefault("served", True)
        version.setdefault("storage", version is versions[0])
        if "schema" not in version:
            if isinstance(schema, MutableMapping) and schema.get("openAPIV3Schema"):
                version["schema"] = copy.deepcopy(schema)
            else:
                version["schema"] = {"openAPIV3Schema": {"type": "object",
                                                         "x-kubernetes-preserve-unknown-fields": True}}
                left.append(f"version {version.get('name')} had no schema: kslab wrote one that accepts "
                            "anything; describe the real fields")
        if subresources is not None:
            version.setdefault("subresources", copy.deepcopy(subresources))
        if columns is not None:
            version.setdefault("additionalPrinterColumns", [
                {("jsonPath" if k == "JSONPath" else k): v for k, v in c.items()} for c in copy.deepcopy(columns)])
    if isinstance(spec.get("conversion"), MutableMapping) and spec["conversion"].get("strategy") == "Webhook":
        left.append("conversion webhook settings move under spec.conversion.webhook")
    return left


#: Kinds whose move needs more than a new apiVersion.
CONVERTERS: dict[str, Converter] = {
    "Deployment": _selector, "DaemonSet": _selector, "StatefulSet": _selector, "ReplicaSet": _selector,
    "Ingress": _ingress,
    "HorizontalPodAutoscaler": _hpa,
    "SubjectAccessReview": _access_review, "LocalSubjectAccessReview": _access_review,
    "MutatingWebhookConfiguration": _webhooks, "ValidatingWebhookConfiguration": _webhooks,
    "CertificateSigningRequest": _csr,
    "CustomResourceDefinition": _crd,
    "Event": _manual("events.k8s.io/v1 renames involvedObject to regarding and refuses the deprecated fields"),
    "EndpointSlice": _manual("discovery.k8s.io/v1 replaces topology with per-endpoint nodeName and zone"),
}


INGRESS_CLASS_ANNOTATION = "kubernetes.io/ingress.class"


def ingress_class_annotation(ctx: DocContext) -> None:
    """networking.k8s.io/v1 Ingress: the class annotation becomes ``spec.ingressClassName``."""
    if ctx.kind != "Ingress" or ctx.obj.get("apiVersion") != "networking.k8s.io/v1":
        return
    meta = ctx.obj.get("metadata")
    if not isinstance(meta, MutableMapping):
        return
    annotations = meta.get("annotations")
    if not isinstance(annotations, MutableMapping) or INGRESS_CLASS_ANNOTATION not in annotations:
        return
    spec = ctx.obj.setdefault("spec", {})
    value = str(annotations.pop(INGRESS_CLASS_ANNOTATION))
    if not annotations:
        del meta["annotations"]
    clash = "ingressClassName" in spec and spec["ingressClassName"] != value
    spec.setdefault("ingressClassName", value)
    ctx.report(RULES["ingress-class-annotation"], f"spec.ingressClassName: {spec['ingressClassName']}",
               automatic=not clash,
               detail=f"kslab moved {INGRESS_CLASS_ANNOTATION}={value!r} to spec.ingressClassName; an IngressClass "
                      f"named {value!r} must exist (ingress controllers install theirs)"
                      + (" — the Ingress already named another class: choose one." if clash else "."))


def removed_api(ctx: DocContext) -> None:
    """Report (and, when the replacement is served at the target, make) the move off an old apiVersion."""
    row = lookup(ctx.api_version, ctx.kind)
    if row is None or row.deprecated_in > ctx.target or row.kind == "PodSecurityPolicy":
        return  # PodSecurityPolicy has its own rule (kslab.modernize.psp)
    removed = row.removed_in <= ctx.target
    state = "removed" if removed else "deprecated"
    new_version = replacement_for(ctx.api_version, ctx.kind, ctx.target)
    if new_version is None:
        ctx.report(row.rule, row.replacement, automatic=False,
                   detail=f"{row.replacement} is not served before v1.{row.available_since}; at v1.{ctx.target} "
                          f"{ctx.api_version} is {state}: upgrade the cluster first.")
        return
    ctx.obj["apiVersion"] = new_version
    left = CONVERTERS.get(ctx.kind, lambda _: [])(ctx)
    detail = row.rule.why if removed else (f"{ctx.api_version} {ctx.kind} is deprecated at v1.{ctx.target} and "
                                           f"removed in v1.{row.removed_in}; {new_version} serves it already.")
    if row.notes:
        detail += f" {row.notes[0].upper()}{row.notes[1:]}"
    if left:
        detail += " Still to do by hand: " + "; ".join(left) + "."
    ctx.report(row.rule, new_version, automatic=not left, detail=detail)


RULE_FUNCTIONS = (removed_api, ingress_class_annotation)
