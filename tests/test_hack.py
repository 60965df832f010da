"""The hack model: each security-context setting stops the step it should, and nothing else."""

from __future__ import annotations

import pytest

from kslab import hack
from kslab.cluster.connect import connect
from kslab.manifests.webapp import RESTRICTED_CONTEXT, SEED_STEPS, seed_deployment, webapp_deployment, webapp_pod
from kslab.pss.admission import PREDICTED, answer

# step of the seed -> does each hack step work? (id = root, edit page, write /tmp, become root)
EXPECTED = {
    "as deployed": {"id": True, "edit-page": True, "write-tmp": True, "become-root": True},
    "runAsUser": {"id": False, "edit-page": False, "write-tmp": True, "become-root": True},
    "readOnlyRootFilesystem": {"id": True, "edit-page": False, "write-tmp": False, "become-root": True},
    "allowPrivilegeEscalation": {"id": True, "edit-page": True, "write-tmp": True, "become-root": True},
    "all three": {"id": False, "edit-page": False, "write-tmp": False, "become-root": False},
}


@pytest.mark.parametrize("step", list(SEED_STEPS))
def test_seed_sequence(step: str) -> None:
    assert hack.predict(seed_deployment(step)).works() == EXPECTED[step]


def test_why_names_the_setting_that_stopped_it() -> None:
    report = hack.predict(seed_deployment("all three"))
    why = {r.step.id: r.predicted.why for r in report.rows}
    assert "readOnlyRootFilesystem" in why["edit-page"] and "no volume on /tmp" in why["write-tmp"]
    assert "no_new_privs" in why["become-root"]
    assert [r.predicted.shown for r in report.rows][0] == "uid=1000(webapp)"


def test_allow_privilege_escalation_false_alone_does_not_stop_root() -> None:
    # Already root: there is nothing to escalate, the setting only matters for non-root users.
    report = hack.predict(seed_deployment("allowPrivilegeEscalation"))
    assert report.rows[3].predicted.why == "already root: nothing to escalate"


def test_restricted_webapp_with_tmp_volume() -> None:
    works = hack.predict(webapp_deployment(RESTRICTED_CONTEXT, tmp_volume=True)).works()
    assert works == {"id": False, "edit-page": False, "write-tmp": True, "become-root": False}


def test_pod_level_settings_apply_to_the_container() -> None:
    obj = webapp_pod(pod_security_context={"runAsUser": 2000})
    assert hack.predict(obj).rows[0].predicted.shown == "uid=2000"
    obj = webapp_pod({"runAsUser": 3000}, pod_security_context={"runAsUser": 2000})
    assert hack.predict(obj).rows[0].predicted.shown == "uid=3000"


@pytest.mark.parametrize("context, pod_context, words", [
    ({"runAsNonRoot": True}, None, "container has runAsNonRoot and image will run as root"),
    (None, {"runAsNonRoot": True, "runAsUser": 0}, "container's runAsUser breaks non-root policy"),
    ({"privileged": True, "allowPrivilegeEscalation": False}, None,
     "cannot set `allowPrivilegeEscalation` to false and `privileged` to true"),  # the API server's words
    ({"allowPrivilegeEscalation": False, "capabilities": {"add": ["CAP_SYS_ADMIN"]}}, None, "CAP_SYS_ADMIN"),
])
def test_containers_that_would_never_run(context: dict | None, pod_context: dict | None, words: str) -> None:
    report = hack.predict(webapp_pod(context, pod_security_context=pod_context))
    assert all(r.predicted.works is None for r in report.rows)
    assert words in report.rows[0].predicted.why
    assert hack.predict(webapp_pod({"runAsNonRoot": True, "runAsUser": 1000})).rows[0].predicted.works is False


@pytest.mark.parametrize("step_id, rc, out, err, works, shown", [
    ("id", 0, "uid=0(root) gid=0(root) groups=0(root),1(bin)\n", "", True, "uid=0(root)"),
    ("id", 0, "uid=1000(webapp) gid=1000(webapp)\n", "", False, "uid=1000(webapp)"),
    ("edit-page", 1, "", "sh: can't create /www/index.html: Permission denied\n", False, "Permission denied"),
    ("edit-page", 1, "", "sh: can't create /www/index.html: Read-only file system\n", False, "Read-only file system"),
    ("write-tmp", 0, "", "", True, "ok"),
    ("become-root", 0, "0\n", "", True, "uid=0(root)"),
    ("become-root", 1, "", "become-root: cannot become root: Operation not permitted\n", False,
     "cannot become root: Operation not permitted"),
])
def test_observed_outputs_are_read(step_id: str, rc: int, out: str, err: str, works: bool, shown: str) -> None:
    step = next(s for s in hack.STEPS if s.id == step_id)
    outcome = hack.observe_step(step, rc, out, err)
    assert (outcome.works, outcome.shown) == (works, shown)


def test_disagreements_are_flagged() -> None:
    predicted = hack.predict(seed_deployment("runAsUser"))
    observed = [hack.StepOutcome(False, "uid=1000(webapp)"), hack.StepOutcome(True, "ok"),  # page edit: model said no
                hack.StepOutcome(True, "ok"), hack.StepOutcome(True, "uid=0(root)")]
    report = hack.HackReport(tuple(hack.StepRow(r.step, r.predicted, o) for r, o in zip(predicted.rows, observed)),
                             predicted.context, observed_from="pod x")
    assert [r.step.id for r in report.disagreements] == ["edit-page"]
    assert "DISAGREEMENT on edit the served page" in str(report)
    assert "NO ≠" in report.table()


def test_offline_run_is_labelled_a_prediction(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KSLAB_SANDBOX", "off")  # no local sandbox: the prediction (tests/test_sandbox_run.py: with one)
    report = hack.run(connect(mode="offline"), seed_deployment("as deployed"))
    assert not report.live and str(report).splitlines()[-1].startswith("PREDICTED (offline")
    assert "observed" not in report.table().splitlines()[0]
    assert "turned off by KSLAB_SANDBOX=off" in str(report)


def test_admission_answer_for_pods_and_workloads() -> None:
    labels = {"pod-security.kubernetes.io/enforce": "restricted"}
    pod = seed_deployment("all three")["spec"]["template"]
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "webapp"}, "spec": pod["spec"]}
    rejected = answer(pod, labels)
    assert not rejected.allowed and rejected.source == PREDICTED
    assert rejected.message.startswith('pods "webapp" is forbidden: violates PodSecurity "restricted:latest": '
                                       'hostPort (container "webapp" uses hostPort 3000), ')
    warned = answer(seed_deployment("all three"), labels)
    assert warned.allowed and warned.warnings[0].startswith('would violate PodSecurity "restricted:latest": hostPort')
    assert answer(webapp_pod(RESTRICTED_CONTEXT), labels).allowed
    assert answer(pod, {}).allowed and answer(pod, {}).warnings == ()
