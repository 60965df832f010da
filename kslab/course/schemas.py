"""jsonschema for kslab's own schema checks, without the grammar build a kernel would pay for.

jsonschema's format module imports ``rfc3987_syntax`` whenever it is installed — and it is, in
every course environment: JupyterLab's ``jupyter-events`` depends on ``jsonschema[format-nongpl]``.
That import builds 39 Lark grammars, over a second of CPU, in each kernel that touches jsonschema,
for the ``iri``/``iri-reference`` formats, which no kslab schema uses. kslab's schemas use only
``ipv4`` and ``ipv6`` (checked by the standard library's ``ipaddress``). So :func:`jsonschema`
imports it with ``rfc3987_syntax`` hidden for that moment (jsonschema skips a format whose library
is missing), and :func:`format_checker` checks exactly kslab's formats.

>>> format_checker().conforms("10.0.0.1", "ipv4"), format_checker().conforms("10.0.0.300", "ipv4")
(True, False)
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import Any

#: The formats kslab's schemas use (kslab/data/**/schemas/*.json).
FORMATS = ("ipv4", "ipv6")
_GRAMMAR_MODULE = "rfc3987_syntax"


def jsonschema() -> ModuleType:
    """The jsonschema module, imported without building rfc3987_syntax's grammars.

    If jsonschema was imported already (by someone else, with every format), that module is used.
    Afterwards ``rfc3987_syntax`` itself imports normally; only jsonschema's ``iri`` formats stay
    unchecked in this process, and kslab checks neither.
    """
    loaded = sys.modules.get("jsonschema")
    if loaded is not None:
        return loaded
    hide = _GRAMMAR_MODULE not in sys.modules
    if hide:
        sys.modules[_GRAMMAR_MODULE] = None  # type: ignore[assignment] # "import" now raises ImportError
    try:
        import jsonschema as module  # noqa: PLC0415 - on use only
    finally:
        if hide and sys.modules.get(_GRAMMAR_MODULE, ...) is None:
            del sys.modules[_GRAMMAR_MODULE]
    return module


def format_checker() -> Any:
    """A FormatChecker for exactly the formats kslab's schemas use."""
    return jsonschema().FormatChecker(formats=FORMATS)
