"""The API versions Kubernetes stopped serving since 1.16, as data, and the rule that finds them.

Every row of :data:`REMOVED_APIS` is one (apiVersion, kind) the upstream *Deprecated API Migration
Guide* lists, with the release that removed it, the release that deprecated it (from the API's own
``prerelease-lifecycle`` tags, where it has them), the replacing group/version and the release from
which that replacement is served. ``tests/test_modernize_apis.py`` checks the table against the guide.

>>> row = lookup("extensions/v1beta1", "Deployment")
>>> row.removed_in, row.replacement
(16, 'apps/v1')
>>> lookup("apps/v1", "Deployment") is None
True
"""

from __future__ import annotations

from dataclasses import dataclass

from kslab.modernize.finding import K8S_DEPRECATION_GUIDE, Rule


@dataclass(frozen=True)
class RemovedApi:
    """One API version of one kind that is no longer served."""

    api_version: str
    kind: str
    deprecated_in: int  # minor release of Kubernetes 1.x
    removed_in: int
    replacement: str  # group/version that replaces it
    available_since: int  # the replacement is served from this minor release
    anchor: str  # the guide's section
    notes: str = ""  # notable changes the guide lists, in short

    @property
    def rule(self) -> Rule:
        return Rule(f"removed-api/{self.api_version}/{self.kind}",
                    f"{self.api_version} {self.kind} is not served from Kubernetes v1.{self.removed_in}; "
                    f"{self.replacement} has served the same objects since v1.{self.available_since}.",
                    f"{K8S_DEPRECATION_GUIDE}#{self.anchor}", f"v1.{self.deprecated_in}", f"v1.{self.removed_in}")


def _rows(versions: str, kinds: str, deprecated: int | dict[str, int], removed: int, replacement: str,
          since: int | dict[str, int], anchor: str, notes: str = "") -> list[RemovedApi]:
    out = []
    for version in versions.split():
        for kind in kinds.split():
            dep = deprecated[f"{version} {kind}"] if isinstance(deprecated, dict) else deprecated
            avail = since[kind] if isinstance(since, dict) else since
            out.append(RemovedApi(version, kind, dep, removed, replacement, avail, anchor, notes))
    return out


_SELECTOR = "apps/v1 requires spec.selector (kslab copies the template's labels, as the guide advises)."

#: The guide's "Removed APIs by release", v1.16 … v1.32 (the guide lists none after v1.32).
REMOVED_APIS: tuple[RemovedApi, ...] = tuple(
    # v1.16
    _rows("extensions/v1beta1", "NetworkPolicy", 9, 16, "networking.k8s.io/v1", 8, "networkpolicy-v116")
    + _rows("extensions/v1beta1 apps/v1beta2", "DaemonSet",
            {"extensions/v1beta1 DaemonSet": 8, "apps/v1beta2 DaemonSet": 9}, 16, "apps/v1", 9,
            "daemonset-v116", "spec.templateGeneration is gone; " + _SELECTOR)
    + _rows("extensions/v1beta1 apps/v1beta1 apps/v1beta2", "Deployment",
            {"extensions/v1beta1 Deployment": 8, "apps/v1beta1 Deployment": 8, "apps/v1beta2 Deployment": 9},
            16, "apps/v1", 9, "deployment-v116", "spec.rollbackTo is gone; " + _SELECTOR)
    + _rows("apps/v1beta1 apps/v1beta2", "StatefulSet", {"apps/v1beta1 StatefulSet": 8,
                                                        "apps/v1beta2 StatefulSet": 9},
            16, "apps/v1", 9, "statefulset-v116", _SELECTOR)
    + _rows("extensions/v1beta1 apps/v1beta1 apps/v1beta2", "ReplicaSet",
            {"extensions/v1beta1 ReplicaSet": 8, "apps/v1beta1 ReplicaSet": 8, "apps/v1beta2 ReplicaSet": 9},
            16, "apps/v1", 9, "replicaset-v116", _SELECTOR)
    + _rows("extensions/v1beta1", "PodSecurityPolicy", 11, 16, "policy/v1beta1", 10, "psp-v116",
            "policy/v1beta1 was itself removed in v1.25: migrate to Pod Security Admission.")
    # v1.22
    + _rows("admissionregistration.k8s.io/v1beta1", "MutatingWebhookConfiguration ValidatingWebhookConfiguration",
            16, 22, "admissionregistration.k8s.io/v1", 16, "webhook-resources-v122",
            "v1 requires sideEffects and admissionReviewVersions and defaults failurePolicy to Fail.")
    + _rows("apiextensions.k8s.io/v1beta1", "CustomResourceDefinition", 16, 22, "apiextensions.k8s.io/v1", 16,
            "customresourcedefinition-v122",
            "v1 needs spec.scope and a structural schema per version (spec.versions[*].schema).")
    + _rows("apiregistration.k8s.io/v1beta1", "APIService", 19, 22, "apiregistration.k8s.io/v1", 10,
            "apiservice-v122")
    + _rows("authentication.k8s.io/v1beta1", "TokenReview", 19, 22, "authentication.k8s.io/v1", 6,
            "tokenreview-v122")
    + _rows("authorization.k8s.io/v1beta1",
            "LocalSubjectAccessReview SelfSubjectAccessReview SubjectAccessReview SelfSubjectRulesReview",
            19, 22, "authorization.k8s.io/v1", 6, "subjectaccessreview-resources-v122",
            "spec.group was renamed spec.groups.")
    + _rows("certificates.k8s.io/v1beta1", "CertificateSigningRequest", 19, 22, "certificates.k8s.io/v1", 19,
            "certificatesigningrequest-v122", "v1 requires spec.signerName and spec.usages.")
    + _rows("coordination.k8s.io/v1beta1", "Lease", 19, 22, "coordination.k8s.io/v1", 14, "lease-v122")
    + _rows("extensions/v1beta1 networking.k8s.io/v1beta1", "Ingress",
            {"extensions/v1beta1 Ingress": 14, "networking.k8s.io/v1beta1 Ingress": 19}, 22,
            "networking.k8s.io/v1", 19, "ingress-v122",
            "backends become service.name/service.port, spec.backend becomes spec.defaultBackend, "
            "and every path needs a pathType.")
    + _rows("networking.k8s.io/v1beta1", "IngressClass", 19, 22, "networking.k8s.io/v1", 19, "ingressclass-v122")
    + _rows("rbac.authorization.k8s.io/v1beta1", "ClusterRole ClusterRoleBinding Role RoleBinding", 17, 22,
            "rbac.authorization.k8s.io/v1", 8, "rbac-resources-v122")
    + _rows("scheduling.k8s.io/v1beta1", "PriorityClass", 14, 22, "scheduling.k8s.io/v1", 14, "priorityclass-v122")
    + _rows("storage.k8s.io/v1beta1", "CSIDriver CSINode StorageClass VolumeAttachment",
            {"storage.k8s.io/v1beta1 CSIDriver": 19, "storage.k8s.io/v1beta1 CSINode": 17,
             "storage.k8s.io/v1beta1 StorageClass": 19, "storage.k8s.io/v1beta1 VolumeAttachment": 19},
            22, "storage.k8s.io/v1", {"CSIDriver": 19, "CSINode": 17, "StorageClass": 6, "VolumeAttachment": 13},
            "storage-resources-v122")
    # v1.25
    + _rows("batch/v1beta1", "CronJob", 21, 25, "batch/v1", 21, "cronjob-v125")
    + _rows("discovery.k8s.io/v1beta1", "EndpointSlice", 21, 25, "discovery.k8s.io/v1", 21, "endpointslice-v125",
            "topology becomes per-endpoint nodeName and zone.")
    + _rows("events.k8s.io/v1beta1", "Event", 22, 25, "events.k8s.io/v1", 19, "event-v125",
            "involvedObject becomes regarding; the deprecated* fields may not be written.")
    + _rows("autoscaling/v2beta1", "HorizontalPodAutoscaler", 22, 25, "autoscaling/v2", 23,
            "horizontalpodautoscaler-v125", "targetAverageUtilization becomes target.averageUtilization.")
    + _rows("policy/v1beta1", "PodDisruptionBudget", 21, 25, "policy/v1", 21, "poddisruptionbudget-v125",
            "an empty spec.selector now selects every pod in the namespace.")
    + _rows("policy/v1beta1", "PodSecurityPolicy", 21, 25, "Pod Security Admission", 25, "psp-v125")
    + _rows("node.k8s.io/v1beta1", "RuntimeClass", 22, 25, "node.k8s.io/v1", 20, "runtimeclass-v125")
    # v1.26
    + _rows("flowcontrol.apiserver.k8s.io/v1beta1", "FlowSchema PriorityLevelConfiguration", 23, 26,
            "flowcontrol.apiserver.k8s.io/v1", 29, "flowcontrol-resources-v126",
            "the guide names v1beta2 (served 1.23-1.28); today v1 is the one to use.")
    + _rows("autoscaling/v2beta2", "HorizontalPodAutoscaler", 23, 26, "autoscaling/v2", 23,
            "horizontalpodautoscaler-v126", "targetAverageUtilization becomes target.averageUtilization.")
    # v1.27
    + _rows("storage.k8s.io/v1beta1", "CSIStorageCapacity", 24, 27, "storage.k8s.io/v1", 24, "csistoragecapacity-v127")
    # v1.29
    + _rows("flowcontrol.apiserver.k8s.io/v1beta2", "FlowSchema PriorityLevelConfiguration", 26, 29,
            "flowcontrol.apiserver.k8s.io/v1", 29, "flowcontrol-resources-v129",
            "assuredConcurrencyShares is renamed nominalConcurrencyShares.")
    # v1.32
    + _rows("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema PriorityLevelConfiguration", 29, 32,
            "flowcontrol.apiserver.k8s.io/v1", 29, "flowcontrol-resources-v132")
)

_INDEX = {(r.api_version, r.kind): r for r in REMOVED_APIS}


def lookup(api_version: str, kind: str) -> RemovedApi | None:
    """The table's row for this apiVersion and kind, or None when it is still served (or unknown)."""
    return _INDEX.get((api_version, kind))


def replacement_for(api_version: str, kind: str, target: int) -> str | None:
    """The group/version to write at a target release, or None when kslab cannot switch by itself.

    >>> replacement_for("batch/v1beta1", "CronJob", 36), replacement_for("batch/v1beta1", "CronJob", 20)
    ('batch/v1', None)
    """
    row = lookup(api_version, kind)
    if row is None or row.replacement == "Pod Security Admission" or row.available_since > target:
        return None
    return row.replacement
