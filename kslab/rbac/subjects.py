"""Who a binding applies to, and which groups the API server gives an identity.

**Subject matching** (upstream ``appliesTo``): a ``User`` subject matches the exact user name (``*``
is not a wildcard); a ``Group`` subject matches when the user is in that group; a
``ServiceAccount`` subject matches the user ``system:serviceaccount:<namespace>:<name>``, where the
namespace is the subject's own, or — only for a RoleBinding — the binding's namespace when the
subject leaves it out.

**Groups the server adds.** RBAC only sees the groups the authenticator (or impersonation) put on
the user. A service account's token always carries ``system:serviceaccounts`` and
``system:serviceaccounts:<namespace>``, and every authenticated user is in
``system:authenticated``. ``kubectl --as system:serviceaccount:web:app`` gets the same groups from
the API server's impersonation filter, so :func:`impersonate` adds them the same way.

>>> applies_to([Subject("ServiceAccount", "app")], UserInfo("system:serviceaccount:web:app"), "web")
(0, True)
>>> impersonate("system:serviceaccount:web:app").groups
('system:serviceaccounts', 'system:serviceaccounts:web', 'system:authenticated')
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from kslab.errors import UsageError
from kslab.rbac.model import Subject, UserInfo
from kslab.text import clip_name

SERVICE_ACCOUNT_PREFIX = "system:serviceaccount:"
ALL_SERVICE_ACCOUNTS = "system:serviceaccounts"
AUTHENTICATED = "system:authenticated"
UNAUTHENTICATED = "system:unauthenticated"
ANONYMOUS = "system:anonymous"

# Kubernetes name rules: a namespace is a DNS-1123 label, a service account a DNS-1123 subdomain.
_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
DNS_LABEL = re.compile(rf"^{_LABEL}$")
DNS_SUBDOMAIN = re.compile(rf"^{_LABEL}(\.{_LABEL})*$")


def service_account_user(namespace: str, name: str) -> str:
    """The user name a service account authenticates as.

    >>> service_account_user("web", "app")
    'system:serviceaccount:web:app'
    """
    return f"{SERVICE_ACCOUNT_PREFIX}{namespace}:{name}"


def split_service_account_user(user: str) -> tuple[str, str] | None:
    """``(namespace, name)`` if ``user`` is a well-formed service-account user name, else None.

    >>> split_service_account_user("system:serviceaccount:web:app")
    ('web', 'app')
    >>> split_service_account_user("system:serviceaccount:Web:app") is None  # not a valid namespace
    True
    """
    if not user.startswith(SERVICE_ACCOUNT_PREFIX):
        return None
    parts = user[len(SERVICE_ACCOUNT_PREFIX):].split(":")
    if len(parts) != 2:
        return None
    namespace, name = parts
    if len(namespace) > 63 or not DNS_LABEL.match(namespace):
        return None
    if len(name) > 253 or not DNS_SUBDOMAIN.match(name):
        return None
    return namespace, name


def service_account_groups(namespace: str) -> tuple[str, str]:
    """The two groups every service account of a namespace is in."""
    return ALL_SERVICE_ACCOUNTS, f"{ALL_SERVICE_ACCOUNTS}:{namespace}"


def subject_matches(subject: Subject, user: UserInfo, namespace: str) -> bool:
    """Does one binding subject name this user? ``namespace`` is the RoleBinding's ("" for cluster)."""
    if subject.kind == "User":
        return user.name == subject.name
    if subject.kind == "Group":
        return subject.name in user.groups
    if subject.kind == "ServiceAccount":
        sa_namespace = subject.namespace or namespace
        if not sa_namespace:
            return False  # a ClusterRoleBinding gives no default namespace
        return user.name == service_account_user(sa_namespace, subject.name)
    return False


def applies_to(subjects: Sequence[Subject], user: UserInfo, namespace: str) -> tuple[int, bool]:
    """``(index of the first matching subject, True)``, or ``(0, False)`` when none matches."""
    for index, subject in enumerate(subjects):
        if subject_matches(subject, user, namespace):
            return index, True
    return 0, False


def impersonate(user: str, groups: Sequence[str] = ()) -> UserInfo:
    """The identity the API server builds for ``kubectl --as USER [--as-group GROUP]...``.

    * a service-account user without ``--as-group`` gets ``system:serviceaccounts`` and
      ``system:serviceaccounts:<namespace>``;
    * any user but ``system:anonymous`` gets ``system:authenticated``, unless the groups already
      name ``system:authenticated`` or ``system:unauthenticated``;
    * ``system:anonymous`` gets ``system:unauthenticated`` instead.

    >>> impersonate("alice", ["devs"])
    UserInfo(name='alice', groups=('devs', 'system:authenticated'), assumed=('system:authenticated',))
    >>> impersonate("system:anonymous").groups
    ('system:unauthenticated',)
    """
    if not user:
        raise UsageError("groups were given without a user to impersonate",
                         hint="add --as USER; kubectl and the API server refuse --as-group without --as")
    given = list(groups)
    result = list(given)
    sa = split_service_account_user(user)
    if sa is not None and not given:
        result = list(service_account_groups(sa[0]))
    if user != ANONYMOUS:
        if AUTHENTICATED not in result and UNAUTHENTICATED not in result:
            result.append(AUTHENTICATED)
    elif UNAUTHENTICATED not in result:
        result.append(UNAUTHENTICATED)
    assumed = tuple(g for g in result if g not in given)
    return UserInfo(user, tuple(result), assumed)


def describe_assumed(user: UserInfo) -> str:
    """A sentence naming the groups that were added, or "" if none were."""
    if not user.assumed:
        return ""
    names = ", ".join(clip_name(g) for g in user.assumed)
    why = ("a service account's token carries them" if split_service_account_user(user.name)
           else "the API server adds it to every authenticated user")
    if user.name == ANONYMOUS:
        why = "the API server adds it to the anonymous user"
    return (f"Assumed groups {names}: not given, but added as the API server does when "
            f"{clip_name(user.name)} authenticates or is impersonated with --as ({why}).")
