"""Byte entropy: how random a stream's bytes look, in bits per byte (0 = constant, 8 = random).

Plain text and HTTP headers sit around 4–5.5 bits/byte; compressed or encrypted data close to 8.
An estimate from *n* bytes cannot exceed log2(n), so short samples read low: compare flows on
samples of similar size, or look at the windowed profile.

>>> round(shannon(b"aaaa"), 2), round(shannon(bytes(range(256))), 2)
(0.0, 8.0)
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any


def shannon(data: bytes) -> float:
    """Shannon entropy of the byte histogram, in bits per byte (0.0 for no data)."""
    n = len(data)
    if not n:
        return 0.0
    return -sum(c / n * math.log2(c / n) for c in Counter(data).values()) + 0.0


def profile(data: bytes, window: int = 256) -> list[float]:
    """Entropy of consecutive windows (the last partial window is dropped unless it is the only one).

    >>> profile(b"a" * 512, window=256)
    [0.0, 0.0]
    """
    if len(data) <= window:
        return [shannon(data)] if data else []
    return [shannon(data[i:i + window]) for i in range(0, len(data) - window + 1, window)]


def random_level(window: int) -> float:
    """The entropy *random* bytes score on average in a window of this size.

    Exact expectation over the binomial count of each of the 256 byte values: with few bytes,
    even perfect ciphertext cannot reach 8 bits/byte.

    >>> round(random_level(256), 2), round(random_level(4096), 2)
    (7.17, 7.95)
    """
    n, p = window, 1 / 256
    total = 0.0
    for x in range(1, n + 1):
        log_pmf = (math.lgamma(n + 1) - math.lgamma(x + 1) - math.lgamma(n - x + 1)
                   + x * math.log(p) + (n - x) * math.log1p(-p))
        if log_pmf < -50:
            if x > n * p:
                break
            continue
        total += math.exp(log_pmf) * (x / n) * math.log2(x / n)
    return -256 * total


def plot(flows: Sequence[Any], *, window: int = 256, ax: Any = None) -> Any:
    """Plot the windowed entropy of each flow's two directions (needs ``entropy=True`` samples).

    Solid lines are client→server bytes, dotted lines server→client; the dashed line is what
    random bytes would score in windows of this size. Returns the matplotlib Figure.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=(8, 3.5))
    else:
        fig = ax.figure
    for flow in flows:
        for side, arrow, style in (("client", "→", "-"), ("server", "←", ":")):
            sample = flow.samples.get(side) if flow.samples else None
            if not sample:
                continue
            ys = profile(sample, window)
            xs = [(i + 0.5) * window for i in range(len(ys))]
            ax.plot(xs, ys, style, marker=".", label=f"{flow.label} {arrow}")
    ax.axhline(random_level(window), color="grey", lw=0.8, ls="--", label="random bytes")
    ax.set_ylim(0, 8.2)
    ax.set_xlabel(f"byte offset in the stream ({window}-byte windows)")
    ax.set_ylabel("entropy (bits/byte)")
    ax.set_title("Byte entropy along each stream: plaintext stays low, ciphertext looks random")
    ax.legend(fontsize="small", loc="lower right")
    fig.tight_layout()
    return fig
