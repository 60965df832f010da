"""What ``kslab modernize`` reports: findings, each tied to a rule kept as data.

A :class:`Rule` is the fact (an id, when it was deprecated and removed, one sentence of why, the
upstream page that says so). A :class:`Finding` is that rule met in one document, with the concrete
replacement for it and whether kslab can make the change by itself (``automatic``).

>>> f = Finding(RULES["host-port"], "a Service and kubectl port-forward", file="web.yaml", document=1,
...             kind="Deployment", name="web", api_version="apps/v1")
>>> f.as_dict()["rule"], f.as_dict()["removed_in"]
('host-port', None)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

K8S_DEPRECATION_GUIDE = "https://kubernetes.io/docs/reference/using-api/deprecation-guide/"
PSP_MIGRATION = "https://kubernetes.io/docs/tasks/configure-pod-container/migrate-from-psp/"
PSP_MAPPING = "https://kubernetes.io/docs/reference/access-authn-authz/psp-to-pod-security-standards/"


@dataclass(frozen=True)
class Rule:
    """One modernisation fact: stable ``id``, releases, why, and the upstream source."""

    id: str
    why: str
    source: str
    deprecated_in: str | None = None
    removed_in: str | None = None


@dataclass(frozen=True)
class Finding:
    """A rule met in one document (or one line of a script)."""

    rule: Rule
    replacement: str
    file: str = ""
    document: int = 0  # 1-based position in the file (a script's embedded manifests count too)
    line: int = 0  # 1-based line where the document (or the command) starts
    kind: str = ""
    name: str = ""
    api_version: str = ""
    automatic: bool = True  # kslab --write makes the change; False: listed for a human to do
    detail: str = ""  # what exactly was found, when the rule alone does not say
    deprecated_in: str | None = field(default=None)
    removed_in: str | None = field(default=None)

    def as_dict(self) -> dict[str, Any]:
        """The JSON row of the CLI contract (plus ``line``, ``automatic`` and ``detail``).

        ``why`` is the rule's one sentence; ``detail`` says what exactly was found here and what kslab did.
        """
        return {
            "file": self.file, "document": self.document, "line": self.line, "kind": self.kind,
            "name": self.name, "apiVersion": self.api_version, "rule": self.rule.id,
            "deprecated_in": self.deprecated_in or self.rule.deprecated_in,
            "removed_in": self.removed_in or self.rule.removed_in,
            "replacement": self.replacement, "why": self.rule.why, "source": self.rule.source,
            "automatic": self.automatic, "detail": self.detail,
        }


def _r(id: str, why: str, source: str, deprecated: str | None = None, removed: str | None = None) -> Rule:
    return Rule(id, why, source, deprecated, removed)


#: Every rule except the per-apiVersion ones (those live in :mod:`kslab.modernize.apis`).
RULES: dict[str, Rule] = {r.id: r for r in (
    _r("psp", "PodSecurityPolicy is gone; Pod Security Admission enforces one of three fixed levels per "
              "namespace, chosen with namespace labels.", PSP_MIGRATION, "v1.21", "v1.25"),
    _r("psp-use-grant", "RBAC `use` on podsecuritypolicies authorised pods against a PSP; with PSP removed "
                        "the grant does nothing, and namespace labels take its place.", PSP_MIGRATION,
       "v1.21", "v1.25"),
    _r("misplaced-security-context", "These securityContext fields exist only per container; at pod level "
                                     "the API drops them (or strict validation rejects them), so the "
                                     "setting never takes effect.",
       "https://kubernetes.io/docs/tasks/configure-pod-container/security-context/"),
    _r("misplaced-ports", "`ports` belongs to a container; under the pod spec it is an unknown field that a "
                          "lenient API server silently drops.",
       "https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/#ports"),
    _r("host-port", "hostPort binds the node's port for the pod, which the baseline Pod Security Standard "
                    "forbids; a Service (or kubectl port-forward) reaches the pod without it.",
       "https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline"),
    _r("removed-field", "The field no longer exists in the served API version.", K8S_DEPRECATION_GUIDE),
    _r("seccomp-annotation", "The seccomp annotations were replaced by securityContext.seccompProfile "
                             "(GA 1.19) and are no longer honoured.",
       "https://kubernetes.io/docs/tutorials/security/seccomp/", "v1.19", "v1.27"),
    _r("apparmor-annotation", "The AppArmor annotations gave way to securityContext.appArmorProfile (GA 1.30); "
                              "the field is what the API validates and what Pod Security reads first.",
       "https://kubernetes.io/docs/tutorials/security/apparmor/", "v1.30", None),
    _r("ingress-class-annotation", "The kubernetes.io/ingress.class annotation gave way to spec.ingressClassName, "
                                   "which names an IngressClass object the API can check.",
       "https://kubernetes.io/docs/concepts/services-networking/ingress/#deprecated-annotation", "v1.18", None),
    _r("sa-token-secret", "Long-lived service-account token Secrets are no longer created for you and unused "
                          "ones are cleaned up; TokenRequest gives short-lived, audience-bound tokens.",
       "https://kubernetes.io/docs/concepts/security/service-accounts/#get-a-token", "v1.24", None),
    _r("kubeconfig-static-token", "A kubeconfig with a token copied from a Secret never expires and works "
                                  "wherever it leaks; a TokenRequest token expires on its own.",
       "https://kubernetes.io/docs/reference/access-authn-authz/service-accounts-admin/"
       "#manual-secret-management-for-serviceaccounts", "v1.24", None),
    _r("istio-authn-policy", "authentication.istio.io/v1alpha1 Policy/MeshPolicy were replaced by "
                             "PeerAuthentication (and RequestAuthentication).",
       "https://istio.io/latest/blog/2021/migrate-alpha-policy/", "Istio 1.4", "Istio 1.6"),
    _r("istio-alpha-api", "networking.istio.io/v1 is the stable API (Istio 1.22); the alpha and beta versions "
                          "are served only for compatibility.",
       "https://istio.io/latest/blog/2024/v1-apis/"),
    _r("istio-mutual-redundant", "With auto mutual TLS (on by default) sidecars already use ISTIO_MUTUAL to "
                                 "other sidecars; a DestinationRule saying so adds nothing and breaks calls to "
                                 "workloads without a sidecar.",
       "https://istio.io/latest/docs/tasks/security/authentication/authn-policy/#auto-mutual-tls"),
    _r("misplaced-route", "A VirtualService's route belongs inside an http entry; under spec it is an unknown "
                          "field that older Istio silently dropped, leaving the match without a destination.",
       "https://istio.io/latest/docs/reference/config/networking/virtual-service/#HTTPRoute"),
    _r("istioctl-create", "`istioctl create` managed Istio config before it became ordinary Kubernetes "
                          "resources; kubectl applies them today.",
       "https://istio.io/latest/docs/reference/commands/istioctl/", "Istio 1.1", "Istio 1.5"),
    _r("istioctl-tls-check", "`istioctl authn tls-check` was removed; `istioctl x describe pod` shows the "
                             "effective PeerAuthentication and mTLS mode.",
       "https://istio.io/latest/docs/reference/commands/istioctl/", "Istio 1.5", "Istio 1.6"),
    _r("kubectl-exec-dashdash", "kubectl needs `--` before the command to run in the pod; without it "
                                "kubectl refuses (\"exec [POD] [COMMAND] is not supported anymore\").",
       "https://kubernetes.io/docs/reference/kubectl/generated/kubectl_exec/", "kubectl 1.18", "kubectl 1.31"),
    _r("apiserver-insecure-port", "The API's unauthenticated HTTP port is gone: only 0 was accepted from 1.20 "
                                  "and the flag was removed, so kube-apiserver stops with an unknown flag.",
       "https://kubernetes.io/docs/reference/command-line-tools-reference/kube-apiserver/", "v1.10", "v1.24"),
    _r("apiserver-admission-control", "--admission-control replaced the whole default plugin list; "
                                      "--enable-admission-plugins adds to the defaults instead.",
       "https://kubernetes.io/docs/reference/access-authn-authz/admission-controllers/", "v1.10", None),
    _r("admission-deny-escalating-exec", "DenyEscalatingExec was removed, so kube-apiserver refuses to start "
                                         "with it named; Pod Security Admission keeps privileged pods out "
                                         "and RBAC limits pods/exec.",
       "https://kubernetes.io/docs/reference/access-authn-authz/admission-controllers/", "v1.14", "v1.21"),
    _r("admission-psp", "The PodSecurityPolicy admission plugin was removed, so kube-apiserver refuses to start "
                        "with it named; PodSecurity (on by default) replaces it.", PSP_MIGRATION,
       "v1.21", "v1.25"),
)}
