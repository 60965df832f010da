"""Widgets: thin, labelled views over kslab's pure functions (one module per notebook topic).

Layer: top, beside :mod:`kslab.exercises`: widgets draw what lessons and labs compute and compute nothing themselves.

Each widget module imports ipywidgets inside its functions, so importing kslab stays cheap, and
offers a static rendering of the widget's default state for readers without a running kernel.

A choice that may leave a field out uses :data:`UNSET` as its value, never ``None``: ipywidgets
shows an option whose value is ``None`` as "nothing selected", a blank box.

>>> is_set(UNSET), is_set(None), is_set(False), is_set(0)
(False, False, True, True)
"""

from __future__ import annotations

from typing import Any, Literal

#: The value of a choice that leaves its field (or flag) out.
UNSET: Literal["unset"] = "unset"
Unset = Literal["unset"]


def is_set(value: Any) -> bool:
    """Whether a choice puts its field in: anything but :data:`UNSET` (or ``None``, its older spelling)."""
    return value is not None and value != UNSET


def spell_unset(choices: Any, *fields: str) -> None:
    """For a frozen dataclass's ``__post_init__``: store ``None`` in these fields as :data:`UNSET`, so a
    control set from the choices shows "unset", not a blank box."""
    for name in fields:
        if not is_set(getattr(choices, name)):
            object.__setattr__(choices, name, UNSET)


def display_bundle(box: Any, static_html: str, static_text: str, **kwargs: Any) -> dict[str, Any]:
    """The display bundle of a widget that carries its own static rendering.

    A live notebook renders the widget view (JupyterLab ranks it first); the same output also holds the
    current state as HTML and as text, which is what a stored notebook shows on GitHub, in JupyterLab
    without a kernel and to nbval (the build strips only the widget view). So no second, static copy of
    the widget is needed in the notebook.

    >>> bundle = display_bundle(None, "<b>state</b>", "state")
    >>> sorted(bundle), bundle["text/plain"]
    (['text/html', 'text/plain'], 'state')
    """
    bundle: dict[str, Any] = {}
    if box is not None:
        made = box._repr_mimebundle_(**kwargs)
        bundle.update(made[0] if isinstance(made, tuple) else (made or {}))
    bundle["text/html"] = static_html
    bundle["text/plain"] = static_text
    return bundle
