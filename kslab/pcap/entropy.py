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
from collections.abc import Mapping, Sequence
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


#: How each flow is drawn, in turn: marker and line style as well as colour, so the flows can be told
#: apart in grey print and by readers who do not see the colours.
FLOW_STYLES = (("o", "-"), ("s", "--"), ("^", "-."), ("D", ":"), ("v", (0, (5, 1, 1, 1))), ("P", (0, (1, 3))))
#: The two panels: which side's bytes each shows.
DIRECTIONS = (("client", "client → server"), ("server", "server → client"))


def plot(flows: Mapping[str, Any] | Sequence[Any], *, window: int = 256, axes: Sequence[Any] | None = None) -> Any:
    """Plot the windowed entropy of each flow (needs ``entropy=True`` samples): one panel per direction,
    one line per flow with its own colour, marker and line style, named in the legend as
    ``name (protocol)``. Flows given as a mapping are named by its keys, otherwise by their ids.
    The dashed grey line is what random bytes score in windows of this size. Returns the Figure.
    """
    import matplotlib.pyplot as plt

    named = dict(flows) if isinstance(flows, Mapping) else {f"flow #{f.id}": f for f in flows}
    if axes is None:
        fig, axes = plt.subplots(2, 1, sharex=True, sharey=True, figsize=(8, 5))
    fig = axes[0].figure
    for ax, (side, title) in zip(axes, DIRECTIONS):
        for i, (name, flow) in enumerate(named.items()):
            sample = flow.samples.get(side) if flow.samples else None
            if not sample:
                continue
            marker, dashes = FLOW_STYLES[i % len(FLOW_STYLES)]
            ys = profile(sample, window)
            xs = [(k + 0.5) * window for k in range(len(ys))]
            ax.plot(xs, ys, color=f"C{i}", marker=marker, markersize=4, linestyle=dashes,
                    label=f"{name} ({flow.protocol_name})")
        ax.axhline(random_level(window), color="grey", lw=0.8, ls=(0, (4, 3)), label="random bytes")
        ax.set_ylim(0, 8.2)
        ax.set_ylabel("bits/byte")
        ax.set_title(title, fontsize="medium", loc="left")
    axes[-1].set_xlabel(f"byte offset in the stream ({window}-byte windows)")
    axes[0].legend(fontsize="small", loc="lower right", ncol=2)
    fig.suptitle("Byte entropy along each stream: plaintext stays low, ciphertext looks random")
    fig.tight_layout()
    return fig
