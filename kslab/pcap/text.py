"""Small text helpers shared by the capture views: sizes, bytes as tcpdump prints them, shortening."""

from __future__ import annotations


def human_bytes(n: int) -> str:
    """``1.2 KiB`` style sizes.

    >>> human_bytes(512), human_bytes(2048), human_bytes(5 * 1024 ** 3)
    ('512 B', '2.0 KiB', '5.0 GiB')
    """
    if n < 1024:
        return f"{int(n)} B"
    if n < 1 << 20:
        return f"{n / 1024:.1f} KiB"
    if n < 1 << 30:
        return f"{n / (1 << 20):.1f} MiB"
    return f"{n / (1 << 30):.1f} GiB"


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
