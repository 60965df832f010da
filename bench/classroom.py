"""Creating a classroom of 100 students, against the same work done strictly one request at a time,
measured in the same run on the same cluster.

The work per student: 9 objects by server-side apply (namespace, quota, limit range, four network
policies, service account, role binding), a TokenRequest, and the kubeconfig written 0600 and stored
as a Secret in a hub namespace. The reference is 10 students created with one request in flight
(``workers=1``), once before and once after the concurrent run (the machine may be shared: the mean
evens out drift), extrapolated to 100; a second reference is 100 bare namespace creations, one after
another — the least any tool spends per student. Then the 100-student classroom is proven isolated
(SubjectAccessReviews) and deleted. Target: 100 students in under 30 s (wall time: the API
server does the work); kslab's own CPU time for the run is printed beside it, with the load average.

Runs against the cluster named by ``KSLAB_CONTEXT`` with ``KSLAB_MODE=live``; otherwise it says so
and exits 0.

    KSLAB_MODE=live KSLAB_CONTEXT=kind-kslab python bench/classroom.py
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
import uuid

from _measure import load_average

STUDENTS = 100
REFERENCE_STUDENTS = 10
TARGET_SECONDS = 30.0


def main() -> int:
    if os.environ.get("KSLAB_MODE", "").lower() != "live" or not os.environ.get("KSLAB_CONTEXT"):
        print("skipped: no live cluster configured (set KSLAB_MODE=live and KSLAB_CONTEXT=<context>)")
        return 0
    import kslab
    from kslab.classroom.roster import numbered
    from kslab.cluster import classroom

    lab = kslab.connect(mode="live", context=os.environ["KSLAB_CONTEXT"])
    tag = uuid.uuid4().hex[:5]
    hub = f"kslab-bench-hub-{tag}"
    names = [s.name for s in numbered(STUDENTS)]
    seq_prefixes, par_prefix, bare_prefix = (f"kb{tag}s-", f"kb{tag}t-"), f"kb{tag}p-", f"kb{tag}n-"
    labels = {**lab.labels_for("bench")}
    lab.create_namespace(hub, labels=labels)
    bare = [f"{bare_prefix}{n}" for n in names]
    try:
        with tempfile.TemporaryDirectory(prefix="kslab-bench-") as out:
            common = {"out": out, "hub_namespace": hub, "expiration_seconds": 3600}
            few = names[:REFERENCE_STUDENTS]
            before = classroom.create(lab, few, prefix=seq_prefixes[0], workers=1, **common)
            start = time.perf_counter()
            for name in bare:
                lab.create_namespace(name, labels=labels)
            bare_seconds = time.perf_counter() - start
            usage = resource.getrusage(resource.RUSAGE_SELF)
            par = classroom.create(lab, names, prefix=par_prefix, **common)
            after_usage = resource.getrusage(resource.RUSAGE_SELF)
            par_cpu = (after_usage.ru_utime + after_usage.ru_stime) - (usage.ru_utime + usage.ru_stime)
            after = classroom.create(lab, few, prefix=seq_prefixes[1], workers=1, **common)
        assert len(par.kubeconfigs) == STUDENTS and len(par.secrets) == STUDENTS  # the work is real
        proof = classroom.verify(lab, names, prefix=par_prefix, hub_namespace=hub)
        assert proof.ok, proof.text()
        start = time.perf_counter()
        removed = classroom.delete(lab, names, prefix=par_prefix)
        delete_seconds = time.perf_counter() - start
    finally:
        for prefix in seq_prefixes:
            classroom.delete(lab, names[:REFERENCE_STUDENTS], prefix=prefix)
        classroom.delete(lab, names, prefix=par_prefix)
        for name in [*bare, hub]:
            try:
                lab.delete_namespace(name)
            except Exception:  # noqa: BLE001 - already gone
                pass

    sequential = (before.total_seconds + after.total_seconds) / 2
    extrapolated = sequential * STUDENTS / REFERENCE_STUDENTS
    print(f"context {lab.context} (Kubernetes {lab.server_version()}), {load_average()} here")
    print(f"{STUDENTS} students, {par.workers} requests at once: {par.total_seconds:6.2f} s  "
          f"({par.requests} requests: {par.objects} objects, {STUDENTS} tokens, {STUDENTS} Secrets, "
          f"{STUDENTS} kubeconfig files)")
    print(f"    kslab's own CPU for it (user + system, this process): {par_cpu:6.2f} s; the rest is the "
          "API server's work and the network (wall time is the target: the server does the work)")
    for phase, secs in par.seconds.items():
        print(f"    {phase:32s} {secs:6.2f} s")
    print(f"reference: {REFERENCE_STUDENTS} students one request at a time: {before.total_seconds:.2f} s before, "
          f"{after.total_seconds:.2f} s after -> {extrapolated:6.2f} s for {STUDENTS} (mean, extrapolated)")
    print(f"reference: {STUDENTS} bare namespace creations one at a time: {bare_seconds:6.2f} s")
    print(f"ratio sequential / concurrent = {extrapolated / par.total_seconds:.1f}x; "
          f"concurrent / bare namespaces = {par.total_seconds / bare_seconds:.1f}x")
    print(f"isolation proof: {len(proof.outcomes)} SubjectAccessReviews, no leak ({proof.notes[-1]})")
    print(f"delete: {len(removed.deleted)} objects in {delete_seconds:.2f} s")
    ok = par.total_seconds < TARGET_SECONDS
    print(f"target < {TARGET_SECONDS:.0f} s for {STUDENTS} students: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
