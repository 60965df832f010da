"""Token lifetimes as people write them: ``90m``, ``24h``, ``7d``, ``1h30m``.

A TokenRequest asks for ``expirationSeconds``; the API server refuses less than ten minutes and may
grant less than asked when it caps lifetimes (``--service-account-max-token-expiration``), so the
expiry it *granted* is what kslab reports.

>>> parse_duration("24h")
86400
>>> parse_duration("1h30m")
5400
>>> describe(86400), describe(5400)
('1d', '1h30m')
"""

from __future__ import annotations

import re

from kslab.errors import UsageError
from kslab.text import brief

UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
#: The API server's bounds for a TokenRequest's expirationSeconds (at least 10 minutes, below 2^32 s).
MIN_SECONDS = 600
MAX_SECONDS = 2**32 - 1

_PART = re.compile(r"(\d+)([dhms])")


def parse_duration(text: str) -> int:
    """Seconds in a duration such as ``24h`` or ``1h30m``; UsageError for anything else.

    >>> parse_duration("5m")
    Traceback (most recent call last):
    ...
    kslab.errors.UsageError: token expiry 5m is shorter than 10m, the least the API server grants
    """
    value = text.strip().lower()
    parts = _PART.findall(value)
    if not value or "".join(n + u for n, u in parts) != value:
        raise UsageError(f"cannot read {brief(text)} as a duration",
                         hint="write it like 90m, 24h, 7d or 1h30m")
    seconds = sum(int(n) * UNITS[u] for n, u in parts)
    if seconds < MIN_SECONDS:
        raise UsageError(f"token expiry {text} is shorter than 10m, the least the API server grants",
                         hint="a lab session needs hours: e.g. --token-expiry 8h")
    if seconds > MAX_SECONDS:
        raise UsageError(f"token expiry {text} is longer than the API server accepts",
                         hint="a course needs days, not decades: e.g. --token-expiry 7d")
    return seconds


def describe(seconds: int) -> str:
    """A duration in the same notation (largest units first)."""
    out = []
    for unit, size in UNITS.items():
        count, seconds = divmod(seconds, size)
        if count:
            out.append(f"{count}{unit}")
    return "".join(out) or "0s"
