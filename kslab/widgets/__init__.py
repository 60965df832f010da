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
