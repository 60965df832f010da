"""Can a case run rootless, and if not exactly why (kslab.sandbox.userns): pure, no runtime needed."""

from __future__ import annotations

from typing import Any

from kslab.manifests.webapp import RESTRICTED_CONTEXT, webapp_pod
from kslab.sandbox.security import effective
from kslab.sandbox.userns import IMAGE_IDS, Plan, mappings, needed_ids, ranges, rootless_plan

FULL = "ana:100000:65536\n"


def plan(uids: frozenset[int] | set[int] = IMAGE_IDS, gids: frozenset[int] | set[int] = IMAGE_IDS, *,
         subuid: str = FULL, subgid: str = FULL, **kw: Any) -> Plan:
    return rootless_plan(uid=1001, gid=1002, user="ana", uids=uids, gids=gids, subuid=subuid, subgid=subgid, **kw)


def test_root_is_the_caller_and_the_rest_come_from_the_subordinate_range() -> None:
    p = rootless_plan(uid=1001, gid=1002, user="ana", uids={0, 1000}, gids={0, 1000}, subuid=FULL, subgid=FULL)
    assert p.ok
    assert p.uid_mappings == [{"containerID": 0, "hostID": 1001, "size": 1},
                              {"containerID": 1, "hostID": 100000, "size": 65535}]
    assert p.gid_mappings[0] == {"containerID": 0, "hostID": 1002, "size": 1}


def test_run_as_user_1000_without_a_subuid_range_is_refused_with_the_reason() -> None:
    p = rootless_plan(uid=1001, gid=1002, user="ana", uids={0, 1000}, gids={0, 1000}, subuid="bob:1:65536\n",
                      subgid=FULL)
    assert not p.ok and p.uid_mappings == []
    assert p.reason == "uid 1000 cannot be mapped: no range for ana in /etc/subuid"


def test_only_one_uid_mappable_while_the_case_needs_root_and_1000_is_refused() -> None:
    # No subordinate ids at all: only the caller's own uid (container root) could be mapped.
    p = rootless_plan(uid=1001, gid=1002, user="ana", uids={0, 1000}, gids={0}, subuid="", subgid="")
    assert p.reason == "uid 1000 cannot be mapped: no range for ana in /etc/subuid"
    # A range too short to reach 1000.
    short = rootless_plan(uid=1001, gid=1002, user="ana", uids={0, 1000}, gids={0}, subuid="ana:100000:500\n",
                          subgid=FULL)
    assert short.reason == "uid 1000 cannot be mapped: the ranges for ana in /etc/subuid map container uids 1-500 only"


def test_every_id_the_pod_names_must_be_mapped_uid_and_gid_alike() -> None:
    assert plan(uids={0, 1000, 70000}).reason.startswith("uid 70000 cannot be mapped")
    assert plan(gids={0, 1000, 2000}, subgid="ana:100000:1500\n").reason == (
        "gid 2000 cannot be mapped: the ranges for ana in /etc/subgid map container gids 1-1500 only")
    assert plan(gids={0, 1000}, subgid="").reason == "gid 1000 cannot be mapped: no range for ana in /etc/subgid"


def test_disabled_user_namespaces_and_missing_helpers_refuse() -> None:
    assert plan(max_userns=0).reason.startswith("user namespaces are disabled")
    assert "newuidmap/newgidmap" in plan(helpers=False).reason
    # Only the caller's own id needed: no helper is needed to map it.
    assert rootless_plan(uid=5, gid=5, user="ana", uids={0}, gids={0}, subuid="", subgid="", helpers=False).ok


def test_ranges_match_by_name_or_uid_in_file_order_and_stop_at_65535() -> None:
    assert ranges("ana:10:5\nbob:1:9\n1001:300:2\nana:x:1\n", "ana", 1001) == [(10, 5), (300, 2)]
    maps = mappings(1001, [(10, 5), (300, 100000)])
    assert maps == [{"containerID": 0, "hostID": 1001, "size": 1}, {"containerID": 1, "hostID": 10, "size": 5},
                    {"containerID": 6, "hostID": 300, "size": 65530}]
    assert plan(uids={0, 3}, subuid="ana:10:2\nana:50:5\n").ok  # uid 3 lives in the second range


def test_needed_ids_come_from_the_image_and_the_pod() -> None:
    assert needed_ids(effective(webapp_pod({}))) == ({0, 1000}, {0, 1000})
    eff = effective(webapp_pod({"runAsUser": 4000, "runAsGroup": 4001},
                               pod_security_context={"fsGroup": 2000, "supplementalGroups": [3000]}))
    assert needed_ids(eff) == ({0, 1000, 4000}, {0, 1000, 2000, 3000, 4001})
    assert needed_ids(effective(webapp_pod(RESTRICTED_CONTEXT)))[0] >= {0, 1000}
