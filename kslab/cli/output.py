"""Printing results: JSON for machines; aligned text tables for people (from :mod:`kslab.views.tables`)."""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO

from kslab.views.tables import format_table, wrap_cell

__all__ = ["PrintableStream", "emit_json", "format_table", "wrap_cell"]


#: Characters of one string ``--json`` shows whole: a 5,000-digit flag value or name quoted from the
#: input is cut, as messages cut it (:data:`kslab.errors.MAX_LINE`), and says it was shortened.
JSON_VALUE_CHARS = 1000


def emit_json(data: Any, *, stream: TextIO | None = None, whole: bool = False) -> None:
    """Write ``data`` as indented JSON (the ``--json`` output of every subcommand). Strings longer
    than :data:`JSON_VALUE_CHARS` are cut, and say so (see :func:`bounded`); ``whole=True`` writes
    output meant for another program (manifests for ``kubectl apply``) as it is.

    >>> emit_json({"allowed": True})
    {
      "allowed": true
    }
    """
    out = stream or sys.stdout
    json.dump(data if whole else bounded(data), out, indent=2, default=str)
    out.write("\n")


def bounded(value: Any, *, limit: int = JSON_VALUE_CHARS) -> Any:
    """``value`` with every string (keys too) longer than ``limit`` cut and marked as shortened.

    >>> bounded({"observed": "--audit-log-maxage=" + "9" * 5000}, limit=24)
    {'observed': '--audit-log-maxage=99999…(shortened: 5019 characters in all)'}
    """
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return value
    if isinstance(value, int):  # past ~4,300 digits json (str()) refuses an int: describe a long one
        return value if value.bit_length() <= 3 * limit else f"an integer of about {int(value.bit_length() * 0.30103)} digits (shortened)"
    if not isinstance(value, (str, dict, list, tuple)):
        value = str(value)  # what json's default=str would write, bounded like any string
    if isinstance(value, str):
        return value if len(value) <= limit else f"{value[:limit]}…(shortened: {len(value)} characters in all)"
    if isinstance(value, dict):
        return {bounded(k, limit=limit): bounded(v, limit=limit) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [bounded(v, limit=limit) for v in value]
    return value


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
