"""``import kslab`` stays cheap: no heavy library is imported until a function needs it.

(How fast it is, is measured by bench/import_time.py; tests never assert timings.)
"""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("kubernetes", "kubernetes_validate", "pandas", "scapy", "ipywidgets", "matplotlib",
         "cryptography", "jsonschema", "numpy", "yaml")


def loaded_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return {m.split(".")[0] for m in json.loads(out.stdout.splitlines()[-1])}


def test_import_kslab_loads_no_heavy_module() -> None:
    assert not loaded_after("import kslab") & set(HEAVY)


def test_cli_help_loads_no_heavy_module() -> None:
    code = "import contextlib, io\nfrom kslab.cli.main import build_parser\nbuild_parser()"
    assert not loaded_after(code) & set(HEAVY)


def test_public_names_resolve_lazily() -> None:
    mods = loaded_after("import kslab\nkslab.connect")
    assert "kubernetes" not in mods  # connect() itself imports the client only when it probes
