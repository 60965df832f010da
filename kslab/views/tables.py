"""Aligned plain-text tables: what every result a student reads is laid out with.

No colour and no box drawing: a table must read the same in a terminal, a log, a notebook's output cell
and a notebook rendered on GitHub.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any


def format_table(rows: Iterable[Mapping[str, Any]], columns: Sequence[str],
                 headers: Sequence[str] | None = None, *, wrap: Mapping[str, int] | None = None,
                 blank_between: bool = False) -> str:
    """Rows as an aligned plain-text table (no colour: it must read in any terminal or log).

    ``wrap`` caps some columns at a width: a longer value continues on the next lines of its column
    (see :func:`wrap_cell`), so a wide table still fits a notebook or a terminal without losing words;
    ``blank_between`` puts an empty line between rows, so wrapped rows stay apart.

    >>> print(format_table([{"a": 1, "b": "xy"}], ["a", "b"]))
    A  B
    1  xy
    >>> print(format_table([{"k": "id", "v": "who talks to whom"}], ["k", "v"], wrap={"v": 10}))
    K   V
    id  who talks
        to whom
    """
    heads = list(headers or [c.upper() for c in columns])
    limits = [(wrap or {}).get(c) for c in columns]
    lines_of = [[wrap_cell(v, limit) if limit else [v] for v, limit in
                 zip(["" if r.get(c) is None else str(r.get(c)) for c in columns], limits)] for r in rows]
    widths = [max([len(h)] + [len(line) for cells in lines_of for line in cells[i]]) for i, h in enumerate(heads)]
    out = ["  ".join(h.ljust(w) for h, w in zip(heads, widths)).rstrip()]
    for i, cells in enumerate(lines_of):
        if blank_between and i:
            out.append("")
        for k in range(max(len(c) for c in cells)):
            out.append("  ".join((c[k] if k < len(c) else "").ljust(w) for c, w in zip(cells, widths)).rstrip())
    return "\n".join(out)


#: Where a word too long for its column may break: after one of these (paths, SPIFFE ids, host names, lists).
_BREAK_AFTER = re.compile(r"[^/,.;_-]*[/,.;_-]*")


def wrap_cell(text: str, width: int) -> list[str]:
    """``text`` as lines of at most ``width`` characters: broken between words, a longer word after a
    ``/ , . ; - _``, and only failing that anywhere. Nothing is dropped.

    >>> wrap_cell("spiffe://cluster.local/ns/istio-app/sa/bookinfo-details (issuer O=cluster.local)", 26)
    ['spiffe://cluster.local/ns/', 'istio-app/sa/bookinfo-', 'details (issuer', 'O=cluster.local)']
    """
    lines, line = [], ""
    for word in text.split():
        pieces = [word] if len(word) <= width else [
            chunk[i:i + width] for chunk in _BREAK_AFTER.findall(word) if chunk
            for i in range(0, len(chunk), width)]
        for k, piece in enumerate(pieces):
            sep = " " if line and k == 0 else ""
            if line and len(line) + len(sep) + len(piece) > width:
                lines.append(line)
                line, sep = "", ""
            line += sep + piece
    return [*lines, line]
