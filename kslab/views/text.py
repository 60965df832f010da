"""How results show themselves: as their plain text, in a terminal and in a notebook alike.

>>> class Hello(TextView):
...     def text(self) -> str:
...         return "hello"
>>> Hello()
hello
"""

from __future__ import annotations

import html


class TextView:
    """Mixin: ``repr`` is :meth:`text`; notebooks show it preformatted (tables stay aligned)."""

    def text(self) -> str:
        raise NotImplementedError

    def __repr__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        return f"<pre>{html.escape(self.text())}</pre>"
