"""Printing results: JSON for machines, aligned text tables for people."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TextIO


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


def format_table(rows: Iterable[Mapping[str, Any]], columns: Sequence[str],
                 headers: Sequence[str] | None = None) -> str:
    """Rows as an aligned plain-text table (no colour: it must read in any terminal or log).

    >>> print(format_table([{"a": 1, "b": "xy"}], ["a", "b"]))
    A  B
    1  xy
    """
    heads = list(headers or [c.upper() for c in columns])
    cells = [["" if r.get(c) is None else str(r.get(c)) for c in columns] for r in rows]
    widths = [max([len(h)] + [len(row[i]) for row in cells]) for i, h in enumerate(heads)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(heads, widths)).rstrip()]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() for row in cells]
    return "\n".join(lines)
