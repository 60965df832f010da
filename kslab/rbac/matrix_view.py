"""Access matrices shown: a colour-coded HTML table (yes/no in words; colour only helps) and the
predicted and observed matrices side by side, with where they disagree.

Pure display of an :class:`~kslab.rbac.matrix.AccessMatrix`; it computes nothing. The heatmap and the
explorer widget, which need matplotlib and ipywidgets, are in :mod:`kslab.widgets.rbac_matrix`.

>>> from kslab.rbac import Policy
>>> from kslab.rbac.matrix import predict_matrix
>>> m = predict_matrix(Policy(), "bob", namespace="web", verbs=["get"], resources=["pods"])
>>> "<td" in matrix_html(m) and ">no<" in matrix_html(m)
True
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kslab.views.styles import DIFF_BORDER, NO_BACKGROUND, YES_BACKGROUND, tint
from kslab.views.text import TextView

if TYPE_CHECKING:
    from kslab.rbac.matrix import AccessMatrix


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
            style = f"{tint(YES_BACKGROUND if cell.allowed else NO_BACKGROUND)};text-align:center;padding:2px 6px"
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
