"""Pictures of access matrices: a colour-coded table (yes/no in words, colour only helps), the
predicted and observed matrices side by side, a heatmap, and a small explorer widget.

All of them draw an :class:`~kslab.rbac.matrix.AccessMatrix`; none computes anything itself. The
HTML table and the side-by-side view live with the lesson (:mod:`kslab.rbac.matrix_view`), so the
cluster layer can return them; this module adds what needs matplotlib or ipywidgets.

>>> from kslab.rbac import Policy
>>> from kslab.rbac.matrix import predict_matrix
>>> m = predict_matrix(Policy(), "bob", namespace="web", verbs=["get"], resources=["pods"])
>>> "<td" in matrix_html(m) and ">no<" in matrix_html(m)
True
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

from kslab.rbac.matrix import (
    DEFAULT_RESOURCES,
    DEFAULT_VERBS,
    AccessMatrix,
    predict_matrix,
)
from kslab.rbac.matrix_view import SideBySide, matrix_html
from kslab.rbac.model import UserInfo
from kslab.rbac.policy import Policy
from kslab.views.styles import NO_BACKGROUND, YES_BACKGROUND
from kslab.widgets import display_bundle

__all__ = ["SideBySide", "matrix_explorer", "matrix_figure", "matrix_html"]

YES_COLOUR = YES_BACKGROUND
NO_COLOUR = NO_BACKGROUND


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
    current: dict[str, Any] = {}

    def render(_: Any = None) -> None:
        matrix = predict_matrix(policy, subjects[who.value], namespace=where.value, verbs=verbs,
                                resources=resources)
        current["matrix"] = matrix
        view.value = matrix_html(matrix)

    who.observe(render, names="value")
    where.observe(render, names="value")
    render()
    box = w.VBox([w.HBox([who, where]), view])
    box.render = render  # tests and static renderings reuse it
    box.view = view
    # The display bundle carries the current matrix as HTML and text (see display_bundle); an instance
    # attribute, since IPython looks the method up with getattr.
    box._repr_mimebundle_ = lambda **kwargs: display_bundle(
        _Plain(box), f"<div>Identity: <b>{html.escape(str(who.value))}</b>, namespace: "
                     f"<b>{html.escape(str(where.value))}</b>{view.value}</div>",
        f"Identity: {who.value}, namespace: {where.value}\n" + current["matrix"].text(), **kwargs)
    return box


class _Plain:
    """A widget seen through its class's own display bundle (the instance's one adds the static state)."""

    def __init__(self, widget: Any) -> None:
        self.widget = widget

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return type(self.widget)._repr_mimebundle_(self.widget, **kwargs)
