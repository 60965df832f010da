"""Classroom mode against a real API server: a three-student classroom is created, proven isolated
with SubjectAccessReviews *and* with real requests made with each student's kubeconfig, then deleted,
and nothing of it is left.

Everything here is API-level (RBAC, TokenRequest, Pod Security admission): no node is needed. Only
the very end — namespaces disappearing — needs the namespace controller (kube-controller-manager);
without one that last check skips and says why.
"""

from __future__ import annotations

import os
import stat
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from kslab.classroom import objects as build
from kslab.classroom.roster import numbered
from kslab.cluster import classroom
from kslab.cluster.identities import connect_as

pytestmark = pytest.mark.live


@dataclass
class Classroom:
    lab: Any
    students: list[str]
    prefix: str
    hub: str
    out: Path
    created: classroom.CreateReport

    def ns(self, i: int) -> str:
        return build.namespace_for(self.students[i], self.prefix)

    def kubeconfig(self, i: int) -> Path:
        return self.out / f"{self.students[i]}.kubeconfig"

    def as_student(self, i: int, *, lab_context: bool = False) -> Any:
        """Student ``i``'s identity; ``lab_context`` lets it send writes the API server is to refuse."""
        return connect_as(self.kubeconfig(i), build.STUDENT_CONTEXT, lab_context=lab_context)


@pytest.fixture(scope="module")
def room(live_lab: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Classroom]:
    tag = uuid.uuid4().hex[:6]
    prefix, hub = f"kt{tag}-", f"kslab-t-hub-{tag}"
    live_lab.create_namespace(hub, labels={**live_lab.labels_for("tests"), "kslab.dev/test": "classroom-hub"})
    students = [s.name for s in numbered(3)]
    out = tmp_path_factory.mktemp("kubeconfigs")
    try:
        created = classroom.create(live_lab, students, prefix=prefix, out=out, hub_namespace=hub,
                                   expiration_seconds=3600)
        yield Classroom(live_lab, students, prefix, hub, out, created)
    finally:
        classroom.delete(live_lab, students, prefix=prefix)
        try:
            live_lab.delete_namespace(hub)
        except Exception:  # noqa: BLE001 - already gone is fine
            pass


def test_create_made_everything_and_status_sees_it(room: Classroom) -> None:
    report = room.created
    assert report.objects == 1 + 3 * len(build.student_objects("x"))
    assert len(report.kubeconfigs) == 3 and len(report.secrets) == 3
    st = classroom.status(room.lab, room.students, prefix=room.prefix)
    assert st.ready and st.course_role
    assert [r["objects"] for r in st.rows] == ["8/8"] * 3
    assert [r["kubeconfig_secret"] for r in st.rows] == [
        f"{room.hub}/{build.secret_name(s, room.prefix)}" for s in room.students]
    ns = room.lab.read_namespace(room.ns(0))
    assert ns.metadata.labels["pod-security.kubernetes.io/enforce"] == "baseline"
    assert ns.metadata.labels["kslab.dev/student"] == room.students[0]


def test_create_again_changes_nothing(room: Classroom) -> None:
    def versions() -> dict[str, str]:
        found = {}
        for i in range(3):
            ns = room.ns(i)
            found[ns] = room.lab.read_namespace(ns).metadata.resource_version
            found[f"{ns}/rb"] = room.lab.read(build.RBAC_V1, "RoleBinding", build.ROLE_BINDING,
                                              namespace=ns)["metadata"]["resourceVersion"]
            quota = room.lab.read_resource_quota(ns, "kslab-quota")
            found[f"{ns}/quota"] = quota.metadata.resource_version
        return found

    before = versions()
    again = classroom.create(room.lab, room.students, prefix=room.prefix)  # no new kubeconfigs this time
    assert again.kubeconfigs == [] and again.secrets == []
    assert versions() == before  # server-side apply of the same objects is a no-op


def test_kubeconfigs_are_private_and_never_shown(room: Classroom) -> None:
    for i, student in enumerate(room.students):
        path = room.kubeconfig(i)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        doc = yaml.safe_load(path.read_text())
        assert doc["current-context"] == build.STUDENT_CONTEXT
        assert doc["contexts"][0]["context"]["namespace"] == room.ns(i)
        token = doc["users"][0]["user"]["token"]
        assert token not in room.created.text() and token not in str(room.created.as_dict())
        # The Secret for JupyterHub holds the same kubeconfig.
        secret = room.lab.read_secret(room.hub, build.secret_name(student, room.prefix))
        import base64

        assert base64.b64decode(secret.data[build.SECRET_KEY]).decode() == path.read_text()
        assert secret.metadata.labels["kslab.dev/student"] == student


def test_access_reviews_show_no_leak(room: Classroom) -> None:
    report = classroom.verify(room.lab, room.students, prefix=room.prefix, hub_namespace=room.hub)
    assert all(o.observed is not None for o in report.outcomes)
    assert not report.leaks, report.text()
    assert not report.missing, report.text()
    assert report.ok
    assert not report.disagreements, report.text()  # the cluster grants service accounts nothing else


def _status_of(call: Any) -> int:
    try:
        call()
    except Exception as exc:  # noqa: BLE001 - the status is the answer
        return int(getattr(exc, "status", 0) or 0)
    return 200


def test_real_requests_with_each_students_kubeconfig(room: Classroom) -> None:
    for i in range(3):
        me = room.as_student(i, lab_context=True)
        other = room.ns((i + 1) % 3)
        assert _status_of(lambda: me.list_pods(room.ns(i))) == 200
        assert _status_of(lambda: me.list_pods(other)) == 403
        assert _status_of(lambda: me.list_secrets(other)) == 403
        assert _status_of(lambda: me.list_nodes()) == 403
        assert _status_of(lambda: me.list_namespaces()) == 403
        assert _status_of(lambda: me.list_secrets(room.hub)) == 403
        assert _status_of(lambda: me.patch_namespace(
            room.ns(i), {"metadata": {"labels": {"pod-security.kubernetes.io/enforce": "privileged"}}})) == 403


def _pod(name: str, **security: Any) -> dict[str, Any]:
    container: dict[str, Any] = {"name": "app", "image": "registry.invalid/kslab/none:1"}
    if security:
        container["securityContext"] = security
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"serviceAccountName": build.SERVICE_ACCOUNT, "automountServiceAccountToken": False,
                     "containers": [container]}}


def test_baseline_is_enforced_in_the_students_namespace(room: Classroom) -> None:
    from kslab.errors import ApiError

    me = room.as_student(0, lab_context=True)
    with pytest.raises(ApiError) as err:
        me.create_pod(room.ns(0), _pod("privileged", privileged=True))
    assert err.value.status == 403
    message = err.value.server_message
    assert 'violates PodSecurity "baseline:latest": privileged' in message
    # A pod that meets baseline is admitted (dry run: nothing stays), the quota satisfied by the LimitRange's
    # defaults, while the restricted violations come back only as warnings.
    allowed, message = me.admit(_pod("plain"), namespace=room.ns(0))
    assert allowed, message


def test_a_student_can_do_lab_04_in_their_namespace_but_not_escalate(room: Classroom) -> None:
    me = room.as_student(1, lab_context=True)
    ns = room.ns(1)
    rbac_v1 = {"apiVersion": "rbac.authorization.k8s.io/v1"}
    role = {**rbac_v1, "kind": "Role", "metadata": {"name": "pod-reader"},
            "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}]}
    assert _status_of(lambda: me.create(role, namespace=ns)) == 200
    greedy = {**rbac_v1, "kind": "Role", "metadata": {"name": "ns-admin"},
              "rules": [{"apiGroups": [""], "resources": ["namespaces"], "verbs": ["patch"]}]}
    assert _status_of(lambda: me.create(greedy, namespace=ns)) == 403  # RBAC's escalation check
    binding = {**rbac_v1, "kind": "RoleBinding", "metadata": {"name": "admin-here"},
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
               "subjects": [{"kind": "ServiceAccount", "name": "student", "namespace": ns}]}
    assert _status_of(lambda: me.create(binding, namespace=ns)) == 403
    assert _status_of(lambda: me.create_token(build.SERVICE_ACCOUNT, ns, expiration_seconds=600)) == 200
    assert _status_of(lambda: me.create_token(build.SERVICE_ACCOUNT, room.ns(2), expiration_seconds=600)) == 403


# ---- labs in a classroom: every read path works with a namespace-scoped kubeconfig -----------------
def _inventory(lab: Any) -> Any:
    from kslab import architecture

    inv = architecture.inventory(lab)
    assert not inv.observed and "PREDICTED" in inv.source and inv.server_version.startswith("v")
    return inv


def _audit_apiserver(lab: Any) -> Any:
    from kslab.audit import audit_cluster_apiserver

    report = audit_cluster_apiserver(lab)
    assert "NOT your cluster" in report.source
    return report


def _audit_kubelet(lab: Any) -> Any:
    from kslab.audit import audit_cluster_kubelet

    report = audit_cluster_kubelet(lab)
    assert "NOT your cluster" in report.source
    return report


def _permissions(lab: Any) -> Any:
    from kslab.cluster.permissions import check_permissions

    report = check_permissions(lab)  # in the namespace the student's kubeconfig names
    assert report.namespace == lab.namespace and report.namespace.startswith("kt")
    own = [r for r in report.rows if r.namespace == lab.namespace]
    assert own and all(r.allowed for r in own), [r.permission for r in own if not r.allowed]
    return report


def _catalog(lab: Any) -> Any:
    from kslab.cluster.api_resources import catalog

    return catalog(lab)


def _nodes_ready(lab: Any) -> Any:
    from kslab.cluster.pods import nodes_ready

    return nodes_ready(lab)


def _mesh(lab: Any) -> Any:
    from kslab.cluster import istio_lab

    return istio_lab.detect(lab)


def _clean(lab: Any) -> Any:
    from kslab.cluster.cleanup import clean

    return clean(lab, "03")


def _setup(lab: Any) -> Any:
    from kslab.cluster import kind

    return kind.setup(lab)


def _probe(lab: Any) -> Any:
    from kslab.audit.ports import probe_lab

    said = probe_lab(lab)
    assert isinstance(said, str) and said.startswith("you may not list nodes") and "probe 127.0.0.1" in said
    return said


def _who_can(lab: Any) -> Any:
    from kslab.cluster import identities
    from kslab.rbac.matrix import who_can

    policy = identities.cluster_policy(lab)
    assert policy.scope.startswith("Only what your identity may read: the Roles and RoleBindings of namespace")
    answer = who_can(policy, "list", "pods", namespace=lab.namespace)
    assert policy.scope in answer.text()  # every answer drawn from it says what it is drawn from
    return answer


READ_PATHS = [
    pytest.param(_setup, id="00 kind.setup"),
    pytest.param(_permissions, id="00 check_permissions"),
    pytest.param(_inventory, id="01 architecture.inventory"),
    pytest.param(_audit_apiserver, id="02 audit_cluster_apiserver"),
    pytest.param(_audit_kubelet, id="02 audit_cluster_kubelet"),
    pytest.param(_probe, id="02 probe_lab"),
    pytest.param(_nodes_ready, id="03 pods.nodes_ready"),
    pytest.param(_catalog, id="04 api_resources.catalog"),
    pytest.param(_who_can, id="04 identities.cluster_policy"),
    pytest.param(_mesh, id="05 istio_lab.detect"),
    pytest.param(_clean, id="clean-up"),
]


@pytest.mark.parametrize("read", READ_PATHS)
def test_labs_read_paths_work_with_a_students_kubeconfig(room: Classroom, read: Any,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import kslab
    from kslab.errors import KslabError

    # Exactly what a student's JupyterLab has: KUBECONFIG = their file, KSLAB_CONTEXT = the classroom context.
    monkeypatch.setenv("KUBECONFIG", str(room.kubeconfig(0)))
    lab = kslab.connect(mode="live", context=build.STUDENT_CONTEXT)
    assert lab.live and lab.lab_context
    try:
        result = read(lab)
    except KslabError as err:
        pytest.fail(f"{err.one_line()}")
    except Exception as exc:  # noqa: BLE001 - a raw client error escaping is the worst case
        pytest.fail(f"{type(exc).__name__} (status {getattr(exc, 'status', None)}) escaped")
    assert "is forbidden" not in str(result)  # the API server's 403 wording, passed off as a result


def student_lab(room: Classroom, i: int, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A Lab exactly as student ``i``'s JupyterLab makes it: their kubeconfig, the classroom context."""
    import kslab

    monkeypatch.setenv("KUBECONFIG", str(room.kubeconfig(i)))
    lab = kslab.connect(mode="live", context=build.STUDENT_CONTEXT)
    assert lab.live and lab.lab_context and lab.namespace == room.ns(i) and not lab.may_create_namespaces
    return lab


def _configmap(name: str, ns: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": ns}}


def test_a_student_cleans_up_in_their_namespace_and_keeps_their_access(room: Classroom,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from kslab.cluster.cleanup import clean, selector

    me = student_lab(room, 2, monkeypatch)
    ns = room.ns(2)
    me.apply([_configmap("lab03-left", ns)], lab_id="03")
    me.apply([_configmap("lab04-left", ns)], lab_id="04")
    one = clean(me, "03")  # listing across namespaces is 403: it lists in the student's namespace instead
    assert one.deleted == [f"ConfigMap/{ns}/lab03-left"], one
    every = clean(me, None)  # `kslab cluster clean --all` as the student
    assert every.deleted == [f"ConfigMap/{ns}/lab04-left"], every
    assert clean(me, None).deleted == []
    # Their own ServiceAccount and RoleBinding (the classroom's) are still there, and so is their access.
    admin = room.lab
    assert admin.read_service_account(ns, build.SERVICE_ACCOUNT).metadata.name == build.SERVICE_ACCOUNT
    assert _status_of(lambda: me.list_pods(ns)) == 200
    # The instructor's --all selects lab objects in a classroom namespace, never the classroom's own objects.
    admin.apply([_configmap("lab05-left", ns)], lab_id="05")
    try:
        cms = admin.list_config_maps(None, label_selector=selector(None))
        assert f"{ns}/lab05-left" in {f"{c.metadata.namespace}/{c.metadata.name}" for c in cms}
        for kind in ("Namespace", "ServiceAccount", "RoleBinding", "ClusterRole", "NetworkPolicy", "ResourceQuota"):
            api_version = next(o["apiVersion"] for o in build.classroom_objects(["x"]) if o["kind"] == kind)
            found = [i.metadata.name for i in admin.list_objects(api_version, kind, label_selector=selector(None))
                     if i.metadata.labels.get(build.STUDENT_LABEL) in room.students or i.metadata.name == build.COURSE_ROLE]
            assert found == [], (kind, found)
    finally:
        admin.delete_config_map(ns, "lab05-left")


def test_lab_04_runs_in_a_students_namespace(room: Classroom, monkeypatch: pytest.MonkeyPatch,
                                            tmp_path: Path) -> None:
    from kslab.cluster import identities
    from kslab.cluster.pods import nodes_ready

    monkeypatch.setenv("KSLAB_HOME", str(tmp_path))
    me = student_lab(room, 1, monkeypatch)
    ns = room.ns(1)
    assert identities.lab_namespace(me) == ns
    try:
        setup = identities.set_up(me)
        assert setup.applied == [f"ServiceAccount/{ns}/webapp", f"Role/{ns}/pod-reader",
                                 f"RoleBinding/{ns}/webapp-reads-pods"]  # its Role passed RBAC's escalation check
        assert "may not create namespaces" in setup.text()
        deployed = identities.deploy_webapp(me, wait_seconds=90 if nodes_ready(room.lab) else 1)
        assert deployed.admitted and deployed.namespace == ns, deployed
        webapp = identities.service_account_identity(me, expiration_seconds=600)
        assert webapp.namespace == ns and webapp.user.name == f"system:serviceaccount:{ns}:webapp"
        matrix = identities.access_matrix(webapp)
        assert matrix.observed is not None and not matrix.differences, matrix.text()
        probes = identities.try_requests(webapp)
        assert probes.agree(), probes.text()
        assert [r.status for r in probes.results][:2] == [200, 403]
        if deployed.pod:
            claims = identities.pod_token_claims(me, deployed)
            assert claims.subject == f"system:serviceaccount:{ns}:webapp"
    finally:
        cleaned = identities.clean_up(me)
    assert f"ServiceAccount/{ns}/webapp" in cleaned.cluster.deleted
    assert room.lab.read_service_account(ns, build.SERVICE_ACCOUNT)  # the student's own stays


def test_lab_03_runs_in_a_students_namespace(room: Classroom, monkeypatch: pytest.MonkeyPatch,
                                            webapp_image: str) -> None:
    from kslab import hack
    from kslab.cluster import pods
    from kslab.cluster.cleanup import clean
    from kslab.errors import ApiError
    from kslab.manifests.namespace import psa_labels
    from kslab.manifests.webapp import SEED_STEPS, seed_deployment, webapp_deployment, webapp_pod
    from kslab.pss.admission import OBSERVED

    me = student_lab(room, 0, monkeypatch)
    ns = room.ns(0)
    admin = room.lab
    # Pod Security: the level asked about is predicted (the student may not label a namespace), their own
    # namespace answers for real — and kslab never tried to relabel it (that would be a 403 here).
    seed_pod = webapp_pod(SEED_STEPS["all three"], host_port=3000)
    answer = pods.admission(me, seed_pod, psa_labels(enforce="restricted", warn="restricted"))
    assert isinstance(answer, pods.InYourNamespace) and answer.namespace == ns
    assert not answer.allowed and answer.predicted.source.startswith("predicted by kslab's evaluator")
    assert 'violates PodSecurity "restricted:latest": hostPort' in answer.predicted.message
    assert answer.observed.source == OBSERVED and not answer.observed.allowed
    assert 'violates PodSecurity "baseline:latest": hostPort' in answer.observed.message
    assert answer.enforced.startswith("enforce=baseline") and "kslab classroom create" in answer.enforced
    assert admin.read_namespace(ns).metadata.labels["pod-security.kubernetes.io/enforce"] == "baseline"

    # Another lab's Deployment of the same name is not replaced.
    other = webapp_deployment(image=webapp_image)
    other["metadata"]["namespace"] = ns
    admin.apply(other, lab_id="04")
    with pytest.raises(ApiError, match="already has a Deployment webapp made by lab 04"):
        hack.run(me, seed_deployment("as deployed", image=webapp_image), timeout=30)
    # A dry run of a Deployment of that name still answers (Pod Security only warns about workloads).
    workload = pods.admission(me, seed_deployment("all three"), psa_labels(enforce="restricted"))
    assert workload.observed.allowed and workload.predicted.allowed, str(workload)
    admin.delete_object("apps/v1", "Deployment", "webapp", namespace=ns)
    if not pods.nodes_ready(admin):
        pytest.skip("no node is Ready: the hack needs a running pod")
    # A pod with the webapp's labels that is not the lab's must survive the lab's redeploys.
    bystander = webapp_pod(image=webapp_image, name="bystander")
    bystander["metadata"]["namespace"] = ns
    admin.apply(bystander, lab_id="tests")
    try:
        report = hack.run(me, seed_deployment("as deployed", image=webapp_image), timeout=120)
        assert report.live and not report.disagreements, str(report)
        assert report.observed_from.startswith(f"pod {ns}/webapp-")
        assert "hostPort 3000 left out" in report.note  # baseline forbids it; the hack does not need it
        again = hack.run(me, seed_deployment("all three", image=webapp_image), timeout=120)
        assert again.works() == {"id": False, "edit-page": False, "write-tmp": False, "become-root": False}, str(again)
        refused = hack.run(me, webapp_deployment({"privileged": True}, image=webapp_image), timeout=60)
        assert not refused.live  # nothing ran: the prediction, and why
        assert 'violates PodSecurity "baseline:latest": privileged' in refused.note, str(refused)
        assert admin.read_pod(ns, "bystander").metadata.deletion_timestamp is None
    finally:
        clean(me, "03")
        admin.delete_pod(ns, "bystander", grace_period_seconds=0)


#: Just enough of Istio's PeerAuthentication CRD for the API server to serve the kind (no istiod).
PEER_AUTHENTICATION_CRD = {
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "peerauthentications.security.istio.io"},
    "spec": {"group": "security.istio.io", "scope": "Namespaced",
             "names": {"plural": "peerauthentications", "singular": "peerauthentication",
                       "kind": "PeerAuthentication", "listKind": "PeerAuthenticationList"},
             "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                 "type": "object", "x-kubernetes-preserve-unknown-fields": True}}}]}}


def test_lab_05_in_a_students_namespace(room: Classroom, monkeypatch: pytest.MonkeyPatch) -> None:
    from kslab.cluster import istio_lab

    me = student_lab(room, 1, monkeypatch)
    ns = room.ns(1)
    assert istio_lab.lab_namespaces(me) == (ns, ns)
    admin_sees = istio_lab.detect(room.lab)
    if admin_sees.istiod:
        pytest.skip("Istio is installed on this cluster: the CRD cannot be added and removed around the test")
    status = istio_lab.detect(me)
    assert not status.root_readable and "may not read istio-system" in str(status)
    if admin_sees.crds:
        pytest.skip("Istio's CRDs are installed here without istiod: not this test's to remove")
    assert not status.ready and "ask your instructor" in status.hints[0]
    assert istio_lab.without_istio(me) == f"no Istio on {me.context} yet (your instructor installs it)"
    room.lab.create(PEER_AUTHENTICATION_CRD)
    try:
        deadline = time.monotonic() + 30
        while not (status := istio_lab.detect(me)).crds and time.monotonic() < deadline:
            time.sleep(1)  # discovery follows a new CRD within seconds
        # The student cannot see istio-system: with the API served, istiod is assumed — and it says so.
        assert status.ready and status.assumed and "assumed" in str(status), str(status)
        assert status.crds_how.startswith("from API discovery")
        pa = {"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication",
              "metadata": {"name": "default", "namespace": ns}, "spec": {"mtls": {"mode": "STRICT"}}}
        me.apply(pa, lab_id=istio_lab.LAB)
        items, read = istio_lab._peer_authentications(me, ns)  # cluster-wide is 403: their namespace's, labelled
        assert [i["metadata"]["name"] for i in items] == ["default"] and "only" in read
        assert istio_lab.effective_mode(items, ns, {"app": "details"})[0] == "STRICT"
        served = {"ServiceAccount", "Service", "Deployment", "Pod", "PeerAuthentication"}  # not Istio's routing kinds
        objs = [o for o in istio_lab.into_namespace(istio_lab.lab_objects(), ns) if o["kind"] in served]
        assert {o["kind"] for o in objs} == served
        assert all(me.apply(o, lab_id=istio_lab.LAB, dry_run=True) for o in objs)  # the course role may create each one
    finally:
        room.lab.delete_object("apiextensions.k8s.io/v1", "CustomResourceDefinition",
                               PEER_AUTHENTICATION_CRD["metadata"]["name"])


def test_z_delete_removes_exactly_what_create_made(room: Classroom) -> None:
    lab = room.lab
    # Something else in the hub's namespace must survive: delete is by labels and names, not by namespace.
    lab.create_config_map(room.hub, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "keep"}})
    report = classroom.delete(lab, room.students, prefix=room.prefix, wait=90)
    deleted = set(report.deleted)
    assert {f"Namespace/{room.ns(i)}" for i in range(3)} <= deleted
    assert {f"Secret/{room.hub}/{build.secret_name(s, room.prefix)}" for s in room.students} <= deleted
    assert lab.read_config_map(room.hub, "keep").metadata.name == "keep"
    again = classroom.delete(lab, room.students, prefix=room.prefix)
    assert again.deleted == []  # idempotent
    left = [s for s in lab.list_secrets(None, label_selector=classroom.SELECTOR)
            if s.metadata.labels.get("kslab.dev/student") in room.students and s.metadata.namespace == room.hub]
    assert left == []
    if report.terminating:
        pytest.skip(f"namespaces still Terminating after 90s ({', '.join(report.terminating)}): this API server "
                    "has no namespace controller (kube-controller-manager), so their contents stay")
    st = classroom.status(lab, room.students, prefix=room.prefix)
    assert [r["state"] for r in st.rows] == ["absent"] * 3
    # The service accounts went with their namespaces, and with them every token issued for them (the API
    # server caches a successful token check for ten seconds, so give it that long).
    deadline = time.monotonic() + 30
    while (code := _status_of(lambda: room.as_student(0).list_pods(room.ns(0)))) != 401:
        assert code == 403 and time.monotonic() < deadline, code
        time.sleep(2)
    others = [n for n in lab.list_namespaces(label_selector=classroom.SELECTOR)
              if not n.metadata.deletion_timestamp]
    role_left = _status_of(lambda: lab.read(build.RBAC_V1, "ClusterRole", build.COURSE_ROLE)) == 200
    assert role_left == bool(others)  # the course role goes with the last classroom
    assert os.path.exists(room.kubeconfig(0))  # files are the instructor's to remove; the token is dead
