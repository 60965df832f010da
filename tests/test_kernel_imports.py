"""Notebook kernels skip heavy imports: kslab's schema checks without rfc3987_syntax's grammar build,
``progress()`` without pandas.

Each check runs in a fresh interpreter, which then reports whether ``rfc3987_syntax`` was imported
(the grammar build happens at its import) and what the check found, so the formats kslab's schemas
use (ipv4, ipv6) are shown still checked.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

CHECK = """
import json, sys
from kslab.course.kind_config import Document, schema_problems
from kslab.istio.validate import validate_istio

def cluster(address):
    return Document("kind.yaml", {"kind": "Cluster", "apiVersion": "kind.x-k8s.io/v1alpha4",
        "nodes": [{"role": "control-plane", "extraPortMappings": [
            {"containerPort": 30080, "hostPort": 8080, "listenAddress": address}]}]}, "kind-cluster.v1alpha4")

problems = {a: schema_problems(cluster(a)) for a in ("127.0.0.1", "::1", "127.0.0.300")}
istio = validate_istio({"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication",
                        "metadata": {"name": "default"}, "spec": {"mtls": {"mode": "SOMETIMES"}}})
from kslab.manifests.validate import validate
pod = validate({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": "x"}})
print(json.dumps({"grammar": "rfc3987_syntax" in sys.modules, "problems": problems, "istio": len(istio),
                  "pod": len(pod)}))
"""


def test_schema_checks_skip_the_grammar_build_and_still_check_ip_formats() -> None:
    try:
        import rfc3987_syntax  # noqa: F401 - only whether it is installed
    except ImportError:
        pytest.skip("rfc3987_syntax is not installed here: nothing to avoid")
    out = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, check=True, timeout=120)
    result = json.loads(out.stdout)
    assert result["grammar"] is False
    assert result["problems"]["127.0.0.1"] == [] and result["problems"]["::1"] == []
    assert any("listenAddress" in p for p in result["problems"]["127.0.0.300"])
    assert result["istio"] >= 1  # the Istio schema check ran (an unknown mTLS mode)
    assert result["pod"] >= 1  # and the Kubernetes schema check (containers is not a list)


def test_a_later_import_of_the_grammar_module_still_works() -> None:
    code = ("from kslab.course.schemas import jsonschema; jsonschema(); import rfc3987_syntax, sys; "
            "print(rfc3987_syntax.__name__)")
    try:
        import rfc3987_syntax  # noqa: F401
    except ImportError:
        pytest.skip("rfc3987_syntax is not installed here")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip() == "rfc3987_syntax"


def test_progress_needs_no_pandas_unless_a_frame_is_asked_for(tmp_path: Path) -> None:
    code = ("import sys, kslab; t = kslab.progress('04'); print(type(t).__name__, 'pandas' in sys.modules); "
            "f = kslab.progress('04', as_frame=True); print(type(f).__name__, list(f.columns)[:3], len(f) == len(t.rows))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120,
                         env={**os.environ, "KSLAB_HOME": str(tmp_path)})
    assert out.stdout.splitlines() == ["Table False", "DataFrame ['id', 'title', 'status'] True"]
