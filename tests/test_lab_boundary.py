"""All cluster I/O goes through Lab's verbs: no raw client is handed out, and no module outside the
cluster layer (nor a live test, a benchmark or a notebook) reaches for one.

import-linter's contract "Only the cluster layer touches the Kubernetes client" (pyproject.toml) keeps
``import kubernetes`` inside kslab/cluster/; it cannot see an attribute, so this test reads the code.
"""

from __future__ import annotations

import ast
from pathlib import Path
from types import SimpleNamespace

import pytest

from kslab.cluster.lab import Lab
from kslab.cluster.modes import ModeChoice
from kslab.errors import OfflineOnly

ROOT = Path(__file__).resolve().parent.parent
#: The names a raw client went (or would go) by on a Lab.
RAW = {"core", "api", "dynamic", "apps", "rbac", "_core", "_api", "_client", "_dynamic", "_apps", "_rbac"}


def _sources() -> list[Path]:
    """Every Python file outside kslab/cluster/ that may hold a Lab: the rest of kslab, live tests,
    benchmarks and the notebooks' sources."""
    files = [p for p in (ROOT / "kslab").rglob("*.py") if "cluster" not in p.relative_to(ROOT / "kslab").parts[:1]]
    for extra in ("tests/live", "bench", "notebooks/src"):
        files += sorted((ROOT / extra).rglob("*.py"))
    return files + [ROOT / "tests" / "conftest.py"]


def raw_client_uses(path: Path) -> list[str]:
    """``file:line attribute`` for each ``x.core`` / ``x._core`` / ``x.api`` ... read in one file.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = Path(d, "m.py")
    ...     _ = p.write_text("def f(lab):\\n    return lab.core.list_node()\\n")
    ...     raw_client_uses(p)[0].endswith("m.py:2 .core")
    True
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    return [f"{path}:{node.lineno} .{node.attr}" for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and node.attr in RAW]


def test_nothing_outside_the_cluster_layer_touches_a_raw_client() -> None:
    files = _sources()
    assert len(files) > 100  # the scan reads the code it is meant to
    found = [use for path in files for use in raw_client_uses(path)]
    assert found == []


def test_nothing_outside_the_cluster_layer_imports_the_kubernetes_client() -> None:
    found = []
    for path in _sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            found += [f"{path}:{node.lineno} {n}" for n in names if n == "kubernetes" or n.startswith("kubernetes.")]
    assert found == []


def test_lab_hands_out_no_raw_client() -> None:
    public = {name for name in dir(Lab) if not name.startswith("_")}
    assert not public & RAW
    client = SimpleNamespace(configuration=SimpleNamespace(host="https://127.0.0.1:6443", ca_cert_data=None,
                                                           ssl_ca_cert=None, verify_ssl=True))
    lab = Lab(ModeChoice("live", "kind-kslab", True, "a test"), api_client=client)
    properties = [name for name in sorted(public) if isinstance(getattr(Lab, name), property)]
    assert "connection" in properties
    for name in properties:
        assert getattr(lab, name) is not client, name  # no property returns the client itself
    assert lab.connection.server == "https://127.0.0.1:6443" and lab.connection.ca_pem is None


def test_offline_verbs_refuse_before_any_request() -> None:
    lab = Lab(ModeChoice("offline", None, False, "no cluster"))
    for call in (lambda: lab.list_nodes(), lambda: lab.read_pod("ns", "p"), lambda: lab.list_namespaces(),
                 lambda: lab.read_config_map("ns", "cm"), lambda: lab.raw("/version"),
                 lambda: lab.list_objects("v1", "ConfigMap")):
        with pytest.raises(OfflineOnly):
            call()
