"""The removed-API table against the upstream Deprecated API Migration Guide.

GUIDE below is the guide's "Removed APIs by release" (kubernetes.io/docs/reference/using-api/
deprecation-guide/, as of its v1.32 section), transcribed as facts: for each release, which
apiVersion of which kinds stopped being served, and the group/version to migrate to. The table in
kslab.modernize.apis must hold exactly these rows, no more and no fewer.
"""

from __future__ import annotations

import pytest

from kslab.modernize.apis import REMOVED_APIS, lookup, replacement_for
from kslab.modernize.context import DocContext
from kslab.modernize.versions import removed_api

# release -> [(old apiVersions, kinds, replacement)]
GUIDE: dict[int, list[tuple[str, str, str]]] = {
    16: [("extensions/v1beta1", "NetworkPolicy", "networking.k8s.io/v1"),
         ("extensions/v1beta1 apps/v1beta2", "DaemonSet", "apps/v1"),
         ("extensions/v1beta1 apps/v1beta1 apps/v1beta2", "Deployment", "apps/v1"),
         ("apps/v1beta1 apps/v1beta2", "StatefulSet", "apps/v1"),
         ("extensions/v1beta1 apps/v1beta1 apps/v1beta2", "ReplicaSet", "apps/v1"),
         ("extensions/v1beta1", "PodSecurityPolicy", "policy/v1beta1")],
    22: [("admissionregistration.k8s.io/v1beta1", "MutatingWebhookConfiguration ValidatingWebhookConfiguration",
          "admissionregistration.k8s.io/v1"),
         ("apiextensions.k8s.io/v1beta1", "CustomResourceDefinition", "apiextensions.k8s.io/v1"),
         ("apiregistration.k8s.io/v1beta1", "APIService", "apiregistration.k8s.io/v1"),
         ("authentication.k8s.io/v1beta1", "TokenReview", "authentication.k8s.io/v1"),
         ("authorization.k8s.io/v1beta1",
          "LocalSubjectAccessReview SelfSubjectAccessReview SubjectAccessReview SelfSubjectRulesReview",
          "authorization.k8s.io/v1"),
         ("certificates.k8s.io/v1beta1", "CertificateSigningRequest", "certificates.k8s.io/v1"),
         ("coordination.k8s.io/v1beta1", "Lease", "coordination.k8s.io/v1"),
         ("extensions/v1beta1 networking.k8s.io/v1beta1", "Ingress", "networking.k8s.io/v1"),
         ("networking.k8s.io/v1beta1", "IngressClass", "networking.k8s.io/v1"),
         ("rbac.authorization.k8s.io/v1beta1", "ClusterRole ClusterRoleBinding Role RoleBinding",
          "rbac.authorization.k8s.io/v1"),
         ("scheduling.k8s.io/v1beta1", "PriorityClass", "scheduling.k8s.io/v1"),
         ("storage.k8s.io/v1beta1", "CSIDriver CSINode StorageClass VolumeAttachment", "storage.k8s.io/v1")],
    25: [("batch/v1beta1", "CronJob", "batch/v1"),
         ("discovery.k8s.io/v1beta1", "EndpointSlice", "discovery.k8s.io/v1"),
         ("events.k8s.io/v1beta1", "Event", "events.k8s.io/v1"),
         ("autoscaling/v2beta1", "HorizontalPodAutoscaler", "autoscaling/v2"),
         ("policy/v1beta1", "PodDisruptionBudget", "policy/v1"),
         ("policy/v1beta1", "PodSecurityPolicy", "Pod Security Admission"),
         ("node.k8s.io/v1beta1", "RuntimeClass", "node.k8s.io/v1")],
    # The guide says v1beta2 for the v1.26 flow-control removal; v1 (from v1.29) is where both end up.
    26: [("flowcontrol.apiserver.k8s.io/v1beta1", "FlowSchema PriorityLevelConfiguration",
          "flowcontrol.apiserver.k8s.io/v1"),
         ("autoscaling/v2beta2", "HorizontalPodAutoscaler", "autoscaling/v2")],
    27: [("storage.k8s.io/v1beta1", "CSIStorageCapacity", "storage.k8s.io/v1")],
    29: [("flowcontrol.apiserver.k8s.io/v1beta2", "FlowSchema PriorityLevelConfiguration",
          "flowcontrol.apiserver.k8s.io/v1")],
    32: [("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema PriorityLevelConfiguration",
          "flowcontrol.apiserver.k8s.io/v1")],
}

EXPECTED = {(v, k): (release, repl) for release, rows in GUIDE.items()
            for versions, kinds, repl in rows for v in versions.split() for k in kinds.split()}
#: Deprecation releases from the APIs' own prerelease-lifecycle tags (k8s.io/api), spot-checked.
DEPRECATED = {("extensions/v1beta1", "Ingress"): 14, ("networking.k8s.io/v1beta1", "Ingress"): 19,
              ("batch/v1beta1", "CronJob"): 21, ("rbac.authorization.k8s.io/v1beta1", "Role"): 17,
              ("apps/v1beta2", "Deployment"): 9, ("events.k8s.io/v1beta1", "Event"): 22,
              ("storage.k8s.io/v1beta1", "CSINode"): 17, ("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema"): 29}


def test_table_is_exactly_the_guide() -> None:
    table = {(r.api_version, r.kind): (r.removed_in, r.replacement) for r in REMOVED_APIS}
    assert table == EXPECTED
    assert len(REMOVED_APIS) == len(table)  # no duplicate rows


@pytest.mark.parametrize("key,minor", sorted(DEPRECATED.items()))
def test_deprecation_releases(key: tuple[str, str], minor: int) -> None:
    row = lookup(*key)
    assert row is not None and row.deprecated_in == minor


def test_rows_are_consistent() -> None:
    for row in REMOVED_APIS:
        assert row.deprecated_in < row.removed_in, row
        assert row.available_since <= row.removed_in or row.replacement.startswith("flowcontrol"), row
        assert row.rule.source.endswith(row.anchor)


@pytest.mark.parametrize("row", [r for r in REMOVED_APIS if r.kind != "PodSecurityPolicy"],
                         ids=lambda r: f"{r.api_version}/{r.kind}")
def test_each_row_positive_and_negative(row) -> None:  # type: ignore[no-untyped-def]
    obj = {"apiVersion": row.api_version, "kind": row.kind, "metadata": {"name": "x"}}
    at_removal = DocContext(dict(obj), target=row.removed_in)
    removed_api(at_removal)
    assert [f.rule.id for f in at_removal.findings] == [f"removed-api/{row.api_version}/{row.kind}"]
    assert at_removal.findings[0].as_dict()["removed_in"] == f"v1.{row.removed_in}"
    before = DocContext(dict(obj), target=row.deprecated_in - 1)
    removed_api(before)
    assert before.findings == []  # not yet deprecated: nothing to say
    if row.replacement.count("/") == 1:
        modern = DocContext({**obj, "apiVersion": row.replacement}, target=36)
        removed_api(modern)
        assert modern.findings == []


def test_deprecated_but_served_is_reported_as_deprecated() -> None:
    ctx = DocContext({"apiVersion": "extensions/v1beta1", "kind": "Ingress", "metadata": {"name": "i"}}, target=20)
    removed_api(ctx)
    assert ctx.obj["apiVersion"] == "networking.k8s.io/v1"
    assert "deprecated at v1.20 and removed in v1.22" in ctx.findings[0].detail


def test_replacement_not_served_yet_is_left_for_a_person() -> None:
    assert replacement_for("flowcontrol.apiserver.k8s.io/v1beta1", "FlowSchema", 27) is None
    ctx = DocContext({"apiVersion": "flowcontrol.apiserver.k8s.io/v1beta1", "kind": "FlowSchema"}, target=27)
    removed_api(ctx)
    assert ctx.findings[0].automatic is False and ctx.obj["apiVersion"].endswith("v1beta1")
