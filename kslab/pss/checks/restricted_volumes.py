"""restrictedVolumes (restricted, v1.0+): only volume types that cannot reach the node or the network.

The standard: every ``spec.volumes[*]`` must use one of the sources in :data:`ALLOWED` below.
Any other source (hostPath, nfs, …) is forbidden; a volume with no source the check knows is
reported as type "unknown". (Through the API server, a volume with no source at all has already
been defaulted to ``emptyDir`` — see :mod:`kslab.pss.defaults`.) Replaces hostPathVolumes.
"""

from __future__ import annotations

from kslab.pss.check import Check, Forbidden, VersionedCheck, since
from kslab.pss.checks.host_path_volumes import ID as BASELINE_ID
from kslab.pss.levels import RESTRICTED
from kslab.pss.pod import PodView, join_quote, pluralize

ALLOWED = ("configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "image", "persistentVolumeClaim",
           "projected", "secret")
# The forbidden sources, in the order the API server names the first one a volume sets.
FORBIDDEN = ("hostPath", "gcePersistentDisk", "awsElasticBlockStore", "gitRepo", "nfs", "iscsi",
             "glusterfs", "rbd", "flexVolume", "cinder", "cephfs", "flocker", "fc", "azureFile",
             "vsphereVolume", "quobyte", "azureDisk", "photonPersistentDisk", "portworxVolume",
             "scaleIO", "storageos")
SOURCES = ALLOWED + FORBIDDEN


def volume_type(volume: dict) -> str:
    """The first allowed source a volume sets, else its first forbidden one, else ``unknown``."""
    for source in SOURCES:
        if volume.get(source) is not None:
            return source
    return "unknown"


def run_1_0(pod: PodView) -> Forbidden | None:
    bad_names, bad_types = [], set()
    for volume in pod.spec.get("volumes") or ():
        kind = volume_type(volume)
        if kind not in ALLOWED:
            bad_names.append(str(volume.get("name") or ""))
            bad_types.add(kind)
    if not bad_names:
        return None
    return Forbidden("restricted volume types",
                     f"{pluralize('volume', 'volumes', len(bad_names))} {join_quote(bad_names)} "
                     f"{pluralize('uses', 'use', len(bad_names))} "
                     f"{pluralize('restricted volume type', 'restricted volume types', len(bad_types))} "
                     f"{join_quote(sorted(bad_types))}")


CHECK = Check("restrictedVolumes", RESTRICTED, (VersionedCheck(since(0), run_1_0, overrides=(BASELINE_ID,)),))
