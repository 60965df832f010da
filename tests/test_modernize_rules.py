"""Every kslab.modernize rule, each with a case where it fires and one where it must not."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kslab.modernize import RULES, modernize_objects, modernize_text
from kslab.modernize.psp import level_for
from kslab.pss import evaluate


def _deployment(pod_spec: dict[str, Any], api: str = "apps/v1", annotations: dict[str, str] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"labels": {"app": "web"}}
    if annotations:
        meta["annotations"] = annotations
    return {"apiVersion": api, "kind": "Deployment", "metadata": {"name": "web", "namespace": "lab"},
            "spec": {"selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": meta, "spec": pod_spec}}}


def _container(**extra: Any) -> dict[str, Any]:
    return {"name": "web", "image": "nginx", **extra}


def rules_of(*objs: dict[str, Any], target: int = 36) -> list[str]:
    return [f.rule.id for f in modernize_objects(objs, target_version=target).findings]


def modern(obj: dict[str, Any]) -> dict[str, Any]:
    doc = modernize_objects([obj]).files[0].documents[0]
    assert doc.obj is not None
    return dict(doc.obj)


RESTRICTED_PSP = {"privileged": False, "allowPrivilegeEscalation": False, "requiredDropCapabilities": ["ALL"],
                  "volumes": ["configMap", "secret", "emptyDir", "projected", "downwardAPI", "persistentVolumeClaim"],
                  "runAsUser": {"rule": "MustRunAsNonRoot"}, "seLinux": {"rule": "MustRunAs"}}
RESTRICTED_ANN = {"seccomp.security.alpha.kubernetes.io/allowedProfileNames": "runtime/default",
                  "apparmor.security.beta.kubernetes.io/allowedProfileNames": "runtime/default"}


def _psp(spec: dict[str, Any], annotations: dict[str, str] | None = None) -> dict[str, Any]:
    return {"apiVersion": "policy/v1beta1", "kind": "PodSecurityPolicy",
            "metadata": {"name": "p", "annotations": annotations or {}}, "spec": spec}


# --- misplaced-security-context ---------------------------------------------------------------

def test_misplaced_security_context_moves_container_fields() -> None:
    obj = _deployment({"securityContext": {"runAsUser": 1000, "readOnlyRootFilesystem": True,
                                           "allowPrivilegeEscalation": False},
                       "containers": [_container()]})
    assert rules_of(obj).count("misplaced-security-context") == 2
    spec = modern(obj)["spec"]["template"]["spec"]
    assert spec["securityContext"] == {"runAsUser": 1000}  # a pod-level field stays
    assert spec["containers"][0]["securityContext"] == {"readOnlyRootFilesystem": True,
                                                        "allowPrivilegeEscalation": False}


def test_misplaced_security_context_pod_only_field_moves_up() -> None:
    obj = _deployment({"containers": [_container(securityContext={"fsGroup": 2000, "runAsUser": 1})]})
    assert rules_of(obj) == ["misplaced-security-context"]
    spec = modern(obj)["spec"]["template"]["spec"]
    assert spec["securityContext"] == {"fsGroup": 2000}
    assert spec["containers"][0]["securityContext"] == {"runAsUser": 1}


def test_misplaced_security_context_negative() -> None:
    obj = _deployment({"securityContext": {"runAsUser": 1000, "fsGroup": 1},
                       "containers": [_container(securityContext={"readOnlyRootFilesystem": True})]})
    assert rules_of(obj) == []


def test_container_keeps_its_own_value_over_the_misplaced_one() -> None:
    obj = _deployment({"securityContext": {"allowPrivilegeEscalation": True},
                       "containers": [_container(securityContext={"allowPrivilegeEscalation": False})]})
    spec = modern(obj)["spec"]["template"]["spec"]
    assert spec["containers"][0]["securityContext"] == {"allowPrivilegeEscalation": False}


# --- misplaced-ports, host-port ---------------------------------------------------------------

def test_misplaced_ports_positive_and_several_containers_is_manual() -> None:
    one = _deployment({"containers": [_container()], "ports": [{"containerPort": 3000}]})
    assert rules_of(one) == ["misplaced-ports"]
    assert modern(one)["spec"]["template"]["spec"]["containers"][0]["ports"] == [{"containerPort": 3000}]
    two = _deployment({"containers": [_container(), _container(name="b")], "ports": [{"containerPort": 1}]})
    finding = modernize_objects([two]).findings[0]
    assert finding.rule.id == "misplaced-ports" and not finding.automatic


def test_misplaced_ports_negative() -> None:
    assert rules_of(_deployment({"containers": [_container(ports=[{"containerPort": 3000}])]})) == []


def test_host_port_becomes_a_service_and_the_pod_passes_baseline() -> None:
    obj = _deployment({"containers": [_container(ports=[{"containerPort": 3000, "hostPort": 3000}])]})
    assert not evaluate(obj, "baseline").allowed
    doc = modernize_objects([obj]).files[0].documents[0]
    assert [f.rule.id for f in doc.findings] == ["host-port"]
    assert "kubectl port-forward deployment/web 3000:3000" in doc.findings[0].replacement
    assert evaluate(dict(doc.obj or {}), "baseline").allowed
    (service,) = doc.added
    assert service["kind"] == "Service" and service["spec"]["selector"] == {"app": "web"}
    assert service["spec"]["ports"][0]["port"] == 3000 and service["metadata"]["namespace"] == "lab"


def test_host_port_keeps_an_existing_service() -> None:
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}, "spec": {}}
    obj = _deployment({"containers": [_container(ports=[{"containerPort": 3000, "hostPort": 3000}])]})
    docs = modernize_objects([obj, svc]).files[0].documents
    assert docs[0].added == []


def test_host_port_negative() -> None:
    assert rules_of(_deployment({"containers": [_container(ports=[{"containerPort": 3000, "hostPort": 0}])]})) == []


# --- seccomp-annotation, removed-field ---------------------------------------------------------

def test_seccomp_annotations_become_fields() -> None:
    obj = _deployment({"containers": [_container()]}, annotations={
        "seccomp.security.alpha.kubernetes.io/pod": "runtime/default",
        "container.seccomp.security.alpha.kubernetes.io/web": "localhost/profiles/web.json"})
    assert rules_of(obj) == ["seccomp-annotation", "seccomp-annotation"]
    tpl = modern(obj)["spec"]["template"]
    assert "annotations" not in tpl["metadata"]
    assert tpl["spec"]["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert tpl["spec"]["containers"][0]["securityContext"]["seccompProfile"] == {
        "type": "Localhost", "localhostProfile": "profiles/web.json"}


def test_seccomp_annotation_negative() -> None:
    obj = _deployment({"containers": [_container()]}, annotations={"team": "shop"})
    assert rules_of(obj) == []


def test_removed_field_positive_and_negative() -> None:
    old = _deployment({"containers": [_container()]}, api="extensions/v1beta1")
    old["spec"]["rollbackTo"] = {"revision": 2}
    assert rules_of(old) == ["removed-field", "removed-api/extensions/v1beta1/Deployment"]
    assert "rollbackTo" not in modern(old)["spec"]
    assert rules_of(_deployment({"containers": [_container()]})) == []


# --- psp, psp-use-grant ----------------------------------------------------------------------

def test_psp_restricted_policy_maps_to_restricted() -> None:
    result = level_for(RESTRICTED_PSP, RESTRICTED_ANN, 36)
    assert result.level == "restricted" and result.because == ()
    assert "securityContext.runAsNonRoot: true" in result.pods_must_set


@pytest.mark.parametrize("change,level,check", [
    ({"allowPrivilegeEscalation": True}, "baseline", "allowPrivilegeEscalation"),
    ({"requiredDropCapabilities": []}, "baseline", "capabilities_restricted"),
    ({"runAsUser": {"rule": "RunAsAny"}}, "baseline", "runAsNonRoot"),
    ({"volumes": ["configMap", "nfs"]}, "baseline", "restrictedVolumes"),
    ({"allowedCapabilities": ["NET_BIND_SERVICE"]}, "restricted", ""),
    ({"allowedCapabilities": ["CHOWN"]}, "baseline", "capabilities_restricted"),
    ({"allowedCapabilities": ["NET_ADMIN"]}, "privileged", "capabilities_baseline"),
    ({"privileged": True}, "privileged", "privileged"),
    ({"hostNetwork": True}, "privileged", "hostNamespaces"),
    ({"hostPorts": [{"min": 80, "max": 80}]}, "privileged", "hostPorts"),
    ({"volumes": ["*"]}, "privileged", "hostPathVolumes"),
    ({"seLinux": {"rule": "RunAsAny"}}, "privileged", "seLinuxOptions"),
    ({"allowedUnsafeSysctls": ["kernel.msg*"]}, "privileged", "sysctls"),
    ({"allowedProcMountTypes": ["Default", "Unmasked"]}, "privileged", "procMount"),
])
def test_psp_each_field_sets_the_level(change: dict[str, Any], level: str, check: str) -> None:
    result = level_for({**RESTRICTED_PSP, **change}, RESTRICTED_ANN, 36)
    assert result.level == level
    if check:
        assert any(check in reason for reason in result.because), result.because


@pytest.mark.parametrize("annotations,level", [
    ({}, "privileged"),  # no AppArmor annotation: any profile, even unconfined, was allowed
    ({**RESTRICTED_ANN, "seccomp.security.alpha.kubernetes.io/allowedProfileNames": "runtime/default,"}, "baseline"),
    ({**RESTRICTED_ANN, "seccomp.security.alpha.kubernetes.io/allowedProfileNames": "*"}, "privileged"),
    ({"apparmor.security.beta.kubernetes.io/allowedProfileNames": "runtime/default"}, "baseline"),
    ({"apparmor.security.beta.kubernetes.io/allowedProfileNames": "runtime/default",
      "seccomp.security.alpha.kubernetes.io/allowedProfileNames": "runtime/default,",
      "seccomp.security.alpha.kubernetes.io/defaultProfileName": "runtime/default"}, "restricted"),
])
def test_psp_profile_annotations(annotations: dict[str, str], level: str) -> None:
    assert level_for(RESTRICTED_PSP, annotations, 36).level == level


def test_psp_object_is_reported_and_not_written() -> None:
    report = modernize_objects([_psp(RESTRICTED_PSP, RESTRICTED_ANN)])
    (finding,) = report.findings
    assert finding.rule.id == "psp" and not finding.automatic
    assert "pod-security.kubernetes.io/enforce=restricted" in finding.replacement
    assert report.files[0].documents[0].obj is None


def test_psp_negative_a_pod_is_not_a_psp() -> None:
    assert "psp" not in rules_of({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                                  "spec": {"containers": [_container()]}})


def test_psp_use_grant_removed_other_verbs_kept() -> None:
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "r"},
            "rules": [{"apiGroups": ["policy"], "resources": ["podsecuritypolicies"], "verbs": ["use", "get"]},
                      {"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]}
    assert rules_of(role) == ["psp-use-grant"]
    assert modern(role)["rules"] == [
        {"apiGroups": ["policy"], "resources": ["podsecuritypolicies"], "verbs": ["get"]},
        {"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]


def test_psp_use_grant_negative() -> None:
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "r"},
            "rules": [{"apiGroups": ["policy"], "resources": ["poddisruptionbudgets"], "verbs": ["use"]}]}
    assert rules_of(role) == []


# --- tokens ----------------------------------------------------------------------------------

SECRET = {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/service-account-token",
          "metadata": {"name": "t", "namespace": "lab", "annotations": {"kubernetes.io/service-account.name": "ci"}}}


def test_sa_token_secret_positive_and_negative() -> None:
    (finding,) = modernize_objects([SECRET]).findings
    assert finding.rule.id == "sa-token-secret" and finding.replacement == "kubectl create token ci -n lab --duration=1h"
    assert rules_of({**SECRET, "type": "Opaque"}) == []


def test_kubeconfig_static_token_never_shown_nor_written() -> None:
    kubeconfig = {"apiVersion": "v1", "kind": "Config", "users": [{"name": "ci", "user": {"token": "s3cr3t-tok"}}]}
    report = modernize_objects([kubeconfig])
    assert [f.rule.id for f in report.findings] == ["kubeconfig-static-token"]
    assert "s3cr3t-tok" not in str(report) and "s3cr3t-tok" not in str(report.rows())
    assert report.files[0].documents[0].obj is None
    exec_based = {"apiVersion": "v1", "kind": "Config", "users": [{"name": "u", "user": {"exec": {"command": "x"}}}]}
    assert rules_of(exec_based) == []


# --- istio -----------------------------------------------------------------------------------

def test_istio_authn_policy_to_peer_authentication() -> None:
    policy = {"apiVersion": "authentication.istio.io/v1alpha1", "kind": "Policy",
              "metadata": {"name": "default", "namespace": "istio-app"}, "spec": {"peers": [{"mtls": None}]}}
    assert rules_of(policy) == ["istio-authn-policy"]
    assert modern(policy) == {"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication",
                              "metadata": {"name": "default", "namespace": "istio-app"},
                              "spec": {"mtls": {"mode": "STRICT"}}}
    mesh = {"apiVersion": "authentication.istio.io/v1alpha1", "kind": "MeshPolicy", "metadata": {"name": "default"},
            "spec": {"peers": [{"mtls": {"mode": "PERMISSIVE"}}]}}
    assert modern(mesh)["metadata"] == {"name": "default", "namespace": "istio-system"}
    assert modern(mesh)["spec"] == {"mtls": {"mode": "PERMISSIVE"}}
    targeted = {**policy, "spec": {"targets": [{"name": "details"}], "peers": [{"mtls": {}}]}}
    assert not modernize_objects([targeted]).findings[0].automatic


def test_istio_authn_policy_negative() -> None:
    pa = {"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication", "metadata": {"name": "d"},
          "spec": {"mtls": {"mode": "STRICT"}}}
    assert rules_of(pa) == []


def test_istio_alpha_api_positive_and_negative() -> None:
    gw = {"apiVersion": "networking.istio.io/v1alpha3", "kind": "Gateway", "metadata": {"name": "g"}, "spec": {}}
    assert rules_of(gw) == ["istio-alpha-api"] and modern(gw)["apiVersion"] == "networking.istio.io/v1"
    assert rules_of({**gw, "apiVersion": "networking.istio.io/v1"}) == []


def test_istio_mutual_redundant() -> None:
    dr = {"apiVersion": "networking.istio.io/v1", "kind": "DestinationRule", "metadata": {"name": "d"},
          "spec": {"host": "*", "trafficPolicy": {"tls": {"mode": "ISTIO_MUTUAL"}}}}
    report = modernize_objects([dr])
    assert [f.rule.id for f in report.findings] == ["istio-mutual-redundant"]
    assert report.files[0].documents[0].obj is None  # nothing left in it: left out, and said so
    busy = copy.deepcopy(dr)
    busy["spec"]["trafficPolicy"]["loadBalancer"] = {"simple": "ROUND_ROBIN"}
    assert modern(busy)["spec"] == {"host": "*", "trafficPolicy": {"loadBalancer": {"simple": "ROUND_ROBIN"}}}


def test_istio_mutual_negative_simple_tls_is_kept() -> None:
    dr = {"apiVersion": "networking.istio.io/v1", "kind": "DestinationRule", "metadata": {"name": "d"},
          "spec": {"host": "ext", "trafficPolicy": {"tls": {"mode": "SIMPLE"}}}}
    assert rules_of(dr) == []


def test_misplaced_route_positive_and_negative() -> None:
    vs = {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService", "metadata": {"name": "v"},
          "spec": {"hosts": ["*"], "http": [{"match": [{"uri": {"exact": "/"}}]}],
                   "route": [{"destination": {"host": "web"}}]}}
    assert rules_of(vs) == ["misplaced-route"]
    assert modern(vs)["spec"]["http"][0]["route"] == [{"destination": {"host": "web"}}]
    good = {**vs, "spec": {"hosts": ["*"], "http": [{"route": [{"destination": {"host": "web"}}]}]}}
    assert rules_of(good) == []


# --- shell snippets and flags ----------------------------------------------------------------

@pytest.mark.parametrize("line,rule,fixed", [
    ("istioctl create -f policy.yaml", "istioctl-create", "kubectl apply -f policy.yaml"),
    ("istioctl authn tls-check web-1.lab", "istioctl-tls-check", "istioctl x describe pod web-1.lab"),
    ("kubectl exec -it web-1 sh", "kubectl-exec-dashdash", "kubectl exec -it web-1 -- sh"),
    ("kubectl exec -n lab -c app web-1 cat /etc/passwd", "kubectl-exec-dashdash",
     "kubectl exec -n lab -c app web-1 -- cat /etc/passwd"),
    ("kube-apiserver --insecure-port=0 --secure-port=6443", "apiserver-insecure-port",
     "kube-apiserver --secure-port=6443"),
    ("kube-apiserver --admission-control=NodeRestriction", "apiserver-admission-control",
     "kube-apiserver --enable-admission-plugins=NodeRestriction"),
    ("kube-apiserver --enable-admission-plugins=NodeRestriction,DenyEscalatingExec",
     "admission-deny-escalating-exec", "kube-apiserver --enable-admission-plugins=NodeRestriction"),
    ("kube-apiserver --enable-admission-plugins=PodSecurityPolicy,NodeRestriction", "admission-psp",
     "kube-apiserver --enable-admission-plugins=NodeRestriction"),
    ("SECRET=$(kubectl get sa web -o json | jq -r '.secrets[].name')", "sa-token-secret", None),
    ("kubectl config set-credentials sa --token=\"$TOKEN\"", "kubeconfig-static-token", None),
])
def test_shell_rules_positive(line: str, rule: str, fixed: str | None) -> None:
    report = modernize_text(line + "\n", source="steps.sh")
    assert rule in [f.rule.id for f in report.findings]
    if fixed is not None:
        assert report.files[0].lines[0].rstrip("\n") == fixed


@pytest.mark.parametrize("line", [
    "kubectl apply -f policy.yaml", "istioctl x describe pod web-1", "kubectl exec -it web-1 -- sh",
    "kubectl exec web-1", "kube-apiserver --secure-port=6443 --enable-admission-plugins=NodeRestriction,PodSecurity",
    "kubectl create token web --duration=1h", "echo '.data is fine'",
])
def test_shell_rules_negative(line: str) -> None:
    assert modernize_text(line + "\n", source="steps.sh").findings == []


def test_every_rule_is_covered_here() -> None:
    """A new rule without tests fails this: each id must appear in this file's cases."""
    import pathlib

    text = pathlib.Path(__file__).read_text(encoding="utf-8")
    missing = [rule for rule in RULES if f'"{rule}"' not in text]
    assert missing == []


def test_apiserver_static_pod_flags() -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "kube-apiserver", "namespace": "kube-system"},
           "spec": {"containers": [{"name": "kube-apiserver", "image": "k", "command": [
               "kube-apiserver", "--insecure-port", "8080", "--admission-control=NodeRestriction,DenyEscalatingExec",
               "--authorization-mode=Node,RBAC"]}]}}
    assert sorted(rules_of(pod)) == ["admission-deny-escalating-exec", "apiserver-admission-control",
                                     "apiserver-insecure-port"]
    assert modern(pod)["spec"]["containers"][0]["command"] == [
        "kube-apiserver", "--enable-admission-plugins=NodeRestriction", "--authorization-mode=Node,RBAC"]
    other = copy.deepcopy(pod)
    other["spec"]["containers"][0]["command"] = ["nginx", "--insecure-port=1"]
    assert rules_of(other) == []  # flags of other programs are theirs


def test_psp_bindings_give_each_namespace_its_labels() -> None:
    open_psp = _psp({**RESTRICTED_PSP, "hostNetwork": True}, RESTRICTED_ANN)
    open_psp["metadata"]["name"] = "open"
    strict = _psp(RESTRICTED_PSP, RESTRICTED_ANN)
    strict["metadata"]["name"] = "strict"
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "psp"},
            "rules": [{"apiGroups": ["policy"], "resources": ["podsecuritypolicies"], "verbs": ["use"],
                       "resourceNames": ["open", "strict"]}]}
    only_strict = copy.deepcopy(role)
    only_strict["metadata"]["name"] = "psp-strict"
    only_strict["rules"][0]["resourceNames"] = ["strict", "elsewhere"]

    def binding(ns: str, role_name: str) -> dict[str, Any]:
        return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                "metadata": {"name": "b", "namespace": ns},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role_name},
                "subjects": [{"kind": "Group", "name": f"system:serviceaccounts:{ns}"}]}

    report = modernize_objects([open_psp, strict, role, only_strict, binding("ops", "psp"), binding("shop", "psp-strict"),
                                binding("plain", "view")])
    by_ns = {f.replacement.split()[3]: f for f in report.findings if f.kind == "RoleBinding"}
    assert set(by_ns) == {"ops", "shop"}  # the binding to an unrelated role says nothing
    assert "enforce=privileged" in by_ns["ops"].replacement  # any of its PSPs could admit a pod
    assert "enforce=restricted" in by_ns["shop"].replacement and "elsewhere" in by_ns["shop"].detail


def test_apparmor_annotation_becomes_a_field_from_v1_30() -> None:
    obj = _deployment({"containers": [_container()]}, annotations={
        "container.apparmor.security.beta.kubernetes.io/web": "runtime/default"})
    assert rules_of(obj) == ["apparmor-annotation"]
    tpl = modern(obj)["spec"]["template"]
    assert tpl["spec"]["containers"][0]["securityContext"]["appArmorProfile"] == {"type": "RuntimeDefault"}
    assert "annotations" not in tpl["metadata"]
    assert rules_of(obj, target=29) == []  # the field does not exist before v1.30
    other = _deployment({"containers": [_container()]}, annotations={
        "container.apparmor.security.beta.kubernetes.io/nope": "runtime/default"})
    assert not modernize_objects([other]).findings[0].automatic  # no such container: a person decides


def test_every_why_is_one_sentence_with_an_upstream_source() -> None:
    import re

    from kslab.modernize.apis import REMOVED_APIS

    for rule in list(RULES.values()) + [row.rule for row in REMOVED_APIS]:
        assert rule.why.endswith(".") and not re.search(r"[.!?] [A-Z`]", rule.why), rule.id
        assert rule.source.startswith(("https://kubernetes.io/", "https://istio.io/")), rule.id


def test_ingress_class_annotation_positive_and_negative() -> None:
    old = {"apiVersion": "extensions/v1beta1", "kind": "Ingress",
           "metadata": {"name": "i", "annotations": {"kubernetes.io/ingress.class": "nginx"}},
           "spec": {"backend": {"serviceName": "web", "servicePort": 80}}}
    assert rules_of(old) == ["removed-api/extensions/v1beta1/Ingress", "ingress-class-annotation"]
    new = modern(old)
    assert new["spec"] == {"defaultBackend": {"service": {"name": "web", "port": {"number": 80}}},
                           "ingressClassName": "nginx"}
    assert "annotations" not in new["metadata"]
    assert rules_of({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "i"},
                     "spec": {"ingressClassName": "nginx"}}) == []


def test_istio_policy_targets_take_the_services_selector() -> None:
    policy = {"apiVersion": "authentication.istio.io/v1alpha1", "kind": "Policy",
              "metadata": {"name": "details", "namespace": "istio-app"},
              "spec": {"targets": [{"name": "details"}], "peers": [{"mtls": {}}]}}
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "details", "namespace": "istio-app"},
               "spec": {"selector": {"app": "details"}, "ports": [{"port": 9080}]}}
    report = modernize_objects([policy, service])
    (finding,) = report.findings
    assert finding.automatic
    assert report.files[0].documents[0].obj["spec"] == {"selector": {"matchLabels": {"app": "details"}},
                                                        "mtls": {"mode": "STRICT"}}
    assert not modernize_objects([policy]).findings[0].automatic  # no Service to read the labels from
