"""Lab 04 by hand: the student becomes the service account with the kubeconfig kslab wrote, and sees
for themselves what kubectl may and may not do.

:func:`steps` prints the kubectl commands with ``--kubeconfig`` naming that file (never the admin
kubeconfig). The exercise asks what each command did; its check (:func:`compare`) asks the API server
the same questions *as the service account* (SelfSubjectAccessReview through the service account's
own kubeconfig) — offline, kslab's RBAC evaluator on the lab's objects, labelled predicted.
:func:`do_it_for_me` sends the same requests as the service account and shows what kubectl would print.

>>> QUESTIONS["get secrets"]("webapp-rbac").describe()
'"list" resource "secrets" in namespace "webapp-rbac"'
>>> reading("Forbidden"), reading("yes"), reading(True), reading("Error from server (Forbidden)")
(False, True, True, False)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from kslab.errors import ApiError
from kslab.handson.commands import TERMINAL, Command, Steps, kubectl
from kslab.rbac.model import Request

#: What each command asks the API server, as the request its authorizer sees.
QUESTIONS: dict[str, Callable[[str], Request]] = {
    "get pods": lambda ns: Request(verb="list", resource="pods", namespace=ns),
    "get secrets": lambda ns: Request(verb="list", resource="secrets", namespace=ns),
    "-n default get pods": lambda ns: Request(verb="list", resource="pods", namespace="default"),
}

_YES = {"yes", "y", "true", "allowed", "ok", "worked", "listed"}
_NO = {"no", "n", "false", "forbidden", "denied", "403", "refused", "error"}


def reading(answer: Any) -> bool | None:
    """A student's "did it work?" read generously: True (allowed), False (forbidden), None (unclear)."""
    if isinstance(answer, bool):
        return answer
    text = str(answer).strip().lower()
    if text in _YES:
        return True
    if text in _NO or "forbidden" in text or "403" in text:
        return False
    return None


def kubeconfig_of(identity: Any) -> str:
    """The service account's kubeconfig path, or a placeholder offline."""
    return str(identity.kubeconfig) if getattr(identity, "kubeconfig", None) else "SA-KUBECONFIG"


def steps(identity: Any) -> Steps:
    """The commands, as the service account: its kubeconfig names the cluster, the user and the namespace."""
    path = kubeconfig_of(identity)
    notes: tuple[str, ...] = ("Its context names the namespace, so `get pods` asks about the service account's "
                              "own namespace.",)
    if not identity.live:
        notes = (f"Offline ({identity.reason}): no kubeconfig was written; on a cluster SA-KUBECONFIG is its path.",
                 *notes)
    return Steps("Be the service account", [
        Command(kubectl(None, None, "auth", "whoami", kubeconfig=path), TERMINAL, "who the API server says you are"),
        Command(kubectl(None, None, "auth", "can-i", "--list", kubeconfig=path), TERMINAL, "everything you may do here"),
        Command(kubectl(None, None, "get", "pods", kubeconfig=path), TERMINAL),
        Command(kubectl(None, None, "get", "secrets", kubeconfig=path), TERMINAL),
        Command(kubectl(None, "default", "get", "pods", kubeconfig=path), TERMINAL, "another namespace"),
    ], notes)


@dataclass(frozen=True)
class Seen:
    """One command: what the student said, and the API server's (or, offline, the evaluator's) answer."""

    command: str
    said: bool | None
    allowed: bool
    reason: str


def truth(identity: Any) -> dict[str, tuple[bool, str]]:
    """For each command: allowed or not, and the authorizer's reason — live from SelfSubjectAccessReview
    as the service account, offline from kslab's evaluator on the lab's policy."""
    from kslab.rbac import scenario

    out: dict[str, tuple[bool, str]] = {}
    for command, question in QUESTIONS.items():
        request = question(identity.namespace)
        if identity.client is not None:
            allowed, reason = identity.client.access_review(request.verb, request.resource, group=request.group,
                                                            namespace=request.namespace)
            out[command] = (allowed, reason or ("allowed" if allowed else "no rule allows it"))
        else:
            decision = scenario.policy(identity.namespace, identity.name).authorize(identity.user, request)
            out[command] = (decision.allowed, decision.reason or (decision.explanation or ("",))[0])
    return out


def compare(answer: Mapping[str, Any], identity: Any) -> list[Seen]:
    """The student's answers next to the real ones, command by command."""
    real = truth(identity)
    return [Seen(cmd, reading(answer.get(cmd)), allowed, reason) for cmd, (allowed, reason) in real.items()]


def forbidden_message(user: str, request: Request) -> str:
    """What kubectl prints for a request RBAC refuses (the API server's wording for a 403).

    >>> print(forbidden_message("system:serviceaccount:ns:web", QUESTIONS["get secrets"]("ns")))
    Error from server (Forbidden): secrets is forbidden: User "system:serviceaccount:ns:web" cannot list resource "secrets" in API group "" in the namespace "ns"
    """
    where = f' in the namespace "{request.namespace}"' if request.namespace else " at the cluster scope"
    return (f'Error from server (Forbidden): {request.resource} is forbidden: User "{user}" cannot {request.verb} '
            f'resource "{request.resource}" in API group "{request.group}"{where}')


@dataclass(frozen=True)
class Did:
    """What each command got, sent as the service account (live), or the prediction (offline)."""

    rows: list[tuple[str, str]]
    live: bool
    reason: str = ""

    def __str__(self) -> str:
        head = "As the service account, through its own kubeconfig:" if self.live else \
            f"PREDICTED (offline: {self.reason}) — nothing was sent:"
        return "\n".join([head, *(f"$ kubectl {cmd}\n{out}" for cmd, out in self.rows)])

    __repr__ = __str__


def do_it_for_me(identity: Any) -> Did:
    """Send each command's request as the service account and show what kubectl would print."""
    if identity.client is None:
        rows = []
        for cmd, (allowed, _) in truth(identity).items():
            rows.append((cmd, "(the list of them)" if allowed else forbidden_message(identity.user.name,
                                                                                     QUESTIONS[cmd](identity.namespace))))
        return Did(rows, live=False, reason=identity.reason)
    lab = identity.client
    rows = []
    for cmd, question in QUESTIONS.items():
        request = question(identity.namespace)
        lister = lab.list_pods if request.resource == "pods" else lab.list_secrets
        try:
            items = lister(request.namespace)
            rows.append((cmd, "\n".join(i.metadata.name for i in items) or
                         f"No resources found in {request.namespace} namespace."))
        except ApiError as err:  # a 403 is the lesson
            if err.status != 403:
                raise
            rows.append((cmd, f"Error from server (Forbidden): {err.server_message}"))
    return Did(rows, live=True)
