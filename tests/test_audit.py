"""The CIS audits of the bundled inputs, check by check, and the evaluator's semantics.

Expected statuses below were derived by hand from the rules (kslab/data/cis/*.yaml, which follow
kube-bench's cfg/cis-1.12) and each input's flags: "kslab" is the status for the configuration the
component runs with, "kube-bench" what kube-bench's reading of the same input gives.
"""

from __future__ import annotations

import re

import pytest

from pathlib import Path

UPSTREAM = Path(__file__).resolve().parent / "upstream"  # conformance data (see its README)
from kslab.audit import audit, audit_apiserver, audit_kubelet, bundled, from_command_line
from kslab.audit.rules import load_rules
from kslab.audit.sources import ComponentInput, read_apiserver, read_kubelet
from kslab.errors import InputError

P, F, W, I = "PASS", "FAIL", "WARN", "INFO"

KUBEADM_APISERVER = {
    "1.2.1": W, "1.2.2": P, "1.2.3": W, "1.2.4": P, "1.2.5": F, "1.2.6": P, "1.2.7": P, "1.2.8": P,
    "1.2.9": W, "1.2.10": P, "1.2.11": W, "1.2.12": P, "1.2.13": P, "1.2.14": P, "1.2.15": F,
    "1.2.16": F, "1.2.17": F, "1.2.18": F, "1.2.19": F, "1.2.20": W, "1.2.21": P, "1.2.22": P,
    "1.2.23": P, "1.2.24": P, "1.2.25": P, "1.2.26": P, "1.2.27": W, "1.2.28": W, "1.2.29": W,
    "1.2.30": F,
}
HARDENED_APISERVER = {cid: P for cid in KUBEADM_APISERVER} | {"1.2.20": W}
APISERVER_2019 = {
    "1.2.1": W, "1.2.2": F, "1.2.3": W, "1.2.4": P, "1.2.5": F, "1.2.6": F, "1.2.7": F, "1.2.8": P,
    "1.2.9": W, "1.2.10": P, "1.2.11": W, "1.2.12": P, "1.2.13": P, "1.2.14": F, "1.2.15": F,
    "1.2.16": F, "1.2.17": F, "1.2.18": F, "1.2.19": F, "1.2.20": W, "1.2.21": F, "1.2.22": P,
    "1.2.23": F, "1.2.24": P, "1.2.25": P, "1.2.26": F, "1.2.27": W, "1.2.28": W, "1.2.29": W,
    "1.2.30": F,
}
# kube-bench reads the first --authorization-mode ('RBAC') and misses the AlwaysAllow added later.
APISERVER_2019_KUBE_BENCH = APISERVER_2019 | {"1.2.6": P}
KUBEADM_KUBELET = {
    "4.2.1": P, "4.2.2": P, "4.2.3": P, "4.2.4": P, "4.2.5": P, "4.2.6": P, "4.2.7": P, "4.2.8": P,
    "4.2.9": W, "4.2.10": P, "4.2.11": P, "4.2.12": W, "4.2.13": W, "4.2.14": W,
}
HARDENED_KUBELET = {cid: P for cid in KUBEADM_KUBELET}


def cis_rows(report):
    return {r.id: r for r in report.rows if re.fullmatch(r"\d+\.\d+\.\d+", r.id)}


def statuses(report):
    return {cid: r.status for cid, r in cis_rows(report).items()}


def kube_bench_statuses(report):
    return {cid: r.kube_bench for cid, r in cis_rows(report).items()}


# ---- bundled inputs, check by check ---------------------------------------------------------------

def test_kubeadm_apiserver_check_by_check():
    report = audit_apiserver(bundled("kube-apiserver-kubeadm.yaml"))
    assert statuses(report) == KUBEADM_APISERVER
    assert kube_bench_statuses(report) == KUBEADM_APISERVER
    assert report.exit_code == 1
    assert [r.id for r in report.failed] == ["1.2.5", "1.2.15", "1.2.16", "1.2.17", "1.2.18", "1.2.19",
                                            "1.2.30"]
    assert not [r for r in report.rows if r.section in ("then vs now", "input")]


def test_hardened_apiserver_check_by_check():
    report = audit_apiserver(bundled("kube-apiserver-hardened.yaml"),
                             encryption_config=bundled("encryption-config.yaml"))
    assert statuses(report) == HARDENED_APISERVER
    assert kube_bench_statuses(report) == HARDENED_APISERVER
    assert report.exit_code == 0
    assert report.row("1.2.28").observed == "first provider for secrets: kms"


def test_hardened_apiserver_without_its_encryption_config_cannot_judge_1_2_28():
    row = audit_apiserver(bundled("kube-apiserver-hardened.yaml")).row("1.2.28")
    assert row.status == W and row.kube_bench is None
    assert "not given" in row.observed and "--encryption-config" in row.kube_bench_note


def test_2019_apiserver_check_by_check_and_then_vs_now():
    report = audit_apiserver(bundled("kube-apiserver-2019.yaml"))
    assert statuses(report) == APISERVER_2019
    assert kube_bench_statuses(report) == APISERVER_2019_KUBE_BENCH
    assert "kube-bench would report PASS" in report.row("1.2.6").kube_bench_note
    assert "first ('RBAC')" in report.row("1.2.6").kube_bench_note
    history = {r.id: r.status for r in report.rows if r.section == "then vs now"}
    assert history == {"then-vs-now: --basic-auth-file": I, "then-vs-now: --insecure-bind-address": I,
                       "then-vs-now: --insecure-port": I, "then-vs-now: --admission-control": I,
                       "then-vs-now: DenyEscalatingExec": I, "then-vs-now: PodSecurityPolicy": I}
    assert "1.24" in report.row("then-vs-now: --insecure-port").why
    assert "1.25" in report.row("then-vs-now: PodSecurityPolicy").why
    # The plugins come from --admission-control, which kube-bench's checks do not read.
    assert report.row("1.2.14").observed.startswith("--admission-control=")
    assert "--admission-control" in report.row("1.2.14").kube_bench_note


def test_kubeadm_kubelet_check_by_check():
    report = audit_kubelet(bundled("kubelet-config-kubeadm.yaml"))
    assert statuses(report) == KUBEADM_KUBELET
    assert kube_bench_statuses(report) == KUBEADM_KUBELET
    # kubeadm writes 0s; the kubelet replaces it with 4h0m0s. kube-bench passes it only because
    # it compares the text '0s' with '0'.
    row = report.row("4.2.5")
    assert "4h0m0s" in row.observed and "'0s'" in row.kube_bench_note


def test_hardened_kubelet_check_by_check():
    report = audit_kubelet(bundled("kubelet-config-hardened.yaml"))
    assert statuses(report) == HARDENED_KUBELET
    assert kube_bench_statuses(report) == HARDENED_KUBELET
    assert report.exit_code == 0


# ---- the rules as data ----------------------------------------------------------------------------

def _reference_table(section_prefix: str):
    """(id, bin_op, scored, type) per check from the FLAGS.md reference tables."""
    text = (UPSTREAM / "cis" / "FLAGS.md").read_text(encoding="utf-8")
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 6 and cells[0].startswith(section_prefix) and cells[0].count(".") == 2:
            rows[cells[0]] = (cells[3], cells[4], cells[5])
    return rows


@pytest.mark.parametrize("component,prefix", [("kube-apiserver", "1.2."), ("kubelet", "4.2.")])
def test_rules_match_the_reference_benchmark(component, prefix):
    rules = load_rules(component)
    reference = _reference_table(prefix)
    assert sorted(reference) == sorted(c.id for c in rules.checks)
    for check in rules.checks:
        bin_op, scored, ctype = reference[check.id]
        assert check.scored == (scored == "yes"), check.id
        assert (check.type or "-") == ctype, check.id
        if check.tests is not None and bin_op != "-":
            assert check.tests.bin_op == bin_op, check.id
        assert check.scored == check.title.endswith("(Automated)"), check.id
        assert check.why and check.remediation, check.id


# ---- operators and edge cases ---------------------------------------------------------------------

def apiserver(cmd: str):
    return audit(from_command_line("kube-apiserver " + cmd))


def test_absent_flag_with_set_false_passes():
    report = apiserver("--authorization-mode=Node,RBAC")
    assert report.row("1.2.2").status == P and report.row("1.2.2").kube_bench == P
    assert apiserver("--token-auth-file=/t.csv").row("1.2.2").status == F


def test_authorization_mode_node_rbac_has_node_and_rbac():
    report = apiserver("--authorization-mode=Node,RBAC")
    for cid in ("1.2.6", "1.2.7", "1.2.8"):
        assert report.row(cid).status == P and report.row(cid).kube_bench == P
    # kube-bench's "has" is a substring test; the API server's list has no element "Node" here.
    odd = apiserver("--authorization-mode=NodeX,RBAC").row("1.2.7")
    assert odd.status == F and odd.kube_bench == P


def test_missing_authorization_mode_is_always_allow():
    row = apiserver("--profiling=false").row("1.2.6")
    assert row.status == F and row.kube_bench == F
    assert "default: AlwaysAllow" in row.observed


def test_gte_with_a_non_integer_fails():
    report = apiserver("--audit-log-maxage=30d")
    assert report.row("1.2.17").status == F and report.row("1.2.17").kube_bench == F
    assert "not an integer" in report.row("1.2.17").observed
    assert any(r.id.startswith("invalid") and "30d" in r.observed for r in report.rows)


def test_repeated_scalar_flag_last_wins_kube_bench_reads_first():
    row = apiserver("--audit-log-maxage=7 --audit-log-maxage=30").row("1.2.17")
    assert row.status == P and row.kube_bench == F
    assert "first ('7')" in row.kube_bench_note and "last occurrence" in row.kube_bench_note


def test_repeated_list_flags_accumulate():
    report = apiserver("--enable-admission-plugins=NodeRestriction --enable-admission-plugins=EventRateLimit")
    assert report.row("1.2.14").status == P and report.row("1.2.9").status == P
    assert report.row("1.2.9").kube_bench == W  # kube-bench only sees NodeRestriction


def test_flag_space_value_is_read_as_true_by_kube_bench():
    row = apiserver("--audit-log-maxage 30").row("1.2.17")
    assert row.status == P and row.kube_bench == F
    assert "kube-bench reads 'true'" in row.kube_bench_note


def test_boolean_flag_with_a_space_leaves_a_stray_argument():
    report = apiserver("--anonymous-auth false")
    assert report.row("1.2.1").status == W  # anonymous-auth is true; "false" is a stray argument
    assert any("stray argument 'false'" in r.observed for r in report.rows if r.section == "input")


def test_bare_boolean_flag_means_true():
    row = apiserver("--profiling").row("1.2.15")
    assert row.status == F and row.kube_bench == F


def test_go_integer_syntax_leading_zero_is_octal():
    row = apiserver("--audit-log-maxage=030").row("1.2.17")
    assert row.status == F and row.kube_bench == P
    assert "octal" in row.kube_bench_note


def test_underscore_in_flag_name_is_normalised():
    row = apiserver("--service_account_extend_token_expiration=false").row("1.2.30")
    assert row.status == P and row.kube_bench == F


def test_empty_value_counts_as_unset():
    row = apiserver("--client-ca-file=").row("1.2.25")
    assert row.status == F and row.kube_bench == P


def test_flag_text_inside_another_argument_fools_a_substring_search():
    row = apiserver("--audit-policy-file=/etc/kubernetes/--audit-log-path.yaml").row("1.2.16")
    assert row.status == F and row.kube_bench == P


def test_unknown_and_removed_flags_are_reported_not_fatal():
    report = apiserver("--insecure-port=0 --made-up-flag=1 --enable-admission-plugins=DenyEscalatingExec,NodeRestrictionn")
    ids = {r.id: r.status for r in report.rows}
    assert ids["then-vs-now: --insecure-port"] == I
    assert ids["unknown-flag: --made-up-flag"] == W
    assert ids["then-vs-now: DenyEscalatingExec"] == I
    assert ids["unknown-plugin: NodeRestrictionn"] == W
    assert len(cis_rows(report)) == 30


def test_admission_control_conflict_is_reported():
    report = apiserver("--admission-control=NodeRestriction --enable-admission-plugins=NodeRestriction")
    assert report.row("conflict: --admission-control").status == W


# ---- kubelet: config file, flags over it, defaults ------------------------------------------------

def kubelet(config: dict | None = None, cmd: str = ""):
    argv = tuple(from_command_line("kubelet " + cmd, component="kubelet").argv) if cmd else ()
    return audit(ComponentInput("kubelet", "test", argv, "kubelet", config))


def test_kubelet_config_defaults_differ_from_an_absent_setting():
    report = kubelet({"kind": "KubeletConfiguration"})
    # The config file's defaults: anonymous off, Webhook, rotateCertificates false.
    assert (report.row("4.2.1").status, report.row("4.2.1").kube_bench) == (P, F)
    assert (report.row("4.2.2").status, report.row("4.2.2").kube_bench) == (P, F)
    assert (report.row("4.2.10").status, report.row("4.2.10").kube_bench) == (F, P)
    assert "default false" in report.row("4.2.10").kube_bench_note


def test_kubelet_without_config_file_keeps_legacy_defaults():
    report = kubelet(None, "--kubeconfig=/etc/kubernetes/kubelet.conf")
    assert (report.row("4.2.1").status, report.row("4.2.1").kube_bench) == (F, F)
    assert (report.row("4.2.2").status, report.row("4.2.2").kube_bench) == (F, F)
    assert (report.row("4.2.4").status, report.row("4.2.4").kube_bench) == (W, P)  # port 10255 open
    assert "10255" in report.row("4.2.4").observed


def test_kubelet_flags_override_the_config_file():
    report = kubelet({"authentication": {"anonymous": {"enabled": False}}}, "--anonymous-auth=true")
    assert report.row("4.2.1").status == F and report.row("4.2.1").kube_bench == F
    assert report.row("4.2.1").observed.startswith("--anonymous-auth=true")


def test_zero_duration_flag_is_zero():
    row = kubelet({}, "--streaming-connection-idle-timeout=0s").row("4.2.5")
    assert row.status == W and row.kube_bench == P


def test_presence_only_checks_are_read_for_their_meaning():
    report = kubelet({"seccompDefault": False, "podPidsLimit": -1})
    assert (report.row("4.2.14").status, report.row("4.2.14").kube_bench) == (W, P)
    assert (report.row("4.2.13").status, report.row("4.2.13").kube_bench) == (W, P)
    assert "-1" in report.row("4.2.13").kube_bench_note


def test_feature_gate_flag():
    report = kubelet({}, "--feature-gates=RotateKubeletServerCertificate=false,Foo=true")
    assert report.row("4.2.11").status == W and report.row("4.2.11").kube_bench == W
    assert kubelet({}).row("4.2.11").status == P


def test_hostname_override_is_read_from_flags_only():
    assert kubelet({}, "--hostname-override=evil").row("4.2.7").status == W
    assert kubelet({"hostnameOverride": "x"}).row("4.2.7").status == P


def test_kubelet_then_vs_now():
    report = kubelet({"protectKernelDefaults": True}, "--cadvisor-port=4194")
    assert report.row("then-vs-now: --cadvisor-port").status == I
    assert report.row("then-vs-now: protectKernelDefaults").status == I


# ---- reading inputs, bad input --------------------------------------------------------------------

def test_command_line_file_is_read(tmp_path):
    f = tmp_path / "cmdline"
    f.write_text("# the API server's command line\nkube-apiserver \\\n  --authorization-mode=Node,RBAC \\\n"
                 "  --profiling=false\n")
    report = audit_apiserver(f)
    assert report.row("1.2.15").status == P and report.row("1.2.7").status == P


def test_manifest_without_apiserver_container_is_one_line_error(tmp_path):
    f = tmp_path / "pod.yaml"
    f.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n"
                 "  - name: web\n    image: nginx\n")
    with pytest.raises(InputError, match=r"no kube-apiserver container .*containers: web"):
        read_apiserver(f)


def test_yaml_error_names_the_line(tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text("apiVersion: v1\nkind: Pod\nspec:\n  containers: [\n")
    with pytest.raises(InputError, match=r"bad.yaml: line \d+: not valid YAML"):
        read_apiserver(f)


def test_other_binary_is_refused():
    with pytest.raises(InputError, match="runs 'etcd'"):
        from_command_line("etcd --data-dir=/var/lib/etcd")


def test_kubelet_reads_configz_and_refuses_other_kinds(tmp_path):
    f = tmp_path / "configz.json"
    f.write_text('{"kubeletconfig": {"authentication": {"anonymous": {"enabled": true}}}}')
    assert audit_kubelet(f).row("4.2.1").status == F
    g = tmp_path / "pod.yaml"
    g.write_text("kind: Pod\nmetadata: {name: x}\n")
    with pytest.raises(InputError, match="not a KubeletConfiguration"):
        read_kubelet(g)


def test_report_renders_plain_text_and_html():
    report = audit_apiserver(bundled("kube-apiserver-2019.yaml"))
    text = str(report)
    assert "1.2.6   " in text or "1.2.6 " in text
    assert "FAIL    PASS" in text  # kslab's status and kube-bench's side by side
    html = report._repr_html_()
    assert ">FAIL<" in html and "#cf222e" in html and ">PASS<" in html
