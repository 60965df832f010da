"""Can this case run rootless, and if not exactly why: the user namespace a rootless runc would need.

Pure: the caller's ids, ``/etc/subuid`` and ``/etc/subgid`` text and the kernel's facts are arguments.
The mapping is the one rootless podman and runc use: container id 0 is the caller's own id, container
ids 1, 2, … are the caller's subordinate ranges in file order (at most 65535 of them). A case needs root
and the image's ``webapp`` user (1000) plus every ``runAsUser``/``runAsGroup``/``fsGroup``/
``supplementalGroups`` id it names; one id that falls outside the mapping refuses the run — it is never
approximated by another id.

>>> plan = rootless_plan(uid=1001, gid=1001, user="ana", uids={0, 1000}, gids={0, 1000},
...                      subuid="ana:100000:65536\\n", subgid="ana:100000:65536\\n")
>>> plan.reason, plan.uid_mappings
('', [{'containerID': 0, 'hostID': 1001, 'size': 1}, {'containerID': 1, 'hostID': 100000, 'size': 65535}])
>>> rootless_plan(uid=1001, gid=1001, user="ana", uids={0, 1000}, gids={0}, subuid="", subgid="ana:1:9\\n").reason
'uid 1000 cannot be mapped: no range for ana in /etc/subuid'
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kslab.sandbox.security import Effective

#: Container ids 1..MAX_SUBORDINATE come from the subordinate ranges (root is the caller's own id).
MAX_SUBORDINATE = 65535
#: The image's users every case may meet: root and ``webapp`` (COURSE.md's image contract).
IMAGE_IDS = frozenset({0, 1000})


@dataclass(frozen=True)
class Plan:
    """A rootless run's id mappings, or the exact reason it cannot be faithful (``reason`` non-empty)."""

    reason: str = ""
    uid_mappings: list[dict[str, int]] = field(default_factory=list)
    gid_mappings: list[dict[str, int]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.reason


def ranges(text: str, user: str, uid: int) -> list[tuple[int, int]]:
    """The (first host id, count) ranges ``/etc/subuid``-style text gives ``user`` (by name or uid), in order.

    >>> ranges("bob:1:5\\nana:100000:10\\n1001:200000:5\\n", "ana", 1001)
    [(100000, 10), (200000, 5)]
    """
    out = []
    for line in text.splitlines():
        parts = line.strip().split(":")
        if len(parts) == 3 and parts[0] in (user, str(uid)) and parts[1].isdigit() and parts[2].isdigit():
            if int(parts[2]) > 0:
                out.append((int(parts[1]), int(parts[2])))
    return out


def mappings(own: int, subordinate: list[tuple[int, int]]) -> list[dict[str, int]]:
    """OCI ``linux.uidMappings``: container 0 -> ``own``, then container 1.. over the ranges in order.

    >>> mappings(1001, [(100000, 10), (200000, 65536)])[-1]
    {'containerID': 11, 'hostID': 200000, 'size': 65525}
    """
    out = [{"containerID": 0, "hostID": own, "size": 1}]
    next_id = 1
    for start, count in subordinate:
        size = min(count, MAX_SUBORDINATE + 1 - next_id)
        if size <= 0:
            break
        out.append({"containerID": next_id, "hostID": start, "size": size})
        next_id += size
    return out


def _covered(container_id: int, maps: list[dict[str, int]]) -> bool:
    return any(m["containerID"] <= container_id < m["containerID"] + m["size"] for m in maps)


def _unmapped(kind: str, needed: Iterable[int], maps: list[dict[str, int]], user: str, file: str,
              subordinate: list[tuple[int, int]]) -> str:
    for cid in sorted(set(needed)):
        if _covered(cid, maps):
            continue
        if not subordinate:
            return f"{kind} {cid} cannot be mapped: no range for {user} in {file}"
        top = maps[-1]["containerID"] + maps[-1]["size"] - 1
        return f"{kind} {cid} cannot be mapped: the ranges for {user} in {file} map container {kind}s 1-{top} only"
    return ""


def rootless_plan(*, uid: int, gid: int, user: str, uids: Iterable[int], gids: Iterable[int], subuid: str,
                  subgid: str, max_userns: int = 1, helpers: bool = True) -> Plan:
    """The mappings a rootless run of a case needing ``uids``/``gids`` gets, or why it is refused."""
    if max_userns <= 0:
        return Plan("user namespaces are disabled (user.max_user_namespaces is 0, or "
                    "kernel.unprivileged_userns_clone is 0)")
    sub_u, sub_g = ranges(subuid, user, uid), ranges(subgid, user, uid)
    umap, gmap = mappings(uid, sub_u), mappings(gid, sub_g)
    reason = (_unmapped("uid", uids, umap, user, "/etc/subuid", sub_u)
              or _unmapped("gid", gids, gmap, user, "/etc/subgid", sub_g))
    if reason:
        return Plan(reason)
    if not helpers and (len(umap) > 1 or len(gmap) > 1):
        return Plan("mapping more than one id needs newuidmap/newgidmap, which are not installed "
                    "(Debian/Ubuntu: apt install uidmap)")
    return Plan("", umap, gmap)


def needed_ids(eff: Effective) -> tuple[set[int], set[int]]:
    """The container uids and gids a case needs mapped: the image's users and every id the pod names."""
    uids = set(IMAGE_IDS) | ({eff.run_as_user} if eff.run_as_user is not None else set())
    gids = set(IMAGE_IDS) | ({eff.run_as_group} if eff.run_as_group is not None else set())
    if eff.fs_group is not None:
        gids.add(eff.fs_group)
    gids |= set(eff.supplemental_groups)
    return uids, gids
