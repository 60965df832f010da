"""Showing values that came from outside: bounded in error messages, harmless on a terminal.

Two helpers, used everywhere a student's input (a file, a flag, an object name, an HTTP header
from a capture) reaches a message or the screen:

* :func:`brief` — a value as a *short* ``repr``: long strings cut with their length said, lists and
  mappings cut after a few items and a few levels, huge integers described instead of printed. An
  error line about a 5 MB line or a 100,000-deep list stays one short line.
* :func:`printable` — text with control characters and terminal escape sequences shown as escapes
  (``\\x1b[31m`` prints as ``\\x1b[31m``, not as red), lone surrogates likewise; ordinary Unicode is
  kept. The command line's text output goes through it.

>>> brief("x" * 500)
"'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'… (500 chars)"
>>> brief({"a": [[[[1]]]], "b": 2})
"{'a': [[[…]]], 'b': 2}"
>>> printable("web\\x1b[31m-red")
'web\\\\x1b[31m-red'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

#: Characters a string may show of itself in a message.
BRIEF_CHARS = 60
#: Items of a list or mapping shown before "…".
BRIEF_ITEMS = 6
#: Levels of nesting shown before "…".
BRIEF_DEPTH = 3
#: Integers with more bits than this are described, not printed (Python refuses str() past 4,300 digits).
_BIG_INT_BITS = 256

# C0 and C1 controls, DEL, and lone surrogates; tab and newline are handled by the caller's choice.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_UNPRINTABLE_ALL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\ud800-\udfff]")


def brief(value: Any, *, limit: int = BRIEF_CHARS, depth: int = BRIEF_DEPTH) -> str:
    """``repr(value)``, bounded in size and depth, for error messages.

    >>> brief(10 ** 5000)
    'an integer of 5001 digits'
    >>> brief(list(range(100)))
    '[0, 1, 2, 3, 4, 5, …] (100 items)'
    """
    return _brief(value, limit, depth, top=True)


def clip(text: str, *, limit: int = BRIEF_CHARS) -> str:
    """``text`` unquoted, cut at ``limit`` characters with its length said, control characters escaped.

    >>> clip("kube-apiserver"), clip("x" * 100, limit=5)
    ('kube-apiserver', 'xxxxx… (100 chars)')
    """
    text = str(text)
    shown = printable(text[:limit], keep_newlines=False)
    return shown if len(text) <= limit else f"{shown}… ({len(text)} chars)"


#: The longest name a Kubernetes object can have (a DNS subdomain). Only a broken or hostile file has
#: longer names; :func:`clip_name` cuts those so that one name cannot fill a screen.
NAME_CHARS = 253


def clip_name(name: str) -> str:
    """A name as shown to the student: unchanged up to :data:`NAME_CHARS` characters (every valid
    Kubernetes name, so the API server's wording is kept), else cut with its length said.

    >>> clip_name("webapp"), clip_name("x" * 300)[-20:]
    ('webapp', 'xxxxxxx… (300 chars)')
    """
    return name if len(name) <= NAME_CHARS else clip(name, limit=NAME_CHARS)


def _brief(value: Any, limit: int, depth: int, *, top: bool = False) -> str:
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, int):
        if value.bit_length() > _BIG_INT_BITS:
            digits = _digits(value)
            return f"an integer of {digits} digits"
        return repr(value)
    if isinstance(value, str):
        if len(value) <= limit:
            return repr(value)
        return f"{value[:limit]!r}… ({len(value)} chars)"
    if isinstance(value, (bytes, bytearray)):
        if len(value) <= limit:
            return repr(bytes(value))
        return f"{bytes(value[:limit])!r}… ({len(value)} bytes)"
    if isinstance(value, Mapping):
        if depth <= 0:
            return "{…}"
        items = list(_take(value.items(), BRIEF_ITEMS + 1))
        shown = [f"{_brief(k, limit, depth - 1)}: {_brief(v, limit, depth - 1)}" for k, v in items[:BRIEF_ITEMS]]
        more = ", …" if len(items) > BRIEF_ITEMS else ""
        text = "{" + ", ".join(shown) + more + "}"
        return text + (f" ({len(value)} items)" if more and top else "")
    if isinstance(value, (list, tuple, set, frozenset)):
        open_, close = ("[", "]") if isinstance(value, list) else ("(", ")") if isinstance(value, tuple) else ("{", "}")
        if depth <= 0:
            return f"{open_}…{close}"
        items = list(_take(value, BRIEF_ITEMS + 1))
        shown = [_brief(v, limit, depth - 1) for v in items[:BRIEF_ITEMS]]
        more = ", …" if len(items) > BRIEF_ITEMS else ""
        comma = "," if isinstance(value, tuple) and len(value) == 1 else ""
        text = open_ + ", ".join(shown) + comma + more + close
        return text + (f" ({len(value)} items)" if more and top else "")
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 - a value that cannot show itself still gets a name
        return f"<{type(value).__name__}>"
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} chars)"


def _take(items: Any, n: int) -> Any:
    for i, item in enumerate(items):
        if i >= n:
            return
        yield item


def _digits(value: int) -> int:
    """Decimal digits of a (huge) integer without converting it to a string."""
    import math

    value = abs(value)
    estimate = int(value.bit_length() * math.log10(2)) + 1
    return estimate if value >= 10 ** (estimate - 1) else estimate - 1


def printable(text: str, *, keep_newlines: bool = True) -> str:
    """``text`` with control characters (ESC, BEL, CR, C1 …) and lone surrogates shown as escapes.

    Tabs and — unless ``keep_newlines`` is False — newlines are kept, so tables and multi-line
    output still read; everything a terminal would act on is made visible instead.

    >>> printable("a\\tb\\r\\n\\x07\\x9b")
    'a\\tb\\\\r\\n\\\\x07\\\\x9b'
    >>> printable("one\\ntwo", keep_newlines=False)
    'one\\\\ntwo'
    """
    # Nearly all text needs nothing: str.isprintable clears it several times faster than the search (a
    # capture's summary is megabytes). It refuses more than the pattern does (tabs, newlines, other
    # invisible characters), so the text it refuses is searched.
    if (text.replace("\n", "") if keep_newlines else text).isprintable():
        return text
    pattern = _UNPRINTABLE if keep_newlines else _UNPRINTABLE_ALL
    if not pattern.search(text):
        return text
    return pattern.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    char = match.group(0)
    code = ord(char)
    if char == "\r":
        return "\\r"
    if char == "\n":
        return "\\n"
    if char == "\t":
        return "\\t"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"
