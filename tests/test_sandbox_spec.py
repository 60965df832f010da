"""The securityContext → OCI config.json translation, field by field, as the kubelet and containerd do it.

Pure: nothing runs, so these hold on any machine. tests/test_sandbox_run.py runs the result for real."""

from __future__ import annotations

from typing import Any

import pytest

from kslab import hack
from kslab.errors import InputError
from kslab.manifests.webapp import RESTRICTED_CONTEXT, webapp_deployment, webapp_pod
from kslab.sandbox import defaults, seccomp
from kslab.sandbox.security import SandboxRefused, effective, refusal, sandbox_problems
from kslab.sandbox.session import prepare
from kslab.sandbox.spec import IMAGE, BundlePaths, HostFacts, ImageConfig, oci_spec

HOST = HostFacts(arch="x86_64", kernel=(6, 1), cgroup_v2=False)
FILES = {"/etc/hosts": "/b/pod/etc_hosts", "/dev/termination-log": "/b/pod/dev_termination-log",
         "/etc/hostname": "/b/pod/etc_hostname", "/etc/resolv.conf": "/b/pod/etc_resolv.conf"}


def spec(context: dict[str, Any] | None = None, *, pod: dict[str, Any] | None = None, tmp_volume: bool = False,
         image: ImageConfig = IMAGE, host: HostFacts = HOST) -> dict[str, Any]:
    obj = webapp_pod(context, pod_security_context=pod, tmp_volume=tmp_volume)
    return oci_spec(effective(obj), image, host, BundlePaths("/b/rootfs", FILES))


def mount(s: dict[str, Any], target: str) -> dict[str, Any]:
    return next(m for m in s["mounts"] if m["destination"] == target)


# --- user and groups -------------------------------------------------------------------------------------

def test_the_image_default_user_is_root() -> None:
    assert spec()["process"]["user"] == {"uid": 0, "gid": 0, "additionalGids": [0]}


def test_run_as_user_takes_its_group_from_the_image_passwd() -> None:
    assert spec({"runAsUser": 1000})["process"]["user"] == {"uid": 1000, "gid": 1000, "additionalGids": [1000]}


def test_a_uid_the_image_does_not_know_gets_group_0() -> None:
    assert spec({"runAsUser": 4242})["process"]["user"] == {"uid": 4242, "gid": 0, "additionalGids": [0]}


def test_run_as_group_sets_the_primary_group() -> None:
    assert spec({"runAsUser": 1000, "runAsGroup": 3000})["process"]["user"] == {
        "uid": 1000, "gid": 3000, "additionalGids": [3000]}


def test_pod_level_user_and_group_are_inherited_and_the_container_wins() -> None:
    assert spec(pod={"runAsUser": 2000, "runAsGroup": 2001})["process"]["user"]["uid"] == 2000
    assert spec({"runAsUser": 3000}, pod={"runAsUser": 2000})["process"]["user"]["uid"] == 3000
    assert spec({"runAsGroup": 5}, pod={"runAsGroup": 2001})["process"]["user"]["gid"] == 5


def test_fs_group_and_supplemental_groups_are_added_sorted_once() -> None:
    user = spec({"runAsUser": 1000}, pod={"fsGroup": 2000, "supplementalGroups": [3000, 1000, 2000]})["process"]["user"]
    assert user["additionalGids"] == [1000, 2000, 3000]


def test_group_membership_in_the_image_counts_unless_strict() -> None:
    image = ImageConfig(passwd=(("root", 0, 0), ("webapp", 1000, 1000)),
                        group=(("root", 0, ("root",)), ("webapp", 1000, ()), ("www", 33, ("webapp",))))
    merged = spec({"runAsUser": 1000}, image=image)["process"]["user"]
    assert merged["additionalGids"] == [33, 1000]
    strict = spec({"runAsUser": 1000}, pod={"supplementalGroupsPolicy": "Strict", "supplementalGroups": [7]},
                  image=image)["process"]["user"]
    assert strict["additionalGids"] == [7, 1000]


# --- privilege escalation, privileged, capabilities --------------------------------------------------------

@pytest.mark.parametrize("value, no_new_privs", [(None, False), (True, False), (False, True)])
def test_no_new_privs_only_from_allow_privilege_escalation_false(value: bool | None, no_new_privs: bool) -> None:
    context = {} if value is None else {"allowPrivilegeEscalation": value}
    assert spec(context)["process"]["noNewPrivileges"] is no_new_privs


def caps(context: dict[str, Any]) -> list[str]:
    c = spec(context)["process"]["capabilities"]
    assert c["bounding"] == c["effective"] == c["permitted"]
    assert "ambient" not in c and "inheritable" not in c  # containerd never grants those
    return list(c["bounding"])


def test_default_capabilities_are_containerds_fourteen() -> None:
    assert caps({}) == list(defaults.DEFAULT_CAPABILITIES)
    assert "CAP_SYS_ADMIN" not in caps({}) and "CAP_NET_RAW" in caps({})


@pytest.mark.parametrize("capabilities, expected", [
    ({"drop": ["ALL"]}, []),
    ({"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}, ["CAP_NET_BIND_SERVICE"]),
    ({"drop": ["NET_RAW", "CHOWN"]}, [c for c in defaults.DEFAULT_CAPABILITIES if c not in ("CAP_NET_RAW", "CAP_CHOWN")]),
    ({"add": ["SYS_TIME"]}, [*defaults.DEFAULT_CAPABILITIES, "CAP_SYS_TIME"]),
    ({"add": ["ALL"], "drop": ["CHOWN"]}, [c for c in defaults.ALL_CAPABILITIES if c != "CAP_CHOWN"]),
    ({"add": ["KILL"]}, list(defaults.DEFAULT_CAPABILITIES)),  # already there: not twice
])
def test_capabilities_drop_and_add(capabilities: dict[str, list[str]], expected: list[str]) -> None:
    assert caps({"capabilities": capabilities}) == expected


def test_privileged_gets_everything_and_no_masks() -> None:
    s = spec({"privileged": True})
    assert s["process"]["capabilities"]["bounding"] == list(defaults.ALL_CAPABILITIES)
    assert "maskedPaths" not in s["linux"] and "readonlyPaths" not in s["linux"]
    assert "seccomp" not in spec({"privileged": True, "seccompProfile": {"type": "RuntimeDefault"}})["linux"]
    assert "rw" in mount(s, "/sys")["options"] and "ro" not in mount(s, "/sys")["options"]


# --- seccomp ----------------------------------------------------------------------------------------------

def test_seccomp_unset_and_unconfined_mean_no_filter() -> None:
    assert "seccomp" not in spec()["linux"]  # the kubelet's default (seccompDefault off) is Unconfined
    assert "seccomp" not in spec({"seccompProfile": {"type": "Unconfined"}})["linux"]


def test_seccomp_runtime_default_from_container_or_pod() -> None:
    for s in (spec({"seccompProfile": {"type": "RuntimeDefault"}}),
              spec(pod={"seccompProfile": {"type": "RuntimeDefault"}})):
        section = s["linux"]["seccomp"]
        assert section["defaultAction"] == "SCMP_ACT_ERRNO"
        assert section["architectures"] == ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]
    assert "seccomp" not in spec({"seccompProfile": {"type": "Unconfined"}},
                                 pod={"seccompProfile": {"type": "RuntimeDefault"}})["linux"]


def test_runtime_default_follows_the_capabilities_like_containerd() -> None:
    plain = seccomp.runtime_default(list(defaults.DEFAULT_CAPABILITIES), arch="x86_64", kernel=(6, 1))
    allowed = seccomp._allowed(plain)
    for name in ("mount", "unshare", "setns", "bpf", "reboot", "init_module", "open_by_handle_at", "kexec_load",
                 "keyctl", "add_key"):
        assert name not in allowed, name
    assert {"read", "write", "execve", "setresuid", "chroot", "arch_prctl", "ptrace"} <= allowed  # chroot: CAP_SYS_CHROOT
    clone3 = next(r for r in plain["syscalls"] if r["names"] == ["clone3"])
    assert clone3 == {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}  # ENOSYS, not EPERM
    admin = seccomp._allowed(seccomp.runtime_default(["CAP_SYS_ADMIN"], arch="x86_64", kernel=(6, 1)))
    assert {"mount", "unshare", "setns", "clone", "clone3"} <= admin
    old = seccomp._allowed(seccomp.runtime_default([], arch="x86_64", kernel=(4, 4)))
    assert "ptrace" not in old and "chroot" not in old
    arm = seccomp.runtime_default([], arch="aarch64", kernel=(6, 1))
    assert "arch_prctl" not in seccomp._allowed(arm) and "set_tls" in seccomp._allowed(arm)


def test_socket_rules_refuse_only_af_alg_and_af_vsock() -> None:
    rules = [r for r in seccomp.runtime_default([], arch="x86_64", kernel=(6, 1))["syscalls"] if r["names"] == ["socket"]]

    def allowed(family: int) -> bool:
        ops = {"SCMP_CMP_LT": lambda a, b: a < b, "SCMP_CMP_EQ": lambda a, b: a == b, "SCMP_CMP_GT": lambda a, b: a > b}
        return any(ops[r["args"][0]["op"]](family, r["args"][0]["value"]) for r in rules)

    assert [f for f in range(0, 46) if not allowed(f)] == [38, 40]  # AF_ALG, AF_VSOCK


def test_the_profile_data_is_sound() -> None:
    data = seccomp.profile()
    assert len(data["allow"]) == len(set(data["allow"])) > 300
    dangerous = {"mount", "umount2", "unshare", "setns", "reboot", "init_module", "bpf", "ptrace", "socket", "clone"}
    assert not dangerous & set(data["allow"])


def test_an_unknown_architecture_is_refused() -> None:
    with pytest.raises(SandboxRefused, match="riscv64"):
        spec({"seccompProfile": {"type": "RuntimeDefault"}}, host=HostFacts(arch="riscv64"))


# --- filesystem, mounts, /proc ----------------------------------------------------------------------------

def test_read_only_root_keeps_the_kubelets_files_writable() -> None:
    s = spec({"readOnlyRootFilesystem": True})
    assert s["root"] == {"path": "/b/rootfs", "readonly": True}
    assert "rw" in mount(s, "/etc/hosts")["options"] and "rw" in mount(s, "/dev/termination-log")["options"]
    assert "ro" in mount(s, "/etc/hostname")["options"] and "ro" in mount(s, "/etc/resolv.conf")["options"]
    writable = spec()
    assert writable["root"]["readonly"] is False and "rw" in mount(writable, "/etc/resolv.conf")["options"]


def test_nothing_of_the_host_is_bind_mounted() -> None:
    for s in (spec(), spec(RESTRICTED_CONTEXT, tmp_volume=True), spec({"privileged": True})):
        binds = [m for m in s["mounts"] if m["type"] == "bind"]
        assert binds and all(m["source"].startswith("/b/pod/") for m in binds)  # the sandbox's own files only
        assert "/run" not in {m["destination"] for m in s["mounts"]}  # containerd's CRI plugin drops /run


def test_empty_dir_is_a_writable_tmpfs() -> None:
    s = spec({"readOnlyRootFilesystem": True}, tmp_volume=True)
    tmp = mount(s, "/tmp")
    assert tmp["type"] == "tmpfs" and "rw" in tmp["options"] and "mode=0777" in tmp["options"]
    with_group = spec({"readOnlyRootFilesystem": True}, pod={"fsGroup": 2000}, tmp_volume=True)
    assert {"mode=2777", "gid=2000"} <= set(mount(with_group, "/tmp")["options"])
    obj = webapp_pod({}, tmp_volume=True)
    obj["spec"]["containers"][0]["volumeMounts"][0]["readOnly"] = True
    ro = oci_spec(effective(obj), IMAGE, HOST, BundlePaths("/b/rootfs", FILES))
    assert "ro" in mount(ro, "/tmp")["options"]


def test_proc_mount_default_masks_the_kubelets_paths() -> None:
    s = spec()
    assert s["linux"]["maskedPaths"] == list(defaults.MASKED_PATHS)
    assert "/proc/kcore" in s["linux"]["maskedPaths"] and "/proc/sys" in s["linux"]["readonlyPaths"]
    obj = webapp_pod({"procMount": "Unmasked"})
    obj["spec"]["hostUsers"] = False
    unmasked = oci_spec(effective(obj), IMAGE, HOST, BundlePaths("/b/rootfs", FILES))
    assert "maskedPaths" not in unmasked["linux"] and "readonlyPaths" not in unmasked["linux"]


def test_own_namespaces_and_bounds() -> None:
    s = spec()
    assert [n["type"] for n in s["linux"]["namespaces"]] == ["pid", "ipc", "uts", "mount", "network"]
    assert all("path" not in n for n in s["linux"]["namespaces"])  # new ones, never the host's
    assert {"type": "cgroup"} in spec(host=HostFacts(cgroup_v2=True))["linux"]["namespaces"]
    assert s["linux"]["resources"]["memory"]["limit"] == defaults.MEMORY_LIMIT
    assert s["linux"]["resources"]["pids"]["limit"] == defaults.PIDS_LIMIT
    assert s["linux"]["resources"]["devices"] == [{"allow": False, "access": "rwm"}]
    assert s["process"]["args"] == ["busybox", "httpd", "-f", "-v", "-p", "3000", "-h", "/www"]


# --- refusals: the API server's, the kubelet's, the sandbox's ----------------------------------------------

def test_the_api_servers_words_for_privileged_without_escalation() -> None:
    text = refusal(webapp_deployment({"privileged": True, "allowPrivilegeEscalation": False}))
    assert text.startswith('The Deployment "webapp" is invalid: spec.template.spec.containers[0].securityContext: '
                           "Invalid value: ")
    assert text.endswith(": cannot set `allowPrivilegeEscalation` to false and `privileged` to true")
    text = refusal(webapp_pod({"allowPrivilegeEscalation": False, "capabilities": {"add": ["CAP_SYS_ADMIN"]}}))
    assert text.endswith("cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN")
    assert refusal(webapp_pod({"allowPrivilegeEscalation": False, "capabilities": {"add": ["SYS_ADMIN"]}})) == ""


def test_proc_mount_validation() -> None:
    assert refusal(webapp_pod({"procMount": "Unmasked"})).endswith(
        'securityContext.procMount: Invalid value: "Unmasked": `hostUsers` must be false to use `Unmasked`')
    assert 'Unsupported value: "Open"' in refusal(webapp_pod({"procMount": "Open"}))
    assert "must be between 0 and 2147483647, inclusive" in refusal(webapp_pod({"runAsUser": -1}))


def test_the_kubelets_non_root_check() -> None:
    assert refusal(webapp_pod({"runAsNonRoot": True})) == (
        "container has runAsNonRoot and image will run as root (container: webapp)")
    assert "breaks non-root policy" in refusal(webapp_pod({"runAsNonRoot": True, "runAsUser": 0}))
    assert refusal(webapp_pod(RESTRICTED_CONTEXT)) == ""


def test_the_prediction_uses_the_same_words_as_the_sandbox() -> None:
    for context in ({"privileged": True, "allowPrivilegeEscalation": False},
                    {"allowPrivilegeEscalation": False, "capabilities": {"add": ["CAP_SYS_ADMIN"]}},
                    {"runAsNonRoot": True}):
        obj = webapp_deployment(context)
        predicted = hack.predict(obj).context.refused
        detail = refusal(obj).rsplit(": ", 1)[-1] if "invalid" in refusal(obj) else refusal(obj).split(" (")[0]
        assert detail in predicted, (detail, predicted)


@pytest.mark.parametrize("context, pod, words", [
    ({"privileged": True}, None, "privileged: true"),
    ({"capabilities": {"add": ["SYS_ADMIN"]}}, None, "CAP_SYS_ADMIN"),
    ({"capabilities": {"add": ["ALL"]}}, None, "capabilities.add ALL"),
    ({"seccompProfile": {"type": "Localhost", "localhostProfile": "x.json"}}, None, "Localhost"),
    (None, {"appArmorProfile": {"type": "Localhost", "localhostProfile": "p"}}, "appArmorProfile"),
])
def test_the_sandbox_refuses_what_it_cannot_run_safely(context: dict[str, Any] | None, pod: dict[str, Any] | None,
                                                       words: str) -> None:
    problems = sandbox_problems(effective(webapp_pod(context, pod_security_context=pod)))
    assert any(words in p for p in problems), problems
    with pytest.raises(SandboxRefused, match="the sandbox will not run this pod"):
        prepare(webapp_pod(context, pod_security_context=pod))


def test_host_namespaces_and_other_volumes_are_refused() -> None:
    obj = webapp_pod({})
    obj["spec"]["hostNetwork"] = True
    obj["spec"]["volumes"] = [{"name": "h", "hostPath": {"path": "/"}}]
    obj["spec"]["containers"][0]["volumeMounts"] = [{"name": "h", "mountPath": "/host"}]
    problems = sandbox_problems(effective(obj))
    assert any("hostNetwork" in p for p in problems) and any("hostPath" in p for p in problems)
    assert sandbox_problems(effective(webapp_pod(RESTRICTED_CONTEXT, tmp_volume=True))) == []


def test_an_api_refusal_comes_before_any_sandbox_check() -> None:
    with pytest.raises(InputError, match="`privileged` to true"):
        prepare(webapp_pod({"privileged": True, "allowPrivilegeEscalation": False}))


def test_no_such_container() -> None:
    with pytest.raises(InputError, match="no container 'db'"):
        effective(webapp_pod({}), "db")


# --- where it runs ----------------------------------------------------------------------------------------

def test_rootless_spec_has_no_cgroup_limits_and_bounds_memory_per_process() -> None:
    obj = webapp_pod({"runAsUser": 1000})
    rootless = oci_spec(effective(obj), IMAGE, HOST, BundlePaths("/b/rootfs", FILES), rootless=True)
    as_root = oci_spec(effective(obj), IMAGE, HOST, BundlePaths("/b/rootfs", FILES))
    assert "resources" in as_root["linux"] and "resources" not in rootless["linux"]
    assert rootless["process"]["rlimits"] == [{"type": "RLIMIT_AS", "hard": defaults.ROOTLESS_ADDRESS_SPACE,
                                               "soft": defaults.ROOTLESS_ADDRESS_SPACE}]
    assert "rlimits" not in as_root["process"]
    # Everything the securityContext decides is the same either way.
    for key in ("user", "capabilities", "noNewPrivileges"):
        assert rootless["process"][key] == as_root["process"][key]
    assert rootless["root"] == as_root["root"] and rootless["mounts"] == as_root["mounts"]
