"""Pictures of access matrices: a colour-coded table (yes/no in words, colour only helps), the
predicted and observed matrices side by side, a heatmap, and a small explorer widget.

All of them draw an :class:`~kslab.rbac.matrix.AccessMatrix`; none computes anything itself.

>>> from kslab.rbac import Policy
>>> from kslab.rbac.matrix import predict_matrix
>>> m = predict_matrix(Policy(), "bob", namespace="web", verbs=["get"], resources=["pods"])
>>> "<td" in matrix_html(m) and ">no<" in matrix_html(m)
True
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kslab.rbac.display import TextView
from kslab.rbac.matrix import DEFAULT_RESOURCES, DEFAULT_VERBS, AccessMatrix, predict_matrix
from kslab.rbac.model import UserInfo
from kslab.rbac.policy import Policy

YES_COLOUR = "#d1f0d6"  # light green
NO_COLOUR = "#f8d7da"  # light red
DIFF_BORDER = "3px solid #9a6700"


def matrix_html(matrix: AccessMatrix, *, highlight: set[tuple[str, str]] | None = None) -> str:
    """The matrix as an HTML table; cells in ``highlight`` get a thick border and a ``≠``."""
    highlight = highlight or set()
    head = "".join(f'<th style="padding:2px 6px">{html.escape(v)}</th>' for v in matrix.verbs)
    body = []
    for res in matrix.resources:
        cells = []
        for verb in matrix.verbs:
            cell = matrix.cells[(res, verb)]
            word = "yes" if cell.allowed else "no"
            style = f"background:{YES_COLOUR if cell.allowed else NO_COLOUR};text-align:center;padding:2px 6px"
            mark = ""
            if (res, verb) in highlight:
                style += f";border:{DIFF_BORDER}"
                mark = " ≠"
            title = html.escape(cell.reason or ("allowed" if cell.allowed else "no rule allows it"))
            cells.append(f'<td style="{style}" title="{title}">{word}{mark}</td>')
        body.append(f'<tr><th style="text-align:left;padding:2px 6px">{html.escape(res)}</th>'
                    f"{''.join(cells)}</tr>")
    notes = "".join(f"<div><small>{html.escape(n)}</small></div>" for n in matrix.notes)
    return (f'<div style="display:inline-block;vertical-align:top;margin-right:1em">'
            f"<div><b>{html.escape(matrix.title())}</b></div>"
            f'<table style="border-collapse:collapse"><tr><th>resource</th>{head}</tr>'
            f"{''.join(body)}</table>{notes}</div>")


@dataclass(repr=False)
class SideBySide(TextView):
    """A predicted matrix and, when live, the observed one; shows where they disagree."""

    predicted: AccessMatrix
    observed: AccessMatrix | None = None
    why_no_observed: str = ""

    @property
    def differences(self) -> list[tuple[str, str, bool, bool]]:
        return self.predicted.differences(self.observed) if self.observed else []

    def verdict(self) -> str:
        if self.observed is None:
            return f"Observed: not available ({self.why_no_observed or 'offline'}); showing the prediction only."
        diffs = self.differences
        if not diffs:
            return f"Predicted and observed agree on all {len(self.predicted.cells)} cells."
        listed = "; ".join(f"{v} {r}: predicted {'yes' if p else 'no'}, observed {'yes' if o else 'no'}"
                           for r, v, p, o in diffs)
        return f"{len(diffs)} cell(s) differ: {listed}"

    def text(self) -> str:
        parts = [self.predicted.text()]
        if self.observed is not None:
            parts.append(self.observed.text())
        parts.append(self.verdict())
        return "\n\n".join(parts)

    def _repr_html_(self) -> str:
        marked = {(r, v) for r, v, _, _ in self.differences}
        tables = matrix_html(self.predicted, highlight=marked)
        if self.observed is not None:
            tables += matrix_html(self.observed, highlight=marked)
        return f"<div>{tables}<p>{html.escape(self.verdict())}</p></div>"


def matrix_figure(matrix: AccessMatrix) -> Any:
    """The matrix as a matplotlib heatmap with ``yes``/``no`` written in every cell."""

    import matplotlib.pyplot as plt  # noqa: PLC0415
    from matplotlib.colors import ListedColormap  # noqa: PLC0415

    values = [[1 if matrix.cells[(r, v)].allowed else 0 for v in matrix.verbs] for r in matrix.resources]
    fig, ax = plt.subplots(figsize=(1.0 + 0.8 * len(matrix.verbs), 0.8 + 0.38 * len(matrix.resources)))
    ax.imshow(values, cmap=ListedColormap([NO_COLOUR, YES_COLOUR]), vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(len(matrix.verbs)), matrix.verbs)
    ax.set_yticks(range(len(matrix.resources)), matrix.resources)
    ax.xaxis.tick_top()
    for i, row in enumerate(values):
        for j, value in enumerate(row):
            ax.text(j, i, "yes" if value else "no", ha="center", va="center", fontsize=9)
    ax.set_title(matrix.title(), fontsize=9, pad=24)
    fig.tight_layout()
    plt.close(fig)
    return fig


def matrix_explorer(policy: Policy, subjects: Mapping[str, UserInfo], namespaces: Sequence[str], *,
                    verbs: Sequence[str] = DEFAULT_VERBS,
                    resources: Sequence[str] = DEFAULT_RESOURCES) -> Any:
    """Pick an identity and a namespace; see its predicted access matrix."""
    import ipywidgets as w  # noqa: PLC0415

    who = w.Dropdown(options=list(subjects), description="Identity",
                     tooltip="whose access to show", style={"description_width": "initial"})
    where = w.Dropdown(options=list(namespaces), description="Namespace",
                       tooltip="the namespace the requests are made in")
    view = w.HTML()

    def render(_: Any = None) -> None:
        matrix = predict_matrix(policy, subjects[who.value], namespace=where.value, verbs=verbs,
                                resources=resources)
        view.value = matrix_html(matrix)

    who.observe(render, names="value")
    where.observe(render, names="value")
    render()
    box = w.VBox([w.HBox([who, where]), view])
    box.render = render  # type: ignore[attr-defined]  # tests and static renderings reuse it
    box.view = view  # type: ignore[attr-defined]
    return box
