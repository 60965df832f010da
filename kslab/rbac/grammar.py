"""Reading requests the way ``kubectl auth can-i`` does, and resource names the way RBAC writes them.

``kubectl auth can-i VERB (TYPE[.GROUP][/NAME] | /URL)``: an argument that starts with ``/`` is a
non-resource URL; otherwise a name follows the first ``/`` and the type is split from its API
group at the first ``.``. kubectl would then ask API discovery to resolve short names and plurals
(``po`` → ``pods``); offline there is no discovery, so the type is taken as written.

In an access matrix a column is a resource as RBAC rules write it, ``TYPE[.GROUP][/SUBRESOURCE]``
(``pods/log``, ``deployments.apps/scale``) — there the part after ``/`` is a subresource.

>>> parse_target("jobs.batch/nightly")
Target(resource='jobs', group='batch', name='nightly', subresource='', path=None)
>>> parse_rbac_resource("pods/log")
Target(resource='pods', group='', name='', subresource='log', path=None)
"""

from __future__ import annotations

from dataclasses import dataclass

from kslab.errors import UsageError
from kslab.text import brief


@dataclass(frozen=True)
class Target:
    """What a request is about: a resource type (with group, name, subresource) or a URL path."""

    resource: str = ""
    group: str = ""
    name: str = ""
    subresource: str = ""
    path: str | None = None


def parse_target(arg: str) -> Target:
    """Parse the second argument of ``kubectl auth can-i``: ``TYPE[.GROUP][/NAME]`` or ``/URL``.

    >>> parse_target("deployments.apps/web")
    Target(resource='deployments', group='apps', name='web', subresource='', path=None)
    >>> parse_target("/healthz")
    Target(resource='', group='', name='', subresource='', path='/healthz')
    >>> parse_target("*")
    Target(resource='*', group='', name='', subresource='', path=None)
    """
    if not arg:
        raise UsageError("no resource type given", hint="e.g. `pods`, `deployments.apps/web` or `/healthz`")
    if arg.startswith("/"):
        return Target(path=arg)
    type_part, _, name = arg.partition("/")
    if type_part == "*":
        return Target(resource="*", name=name)
    resource, _, group = type_part.partition(".")
    if not resource:
        raise UsageError(f"{brief(arg)}: no resource type before the '.'", hint="write TYPE[.GROUP][/NAME]")
    return Target(resource=resource, group=group, name=name)


def parse_rbac_resource(spec: str) -> Target:
    """Parse ``TYPE[.GROUP][/SUBRESOURCE]`` (an access-matrix column).

    >>> parse_rbac_resource("deployments.apps/scale")
    Target(resource='deployments', group='apps', name='', subresource='scale', path=None)
    """
    type_part, _, subresource = spec.partition("/")
    resource, _, group = type_part.partition(".")
    if not resource:
        raise UsageError(f"{brief(spec)}: no resource type", hint="write TYPE[.GROUP][/SUBRESOURCE], e.g. pods/log")
    return Target(resource=resource, group=group, subresource=subresource)
