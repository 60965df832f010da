"""Hostile and careless inputs to every subcommand end as one line on stderr and exit 2 (or a normal
verdict), never a traceback or "internal error", and no error line echoes a whole input (issue #15)."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from collections.abc import Iterator
from typing import Any

import pytest

from kslab.cli.main import main

#: Subcommands that read a student's file, with the place the file goes.
FILE_COMMANDS = [
    ["pss", "{}"],
    ["rbac", "can-i", "get", "pods", "--as", "alice", "-f", "{}"],
    ["rbac", "matrix", "--as", "alice", "-f", "{}"],
    ["rbac", "who-can", "get", "pods", "-f", "{}"],
    ["audit", "apiserver", "{}"],
    ["audit", "kubelet", "{}"],
    ["audit", "import", "{}"],
    ["pcap", "summary", "{}"],
    ["pcap", "view", "{}"],
    ["modernize", "{}"],
    ["classroom", "create", "--roster", "{}"],
]


def _argv(template: list[str], path: str) -> list[str]:
    return [path if part == "{}" else part for part in template]


def _one_error_line(capsys: pytest.CaptureFixture[str], *, limit: int = 900) -> str:
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("kslab")]
    assert len(lines) == 1, err[:2000]
    line = lines[0]
    assert "internal error" not in line and "Traceback" not in err, line
    assert len(line) < limit, f"{len(line)} chars: {line[:300]}"
    return line


HOSTILE_FILES: dict[str, bytes] = {
    "deep.json": b"[" * 100_000 + b"]" * 100_000,
    "deep-objects.json": b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    "big-int.json": b'{"kind": "Pod", "metadata": {"name": ' + b"9" * 5000 + b"}}",
    "binary.yaml": bytes(range(256)) * 8,
    "latin1.yaml": b"kind: Pod\nmetadata: {name: caf\xe9}\n",
    "long-line.txt": b"x" * (5 * 1024 * 1024),
}


@pytest.mark.parametrize("name", sorted(HOSTILE_FILES))
@pytest.mark.parametrize("template", FILE_COMMANDS, ids=lambda t: " ".join(t[:2]))
def test_hostile_files_are_one_line_errors_or_verdicts(template: list[str], name: str, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / name
    path.write_bytes(HOSTILE_FILES[name])
    code = main(_argv(template, str(path)))
    if code == 2:
        line = _one_error_line(capsys)
        assert "x" * 200 not in line and "9" * 200 not in line  # the input is not echoed whole
    else:  # a verdict about what could be read (e.g. "no" from an empty policy)
        assert code in (0, 1)
        out, err = capsys.readouterr()
        assert "internal error" not in err and "Traceback" not in err


@pytest.mark.parametrize("payload", [b"kind: Pod\nmetadata: {name: caf\xe9}\n", bytes(range(256))],
                         ids=["latin-1", "binary"])
@pytest.mark.parametrize("template", [t for t in FILE_COMMANDS if t[0] in ("pss", "rbac", "audit")],
                         ids=lambda t: " ".join(t[:2]))
def test_undecodable_stdin_is_a_one_line_error(template: list[str], payload: bytes, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(payload), encoding="utf-8"))
    assert main(_argv(template, "-")) == 2
    line = _one_error_line(capsys)
    assert "UTF-8" in line or "not a text file" in line


@pytest.mark.parametrize("template", FILE_COMMANDS, ids=lambda t: " ".join(t[:2]))
def test_a_directory_is_a_one_line_error(template: list[str], tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert main(_argv(template, str(tmp_path))) == 2
    assert "directory" in _one_error_line(capsys)


@pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="needs Linux's /proc")
@pytest.mark.parametrize("template", FILE_COMMANDS, ids=lambda t: " ".join(t[:2]))
def test_a_read_error_names_the_file(template: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    # /proc/self/mem opens, and its first read fails with EIO: an error open() did not see, whose
    # OSError carries no file name of its own.
    assert main(_argv(template, "/proc/self/mem")) == 2
    assert "/proc/self/mem: Input/output error" in _one_error_line(capsys)


@pytest.mark.parametrize("template", FILE_COMMANDS, ids=lambda t: " ".join(t[:2]))
def test_an_unreadable_file_is_a_one_line_error(template: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    # The suite may run as root, who reads anything: make opening this one file fail as it would
    # for a student without the permission.
    path = tmp_path / "secret.yaml"
    path.write_text("kind: Pod\n")
    real_open = io.open

    def deny(file: Any, *args: Any, **kwargs: Any) -> Any:
        if str(file) == str(path):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr("builtins.open", deny)
    monkeypatch.setattr("io.open", deny)
    real_os_open = os.open
    monkeypatch.setattr("os.open", lambda p, *a, **k: deny(p) if str(p) == str(path) else real_os_open(p, *a, **k))
    assert main(_argv(template, str(path))) == 2
    line = _one_error_line(capsys)
    assert "Permission denied" in line or "permission" in line.lower()


def test_a_lone_surrogate_in_a_name_prints(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "pod.json"
    path.write_text('{"kind": "Pod", "metadata": {"name": "a\\udc80"}, '
                    '"spec": {"containers": [{"name": "c", "image": "i"}]}}')
    assert main(["pss", str(path)]) == 1
    assert "Pod a\\udc80: FAIL" in capsys.readouterr().out


def test_terminal_escapes_in_names_are_shown_not_obeyed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pod = tmp_path / "pod.yaml"
    pod.write_text('kind: Pod\nmetadata: {name: "web\\e[2J\\a"}\nspec: {containers: [{name: "c\\e]0;owned\\a", image: i}]}\n')
    assert main(["pss", str(pod)]) == 1
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert "Pod web\\x1b[2J\\x07: FAIL" in out
    assert main(["rbac", "can-i", "get", "pods", "--as", "x", "-f", str(pod)]) == 1
    err = capsys.readouterr().err
    assert "\x1b" not in err and "web\\x1b[2J" in err
    assert main(["pss", "--json", str(pod)]) == 1  # JSON escapes them itself, and stays JSON
    assert json.loads(capsys.readouterr().out)[0]["name"] == "web\x1b[2J\x07"


def test_a_5000_digit_flag_value_is_an_audit_finding(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cmdline = tmp_path / "apiserver.txt"
    cmdline.write_text("kube-apiserver --audit-log-maxage=" + "9" * 5000 + "\n")
    assert main(["audit", "apiserver", "--json", str(cmdline)]) == 1
    out, err = capsys.readouterr()
    assert "internal error" not in err
    problems = [row for row in json.loads(out) if row["section"] == "input"]
    assert [row["status"] for row in problems] == ["WARN"]
    assert "out of range for a 64-bit integer" in problems[0]["observed"]
    assert "9" * 200 not in problems[0]["observed"] + problems[0]["id"]


def test_a_huge_backoff_duration_is_read_in_one_pass(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cmdline = tmp_path / "apiserver.txt"
    cmdline.write_text("kube-apiserver --audit-webhook-initial-backoff=" + "9" * 200_000 + "x\n")
    assert main(["audit", "apiserver", str(cmdline)]) == 1
    out = capsys.readouterr().out
    assert "invalid argument" in out and "(200001 chars)" in out


@pytest.mark.parametrize("line", ["x" * (200 * 1024), "a," + "x" * (200 * 1024), '"' + "x" * (200 * 1024)],
                         ids=["plain", "csv", "open-quote"])
def test_a_roster_line_over_128_kib_is_refused_with_its_length(line: str, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    roster = tmp_path / "class.txt"
    roster.write_text(line + "\n")
    assert main(["classroom", "create", "--roster", str(roster), "--dry-run"]) == 2
    assert f"line 1 is {len(line)} characters long" in _one_error_line(capsys)


def test_mesh_record_into_proc_is_a_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mesh", "record", "--out", "/proc/kslab-no-such-dir/x.pcap"]) == 2
    assert "/proc/kslab-no-such-dir" in _one_error_line(capsys)


MALFORMED_KUBECONFIGS = {
    "contexts-a-string": "apiVersion: v1\nkind: Config\ncontexts: hello\n",
    "context-entry-a-number": "contexts: [3]\n",
    "clusters-a-number": "contexts: [{name: a, context: {cluster: c}}]\nclusters: 3\n",
    "current-context-a-list": "current-context: [a]\n",
    "a-list": "- a\n- b\n",
    "not-yaml": "contexts: [\n",
}


@pytest.mark.parametrize("name", sorted(MALFORMED_KUBECONFIGS))
def test_a_malformed_kubeconfig_is_reported_not_a_crash(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config"
    config.write_text(MALFORMED_KUBECONFIGS[name])
    monkeypatch.setenv("KUBECONFIG", str(config))
    monkeypatch.delenv("KSLAB_CONTEXT", raising=False)
    monkeypatch.delenv("KSLAB_MODE", raising=False)
    assert main(["doctor", "--no-probe"]) == 0
    out = capsys.readouterr().out
    # The doctor says the file is malformed, names it and what is wrong, with the hint; never "no kube context".
    assert f"kubeconfig {config} is MALFORMED: " in out and "(hint: fix the file" in out
    assert f"Mode kslab will use: error — kslab.connect() stops: your kubeconfig {config} is malformed" in out
    assert f"  - fix your kubeconfig {config}: fix the file" in out
    assert "no kube context" not in out
    for argv in (["cluster", "check"], ["rbac", "can-i", "get", "pods", "--live"], ["cluster", "clean", "03"]):
        assert main(argv) == 2, argv
        assert str(config) in _one_error_line(capsys)


def test_live_commands_default_to_kslab_context_or_kind_kslab_never_the_current_context(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config"
    config.write_text("current-context: prod\ncontexts: [{name: prod, context: {cluster: p, user: u}}]\n"
                      "clusters: [{name: p, cluster: {server: 'https://127.0.0.1:9'}}]\n")
    monkeypatch.setenv("KUBECONFIG", str(config))
    monkeypatch.delenv("KSLAB_CONTEXT", raising=False)
    probed: list[str] = []
    monkeypatch.setattr("kslab.cluster.connect.probe", lambda ctx, timeout=3.0: probed.append(ctx) or "refused")
    for argv in (["cluster", "check"], ["rbac", "can-i", "get", "pods", "--live"], ["cluster", "istio", "status"],
                 ["cluster", "clean", "03"]):
        assert main(argv) == 2, argv
        line = _one_error_line(capsys)
        assert "'kind-kslab' is not in your kubeconfig" in line and "--context" in line
    assert probed == []  # prod, the current context, was never even asked
    monkeypatch.setenv("KSLAB_CONTEXT", "prod")  # naming it opts it in
    assert main(["cluster", "check"]) == 2
    assert probed == ["prod"] and "context prod does not answer" in _one_error_line(capsys)


def test_terminal_escapes_in_captured_http_headers_are_shown_not_obeyed(tmp_path: Path,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    from kslab.pcap.write import PcapWriter, TcpConversation

    path = tmp_path / "evil.pcap"
    with path.open("wb") as f:
        conv = TcpConversation(PcapWriter(f), ("127.0.0.1", 40000), ("127.0.0.1", 9080))
        conv.open(1.0)
        conv.send(0, b"GET /\x1b[2J HTTP/1.1\r\nHost: web\x1b]0;owned\x07\r\nUser-Agent: \x9b31m\r\n\r\n", 1.1)
        conv.send(1, b"HTTP/1.1 200 OK\r\nServer: \x1b[5mblink\r\nContent-Length: 0\r\n\r\n", 1.2)
        conv.close(0, 1.3)
    assert main(["pcap", "summary", str(path)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out
    assert "GET /\\x1b[2J HTTP/1.1" in out and "Host: web\\x1b]0;owned\\x07" in out  # shown, escaped


@pytest.mark.parametrize(("argv", "content", "said"), [
    (["pss"], "kind: Deployment\nmetadata: {name: d}\nspec: {template: hello}\n", "spec.template must be a mapping"),
    (["audit", "import"], '[{"tests": 3}]', "tests must be a list of objects"),
    (["audit", "import"], '{"Controls": [{"tests": [{"results": [3]}]}]}', "results must be a list of objects"),
    (["audit", "apiserver"], "kind: Pod\nmetadata: hello\nspec: {containers: [{name: kube-apiserver, command: "
                             "[kube-apiserver, {a: 1}]}]}\n", "command must be a list of strings"),
    (["audit", "apiserver"], "kind: Pod\nspec: hello\n", "no kube-apiserver container"),
], ids=["pss-template", "kube-bench-tests", "kube-bench-results", "apiserver-command", "apiserver-spec"])
def test_wrong_field_types_are_one_line_errors_naming_the_field(argv: list[str], content: str, said: str,
                                                               tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "input.yaml"
    path.write_text(content)
    assert main([*argv, str(path)]) == 2
    assert said in _one_error_line(capsys)


@pytest.mark.parametrize("template", FILE_COMMANDS, ids=lambda t: " ".join(t[:2]))
def test_a_path_with_a_nul_byte_is_a_one_line_error(template: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(_argv(template, "pod\x00.yaml")) == 2
    assert "NUL byte" in _one_error_line(capsys)


@pytest.mark.parametrize("argv", [["pss", "-", "-"], ["rbac", "can-i", "get", "pods", "-f", "-", "-f", "-"],
                                  ["modernize", "-", "-"]])
def test_standard_input_named_twice_is_bad_usage(argv: list[str]) -> None:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "kslab", *argv], input="kind: Pod\n", capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2 and "named 2 times" in done.stderr and "internal error" not in done.stderr


def test_a_kubeconfig_that_cannot_be_read_is_named_with_why(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)  # opening it would block until a writer came: it must be refused, not read
    for config, why in ((tmp_path, "is not a regular file"), (fifo, "is not a regular file")):
        monkeypatch.setenv("KUBECONFIG", str(config))
        monkeypatch.delenv("KSLAB_MODE", raising=False)
        assert main(["doctor", "--no-probe"]) == 0
        out = capsys.readouterr().out
        assert f"kubeconfig {config} CANNOT BE READ: kubeconfig {why}" in out
        assert f"your kubeconfig {config} cannot be read" in out
        assert main(["cluster", "check"]) == 2
        assert f"{config}: kubeconfig {why}" in _one_error_line(capsys)


LONG = "a" * 5000
LONG_INPUTS = {
    "pod.yaml": (f"apiVersion: v1\nkind: Pod\nmetadata: {{name: {LONG}}}\nspec:\n  containers:\n  - name: {LONG}\n"
                 f"    image: {LONG}\n    securityContext: {{privileged: true}}\n"),
    "cmdline.txt": f"kube-apiserver --audit-log-maxage={'9' * 5000} --anonymous-auth=true --x{LONG}=1\n",
}


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


@pytest.mark.parametrize("name", sorted(LONG_INPUTS))
@pytest.mark.parametrize("template", [t for t in FILE_COMMANDS if t[0] != "classroom"], ids=lambda t: " ".join(t[:2]))
def test_json_output_bounds_long_values_and_says_so(template: list[str], name: str, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    from kslab.cli.output import JSON_VALUE_CHARS

    path = tmp_path / name
    path.write_text(LONG_INPUTS[name])
    code = main([*_argv(template, str(path)), "--json"])
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "internal error" not in err
    if code == 2:
        return  # a one-line error (bounded: the tests above)
    strings = list(_strings(json.loads(out)))  # still valid JSON
    longest = max(strings, key=len, default="")
    assert len(longest) <= JSON_VALUE_CHARS + 60, longest[:200]
    assert "a" * 1200 not in out and "9" * 1200 not in out
    if "a" * 1000 in out or "9" * 1000 in out:
        assert "(shortened: " in out


def test_a_target_version_with_a_5000_digit_minor_is_bad_usage_named_as_such(tmp_path: Path,
                                                                          capsys: pytest.CaptureFixture[str]) -> None:
    pod = tmp_path / "pod.yaml"
    pod.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n")
    assert main(["modernize", "--target-version", "v1." + "9" * 5000, str(pod)]) == 2
    line = _one_error_line(capsys)
    assert "unknown target version 'v1.999" in line and "(5003 chars)" in line  # not "the input holds an integer"


LONG_RBAC = f"""apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {{name: reader}}
rules: [{{apiGroups: [""], resources: [pods], verbs: [get]}}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {{name: readers}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: reader}}
subjects:
- {{kind: User, name: u{LONG}, apiGroup: rbac.authorization.k8s.io}}
- {{kind: Group, name: g{LONG}, apiGroup: rbac.authorization.k8s.io}}
- {{kind: ServiceAccount, name: webapp, namespace: web}}  # validated, as the API server does
"""


@pytest.mark.parametrize("argv", [
    ["pss", "{pod}"],
    ["rbac", "who-can", "get", "pods", "-f", "{rbac}"],
    ["rbac", "can-i", "get", "pods", "--explain", "--as", f"u{LONG}", "-f", "{rbac}"],
    ["rbac", "can-i", "delete", "pods", "--explain", "--as", f"u{LONG}", "--as-group", f"g{LONG}", "-f", "{rbac}"],
    ["rbac", "matrix", "--as", f"u{LONG}", "-f", "{rbac}"],
], ids=lambda argv: " ".join(argv[:2]))
def test_text_output_cuts_names_no_kubernetes_object_could_have(argv: list[str], tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    from kslab.text import NAME_CHARS

    (tmp_path / "pod.yaml").write_text(LONG_INPUTS["pod.yaml"])
    (tmp_path / "rbac.yaml").write_text(LONG_RBAC)
    code = main([a.format(pod=tmp_path / "pod.yaml", rbac=tmp_path / "rbac.yaml") for a in argv])
    out, err = capsys.readouterr()
    assert code in (0, 1), err
    assert "a" * (NAME_CHARS + 1) not in out + err  # no name shown whole ...
    assert "(5001 chars)" in out or "(5000 chars)" in out  # ... and the cut one says how long it was
    # A line holds a few cut names at most, never a whole 5,000-character one.
    assert max(len(line) for line in (out + err).splitlines()) < 4 * (NAME_CHARS + 60)
