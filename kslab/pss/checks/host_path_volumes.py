"""hostPathVolumes (baseline, v1.0+): no volume may mount a path of the node.

The standard: ``spec.volumes[*].hostPath`` unset. (Restricted replaces this check with
restrictedVolumes, which forbids hostPath among others.)
"""

from __future__ import annotations

from kslab.pss.check import Check, Forbidden, VersionedCheck, since
from kslab.pss.levels import BASELINE
from kslab.pss.pod import PodView, join_quote, pluralize

ID = "hostPathVolumes"


def run_1_0(pod: PodView) -> Forbidden | None:
    names = [str(v.get("name") or "") for v in pod.spec.get("volumes") or () if v.get("hostPath") is not None]
    if not names:
        return None
    return Forbidden("hostPath volumes", f'{pluralize("volume", "volumes", len(names))} {join_quote(names)}')


CHECK = Check(ID, BASELINE, (VersionedCheck(since(0), run_1_0),))
