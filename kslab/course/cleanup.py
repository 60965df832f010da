"""What labs create, as data: the kinds clean-up deletes, in the order it deletes them.

:meth:`kslab.cluster.lab.Lab.clean_up` walks it; :mod:`kslab.classroom.objects` derives a student's
permissions from it (a student may delete what labs create), so the two cannot drift.

>>> CLEANUP_KINDS[-1]
('v1', 'Namespace', False)
"""

from __future__ import annotations

#: Kinds that labs create, in the order clean-up deletes them (namespaces last).
CLEANUP_KINDS: tuple[tuple[str, str, bool], ...] = (
    # (apiVersion, kind, namespaced). Controllers before what they control; namespaces last.
    # Kinds the server does not serve (Istio's, on a cluster without Istio) are skipped.
    ("batch/v1", "CronJob", True),
    ("batch/v1", "Job", True),
    ("apps/v1", "Deployment", True),
    ("apps/v1", "StatefulSet", True),
    ("apps/v1", "DaemonSet", True),
    ("apps/v1", "ReplicaSet", True),
    ("v1", "Pod", True),
    ("v1", "Service", True),
    ("networking.k8s.io/v1", "NetworkPolicy", True),
    ("v1", "PersistentVolumeClaim", True),
    ("v1", "ConfigMap", True),
    ("v1", "Secret", True),
    ("security.istio.io/v1", "PeerAuthentication", True),
    ("networking.istio.io/v1", "DestinationRule", True),
    ("networking.istio.io/v1", "VirtualService", True),
    ("networking.istio.io/v1", "Gateway", True),
    ("rbac.authorization.k8s.io/v1", "RoleBinding", True),
    ("rbac.authorization.k8s.io/v1", "Role", True),
    ("v1", "ServiceAccount", True),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", False),
    ("rbac.authorization.k8s.io/v1", "ClusterRole", False),
    ("v1", "Namespace", False),
)
