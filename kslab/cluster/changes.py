"""What a command that changes the machine or the cluster reports: whether anything changed, and why.

``kslab cluster up``, ``webapp build`` and ``cluster istio install`` all answer with an :class:`Change`,
and show their programs' progress lines through a :data:`Progress` callback as they come.

>>> print(Change(False, "kind cluster 'kslab' is up already", ["context kind-kslab"]))
kind cluster 'kslab' is up already
context kind-kslab
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

#: Called with each progress line of a long-running program (``print`` by default).
Progress = Callable[[str], None]


@dataclass
class Change:
    """What ``up`` or ``down`` did: whether anything changed, and a sentence saying what."""

    changed: bool
    message: str
    details: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return "\n".join([self.message, *self.details])

    __repr__ = __str__

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
