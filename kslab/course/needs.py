"""The permissions each lab needs on a live cluster, as data: lab, verb, resource, where, and why.

Two readers use it: :mod:`kslab.cluster.permissions` asks a cluster about each need, and
:mod:`kslab.classroom.objects` grants exactly these to a student, so the two cannot drift.

>>> NEEDS[0].can_i("student-1")
'kubectl auth can-i create namespaces'
>>> [n.lab for n in NEEDS if n.resource == "pods" and n.subresource == "exec"]
['03']
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Need:
    """One permission a lab needs, and why (the sentence shown when it is missing)."""

    lab: str
    verb: str
    resource: str
    why: str
    group: str = ""
    subresource: str = ""
    namespaced: bool = True
    #: A namespace the lab always reads, whatever the student's own (e.g. kube-system).
    fixed_namespace: str = ""

    def namespace_for(self, student_namespace: str) -> str:
        """Where the need is checked: "" for cluster-scoped, else the fixed or the student's namespace."""
        return (self.fixed_namespace or student_namespace) if self.namespaced else ""

    @property
    def what(self) -> str:
        """``resource[/subresource][.group]`` as ``kubectl auth can-i`` writes it."""
        res = f"{self.resource}/{self.subresource}" if self.subresource else self.resource
        return f"{res}.{self.group}" if self.group else res

    def can_i(self, namespace: str) -> str:
        """The equivalent ``kubectl auth can-i`` command."""
        ns = self.namespace_for(namespace)
        where = f" -n {ns}" if ns else ""
        return f"kubectl auth can-i {self.verb} {self.what}{where}"


_RBAC = "rbac.authorization.k8s.io"

#: What each lab does in a live cluster (see the notebooks), as the permissions that takes.
NEEDS: tuple[Need, ...] = (
    Need("all", "create", "namespaces", "each lab works in namespaces of its own", namespaced=False),
    Need("all", "delete", "namespaces", "clean-up deletes the lab's namespaces", namespaced=False),
    Need("all", "list", "configmaps", "clean-up finds the lab's objects by label"),
    Need("01", "list", "pods", "show the control-plane components running as pods",
         fixed_namespace="kube-system"),
    Need("01", "list", "nodes", "show the nodes, their kubelet and runtime versions", namespaced=False),
    Need("02", "get", "pods", "read the kube-apiserver's command line from its static pod",
         fixed_namespace="kube-system"),
    Need("02", "get", "nodes", "read the kubelet's configuration through the node proxy",
         subresource="proxy", namespaced=False),
    Need("03", "create", "deployments", "deploy the webapp", group="apps"),
    Need("03", "create", "services", "reach the webapp"),
    Need("03", "create", "pods", "run the webapp with each security context"),
    Need("03", "create", "pods", "the hack: a shell inside the webapp", subresource="exec"),
    Need("03", "patch", "namespaces", "set Pod Security Admission labels on the lab's namespace",
         namespaced=False),
    Need("04", "create", "serviceaccounts", "an identity for the webapp"),
    Need("04", "create", "serviceaccounts", "a bound token for it (TokenRequest)", subresource="token"),
    Need("04", "create", "roles", "grant it least privilege", group=_RBAC),
    Need("04", "create", "rolebindings", "bind the role to it", group=_RBAC),
    # The Role (2019's, kept) reads pods and pods/log with get, list and watch; the API server lets
    # a Role grant only what its creator holds (RBAC's escalation check), so the student needs them too.
    Need("04", "list", "pods", "the Role grants reading pod logs with list", subresource="log"),
    Need("04", "watch", "pods", "the Role grants reading pod logs with watch", subresource="log"),
    Need("04", "create", "subjectaccessreviews", "ask what another identity may do", group="authorization.k8s.io",
         namespaced=False),
    Need("05", "create", "customresourcedefinitions", "install Istio (its CRDs)", group="apiextensions.k8s.io",
         namespaced=False),
    Need("05", "create", "mutatingwebhookconfigurations", "install Istio (sidecar injection)",
         group="admissionregistration.k8s.io", namespaced=False),
    Need("05", "create", "clusterroles", "install Istio (istiod's own RBAC)", group=_RBAC, namespaced=False),
    Need("05", "create", "peerauthentications", "turn on STRICT mTLS", group="security.istio.io"),
    Need("05", "patch", "pods", "capture traffic from an ephemeral debug container",
         subresource="ephemeralcontainers"),
)
