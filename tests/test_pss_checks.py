"""Wording, ordering and version boundaries of each Pod Security check, as the API server has them.

The expected strings are the API server's (upstream policy/check_*_test.go and real rejections);
the pods are our own.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import pytest

from kslab.errors import InputError, UsageError
from kslab.pss import Verdict, Violation, evaluate, evaluate_pod, namespace_policy, parse_version
from kslab.pss.checks import ALL_CHECKS
from kslab.pss.registry import NEWEST_MINOR, checks_for, validate

RESTRICTED_SC = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}


def pod(*containers: dict[str, Any], init: tuple = (), ephemeral: tuple = (), name: str = "p",
        annotations: dict | None = None, **spec: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"containers": list(containers)}
    if init:
        body["initContainers"] = list(init)
    if ephemeral:
        body["ephemeralContainers"] = list(ephemeral)
    body.update(spec)
    meta: dict[str, Any] = {"name": name}
    if annotations:
        meta["annotations"] = annotations
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": body}


def c(name: str, **fields: Any) -> dict[str, Any]:
    return {"name": name, "image": "registry.local/x", **fields}


def good(name: str, **sc: Any) -> dict[str, Any]:
    """A container that passes restricted on its own (with the pod-level settings of `restricted_pod`)."""
    return c(name, securityContext={**copy.deepcopy(RESTRICTED_SC), **sc})


def restricted_pod(*containers: dict[str, Any], **spec: Any) -> dict[str, Any]:
    psc = {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}, **spec.pop("securityContext", {})}
    return pod(*containers, securityContext=psc, **spec)


def messages(obj: dict, level: str = "restricted", version: str = "latest") -> list[str]:
    return [v.message for v in evaluate(obj, level, version).violations]


# ---- the registry is consistent data ---------------------------------------------------------------

def test_every_check_registered_once_and_valid() -> None:
    validate(ALL_CHECKS)
    assert len({c.id for c in ALL_CHECKS}) == 19
    bad = ALL_CHECKS + (ALL_CHECKS[0],)
    with pytest.raises(ValueError, match="two checks"):
        validate(bad)


def test_order_baseline_sorted_then_restricted_sorted() -> None:
    ids = [i for i, _ in checks_for("restricted", NEWEST_MINOR)]
    assert ids == ["appArmorProfile", "hostNamespaces", "hostPorts", "hostProbesAndHostLifecycle", "privileged",
                   "seLinuxOptions", "sysctls", "windowsHostProcess", "allowPrivilegeEscalation",
                   "capabilities_restricted", "procMount_restricted", "restrictedVolumes", "runAsNonRoot",
                   "runAsUser", "seccompProfile_restricted"]
    assert [i for i, _ in checks_for("privileged", 30)] == []


@pytest.mark.parametrize("minor, present, absent", [
    (0, {"seccompProfile_baseline", "capabilities_baseline", "procMount", "runAsNonRoot"},
     {"allowPrivilegeEscalation", "runAsUser", "capabilities_restricted"}),
    (7, set(), {"allowPrivilegeEscalation"}),
    (8, {"allowPrivilegeEscalation"}, set()),
    (18, {"seccompProfile_baseline"}, {"seccompProfile_restricted"}),
    (19, {"seccompProfile_restricted"}, {"seccompProfile_baseline"}),
    (21, {"capabilities_baseline"}, {"capabilities_restricted"}),
    (22, {"capabilities_restricted"}, {"capabilities_baseline", "runAsUser"}),
    (23, {"runAsUser"}, set()),
    (33, set(), {"hostProbesAndHostLifecycle"}),
    (34, {"hostProbesAndHostLifecycle", "procMount"}, {"procMount_restricted"}),
    (35, {"procMount_restricted"}, {"procMount", "hostPathVolumes"}),
])
def test_restricted_checks_per_version(minor: int, present: set, absent: set) -> None:
    ids = {i for i, _ in checks_for("restricted", minor)}
    assert present <= ids
    assert not (absent & ids)


# ---- aggregation and the API server's sentence -------------------------------------------------------

def test_message_aggregates_in_order_with_details() -> None:
    obj = pod(c("webapp", ports=[{"containerPort": 3000, "hostPort": 3000}]), name="webapp")
    verdict = evaluate(obj)
    assert verdict.message() == (
        'violates PodSecurity "restricted:latest": hostPort (container "webapp" uses hostPort 3000), '
        'allowPrivilegeEscalation != false (container "webapp" must set securityContext.allowPrivilegeEscalation=false), '
        'unrestricted capabilities (container "webapp" must set securityContext.capabilities.drop=["ALL"]), '
        'runAsNonRoot != true (pod or container "webapp" must set securityContext.runAsNonRoot=true), '
        'seccompProfile (pod or container "webapp" must set securityContext.seccompProfile.type to '
        '"RuntimeDefault" or "Localhost")')
    assert verdict.forbidden().startswith('pods "webapp" is forbidden: violates PodSecurity "restricted:latest": ')
    assert verdict.warning().startswith('would violate PodSecurity "restricted:latest": hostPort')
    assert evaluate(obj, "baseline", "v1.24").message() == \
        'violates PodSecurity "baseline:v1.24": hostPort (container "webapp" uses hostPort 3000)'


def test_version_label_is_kept_as_asked_even_past_the_newest() -> None:
    verdict = evaluate(pod(c("a")), "restricted", "v1.99")
    assert str(verdict.policy) == "restricted:v1.99"
    assert verdict.checks == evaluate(pod(c("a"))).checks


def test_pluralisation_and_visitor_order() -> None:
    obj = pod(c("b"), c("c"), init=(c("a"),), ephemeral=(c("d"),))
    msgs = messages(obj)
    assert msgs[0] == ('allowPrivilegeEscalation != false (containers "a", "b", "c", "d" must set '
                       'securityContext.allowPrivilegeEscalation=false)')


# ---- each check's wording ---------------------------------------------------------------------------

@pytest.mark.parametrize("obj, level, expected", [
    (pod(c("a"), hostNetwork=True, hostPID=True, hostIPC=True), "baseline",
     "host namespaces (hostNetwork=true, hostPID=true, hostIPC=true)"),
    (pod(c("a", ports=[{"containerPort": 1}]), c("b", ports=[{"containerPort": 2, "hostPort": 20}])), "baseline",
     'hostPort (container "b" uses hostPort 20)'),
    (pod(c("a"), c("b", ports=[{"hostPort": 10, "containerPort": 10}, {"hostPort": 9, "containerPort": 9}]),
         c("c", ports=[{"hostPort": 30, "containerPort": 30}])), "baseline",
     'hostPort (containers "b", "c" use hostPorts 10, 30, 9)'),
    (pod(c("d", securityContext={"privileged": True}), c("e", securityContext={"privileged": True}),
         c("f", securityContext={"privileged": False})), "baseline",
     'privileged (containers "d", "e" must not set securityContext.privileged=true)'),
    (pod(c("a", securityContext={"capabilities": {"add": ["FOO", "CHOWN"]}}),
         c("b", securityContext={"capabilities": {"add": ["BAZ", "BAR"]}})), "baseline",
     'non-default capabilities (containers "a", "b" must not include "BAR", "BAZ", "FOO" in '
     'securityContext.capabilities.add)'),
    (pod(c("a"), volumes=[{"name": "a", "hostPath": {"path": "/"}}, {"name": "e", "emptyDir": {}},
                          {"name": "b", "hostPath": {"path": "/x"}}]), "baseline",
     'hostPath volumes (volumes "a", "b")'),
    (pod(c("a"), securityContext={"sysctls": [{"name": "kernel.msgmax", "value": "1"},
                                              {"name": "net.ipv4.tcp_syncookies", "value": "1"},
                                              {"name": "a.b", "value": "1"}]}), "baseline",
     "forbidden sysctls (kernel.msgmax, a.b)"),
    (pod(c("d", securityContext={"procMount": "Unmasked"}), c("e", securityContext={"procMount": "other"})),
     "baseline", 'procMount (containers "d", "e" must not set securityContext.procMount to "Unmasked", "other")'),
    (pod(c("a"), securityContext={"seLinuxOptions": {"type": "foo", "user": "u", "role": "r", "level": "s0"}}),
     "baseline", 'seLinuxOptions (pod set forbidden securityContext.seLinuxOptions: type "foo"; '
                 'user may not be set; role may not be set)'),
    (pod(c("e", securityContext={"seLinuxOptions": {"type": "bar"}}), c("f", securityContext={"seLinuxOptions":
         {"user": "x"}}), securityContext={"seLinuxOptions": {"type": "foo", "role": "r"}}), "baseline",
     'seLinuxOptions (pod and containers "e", "f" set forbidden securityContext.seLinuxOptions: '
     'types "bar", "foo"; user may not be set; role may not be set)'),
    (pod(c("c", securityContext={"seccompProfile": {"type": "Unconfined"}}),
         securityContext={"seccompProfile": {"type": "Unconfined"}}), "baseline",
     'seccompProfile (pod and container "c" must not set securityContext.seccompProfile.type to "Unconfined")'),
    (pod(c("e", securityContext={"windowsOptions": {"hostProcess": True}}),
         c("f", securityContext={"windowsOptions": {"hostProcess": True}}),
         securityContext={"windowsOptions": {"hostProcess": True}}), "baseline",
     'hostProcess (pod and containers "e", "f" must not set securityContext.windowsOptions.hostProcess=true)'),
    (pod(c("a", securityContext={"appArmorProfile": {"type": "Unconfined"}}),
         securityContext={"appArmorProfile": {"type": "Unconfined"}}), "baseline",
     'forbidden AppArmor profile (pod and container "a" must not set AppArmor profile type to "Unconfined")'),
    (pod(c("a", readinessProbe={"httpGet": {"host": "b.com", "port": 80}}),
         c("z", livenessProbe={"tcpSocket": {"host": "a.com", "port": 80}}),
         init=(c("y", lifecycle={"preStop": {"httpGet": {"host": "a.com", "port": 1}}}),)), "baseline",
     'probe or lifecycle host (containers "a", "y", "z" use probe or lifecycle hosts "a.com", "b.com")'),
])
def test_baseline_wording(obj: dict, level: str, expected: str) -> None:
    assert messages(obj, level) == [expected]


def test_apparmor_annotations_are_sorted_and_go_quoted() -> None:
    # A pod template (no create-time annotation sync): only the annotations are judged.
    deploy = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
              "spec": {"template": {"metadata": {"annotations": {
                  "container.apparmor.security.beta.kubernetes.io/b": "unconfined",
                  "container.apparmor.security.beta.kubernetes.io/a": "bad\"q",
                  "container.apparmor.security.beta.kubernetes.io/c": "localhost/ok"}},
                  "spec": {"containers": [c("a"), c("b"), c("c")]}}}}
    assert messages(deploy, "baseline") == [
        'forbidden AppArmor profiles (annotations must not set AppArmor profile type to '
        '"container.apparmor.security.beta.kubernetes.io/a="bad\\"q"", '
        '"container.apparmor.security.beta.kubernetes.io/b="unconfined"")']


def test_pod_apparmor_annotation_is_synced_to_the_field_on_create() -> None:
    obj = pod(c("container1"), annotations={"container.apparmor.security.beta.kubernetes.io/container1": "unconfined"})
    assert messages(obj, "baseline") == [
        'forbidden AppArmor profiles (container "container1" and annotation must not set AppArmor profile type to '
        '"Unconfined", "container.apparmor.security.beta.kubernetes.io/container1="unconfined"")']
    raw = evaluate(obj, "baseline", api_defaults=False).violations[0].message
    assert raw.startswith("forbidden AppArmor profile (annotation must not set")


def test_apparmor_sync_touches_only_the_annotated_containers() -> None:
    # Each container gets the profile of the annotation with its own name, in every container list;
    # a field already set wins, and a profile equal to the pod's is not copied down.
    prefix = "container.apparmor.security.beta.kubernetes.io/"
    obj = pod(c("plain"), c("app"), c("own", securityContext={"appArmorProfile": {"type": "RuntimeDefault"}}),
              init=(c("init"),), ephemeral=(c("debug"),),
              annotations={prefix + "app": "unconfined", prefix + "init": "unconfined", prefix + "own": "unconfined",
                           prefix + "debug": "unconfined", prefix + "gone": "unconfined"})
    bad = ", ".join(f'"{prefix}{name}="unconfined""' for name in ("app", "debug", "gone", "init", "own"))
    assert messages(obj, "baseline") == [
        'forbidden AppArmor profiles (containers "init", "app", "debug" and annotations must not set AppArmor '
        f'profile type to "Unconfined", {bad})']
    same_as_pod = pod(c("app"), securityContext={"appArmorProfile": {"type": "Unconfined"}},
                      annotations={prefix + "app": "unconfined"})
    assert messages(same_as_pod, "baseline")[0].startswith("forbidden AppArmor profiles (pod and annotation must")


def test_seccomp_annotations_before_1_19() -> None:
    obj = pod(c("a"), c("b"), c("c"), annotations={
        "seccomp.security.alpha.kubernetes.io/pod": "unconfined",
        "container.seccomp.security.alpha.kubernetes.io/a": "unconfined",
        "container.seccomp.security.alpha.kubernetes.io/b": "unknown",
        "container.seccomp.security.alpha.kubernetes.io/c": "docker/default"})
    expected = ('seccompProfile (forbidden annotations container.seccomp.security.alpha.kubernetes.io/a="unconfined", '
                'container.seccomp.security.alpha.kubernetes.io/b="unknown", '
                'seccomp.security.alpha.kubernetes.io/pod="unconfined")')
    assert messages(obj, "baseline", "v1.18") == [expected]
    assert messages(obj, "baseline", "v1.19") == []  # annotations are no longer read
    # At restricted v1.18 the baseline annotation check still runs; v1.19 replaces it.
    assert expected in messages(obj, "restricted", "v1.18")


@pytest.mark.parametrize("containers, expected", [
    ((c("a"),), 'unrestricted capabilities (container "a" must set securityContext.capabilities.drop=["ALL"])'),
    ((c("a", securityContext={"capabilities": {"add": ["FOO", "BAR"]}}),
      c("b", securityContext={"capabilities": {"drop": ["all"], "add": ["BAZ", "FOO"]}}),
      c("c", securityContext={"capabilities": {"drop": ["ALL"], "add": ["CHOWN", "NET_BIND_SERVICE"]}})),
     'unrestricted capabilities (containers "a", "b" must set securityContext.capabilities.drop=["ALL"]; '
     'containers "a", "b", "c" must not include "BAR", "BAZ", "CHOWN", "FOO" in securityContext.capabilities.add)'),
])
def test_capabilities_restricted_wording(containers: tuple, expected: str) -> None:
    verdict = evaluate(pod(*containers))
    assert expected in [v.message for v in verdict.violations]


def test_run_as_non_root_and_run_as_user_wording() -> None:
    obj = restricted_pod(good("a"), good("b"), good("c", runAsNonRoot=False, runAsUser=0),
                         good("d", runAsNonRoot=False, runAsUser=0),
                         securityContext={"runAsNonRoot": False, "runAsUser": 0})
    assert messages(obj) == [
        'runAsNonRoot != true (pod and containers "c", "d" must not set securityContext.runAsNonRoot=false)',
        'runAsUser=0 (pod and containers "c", "d" must not set runAsUser=0)']
    only_user = restricted_pod(good("a", runAsUser=1000))
    assert evaluate(only_user).allowed
    no_flag = pod(good("a", runAsUser=1000), good("b", runAsUser=1000), securityContext={
        "seccompProfile": {"type": "RuntimeDefault"}})
    assert messages(no_flag) == [
        'runAsNonRoot != true (pod or containers "a", "b" must set securityContext.runAsNonRoot=true)']


def test_restricted_volumes_wording_and_unknown_type() -> None:
    obj = restricted_pod(good("a"), volumes=[
        {"name": "a", "hostPath": {"path": "/"}}, {"name": "b", "nfs": {"server": "x", "path": "/"}},
        {"name": "c", "configMap": {"name": "x"}}, {"name": "d", "hostPath": {"path": "/d"}}])
    assert messages(obj) == ['restricted volume types (volumes "a", "b", "d" use restricted volume types '
                             '"hostPath", "nfs")']
    no_source = restricted_pod(good("a"), volumes=[{"name": "implicit"}])
    assert evaluate(no_source).allowed  # defaulted to emptyDir, as the API server does
    assert messages(no_source, "restricted") == []
    assert evaluate(no_source, api_defaults=False).violations[0].message == \
        'restricted volume types (volume "implicit" uses restricted volume type "unknown")'


def test_seccomp_restricted_wording() -> None:
    obj = pod(good("a"), good("b", seccompProfile={"type": "Localhost", "localhostProfile": "x"}), good("c"),
              securityContext={"runAsNonRoot": True})
    assert messages(obj) == ['seccompProfile (pod or containers "a", "c" must set securityContext.seccompProfile.type '
                             'to "RuntimeDefault" or "Localhost")']


# ---- version boundaries and relaxations ---------------------------------------------------------------

def test_host_probes_only_from_1_34() -> None:
    obj = pod(c("a", startupProbe={"httpGet": {"host": "127.0.0.1", "port": 80}}))
    assert messages(obj, "baseline", "v1.33") == []
    assert messages(obj, "baseline", "v1.34") == ['probe or lifecycle host (container "a" uses probe or lifecycle '
                                                  'host "127.0.0.1")']


def test_run_as_user_only_from_1_23() -> None:
    obj = restricted_pod(good("a", runAsUser=0))
    assert messages(obj, "restricted", "v1.22") == []
    assert messages(obj, "restricted", "v1.23") == ['runAsUser=0 (container "a" must not set runAsUser=0)']


@pytest.mark.parametrize("sysctl, first_minor", [
    ("kernel.shm_rmid_forced", 0), ("net.ipv4.ip_local_reserved_ports", 27), ("net.ipv4.tcp_fin_timeout", 29),
    ("net.ipv4.tcp_wmem", 32), ("net.ipv4.tcp_notsent_lowat", 37), ("kernel.msgmax", None)])
def test_sysctl_allow_list_per_version(sysctl: str, first_minor: int | None) -> None:
    obj = pod(c("a"), securityContext={"sysctls": [{"name": sysctl, "value": "1"}]})
    for minor in range(0, NEWEST_MINOR + 1):
        allowed = first_minor is not None and minor >= first_minor
        assert evaluate(obj, "baseline", f"v1.{minor}").allowed is allowed, minor


def test_selinux_container_engine_t_from_1_31() -> None:
    obj = pod(c("a", securityContext={"seLinuxOptions": {"type": "container_engine_t"}}))
    assert not evaluate(obj, "baseline", "v1.30").allowed
    assert evaluate(obj, "baseline", "v1.31").allowed


def test_windows_relaxations_from_1_25() -> None:
    obj = pod(c("a"), os={"name": "windows"}, securityContext={"runAsNonRoot": True})
    assert evaluate(obj, "restricted", "v1.24").checks == ["allowPrivilegeEscalation", "capabilities_restricted",
                                                           "seccompProfile_restricted"]
    assert evaluate(obj, "restricted", "v1.25").allowed
    linux = pod(c("a"), os={"name": "linux"}, securityContext={"runAsNonRoot": True})
    assert not evaluate(linux, "restricted", "v1.25").allowed


def test_host_users_false_relaxes_from_1_35_but_not_proc_mount_at_restricted() -> None:
    obj = pod(good("a", runAsUser=0, procMount="Unmasked"), hostUsers=False,
              securityContext={"seccompProfile": {"type": "RuntimeDefault"}})
    assert evaluate(obj, "restricted", "v1.34").checks == ["procMount", "runAsNonRoot", "runAsUser"]
    assert evaluate(obj, "restricted", "v1.35").checks == ["procMount_restricted"]
    assert evaluate(obj, "baseline", "v1.35").allowed
    assert not evaluate(obj, "baseline", "v1.34").allowed
    assert not evaluate(obj | {"spec": {**obj["spec"], "hostUsers": True}}, "baseline", "v1.35").allowed


def test_ephemeral_containers_are_checked() -> None:
    obj = restricted_pod(good("a"), ephemeral=({"name": "debug", "image": "busybox",
                                                 "securityContext": {"privileged": True}},))
    assert "privileged" in evaluate(obj).checks
    assert 'container "debug" must set securityContext.allowPrivilegeEscalation=false' in evaluate(obj).detail()


@pytest.mark.parametrize("where", ["init", "containers", "ephemeral"])
@pytest.mark.parametrize("field, value, check", [
    ("privileged", True, "privileged"), ("allowPrivilegeEscalation", True, "allowPrivilegeEscalation"),
    ("capabilities", {"drop": ["ALL"], "add": ["SYS_ADMIN"]}, "capabilities_restricted"),
    ("procMount", "Unmasked", "procMount_restricted"), ("runAsNonRoot", False, "runAsNonRoot"),
    ("runAsUser", 0, "runAsUser"), ("seccompProfile", {"type": "Unconfined"}, "seccompProfile_restricted"),
    ("appArmorProfile", {"type": "Unconfined"}, "appArmorProfile"),
    ("seLinuxOptions", {"type": "spc_t"}, "seLinuxOptions"),
    ("windowsOptions", {"hostProcess": True}, "windowsHostProcess"),
])
def test_one_field_of_one_container_decides(where: str, field: str, value: Any, check: str) -> None:
    # Each container's name and securityContext are looked up once per pod: two pods that differ in one
    # field of one container (of any kind) must differ in exactly that check, naming that container.
    def judged(bad: bool) -> Verdict:
        odd = good("odd", **({field: value} if bad else {}))
        lists: dict[str, tuple] = {"init": (good("i"),), "containers": (good("a"), good("b")), "ephemeral": ()}
        lists[where] = (*lists[where][:1], odd, *lists[where][1:])
        return evaluate(restricted_pod(*lists["containers"], init=lists["init"], ephemeral=lists["ephemeral"]))

    assert judged(False).allowed
    verdict = judged(True)
    assert verdict.checks == [check]
    assert '"odd"' in verdict.detail() and not any(f'"{n}"' in verdict.detail() for n in ("i", "a", "b"))


def test_host_network_pod_gets_host_ports_but_template_does_not() -> None:
    obj = pod(c("a", ports=[{"containerPort": 8080}]), hostNetwork=True)
    assert messages(obj, "baseline") == ["host namespaces (hostNetwork=true)",
                                         'hostPort (container "a" uses hostPort 8080)']
    deploy = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
              "spec": {"template": {"spec": obj["spec"]}}}
    assert messages(deploy, "baseline") == ["host namespaces (hostNetwork=true)"]


def test_defaults_never_change_the_input() -> None:
    obj = pod(c("a", ports=[{"containerPort": 1}]), hostNetwork=True, volumes=[{"name": "v"}],
              annotations={"container.apparmor.security.beta.kubernetes.io/a": "unconfined"})
    before = copy.deepcopy(obj)
    evaluate(obj, "baseline")
    assert obj == before


# ---- workloads, levels, versions, bad input ------------------------------------------------------------

@pytest.mark.parametrize("api_version, kind, wrap", [
    ("v1", "PodTemplate", lambda t: {"template": t}),
    ("v1", "ReplicationController", lambda t: {"spec": {"template": t}}),
    ("apps/v1", "ReplicaSet", lambda t: {"spec": {"template": t}}),
    ("apps/v1", "Deployment", lambda t: {"spec": {"template": t}}),
    ("apps/v1", "StatefulSet", lambda t: {"spec": {"template": t}}),
    ("apps/v1", "DaemonSet", lambda t: {"spec": {"template": t}}),
    ("batch/v1", "Job", lambda t: {"spec": {"template": t}}),
    ("batch/v1", "CronJob", lambda t: {"spec": {"jobTemplate": {"spec": {"template": t}}}}),
])
def test_every_workload_kind_is_judged_by_its_template(api_version: str, kind: str, wrap: Any) -> None:
    template = {"metadata": {"labels": {"app": "x"}}, "spec": {"containers": [c("a", securityContext={
        "privileged": True})]}}
    obj = {"apiVersion": api_version, "kind": kind, "metadata": {"name": "w"}, **wrap(template)}
    verdict = evaluate(obj, "baseline")
    assert (verdict.kind, verdict.name, verdict.checks) == (kind, "w", ["privileged"])


def test_not_a_pod_and_custom_job_are_refused() -> None:
    with pytest.raises(InputError, match="not a pod or pod template"):
        evaluate({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}})
    with pytest.raises(InputError, match="not a pod or pod template"):
        evaluate({"apiVersion": "batch.volcano.sh/v1alpha1", "kind": "Job", "metadata": {"name": "j"}})


@pytest.mark.parametrize("spec", [{"containers": "web"}, {"containers": [{"name": "a", "securityContext": "x"}]},
                                  {"containers": [{"name": "a", "ports": [3000]}]}, {"volumes": {"a": 1}}])
def test_wrong_field_types_are_one_line_input_errors(spec: dict) -> None:
    with pytest.raises(InputError, match="not a valid pod spec"):
        evaluate({"kind": "Pod", "metadata": {"name": "bad"}, "spec": spec})


def test_a_container_that_is_not_a_mapping_fails_where_a_check_reads_it() -> None:
    # Container contexts are looked up once per pod; a malformed container must still be reported as
    # the checks meet it: after the pod-level context the first check reads, and not at all when no check runs.
    def error(spec: dict, level: str = "baseline") -> str:
        with pytest.raises(InputError) as caught:
            evaluate({"kind": "Pod", "metadata": {"name": "bad"}, "spec": spec}, level)
        return str(caught.value)

    assert "(AttributeError: 'list' object has no attribute 'get')" in error(
        {"securityContext": ["x"], "containers": ["web"]})
    assert "(AttributeError: 'list' object has no attribute 'get')" in error(
        {"containers": [{"name": "a", "securityContext": {"appArmorProfile": ["x"]}}, 5]}, "restricted")
    assert "(AttributeError: 'str' object has no attribute 'get')" in error({"containers": [{"name": "a"}, "web"]})
    assert evaluate({"kind": "Pod", "spec": {"containers": ["web"]}}, "privileged").allowed


def test_verdicts_stay_frozen_values() -> None:
    # Violation and Verdict write their instance dicts directly (not field by field): still frozen dataclasses.
    verdict = evaluate(pod(c("a", securityContext={"privileged": True})), "baseline")
    violation = verdict.violations[0]
    assert violation == Violation("privileged", violation.reason, violation.detail) != Violation("privileged", "x")
    assert Violation("a", "b") == Violation("a", "b", "") and len({violation, dataclasses.replace(violation)}) == 1
    assert [f.name for f in dataclasses.fields(Verdict)] == ["policy", "violations", "kind", "name", "notes"]
    assert dataclasses.replace(verdict, notes=("n",)) == verdict and dataclasses.asdict(violation)["check"] == "privileged"
    with pytest.raises(dataclasses.FrozenInstanceError):
        verdict.name = "other"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        violation.detail = "other"  # type: ignore[misc]


def test_levels_and_versions() -> None:
    assert evaluate(pod(c("a", securityContext={"privileged": True})), "privileged").allowed
    with pytest.raises(UsageError):
        evaluate(pod(c("a")), "strict")
    for bad in ("1.25", "v1.025", "v2.0", "v1", "newest", ""):
        with pytest.raises(UsageError):
            parse_version(bad)
    assert str(parse_version("v1.0")) == "v1.0"
    assert evaluate_pod({}, {"containers": [c("a")]}, "restricted", "v1.0")[0].check == "runAsNonRoot"


def test_emulation_version_caps_latest() -> None:
    obj = pod(c("a"), securityContext={"sysctls": [{"name": "net.ipv4.tcp_wmem", "value": "1"}]})
    assert evaluate(obj, "baseline").allowed
    verdict = evaluate(obj, "baseline", emulation_version="v1.31")
    assert not verdict.allowed and str(verdict.policy) == "baseline:latest"


def test_namespace_policy_follows_the_api_server() -> None:
    p = namespace_policy({"pod-security.kubernetes.io/enforce": "baseline",
                          "pod-security.kubernetes.io/audit": "restricted"})
    assert (str(p.enforce), str(p.audit), str(p.warn)) == ("baseline:latest", "restricted:latest", "baseline:latest")
    p = namespace_policy({"pod-security.kubernetes.io/enforce": "bogus", "pod-security.kubernetes.io/warn": "bogus"})
    assert (p.enforce.level, p.warn.level, len(p.errors)) == ("restricted", "privileged", 2)
    assert str(namespace_policy({}).enforce) == "privileged:latest"
