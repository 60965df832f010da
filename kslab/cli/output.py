"""Printing results: JSON for machines; aligned text tables for people (from :mod:`kslab.views.tables`)."""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO

from kslab.views.tables import format_table, wrap_cell

__all__ = ["PrintableStream", "emit_json", "format_table", "wrap_cell"]


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


class PrintableStream:
    """A text stream that shows control characters and terminal escape sequences as escapes.

    The command line prints names, flags and HTTP headers that come from files and captures; a
    name holding ``ESC [ 2 J`` must show as text, not clear the student's terminal. Every
    subcommand's standard output and error go through one of these (:func:`kslab.cli.main.main`);
    JSON output is already escaped by the encoder and passes unchanged.

    >>> import io
    >>> buf = io.StringIO()
    >>> _ = PrintableStream(buf).write("pod \\x1b[2Jweb\\n")
    >>> buf.getvalue()
    'pod \\\\x1b[2Jweb\\n'
    """

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        from kslab.text import printable

        self._stream.write(printable(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:  # flush, fileno, isatty, encoding ...
        return getattr(self._stream, name)
