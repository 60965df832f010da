"""Fuzzing the YAML/JSON loader (issue #15): whatever the text or bytes, loading ends with documents
or a one-line :class:`~kslab.errors.InputError`, never another exception — and where PyYAML's C
loader reads the same text, the documents are PyYAML's (the loader refuses more, never reads differently).

In the suite each target runs a fixed set of examples (``derandomize``: the same every run).
``python tools/fuzz.py yaml`` runs them for minutes, with fresh random examples.
"""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kslab.errors import InputError
from kslab.manifests.load import iter_objects, load_text

LONG = os.environ.get("KSLAB_FUZZ_EXAMPLES")
FUZZ = settings(max_examples=int(LONG) if LONG else 150, derandomize=not LONG, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large], database=None)

SEEDS = [
    "apiVersion: v1\nkind: Pod\nmetadata: {name: p, labels: {app: web}}\nspec:\n  containers:\n"
    "  - name: c\n    image: x:1\n    ports: [{containerPort: 80, hostPort: 8080}]\n",
    "a: &a [1, 2, 3]\nb: &b [*a, *a, *a]\nc: [*b, *b]\nd: {<<: {x: 1}, y: 2}\n---\nkind: List\nitems: [{kind: Pod}]\n",
    "k: !!binary aGk=\nt: 2026-01-02\nn: ~\nf: 1.5e3\ns: '007'\nb: yes\n? [x]\n: y\n",
    '{"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "c"}]}}',
]
ALPHABET = st.sampled_from(list("ab:- \n\t{}[],&*!<>|'\"#?%@`=~.01xyz\u00e9") + ["!!int ", "!!str ", "<<: ", "&a ", "*a", "---\n"])


def mutated(seed: str) -> st.SearchStrategy[str]:
    @st.composite
    def build(draw: st.DrawFn) -> str:
        text = list(seed)
        for _ in range(draw(st.integers(0, 6))):
            if text:
                text[draw(st.integers(0, len(text) - 1))] = draw(ALPHABET)
        cut = draw(st.integers(0, len(text)))
        return "".join(text[:cut]) + "".join(draw(st.lists(ALPHABET, max_size=20)))
    return build()


texts = st.one_of(st.lists(ALPHABET, max_size=80).map("".join), *(mutated(s) for s in SEEDS))


def _pyyaml(text: str) -> list[Any] | None:
    """PyYAML's documents as the loader unpacks them, or None when PyYAML refuses the text."""
    try:
        docs = list(yaml.load_all(text, Loader=yaml.CSafeLoader))
    except Exception:  # noqa: BLE001 - any refusal: the loader must refuse too
        return None
    out: list[Any] = []
    for doc in docs:
        if not isinstance(doc, dict):
            continue
        items = doc.get("items") if str(doc.get("kind", "")).endswith("List") else None
        out += [i for i in items if isinstance(i, dict)] if isinstance(items, list) else [doc]
    return out


def _has_nan(value: Any, depth: int = 0) -> bool:
    if depth > 50:
        return False
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, dict):
        return any(_has_nan(k, depth + 1) or _has_nan(v, depth + 1) for k, v in value.items())
    if isinstance(value, (list, tuple, set, frozenset)):
        return any(_has_nan(v, depth + 1) for v in value)
    return False


@FUZZ
@given(text=texts)
def test_yaml_text(text: str) -> None:
    try:
        docs = [d.obj for d in load_text(text, source="fuzz.yaml")]
    except InputError as exc:
        assert "\n" not in str(exc).split("hint:")[0].strip()
        return
    expected = _pyyaml(text)
    if text.lstrip()[:1] in ("{", "["):
        return  # read as JSON, which PyYAML reads by YAML's rules
    assert expected is not None, "the loader read what PyYAML refuses"
    if not _has_nan(expected):
        assert docs == expected


@FUZZ
@given(data=st.one_of(st.binary(max_size=200), mutated(SEEDS[0]).map(lambda t: t.encode("utf-8", "surrogatepass")),
                      st.text(max_size=100).map(lambda t: t.encode("latin-1", "replace"))))
def test_files_as_bytes(data: bytes) -> None:
    with tempfile.TemporaryDirectory(prefix="kslab-fuzz-") as tmp:
        path = Path(tmp) / "f.yaml"
        path.write_bytes(data)
        notes: list[str] = []
        try:
            for doc in iter_objects([path], notes):
                assert isinstance(doc.obj, dict)
        except InputError:
            pass
