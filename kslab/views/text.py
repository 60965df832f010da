"""How results show themselves: as their plain text, in a terminal and in a notebook alike.

>>> class Hello(TextView):
...     def text(self) -> str:
...         return "hello"
>>> Hello()
hello
"""

from __future__ import annotations

import html

#: How preformatted text wraps in a notebook: at spaces. JupyterLab gives every ``<pre>`` in an output
#: ``word-break: break-all``, which cuts words anywhere ("PeerAuthenticati|on"); a word longer than the
#: line still breaks (``overflow-wrap``), so nothing runs out of the column.
PRE_WRAP = "white-space:pre-wrap;word-break:normal;overflow-wrap:anywhere"


def pre(text: str, style: str = "") -> str:
    """``text``, escaped, in a ``<pre>`` that wraps at spaces (see :data:`PRE_WRAP`); ``style`` adds to it.

    >>> pre("a <b>")
    '<pre style="white-space:pre-wrap;word-break:normal;overflow-wrap:anywhere">a &lt;b&gt;</pre>'
    >>> pre("x", "margin:0")
    '<pre style="margin:0;white-space:pre-wrap;word-break:normal;overflow-wrap:anywhere">x</pre>'
    """
    return f'<pre style="{style + ";" if style else ""}{PRE_WRAP}">{html.escape(text)}</pre>'


class TextView:
    """Mixin: ``repr`` is :meth:`text`; notebooks show it preformatted (tables stay aligned)."""

    def text(self) -> str:
        raise NotImplementedError

    def __repr__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        return pre(self.text())
