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

__all__ = ["KslabError", "__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'kslab' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
