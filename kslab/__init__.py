"""kslab: the helper library of the *Securing Kubernetes* course.

Import is cheap: heavy libraries (the Kubernetes client, pandas, Scapy, widgets) are imported by the
functions that need them, so ``import kslab`` stays fast. The public surface:

>>> import kslab
>>> kslab.KslabError.__name__
'KslabError'
"""

from __future__ import annotations

import importlib
from typing import Any

from kslab.errors import KslabError

__version__ = "0.1.0"

# name -> module that defines it; loaded on first use (PEP 562).
_LAZY: dict[str, str] = {
    "connect": "kslab.cluster.connect",
    "Lab": "kslab.cluster.lab",
    "doctor": "kslab.doctor",
    "exercise": "kslab.exercises",
    "progress": "kslab.exercises",
}

# The lessons' modules, importable as attributes (``kslab.pss.evaluate(...)``) on first use.
_SUBMODULES = ("architecture", "audit", "classroom", "hack", "istio", "manifests", "mesh", "pcap",
               "pss", "rbac", "widgets")

__all__ = ["KslabError", "__version__", *_LAZY, *_SUBMODULES]


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        value = importlib.import_module(f"kslab.{name}")
    elif name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
    else:
        raise AttributeError(f"module 'kslab' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
