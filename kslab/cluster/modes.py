"""Choosing between live and offline mode: a pure function, so every rule is testable.

The rules, in order:

1. ``offline`` asked for (argument or ``KSLAB_MODE``) → offline.
2. On Binder, unless ``live`` was asked for → offline (Binder has no cluster).
3. The context: the one named (argument or ``KSLAB_CONTEXT``), else the course's kind context if the
   kubeconfig has it, else the kubeconfig's current context. No context at all → offline (or an
   error when ``live`` was asked for).
4. The context is probed with a short timeout: it answers → live; it does not → offline with the
   reason (or an error when ``live`` was asked for).

A context counts as a *lab context* (labs may create and attack things there) when it is the
course's kind cluster or when the student named it explicitly.

>>> choose(requested_mode="auto", requested_context=None, contexts=["kind-kslab", "prod"],
...        current_context="prod", binder=False, probe=lambda ctx: None)
ModeChoice(mode='live', context='kind-kslab', lab_context=True, reason='context kind-kslab answered')
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from kslab.errors import ClusterUnreachable, UsageError
from kslab.settings import LAB_CONTEXT, MODES
from kslab.text import brief


@dataclass(frozen=True)
class ModeChoice:
    """The decision: the mode, the context (if any), whether labs may change it, and why."""

    mode: str  # "live" or "offline"
    context: str | None
    lab_context: bool
    reason: str


def choose(*, requested_mode: str, requested_context: str | None, contexts: Sequence[str],
           current_context: str | None, binder: bool,
           probe: Callable[[str], str | None]) -> ModeChoice:
    """Decide the mode. ``probe(context)`` returns None when the cluster answers, else why not."""
    mode = (requested_mode or "auto").lower()
    if mode not in MODES:
        raise UsageError(f"unknown mode {brief(requested_mode)}", hint="use one of: auto, live, offline")
    if mode == "offline":
        return ModeChoice("offline", None, False, "offline mode was asked for")
    if binder and mode == "auto":
        return ModeChoice("offline", None, False, "running on Binder, which has no cluster")

    if requested_context is not None and requested_context not in contexts:
        known = ", ".join(contexts) or "none"
        raise UsageError(f"context {brief(requested_context)} is not in your kubeconfig (contexts: {known})",
                         hint="`kubectl config get-contexts` lists them")
    context: str | None
    if requested_context is not None:
        context, explicit = requested_context, True
    elif LAB_CONTEXT in contexts:
        context, explicit = LAB_CONTEXT, False
    else:
        context, explicit = current_context, False
    if not context:
        if mode == "live":
            raise ClusterUnreachable("live mode was asked for, but no kube context is configured",
                                     hint="create the course cluster with `kslab cluster up`")
        return ModeChoice("offline", None, False, "no kube context is configured")

    problem = probe(context)
    lab = explicit or context == LAB_CONTEXT
    if problem is None:
        return ModeChoice("live", context, lab, f"context {context} answered")
    if mode == "live":
        raise ClusterUnreachable(f"context {context} does not answer: {problem}")
    return ModeChoice("offline", None, False, f"context {context} did not answer ({problem})")
