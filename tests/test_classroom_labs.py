"""Labs in a classroom, offline: what a namespace-scoped student identity may do and what clean-up
selects, computed from the classroom's own objects (the live side is tests/live/test_classroom_live.py)."""

from __future__ import annotations

import pytest
import yaml

from kslab import settings
from kslab.classroom import objects as build
from kslab.cluster.cleanup import selector
from kslab.rbac import Policy, may_grant
from kslab.rbac.model import Rule
from kslab.rbac.scenario import POD_READER_RULES, lab_objects
from kslab.rbac.subjects import impersonate, service_account_user


def matches(selector_text: str, labels: dict[str, str]) -> bool:
    """A label selector's meaning (equality, inequality, existence), as the API server applies it."""
    for term in selector_text.split(","):
        if "!=" in term:
            key, value = term.split("!=")
            if labels.get(key) == value:
                return False
        elif "=" in term:
            key, value = term.split("=")
            if labels.get(key) != value:
                return False
        elif term not in labels:
            return False
    return True


def test_clean_all_never_selects_a_classrooms_objects() -> None:
    every = selector(None)
    for obj in build.classroom_objects(["ada"]):
        assert not matches(every, obj["metadata"]["labels"]), obj["metadata"]["name"]
    lab_object = {**settings.MANAGED_BY, settings.LAB_LABEL: "04"}
    assert matches(every, lab_object)
    assert not matches(every, dict(settings.MANAGED_BY))  # kslab's, but no lab's: nothing cleans it blindly
    assert not matches(every, {settings.LAB_LABEL: "04"})  # a lab label without kslab's: not ours
    # One lab's clean-up still selects that lab only; a classroom is deleted by name, through its own command.
    assert matches(selector("04"), lab_object) and not matches(selector("03"), lab_object)


@pytest.fixture()
def student() -> tuple[Policy, str, object]:
    ns = build.namespace_for("ada")
    return Policy.from_objects(build.classroom_objects(["ada"])), ns, impersonate(
        service_account_user(ns, build.SERVICE_ACCOUNT))


def test_the_course_role_lets_a_student_create_lab_04s_role(student: tuple[Policy, str, object]) -> None:
    policy, ns, user = student
    rules = [Rule.from_dict(r) for r in POD_READER_RULES]
    check = may_grant(policy, user, rules, namespace=ns)  # RBAC's escalation check, as the API server runs it
    assert check.allowed, check
    # …and every other object of lab 04 in their namespace, except the Namespace itself.
    for obj in lab_objects(ns)[1:]:
        resource = {"ServiceAccount": "serviceaccounts", "Role": "roles", "RoleBinding": "rolebindings"}[obj["kind"]]
        group = "" if obj["apiVersion"] == "v1" else "rbac.authorization.k8s.io"
        assert policy.can_i(user, verb="create", resource=resource, group=group, namespace=ns).allowed
    assert not policy.can_i(user, verb="create", resource="namespaces").allowed
    # Not in anyone else's namespace.
    other = build.namespace_for("alan")
    assert not may_grant(Policy.from_objects(build.classroom_objects(["ada", "alan"])), user, rules,
                         namespace=other).allowed


def test_who_can_says_which_objects_it_was_drawn_from() -> None:
    import kslab
    from kslab.cluster.identities import cluster_policy
    from kslab.rbac.matrix import who_can

    answer = who_can(cluster_policy(kslab.connect(mode="offline")), "list", "pods", namespace="webapp-rbac")
    assert "offline: from the lab's own objects only" in answer.text()
    assert answer.rows[0].name == "webapp"
    assert "offline" not in who_can(Policy(), "list", "pods", namespace="x").text()  # no scope, no label


def test_in_a_students_namespace_the_hack_leaves_host_ports_out_and_nothing_else() -> None:
    from kslab.cluster.pods import _without_host_ports
    from kslab.manifests.webapp import seed_deployment
    from kslab.pss import evaluate

    seed = seed_deployment("all three")
    assert not evaluate(seed, "baseline").allowed  # 2019's hostPort: what a classroom's baseline refuses
    body, removed = _without_host_ports(seed)
    assert removed == [3000] and evaluate(body, "baseline").allowed
    assert seed["spec"]["template"]["spec"]["containers"][0]["ports"][0]["hostPort"] == 3000  # not changed in place
    container = body["spec"]["template"]["spec"]["containers"][0]
    assert container["securityContext"] == seed["spec"]["template"]["spec"]["containers"][0]["securityContext"]
    assert _without_host_ports(body)[1] == []


def test_pod_security_in_a_students_namespace_labels_predicted_and_observed() -> None:
    from kslab.classroom.objects import PSA_LEVELS
    from kslab.cluster.pods import InYourNamespace, _describe_labels
    from kslab.manifests.namespace import psa_labels
    from kslab.pss.admission import OBSERVED, Answer

    assert _describe_labels(psa_labels(**PSA_LEVELS)) == "enforce=baseline, audit=restricted, warn=restricted"
    assert _describe_labels(psa_labels(enforce="restricted", version="v1.30")) == "enforce=restricted (v1.30)"
    both = InYourNamespace("enforce=restricted", Answer(False, "no", (), "predicted by kslab's evaluator"),
                           "kslab-ada", "enforce=baseline; read from the namespace", Answer(True, "", (), OBSERVED))
    text = str(both)
    assert not both.allowed  # the question asked was about the restricted namespace
    assert text.index("REJECTED — predicted") < text.index("In your namespace kslab-ada") < text.index(
        f"ADMITTED — {OBSERVED}")


def test_permissions_are_checked_in_the_contexts_namespace_by_default(tmp_path, monkeypatch) -> None:
    import kslab
    from kslab.cluster.lab import Lab
    from kslab.cluster.modes import ModeChoice
    from kslab.cluster.permissions import check_permissions

    kubeconfig = tmp_path / "config"
    kubeconfig.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "class",
        "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:1"}}],
        "users": [{"name": "u", "user": {"token": "t"}}],
        "contexts": [{"name": "class", "context": {"cluster": "c", "user": "u", "namespace": "kslab-ada"}},
                     {"name": "admin", "context": {"cluster": "c", "user": "u"}}]}))
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))

    def lab(context: str) -> Lab:  # the context as chosen; offline, so nothing is asked of a cluster
        return Lab(ModeChoice("offline", context, True, "a test"))

    assert check_permissions(lab("class")).namespace == "kslab-ada"
    assert check_permissions(lab("admin")).namespace == "default"
    assert check_permissions(lab("class"), namespace="x").namespace == "x"
    assert check_permissions(kslab.connect(mode="offline")).namespace == "default"
