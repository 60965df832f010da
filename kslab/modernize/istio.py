"""Istio's 2019 APIs -> today's: PeerAuthentication, networking.istio.io/v1, auto mTLS.

>>> from kslab.modernize.context import DocContext
>>> ctx = DocContext({"apiVersion": "authentication.istio.io/v1alpha1", "kind": "Policy",
...                   "metadata": {"name": "default", "namespace": "istio-app"},
...                   "spec": {"peers": [{"mtls": None}]}}, target=36)
>>> authentication_policy(ctx)
>>> ctx.obj["kind"], ctx.obj["spec"]
('PeerAuthentication', {'mtls': {'mode': 'STRICT'}})
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from kslab.modernize.context import DocContext
from kslab.modernize.finding import RULES

OLD_NETWORKING = ("networking.istio.io/v1alpha3", "networking.istio.io/v1beta1")
OLD_SECURITY = ("security.istio.io/v1beta1",)
ROOT_NAMESPACE = "istio-system"


def authentication_policy(ctx: DocContext) -> None:
    """authentication.istio.io/v1alpha1 Policy/MeshPolicy -> security.istio.io/v1 PeerAuthentication."""
    if ctx.group != "authentication.istio.io" or ctx.kind not in ("Policy", "MeshPolicy"):
        return
    spec = ctx.obj.get("spec") if isinstance(ctx.obj.get("spec"), MutableMapping) else {}
    manual = []
    peers = (spec or {}).get("peers") or []
    mode = None
    for peer in peers:
        if isinstance(peer, MutableMapping) and "mtls" in peer:
            mode = str(((peer.get("mtls") or {}).get("mode")) or "STRICT").upper()
    if mode is None:
        manual.append("no `peers: - mtls` entry: decide PERMISSIVE or STRICT")
    selector: dict[str, Any] | None = None
    targets = (spec or {}).get("targets") or []
    if targets:
        first = targets[0] if isinstance(targets[0], MutableMapping) else {}
        found = ctx.services.get(f"{ctx.namespace}/{first.get('name')}") or ctx.services.get(str(first.get("name")))
        if len(targets) == 1 and found and not first.get("ports"):
            selector = {"matchLabels": dict(found)}  # the workloads that Service selects
        else:
            manual.append("`targets` named services; PeerAuthentication selects workloads by label "
                          "(spec.selector.matchLabels): kslab found no single Service in the input to take them from")
    if (spec or {}).get("origins") or (spec or {}).get("principalBinding"):
        manual.append("end-user JWT settings (`origins`) move to a RequestAuthentication")
    new_meta = ctx.obj.setdefault("metadata", {})
    if ctx.kind == "MeshPolicy":
        new_meta["namespace"] = ROOT_NAMESPACE  # mesh-wide = the root namespace
        new_meta["name"] = "default"
    ctx.obj["apiVersion"] = "security.istio.io/v1"
    ctx.obj["kind"] = "PeerAuthentication"
    ctx.obj["spec"] = {"mtls": {"mode": mode or "PERMISSIVE"}}
    if selector:
        ctx.obj["spec"] = {"selector": selector, **ctx.obj["spec"]}
    where = "mesh-wide (namespace istio-system)" if ctx.kind == "MeshPolicy" else \
        f"for the workloads labelled {selector['matchLabels']}" if selector else \
        f"for namespace {ctx.namespace or '(its namespace)'}"
    ctx.report(RULES["istio-authn-policy"], f"security.istio.io/v1 PeerAuthentication, mtls.mode {mode or '?'}",
               automatic=not manual,
               detail=f"{ctx.kind} {ctx.name} becomes a PeerAuthentication {where} with mode "
                      f"{mode or 'PERMISSIVE (kslab could not tell)'}" + (
                          ". Still to do by hand: " + "; ".join(manual) if manual else "") + ".")


def alpha_api(ctx: DocContext) -> None:
    """networking.istio.io/v1alpha3 and v1beta1 (and security v1beta1) -> v1: same fields, stable API."""
    new = "networking.istio.io/v1" if ctx.api_version in OLD_NETWORKING else \
        "security.istio.io/v1" if ctx.api_version in OLD_SECURITY else None
    if new is None:
        return
    ctx.obj["apiVersion"] = new
    ctx.report(RULES["istio-alpha-api"], new)


def _drop_istio_mutual(policy: Any) -> bool:
    if isinstance(policy, MutableMapping) and isinstance(policy.get("tls"), MutableMapping) \
            and policy["tls"].get("mode") == "ISTIO_MUTUAL" and set(policy["tls"]) == {"mode"}:
        del policy["tls"]
        return True
    return False


def istio_mutual(ctx: DocContext) -> None:
    """DestinationRule ``tls.mode: ISTIO_MUTUAL`` (and nothing else in tls) is what auto mTLS does."""
    if ctx.group != "networking.istio.io" or ctx.kind != "DestinationRule":
        return
    spec = ctx.obj.get("spec")
    if not isinstance(spec, MutableMapping):
        return
    places = [spec.get("trafficPolicy")]
    places += list((spec.get("trafficPolicy") or {}).get("portLevelSettings") or [])
    places += [s.get("trafficPolicy") for s in spec.get("subsets") or [] if isinstance(s, MutableMapping)]
    dropped = sum(_drop_istio_mutual(p) for p in places)
    if not dropped:
        return
    if isinstance(spec.get("trafficPolicy"), MutableMapping) and not spec["trafficPolicy"]:
        del spec["trafficPolicy"]
    empty = set(spec) <= {"host", "exportTo"}
    if empty:
        ctx.drop = True
    ctx.report(RULES["istio-mutual-redundant"], "nothing: auto mTLS (on by default) does it",
               detail=f"DestinationRule {ctx.name} only asked for ISTIO_MUTUAL, which sidecars use by themselves; "
                      + ("with nothing else in it, kslab leaves the DestinationRule out."
                         if empty else "kslab removed the tls setting and kept the rest."))


def misplaced_route(ctx: DocContext) -> None:
    """VirtualService ``spec.route`` (the seed's slip): the route belongs inside an ``http`` entry."""
    if ctx.group != "networking.istio.io" or ctx.kind != "VirtualService":
        return
    spec = ctx.obj.get("spec")
    if not isinstance(spec, MutableMapping) or "route" not in spec:
        return
    http = [h for h in spec.get("http") or [] if isinstance(h, MutableMapping)]
    without = [h for h in http if "route" not in h]
    if len(without) == 1:
        without[0]["route"] = spec.pop("route")
        ctx.report(RULES["misplaced-route"], "spec.http[*].route",
                   detail=f"VirtualService {ctx.name} had `route` under spec, where Istio has no such field; "
                          "kslab moved it into the http entry that had none.")
    else:
        ctx.report(RULES["misplaced-route"], "spec.http[*].route", automatic=False,
                   detail=f"VirtualService {ctx.name} has `route` under spec; put it in the right http entry.")


RULE_FUNCTIONS = (authentication_policy, alpha_api, istio_mutual, misplaced_route)
