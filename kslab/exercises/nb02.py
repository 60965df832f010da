"""Exercises of notebook 02 (securing components), checked by the same audit the lesson uses
(:mod:`kslab.audit`) and the port map (:mod:`kslab.audit.ports`)."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from kslab.audit import audit, bundled, from_command_line, from_pod
from kslab.audit.ports import PORTS
from kslab.exercises.model import CheckResult, Exercise
from kslab.manifests.load import load_text


def kubeadm_manifest() -> dict[str, Any]:
    """A fresh copy of the kubeadm v1.33 kube-apiserver manifest, to harden."""
    text = bundled("kube-apiserver-kubeadm.yaml").read_text(encoding="utf-8")
    return copy.deepcopy(load_text(text, source="kube-apiserver-kubeadm.yaml")[0].obj)


def _input(answer: Any) -> Any:
    if isinstance(answer, Mapping):
        return from_pod(answer, source="your manifest")
    if isinstance(answer, str):
        return from_command_line(answer, source="your command line")
    if isinstance(answer, (list, tuple)) and all(isinstance(a, str) for a in answer):
        return from_command_line(" ".join(["kube-apiserver", *answer]), source="your flags")
    raise TypeError("answer with the manifest (a dict), the command line (a str) or the flags (a list)")


def check_harden(answer: Any) -> CheckResult:
    try:
        report = audit(_input(answer))
    except TypeError as exc:
        return CheckResult(False, str(exc))
    refused = [r for r in report.rows if r.section in ("then vs now", "input") and r.status != "PASS"]
    if refused:
        return CheckResult(False, f"{refused[0].id}: {refused[0].remediation}")
    failed = report.failed
    if failed:
        ids = ", ".join(r.id for r in failed)
        return CheckResult(False, f"{len(failed)} scored check(s) still FAIL: {ids}; "
                                  f"first: {failed[0].title} — {failed[0].remediation}")
    if report.row("1.2.7").status != "PASS" or report.row("1.2.8").status != "PASS":
        return CheckResult(False, "keep --authorization-mode=Node,RBAC")
    return CheckResult(True, f"every scored check passes ({report.summary()})")


def check_disagreement(answer: Any) -> CheckResult:
    want = {r.id for r in audit(from_pod(load_text(bundled("kube-apiserver-2019.yaml").read_text(),
                                                  source="2019")[0].obj)).disagreements()}
    got = {answer} if isinstance(answer, str) else set(answer or [])
    if got == want:
        return CheckResult(True, f"kube-bench reports {', '.join(sorted(want))} differently: it reads only "
                                 "the first --authorization-mode, and misses the AlwaysAllow added later")
    return CheckResult(False, f"not quite: {len(got & want)} of {len(want)} right"
                              + (f", {len(got - want)} extra" if got - want else ""))


def check_first_occurrence(answer: Any) -> CheckResult:
    if not isinstance(answer, str):
        return CheckResult(False, "answer with a command line as a string, e.g. 'kube-apiserver --profiling=false'")
    row = audit(from_command_line(answer, source="your command line")).row("1.2.15")
    if row.kube_bench == "PASS" and row.status == "FAIL":
        return CheckResult(True, f"kube-bench reports PASS, but the API server runs with profiling on: "
                                 f"{row.observed}")
    return CheckResult(False, f"kube-bench would say {row.kube_bench} and the API server's audit {row.status}; "
                              "make kube-bench say PASS while profiling stays on")


def check_open_port(answer: Any) -> CheckResult:
    try:
        port, check = answer
    except (TypeError, ValueError):
        return CheckResult(False, "answer with a pair: (port, 'CIS check id')")
    open_ports = [p for p in PORTS if p.component == "kubelet" and p.auth.startswith("none")]
    if str(port) != open_ports[0].port:
        return CheckResult(False, f"port {port} is not the kubelet port that needs no credentials")
    if str(check) != "4.2.4":
        return CheckResult(False, f"the port is right; check {check} is not the one that closes it")
    return CheckResult(True, "10255, the read-only port: closed by readOnlyPort: 0 (CIS 4.2.4), the "
                             "config-file default today")


def check_harden_file(answer: Any) -> CheckResult:
    """Hands-on: the student's own manifest file, audited like 02.harden-manifest."""
    from pathlib import Path

    if not isinstance(answer, (str, Path)) or not Path(answer).is_file():
        return CheckResult(False, "answer with the path of your manifest file (kslab.handson.lab02.starter() wrote one)")
    docs = [d.obj for d in load_text(Path(answer).read_text(encoding="utf-8"), source=str(answer))]
    pods = [d for d in docs if isinstance(d, Mapping) and d.get("kind") == "Pod"]
    if len(pods) != 1:
        return CheckResult(False, f"{answer} should hold one Pod (the kube-apiserver static pod); it holds {len(pods)}")
    result = check_harden(pods[0])
    return CheckResult(result.passed, f"{answer}: {result.reason}")


def check_kube_bench_import(answer: Any) -> CheckResult:
    """Hands-on: kube-bench's own JSON, imported (the file the student saved from the Job's log)."""
    from pathlib import Path

    from kslab.handson.lab02 import check_import

    if not isinstance(answer, (str, Path)) or not Path(answer).is_file():
        return CheckResult(False, "answer with the path of the JSON file you saved from the Job's log")
    ok, why = check_import(answer)
    return CheckResult(ok, why)

EXERCISES = [
    Exercise(
        "02.harden-manifest", "Harden the kubeadm manifest until the audit passes",
        "Start from kslab.exercises.nb02.kubeadm_manifest() and change the kube-apiserver container's "
        "command until no scored CIS check FAILs (WARN is fine).",
        hints=("kslab.audit.audit(kslab.audit.from_pod(m)) shows what still fails, with each remediation.",
               "Seven scored checks fail at first: 1.2.5, 1.2.15, 1.2.16-1.2.19 and 1.2.30.",
               "The audit log needs --audit-log-path plus --audit-log-maxage=30, --audit-log-maxbackup=10 and "
               "--audit-log-maxsize=100."),
        solution="from kslab.exercises.nb02 import kubeadm_manifest\n"
                 "m = kubeadm_manifest()\n"
                 "m['spec']['containers'][0]['command'] += [\n"
                 "    '--kubelet-certificate-authority=/etc/kubernetes/pki/ca.crt', '--profiling=false',\n"
                 "    '--audit-log-path=/var/log/kubernetes/audit/audit.log', '--audit-log-maxage=30',\n"
                 "    '--audit-log-maxbackup=10', '--audit-log-maxsize=100',\n"
                 "    '--service-account-extend-token-expiration=false']\n"
                 "m",
        checker=check_harden, start=kubeadm_manifest,
        answer_form="the manifest (a dict), or the list of kube-apiserver flags"),
    Exercise(
        "02.kube-bench-disagrees", "Where kube-bench reads it wrong",
        "On the bundled 2019 manifest, for which CIS check(s) would kube-bench report a different status than "
        "the API server's real configuration gives?",
        hints=("report.disagreements() lists them; read their kube_bench_note.",),
        solution="{'1.2.6'}",
        explanation="kube-bench reads the first --authorization-mode (RBAC) and misses the AlwaysAllow after it.",
        checker=check_disagreement, answer_form="a set of CIS check ids, e.g. {'1.2.1'}"),
    Exercise(
        "02.first-occurrence", "Fool a first-occurrence reader",
        "Write a kube-apiserver command line (a string) for which kube-bench reports check 1.2.15 (profiling) "
        "as PASS although the API server runs with profiling on.",
        hints=("pflag: for a scalar flag given twice, the last value wins.",
               "kube-bench reads the first occurrence."),
        solution="'kube-apiserver --profiling=false --profiling=true'",
        checker=check_first_occurrence, answer_form="a string, the whole command line",
        start="kube-apiserver --profiling=false"),
    Exercise(
        "02.open-port", "The port that needs no credentials",
        "Which kubelet port answers anyone without credentials when it is open, and which cis-1.12 check "
        "closes it?",
        hints=("Read the port map's AUTHENTICATION column.", "It is a 4.2.x check, and a manual one."),
        solution="(10255, '4.2.4')",
        checker=check_open_port, answer_form="a pair (port number, 'check id')"),
    Exercise(
        "02.harden-file", "Harden your own copy of the manifest",
        "kslab.handson.lab02.starter() copied the kubeadm kube-apiserver manifest into a file of yours. Edit its "
        "flags until `kslab audit apiserver FILE` shows every scored check PASS. The check audits your file.",
        hints=("The audit's remediation column says which flag fixes each FAIL.",
               "Profiling off, an audit log with its age, backups and size, the kubelet's CA, and the "
               "EventRateLimit admission plugin with its configuration file."),
        solution="from kslab.handson import lab02\nlab02.do_it_for_me(lab02.starter())",
        checker=check_harden_file, answer_form="the path of your manifest file",
        explanation="the bundled hardened manifest sets every flag the scored checks ask for"),
    Exercise(
        "02.kube-bench-import", "Import kube-bench's own verdicts",
        "On the course's kind cluster, run kube-bench with the Job kslab wrote, save its JSON log to a file and "
        "answer with the file's path; the check imports it (kslab audit import) and reads the API server checks.",
        hints=("kubectl logs job/kube-bench > FILE saves the JSON.",
               "Offline, kslab.audit.kube_bench.bundled_sample() is a file in kube-bench's format."),
        solution="from kslab.audit.kube_bench import bundled_sample\nstr(bundled_sample())",
        checker=check_kube_bench_import, answer_form="the path of kube-bench's JSON output",
        explanation="kube-bench --json prints Controls, tests and results; kslab reads them into its own rows"),
]
