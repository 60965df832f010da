"""Fuzz targets, one per parser of hostile input: Go durations and integers, component command lines,
kubeconfigs, class rosters, the progress file, bounded messages and escaping, and the command line's
argument paths. Each says what must hold for *any* input, and where a reference exists (``shlex``, a
regex reader for short inputs, Python's ``int``) it must agree with it.

In the suite each target runs a few deterministic examples (``derandomize``); ``python tools/fuzz.py inputs``
runs them for minutes with fresh seeds (``KSLAB_FUZZ_EXAMPLES`` examples per round).
"""

from __future__ import annotations

import io
import math
import os
import re
import shlex
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kslab.audit.flags import ValueError_, go_duration, go_int, parse_args
from kslab.audit.sources import shell_words
from kslab.classroom.roster import parse_roster
from kslab.cluster.kubeconfig import read_kubeconfig
from kslab.errors import InputError, KslabError
from kslab.exercises.progress import ProgressStore, ProgressWarning
from kslab.text import brief, clip, printable

_EXAMPLES = int(os.environ.get("KSLAB_FUZZ_EXAMPLES", "25"))
_LONG_RUN = "KSLAB_FUZZ_EXAMPLES" in os.environ
FUZZ = settings(max_examples=_EXAMPLES, derandomize=not _LONG_RUN, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                       HealthCheck.filter_too_much, HealthCheck.data_too_large])

# ---- Go durations and integers ---------------------------------------------------------------------

UNITS = {"ns": 1e-9, "us": 1e-6, "\u00b5s": 1e-6, "\u03bcs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_REFERENCE_PART = re.compile(r"(\d+\.?\d*|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)")
DURATION_ALPHABET = "0123456789.+-hmsun\u00b5\u03bc x"


def reference_duration(text: str) -> float | None:
    """The regex reader kslab had, fine for short inputs: the new one must agree with it there."""
    s = text.strip()
    sign = -1.0 if s.startswith("-") else 1.0
    s = s[1:] if s[:1] in "+-" else s
    if s == "0":
        return 0.0
    if not s:
        return None
    total, pos = 0.0, 0
    for m in _REFERENCE_PART.finditer(s):
        if m.start() != pos:
            break
        total += float(m.group(1)) * UNITS[m.group(2)]
        pos = m.end()
    return sign * total if pos == len(s) else None


@FUZZ
@given(st.text(alphabet=DURATION_ALPHABET, max_size=24))
def test_fuzz_go_duration_agrees_with_the_reference_on_short_text(text: str) -> None:
    expected = reference_duration(text)
    try:
        got: float | None = go_duration(text)
    except ValueError_:
        got = None
    if expected is None or abs(expected) >= 9.2e9:  # the reference knows no int64 range
        assert got is None or expected is not None
    else:
        assert got is not None and math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-9), (text, got, expected)


@FUZZ
@given(st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from(sorted(UNITS))), min_size=1, max_size=6))
def test_fuzz_go_duration_sums_its_parts(parts: list[tuple[int, str]]) -> None:
    text = "".join(f"{n}{unit}" for n, unit in parts)
    assert math.isclose(go_duration(text), sum(n * UNITS[u] for n, u in parts), rel_tol=1e-12, abs_tol=1e-12)


@FUZZ
@given(st.text(alphabet=DURATION_ALPHABET, max_size=5000))
def test_fuzz_go_duration_any_text_is_a_value_or_a_bounded_refusal(text: str) -> None:
    try:
        assert isinstance(go_duration(text), float)
    except ValueError_ as exc:
        assert len(str(exc)) < 300


@FUZZ
@given(st.integers(-(2 ** 63), 2 ** 63 - 1), st.sampled_from(["{}", "{:#x}", "{:#o}", "{:#b}"]))
def test_fuzz_go_int_reads_every_int64_in_every_base(value: int, form: str) -> None:
    text = form.format(value) if value >= 0 else "-" + form.format(-value)
    assert go_int(text) == value


@FUZZ
@given(st.integers(2 ** 63, 10 ** 6000) | st.integers(-(10 ** 6000), -(2 ** 63) - 1))
def test_fuzz_go_int_refuses_what_int64_cannot_hold(value: int) -> None:
    with pytest.raises(ValueError_, match="out of range"):
        go_int(str(value) if abs(value) < 10 ** 4000 else ("-" if value < 0 else "") + "9" * 4500)


@FUZZ
@given(st.text(max_size=200))
def test_fuzz_go_int_any_text_is_an_integer_or_a_refusal(text: str) -> None:
    try:
        assert -(2 ** 63) <= go_int(text) < 2 ** 63
    except ValueError_:
        pass


# ---- command lines ---------------------------------------------------------------------------------

SHELL_ALPHABET = " \t\nab=-'\"\\$"


@FUZZ
@given(st.text(alphabet=SHELL_ALPHABET, max_size=40))
def test_fuzz_shell_words_agrees_with_shlex(text: str) -> None:
    try:
        expected: Any = shlex.split(text, comments=True, posix=True)
    except ValueError:
        expected = ValueError
    try:
        got: Any = shell_words(text)
    except ValueError:
        got = ValueError
    assert got == expected


FLAG_WORDS = st.sampled_from(["--anonymous-auth", "--audit-log-maxage", "--authorization-mode", "--profiling",
                              "--enable-admission-plugins", "--audit-webhook-initial-backoff", "--feature-gates",
                              "--tls-cipher-suites", "-v", "--", "-", "--=", "---x", "--no_such_flag"])


@FUZZ
@given(st.lists(FLAG_WORDS | st.text(max_size=30) | st.builds("{}={}".format, FLAG_WORDS, st.text(max_size=30)),
                max_size=12),
       st.sampled_from(["kube-apiserver", "kubelet"]))
def test_fuzz_parse_args_never_raises_and_bounds_its_problems(argv: list[str], component: str) -> None:
    parsed = parse_args(argv, component)
    assert all(len(problem) < 600 for problem in parsed.problems)


# ---- kubeconfigs -----------------------------------------------------------------------------------

SCALARS = st.none() | st.booleans() | st.integers() | st.text(max_size=12)
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) |
                      st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=12)
KEYS = st.sampled_from(["contexts", "clusters", "users", "current-context", "name", "context", "cluster",
                        "namespace", "server", "apiVersion", "kind"])
KUBECONFIGS = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) |
                           st.dictionaries(KEYS, inner, max_size=5), max_leaves=20)


@FUZZ
@given(KUBECONFIGS)
def test_fuzz_read_kubeconfig_reads_or_refuses_with_the_file_named(tmp_path_factory: pytest.TempPathFactory,
                                                                   data: Any) -> None:
    path = tmp_path_factory.mktemp("kc") / "config"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    try:
        info = read_kubeconfig([path])
    except InputError as err:
        assert str(path) in err.one_line() and len(err.one_line()) < 900
        return
    assert all(isinstance(c, str) for c in info.contexts)
    assert info.current_context is None or isinstance(info.current_context, str)


@FUZZ
@given(st.binary(max_size=2000))
def test_fuzz_read_kubeconfig_of_any_bytes(tmp_path_factory: pytest.TempPathFactory, raw: bytes) -> None:
    path = tmp_path_factory.mktemp("kc") / "config"
    path.write_bytes(raw)
    try:
        read_kubeconfig([path])
    except InputError:
        pass


# ---- rosters and the progress file -------------------------------------------------------------------

@FUZZ
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=3000), st.sampled_from([None, True, False]))
def test_fuzz_parse_roster_gives_students_or_a_bounded_error(text: str, as_csv: bool | None) -> None:
    try:
        students = parse_roster(text, source="class.csv", as_csv=as_csv)
    except KslabError as err:
        assert len(err.one_line()) < 900
        return
    names = [s.name for s in students]
    assert len(set(names)) == len(names)
    assert all(re.fullmatch(r"[a-z0-9]([a-z0-9-]{0,46}[a-z0-9])?", n) for n in names)


@FUZZ
@given(st.binary(max_size=3000) | st.builds(lambda v: yaml.safe_dump(v).encode(), VALUES))
def test_fuzz_progress_file_of_any_content_is_kept_and_replaced(tmp_path_factory: pytest.TempPathFactory,
                                                                raw: bytes) -> None:
    store = ProgressStore(tmp_path_factory.mktemp("p") / "progress.json")
    store.path.write_bytes(raw)
    with _maybe_warns():
        assert isinstance(store.load(), dict)
        entry = store.record("01.x", passed=True)
    assert entry["passed"] is True and store.load()["01.x"]["attempts"] >= 1
    kept = list(store.path.parent.glob("progress.json.unreadable-*"))
    assert kept == [] or kept[0].read_bytes() == raw


class _maybe_warns:
    """Warnings about an unreadable file are expected here, not errors; anything else still fails."""

    def __enter__(self) -> None:
        import warnings

        self._catch = warnings.catch_warnings()
        self._catch.__enter__()
        warnings.simplefilter("ignore", ProgressWarning)

    def __exit__(self, *exc: object) -> None:
        self._catch.__exit__(*exc)


# ---- bounded messages and escaping ---------------------------------------------------------------------

ANY_VALUE = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text() | st.binary(),
                         lambda inner: st.lists(inner) | st.tuples(inner, inner) |
                         st.dictionaries(st.text(max_size=5), inner), max_leaves=50)


@FUZZ
@given(ANY_VALUE)
def test_fuzz_brief_is_short_whatever_the_value(value: Any) -> None:
    assert len(brief(value)) < 2500


@FUZZ
@given(st.text())
def test_fuzz_printable_leaves_nothing_a_terminal_acts_on(text: str) -> None:
    shown = printable(text)
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]", shown)
    shown.encode("utf-8")  # no lone surrogate survives
    if not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]", text):
        assert shown == text  # ordinary text (any script, tabs, newlines) is left as it is
    one_line = printable(text, keep_newlines=False)
    assert not re.search("[\x00-\x08\x0a-\x1f\x7f-\x9f\ud800-\udfff]", one_line)
    assert len(clip(text, limit=10)) <= 10 * 6 + 20


# ---- the command line's argument paths --------------------------------------------------------------

SAMPLE_FILES = {
    "pod.yaml": b"apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec: {containers: [{name: c, image: i}]}\n",
    "role.yaml": b"kind: Role\nmetadata: {name: r, namespace: d}\nrules: [{verbs: [get], resources: [pods], apiGroups: ['']}]\n",
    "bad.yaml": b"spec: hello\nkind: Pod\n",
    "deep.json": b"[" * 5000 + b"]" * 5000,
    "binary": bytes(range(256)),
    "cmdline.txt": b"kube-apiserver --audit-log-maxage=99999999999999999999999 --profiling\n",
}
COMMANDS = [["pss"], ["pss", "--level", "baseline"], ["rbac", "can-i", "get", "pods", "--as", "a"],
            ["rbac", "matrix", "--as", "a"], ["rbac", "who-can", "get", "pods"], ["audit", "apiserver"],
            ["audit", "kubelet"], ["audit", "import"], ["pcap", "summary"], ["progress"]]
TOKENS = st.sampled_from(["--json", "-f", "-n", "-A", "--as", "--as-group", "--version", "--level", "--live",
                          "-", "x", "pods", "get", "/api", "03", "99", "--reset", "--node"]) | st.text(max_size=10)


@FUZZ
@given(st.sampled_from(COMMANDS), st.lists(st.sampled_from(sorted(SAMPLE_FILES)), max_size=2),
       st.lists(TOKENS, max_size=4), st.binary(max_size=200))
def test_fuzz_cli_argument_paths_end_in_an_exit_code_never_a_crash(
        tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        command: list[str], files: list[str], extra: list[str], stdin: bytes) -> None:
    from kslab.cli.main import main

    folder = tmp_path_factory.mktemp("cli")
    monkeypatch.setenv("KSLAB_HOME", str(folder / "home"))
    monkeypatch.setenv("KSLAB_MODE", "offline")
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"))
    paths = []
    for name in files:
        (folder / name).write_bytes(SAMPLE_FILES[name])
        paths.append(str(folder / name))
    flag = ["-f"] if command[0] == "rbac" else []
    argv = [*command, *(a for p in paths for a in (*flag, p)), *extra]
    try:
        code = main(argv)
    except SystemExit as exit_:  # argparse: usage errors (2) and --help/--version (0)
        code = int(exit_.code or 0)
    out, err = capsys.readouterr()
    assert code in (0, 1, 2), argv
    assert "internal error" not in err and "Traceback" not in err, (argv, err[-500:])
    assert all(len(line) < 1200 for line in err.splitlines()), argv
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f]", out + err), argv
