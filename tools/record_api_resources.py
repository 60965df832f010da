"""Regenerate ``kslab/data/rbac/api-resources.json``: the built-in resource types and their scope, derived
from the REST paths of the installed official Python client (``make data`` runs it).

A maintenance command, kept out of the ``kslab`` package: it is the one place outside ``kslab/cluster/``
that imports the Kubernetes client, and it reads the client's source, not a cluster.

    python tools/record_api_resources.py
"""

from __future__ import annotations

import datetime
import inspect
import json
import re
from pathlib import Path
from typing import Any

import kubernetes
from kubernetes import client

from kslab.rbac.resources import DATA_FILE, scope_from_paths


def derive_from_python_client() -> dict[str, Any]:
    """Re-derive the recording from the installed official Python client's API paths."""
    paths: set[str] = set()
    for name, cls in inspect.getmembers(client, inspect.isclass):
        if name.endswith("Api") and cls.__module__.startswith("kubernetes.client.api."):
            paths.update(re.findall(r"resource_path='([^']+)'", inspect.getsource(cls)))
    api_release = client.Configuration().to_debug_report().split("Version of the API: ")[1].split("\n")[0]
    return {
        "source": (f"derived from the REST paths of the official Python client kubernetes=="
                   f"{kubernetes.__version__} (generated from Kubernetes {api_release}); built-in "
                   "types only, no CRDs"),
        "how": "python tools/record_api_resources.py (derive_from_python_client)",
        "kubernetes": api_release,
        "resources": scope_from_paths(sorted(paths)),
    }


def main() -> None:
    """Regenerate ``kslab/data/rbac/api-resources.json`` from the installed client."""
    data = derive_from_python_client()
    data = {"recorded": datetime.date.today().isoformat(), **data}
    out = Path(__file__).resolve().parent.parent / "kslab" / "data" / "rbac" / DATA_FILE
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {out} ({len(data['resources'])} resource types)")


if __name__ == "__main__":
    main()
