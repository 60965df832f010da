"""The one way kslab waits for the cluster: ask again every few seconds until an answer comes or a
time limit passes, saying what it waits for whenever that changes.

A *check* returns ``(value, state)``: ``value`` is None while the wait goes on, and the answer once
there is one; ``state`` says in a few words where things stand ("pod webapp-1 is Pending"). It is
shown through ``progress`` when it changes and ends up in the error when time runs out, so a student
waiting on a cluster is never left looking at nothing.

>>> answers = iter([(None, "Pending"), (None, "Pending"), ("webapp-1", "Running")])
>>> seen = []
>>> wait_until(lambda: next(answers), timeout=5, interval=0, what="the webapp was not Ready", progress=seen.append)
'webapp-1'
>>> seen
['Pending']
>>> wait_until(lambda: (None, "Pending"), timeout=0, interval=0, what="the webapp was not Ready")
Traceback (most recent call last):
...
kslab.errors.ApiError: the webapp was not Ready after 0s (Pending)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from kslab.errors import ApiError

T = TypeVar("T")

#: A check: ``(the answer, or None to keep waiting; the state in a few words)``.
Check = Callable[[], "tuple[T | None, str]"]


@dataclass(frozen=True)
class Waited(Generic[T]):
    """How a wait ended: the answer (None when time ran out), the last state, and the seconds it took."""

    value: T | None
    state: str
    seconds: float


def poll(check: Callable[[], tuple[T | None, str]], *, timeout: float, interval: float = 1.0,
         progress: Callable[[str], None] | None = None) -> Waited[T]:
    """Call ``check`` every ``interval`` seconds until it gives an answer or ``timeout`` seconds pass.

    >>> poll(lambda: (None, "still there"), timeout=0, interval=0).state
    'still there'
    """
    start = time.monotonic()
    last = ""
    while True:
        value, state = check()
        if value is not None:
            return Waited(value, state, time.monotonic() - start)
        if progress is not None and state and state != last:
            progress(state)
        last = state
        if time.monotonic() - start >= timeout:
            return Waited(None, state, time.monotonic() - start)
        time.sleep(interval)


def wait_until(check: Callable[[], tuple[T | None, str]], *, timeout: float, what: str, interval: float = 1.0,
               progress: Callable[[str], None] | None = None, hint: str | None = None) -> T:
    """:func:`poll`, and an :class:`ApiError` ``"<what> after <timeout>s (<last state>)"`` when time runs out."""
    waited = poll(check, timeout=timeout, interval=interval, progress=progress)
    if waited.value is None:
        raise ApiError(f"{what} after {timeout:.0f}s ({waited.state})", hint=hint)
    return waited.value
