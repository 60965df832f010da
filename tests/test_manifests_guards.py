"""Hostile YAML ends at load with one line naming the place: alias bombs, duplicate keys, and a huge
multi-document file read one document at a time (its memory measured with tracemalloc)."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest
import yaml

from kslab.cli.main import main
from kslab.errors import InputError
from kslab.manifests.load import iter_objects, load_text
from kslab.manifests.yaml_build import EXPANSION_FACTOR, EXPANSION_FLOOR

GROUP = "rbac.authorization.k8s.io"


def bomb(levels: int = 8, width: int = 10) -> str:
    """Anchors of ``width`` aliases each to the previous one: width**levels nodes from a few hundred bytes."""
    names = "abcdefghij"[:levels]
    lines = [f"  {names[0]}: &{names[0]} [" + ",".join(['"lol"'] * width) + "]"]
    for prev, cur in zip(names, names[1:]):
        lines.append(f"  {cur}: &{cur} [" + ",".join([f"*{prev}"] * width) + "]")
    return "\n".join(lines) + "\n"


def pod_with(field: str) -> str:
    return ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n" + bomb()
            + f"spec:\n  containers:\n  - name: c\n    image: x\n    ports: [{{containerPort: 80, {field}}}]\n")


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def one_line_error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    code = main(argv)
    captured = capsys.readouterr()
    assert code == 2, captured
    lines = [line for line in captured.err.splitlines() if not line.startswith("note:")]
    assert len(lines) == 1, captured.err
    assert "internal error" not in lines[0] and "Traceback" not in captured.err
    return lines[0]


def test_the_bomb_is_small() -> None:
    text = bomb()
    assert len(text.encode()) < 600 and text.count("&") == 8


def test_alias_bomb_refused_at_load() -> None:
    with pytest.raises(InputError) as err:
        load_text("metadata:\n" + bomb() + "kind: Pod\n", source="b.yaml")
    assert "alias bomb" in str(err.value) and "b.yaml: line " in str(err.value)


@pytest.mark.parametrize("argv", [
    ["pss", "{f}"],
    ["rbac", "can-i", "get", "pods", "-f", "{f}", "--as", "alice"],
    ["rbac", "who-can", "get", "pods", "-f", "{f}"],
    ["audit", "kubelet", "{f}"],
    ["audit", "apiserver", "{f}"],
])
def test_alias_bomb_in_a_name_or_host_port_is_a_one_line_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    texts = {
        "pss": pod_with("hostPort: *h"),
        "rbac": (f"apiVersion: {GROUP}/v1\nkind: RoleBinding\nmetadata:\n  namespace: web\n  labels:\n"
                 + bomb().replace("\n  ", "\n    ").replace("  a:", "    a:", 1)
                 + f"  name: *h\nroleRef: {{apiGroup: {GROUP}, kind: Role, name: r}}\nsubjects: []\n"),
        "audit": ("apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nx:\n" + bomb()
                  + "authorization: {mode: *h}\n") if argv[1] == "kubelet" else
                 ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-apiserver\n  labels:\n"
                  + bomb().replace("\n  ", "\n    ").replace("  a:", "    a:", 1)
                  + "spec:\n  containers:\n  - name: kube-apiserver\n    command: *h\n"),
    }
    path = write(tmp_path, "bomb.yaml", texts[argv[0]])
    assert yaml.safe_load(open(path, encoding="utf-8")) is not None  # PyYAML itself accepts it
    line = one_line_error(capsys, [a.replace("{f}", path) for a in argv])
    assert "alias bomb" in line and "bomb.yaml: line " in line


def test_budget_lets_ordinary_aliases_through() -> None:
    # A base container reused by a few workloads: a little expansion, well inside the budget.
    base = "base: &c {name: web, image: x, ports: [{containerPort: 80}]}\n"
    doc = load_text(base + "spec: {containers: [*c, *c, *c]}\n")[0].obj
    assert doc["spec"]["containers"][2]["name"] == "web"
    assert EXPANSION_FLOOR >= 10_000 and EXPANSION_FACTOR >= 2


def test_recursive_anchor_refused() -> None:
    with pytest.raises(InputError, match="contains an alias to itself"):
        load_text("a: &x [1, *x]\n")


@pytest.mark.parametrize("text,line,key", [
    ("kind: Pod\nmetadata:\n  name: a\n  name: b\n", 4, "name"),
    ("kind: Pod\nmetadata: {name: a, labels: {}, name: b}\n", 2, "name"),
    ("kind: Pod\n---\nkind: Pod\nspec:\n  hostNetwork: true\nspec: {}\n", 6, "spec"),
    ("a:\n  yes: 1\n  true: 2\n", 3, "True"),  # the same key once resolved, as PyYAML reads it
])
def test_duplicate_key_refused_with_its_line(text: str, line: int, key: str) -> None:
    with pytest.raises(InputError) as err:
        load_text(text, source="d.yaml")
    assert f'd.yaml: line {line}: mapping key "{key}" already defined at line ' in str(err.value)


def test_duplicate_key_is_exit_2_naming_the_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "dup.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\nspec:\n"
                 "  containers: []\n  hostPID: false\n  hostPID: true\n")
    line = one_line_error(capsys, ["pss", path])
    assert f"{path}: line 8: mapping key \"hostPID\" already defined at line 7" in line


def test_merge_keys_are_not_duplicates() -> None:
    doc = load_text("base: &b {a: 1, b: 2}\nx:\n  <<: *b\n  b: 3\n")[0].obj
    assert doc["x"] == {"a": 1, "b": 3}


def test_values_are_pyyaml_s() -> None:
    text = ("a: 1\nb: 1.5\nc: yes\nd: ~\ne: 2026-01-02\nf: !!binary aGk=\ng: '007'\nh: 0o17\ni: [1, {j: k}]\n"
            "l: !!set {x, y}\nm: 2026-01-02T03:04:05Z\n")
    assert load_text(text)[0].obj == yaml.load(text, Loader=yaml.CSafeLoader)


def test_a_big_multi_document_file_is_read_in_bounded_memory(tmp_path: Path) -> None:
    def peak(count: int) -> tuple[int, int]:
        path = tmp_path / f"many-{count}.yaml"
        with path.open("w", encoding="utf-8") as out:
            for i in range(count):
                out.write(f"---\napiVersion: v1\nkind: Pod\nmetadata: {{name: p{i}, labels: {{app: web}}}}\n"
                          f"spec:\n  containers:\n  - name: c\n    image: registry.local/app:{i}\n"
                          "    securityContext: {runAsNonRoot: true, allowPrivilegeEscalation: false}\n")
        tracemalloc.start()
        try:
            notes: list[str] = []
            seen = sum(1 for _ in iter_objects([path], notes))
            return seen, tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    peak(400)  # once first: the loader's bounded memory of resolved scalars fills up
    small_docs, small = peak(400)
    big_docs, big = peak(3_000)
    assert (small_docs, big_docs) == (400, 3_000)
    size = (tmp_path / "many-3000.yaml").stat().st_size
    assert size > 600_000
    assert big < size / 4  # never the whole file, nor all its documents
    assert big < small * 2  # flat as the file grows sevenfold


@pytest.mark.parametrize("text", [
    "base: &b {a: 1, b: 2}\nother: &o {b: 5, c: 6}\nx:\n  <<: [*b, *o]\n  c: 7\n",
    "base: &b {a: 1}\nx: {<<: *b, <<: {a: 2, z: 0}}\n",
    "base: &b {a: 1}\nx: {=: v, <<: *b}\n",
    "a: &s hello\nb: *s\nc: [*s, *s]\nd: !!str 12\ne: 0x1F\nf: .inf\ng: null\n",
])
def test_merges_and_scalar_aliases_are_pyyaml_s(text: str) -> None:
    assert load_text(text)[0].obj == yaml.load(text, Loader=yaml.CSafeLoader)


def test_every_yaml_file_shipped_reads_as_pyyaml_reads_it() -> None:
    root = Path(__file__).resolve().parent.parent
    files = sorted([*(root / "kslab" / "data").rglob("*.yaml"), *(root / "tests" / "upstream").rglob("*.yaml")])
    assert len(files) > 20
    for path in files:
        text = path.read_text(encoding="utf-8")
        expected = []
        for doc in yaml.load_all(text, Loader=yaml.CSafeLoader):
            if not isinstance(doc, dict):
                continue
            items = doc.get("items") if str(doc.get("kind", "")).endswith("List") else None
            expected += [i for i in items if isinstance(i, dict)] if isinstance(items, list) else [doc]
        assert [d.obj for d in load_text(text, source=str(path))] == expected, path


def test_duplicate_key_in_json_refused() -> None:
    with pytest.raises(InputError, match='key "name" appears twice in one JSON object'):
        load_text('{"kind": "Pod", "metadata": {"name": "a", "name": "b"}}', source="d.json")
    assert load_text('[{"kind": "Pod", "metadata": {"name": "a"}}]')[0].name == "a"


def test_merge_keys_count_against_the_budget() -> None:
    anchor = "base: &b {" + ", ".join(f"k{i}: {i}" for i in range(2_000)) + "}\n"
    merges = "".join(f"m{i}: {{<<: *b}}\n" for i in range(600))  # 1.2 million merged pairs from ~20 kB
    with pytest.raises(InputError, match="alias bomb"):
        load_text(anchor + merges)
    few = load_text(anchor + "".join(f"m{i}: {{<<: *b}}\n" for i in range(5)))[0].obj  # a few are fine
    assert few["m4"]["k1999"] == 1999


@pytest.mark.parametrize("text,problem", [
    ("a: !!timestamp soon\n", "not a valid value"),
    ("a: " + "1" * 5000 + "\n", "too many digits"),
    ("a: !!float x\n", "not a valid value"),
    ("- !!map [a]\n", "expected a mapping node"),
    ('{"a": ' + "1" * 5000 + "}", "not valid JSON"),
])
def test_bad_tagged_values_are_one_line_errors(text: str, problem: str) -> None:
    with pytest.raises(InputError) as err:
        load_text(text, source="t.yaml")
    assert problem in str(err.value) and len(str(err.value)) < 300


def test_a_file_read_whole_is_bounded(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from kslab.manifests.load import read_source

    path = tmp_path / "kubelet.yaml"
    path.write_text("kind: KubeletConfiguration\n" + "# padding\n" * 2000, encoding="utf-8")
    with pytest.raises(InputError, match="longer than"):
        read_source(path, limit=10_000)
    assert read_source(path)[0].startswith("kind: KubeletConfiguration")
