"""Aligned plain-text tables: what every result a student reads is laid out with.

No colour and no box drawing: a table must read the same in a terminal, a log, a notebook's output cell
and a notebook rendered on GitHub.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from kslab.views.styles import CSS_MUTED_TEXT, CSS_ROW_RULE


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


# ---- the table a student reads: HTML in a notebook, aligned text everywhere else ---------------------

#: Characters after which a long value may break in HTML (paths, SPIFFE ids, host names, flag lists).
_HTML_BREAK_AFTER = re.compile(r"([/,.;_|:=&-]+)")
#: A value at least this long without spaces gets break opportunities after those characters.
_LONG_TOKEN = 16
#: Classes that keep JupyterLab's MathJax away from a table (``$TOKEN`` … ``$(cmd)`` is not maths).
_NO_MATHS = "tex2jax_ignore mathjax_ignore"
_CELL_STYLE = ("text-align:left;vertical-align:top;padding:3px 8px;white-space:normal;"
               "overflow-wrap:normal;word-break:normal")


def _html_value(text: str) -> str:
    """``text`` escaped for HTML, with a break opportunity (``<wbr>``) after ``/ , . ; _ | : = -`` inside
    long words, so the browser wraps a long path or id at a natural place and never mid-word.

    >>> _html_value("spiffe://cluster.local/ns/a")
    'spiffe://<wbr>cluster.<wbr>local/<wbr>ns/<wbr>a'
    >>> _html_value("a < b")
    'a &lt; b'
    """
    import html  # noqa: PLC0415 - cheap, only when rendering

    words = []
    for word in text.split(" "):
        if len(word) < _LONG_TOKEN:
            words.append(html.escape(word))
            continue
        parts = _HTML_BREAK_AFTER.split(word)
        pieces = [html.escape(p) + ("<wbr>" if i % 2 and i < len(parts) - 1 and parts[i + 1] else "")
                  for i, p in enumerate(parts)]
        words.append("".join(pieces))
    return " ".join(words)


class Table:
    """A table a student reads: HTML that fits a notebook column, aligned text for terminals and GitHub.

    * ``columns`` are the row keys shown, ``headers`` their titles (default: the keys in capitals).
    * ``wrap`` caps text-form columns at a width (see :func:`format_table`); the HTML form wraps
      inside its cells by itself, between words or after ``/ . - _ …`` in a long value, never mid-word.
    * ``abbreviate`` cuts an HTML value after that many characters; the whole value stays one hover
      away (its ``title``) and in the text form.
    * ``style`` maps a column to a function of the cell's value giving an inline CSS style (a colour);
      the value itself must still say what the colour means (PASS, yes, …).
    * ``title`` goes above the table and ``note`` under it, in both forms.

    >>> t = Table([{"verb": "get", "allowed": "yes"}], ["verb", "allowed"], title="As webapp:")
    >>> t
    As webapp:
    VERB  ALLOWED
    get   yes
    >>> "<th" in t._repr_html_() and "kslab-table" in t._repr_html_()
    True
    """

    def __init__(self, rows: Iterable[Mapping[str, Any]], columns: Sequence[str],
                 headers: Sequence[str] | None = None, *, title: str = "", note: str = "",
                 wrap: Mapping[str, int] | None = None, abbreviate: Mapping[str, int] | None = None,
                 style: Mapping[str, Callable[[Any], str]] | None = None, blank_between: bool = False,
                 row_class: Callable[[Mapping[str, Any]], str] | None = None) -> None:
        self.rows = [dict(r) for r in rows]
        self.columns = list(columns)
        self.headers = list(headers or [c.upper() for c in self.columns])
        self.title, self.note = title, note
        self.wrap, self.abbreviate, self.style = dict(wrap or {}), dict(abbreviate or {}), dict(style or {})
        self.blank_between = blank_between
        self.row_class = row_class

    def text(self) -> str:
        """The text form: title, aligned columns (long values wrapped in their column), note."""
        body = format_table(self.rows, self.columns, self.headers, wrap=self.wrap,
                            blank_between=self.blank_between)
        return "\n".join(part for part in (self.title, body, self.note) if part)

    def __repr__(self) -> str:
        return self.text()

    __str__ = __repr__

    def _cell(self, column: str, value: Any) -> str:
        import html  # noqa: PLC0415

        text = "" if value is None else str(value)
        style = _CELL_STYLE + (";" + self.style[column](value) if column in self.style else "")
        limit = self.abbreviate.get(column)
        if limit and len(text) > limit:
            shown = _html_value(text[:limit - 1].rstrip()) + "…"
            return (f'<td style="{style}"><span title="{html.escape(text, quote=True)}">{shown}</span>'
                    '</td>')
        return f'<td style="{style}">{_html_value(text)}</td>'

    def html(self) -> str:
        """The HTML form: a left-aligned table that wraps inside its cells and never exceeds its column."""
        import html  # noqa: PLC0415

        head = "".join(f'<th style="{_CELL_STYLE};border-bottom:{CSS_ROW_RULE}">{html.escape(h)}</th>'
                       for h in self.headers)
        body = []
        for row in self.rows:
            cls = f' class="{html.escape(self.row_class(row))}"' if self.row_class else ""
            body.append(f"<tr{cls}>" + "".join(self._cell(c, row.get(c)) for c in self.columns) + "</tr>")
        title = f'<div style="margin:2px 0"><b>{html.escape(self.title)}</b></div>' if self.title else ""
        note = f'<div style="margin:2px 0;color:{CSS_MUTED_TEXT}">{html.escape(self.note)}</div>' if self.note else ""
        # tex2jax_ignore/mathjax_ignore: JupyterLab typesets $...$ as maths; a shell's $(...) is not
        return (f'<div class="kslab-table {_NO_MATHS}" style="max-width:100%">{title}'
                '<table style="table-layout:auto;border-collapse:collapse;margin:0;max-width:100%">'
                f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{note}</div>")

    def _repr_html_(self) -> str:
        return self.html()


def html_block(*parts: str | Table | None) -> str:
    """Prose lines and tables as one HTML block for a notebook: a string becomes a line of text, a
    :class:`Table` its HTML; ``None`` and empty strings are left out.

    >>> html_block("Who can get pods", None, Table([{"a": 1}], ["a"])).count("<table")
    1
    """
    import html  # noqa: PLC0415

    shown = []
    for part in parts:
        if isinstance(part, Table):
            shown.append(part.html())
        elif part:
            shown.append(f'<div style="white-space:pre-wrap">{html.escape(part)}</div>')
    return f'<div class="kslab-block {_NO_MATHS}">' + "".join(shown) + "</div>"
