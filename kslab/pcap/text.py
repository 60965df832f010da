"""Small text helpers shared by the capture views: sizes, bytes as tcpdump prints them, shortening."""

from __future__ import annotations


def human_bytes(n: int) -> str:
    """``1.2 KiB`` style sizes.

    >>> human_bytes(512), human_bytes(2048), human_bytes(5 * 1024 ** 3)
    ('512 B', '2.0 KiB', '5.0 GiB')
    """
    if n < 1024:
        return f"{n} B"
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"  # pragma: no cover


def printable(data: bytes) -> str:
    """Bytes as ``tcpdump -A`` shows them: printable ASCII kept, everything else as ``.``.

    >>> printable(b"GET /\\r\\n\\x16\\x03")
    'GET /....'
    """
    return "".join(chr(b) if 32 <= b < 127 else "." for b in data)


def shortened(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, with an ellipsis when it was longer.

    >>> shortened("abcdef", 4)
    'abc…'
    """
    return text if len(text) <= limit else text[:limit - 1] + "…"
