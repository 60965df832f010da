"""Printing results: JSON for machines; aligned text tables for people (from :mod:`kslab.views.tables`)."""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO

from kslab.views.tables import format_table, wrap_cell

__all__ = ["emit_json", "format_table", "wrap_cell"]


def emit_json(data: Any, *, stream: TextIO | None = None) -> None:
    """Write ``data`` as indented JSON (the ``--json`` output of every subcommand).

    >>> emit_json({"allowed": True})
    {
      "allowed": true
    }
    """
    out = stream or sys.stdout
    json.dump(data, out, indent=2, default=str)
    out.write("\n")
