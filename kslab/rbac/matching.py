"""Does one rule allow one request? (upstream: ``RuleAllows`` and the ``*Matches`` helpers).

A resource request is allowed by a rule when **all four** match: the verb, the API group, the
resource (``resource/subresource``) and the resource name. A non-resource request (a URL such as
``/healthz``) is allowed when the verb and the URL match. Each matcher is a small function so an
explanation can say *which* part failed.

* verb: a rule verb equals the request verb (case-sensitive: ``GET`` is not ``get``) or is ``*``;
* apiGroup: equal, or ``*`` (the core group is ``""``);
* resource: ``*``, or equal to ``resource/subresource``, or — only when the request has a
  subresource — exactly ``*/<subresource>``. So ``pods`` does not grant ``pods/log``;
* resourceNames: an empty list matches any name, even none; otherwise the request's name must be in
  it, so ``list`` (which has no name) is not granted by a rule that names objects;
* nonResourceURLs: ``*``, an exact match, or an entry ending in ``*`` whose prefix starts the path.

>>> rule = Rule(verbs=("get",), api_groups=("",), resources=("pods", "*/scale"))
>>> rule_allows(rule, Request("get", "pods", namespace="web"))
True
>>> why_not(rule, Request("get", "pods", subresource="log"))
'resource "pods/log" not in [pods, */scale]'
"""

from __future__ import annotations

from kslab.rbac.model import Request, Rule, fmt_list
from kslab.text import brief

ALL = "*"


def verb_matches(rule: Rule, verb: str) -> bool:
    """``*`` or an exact, case-sensitive match."""
    return any(v == ALL or v == verb for v in rule.verbs)


def api_group_matches(rule: Rule, group: str) -> bool:
    """``*`` or an exact match (the core group is ``""``)."""
    return any(g == ALL or g == group for g in rule.api_groups)


def resource_matches(rule: Rule, combined: str, subresource: str) -> bool:
    """``*``, an exact ``resource[/subresource]`` match, or ``*/<subresource>`` for subresources.

    >>> r = Rule(resources=("*/scale",))
    >>> resource_matches(r, "deployments/scale", "scale"), resource_matches(r, "deployments", "")
    (True, False)
    """
    for res in rule.resources:
        if res == ALL or res == combined:
            return True
        if subresource and res == f"*/{subresource}":
            return True
    return False


def resource_name_matches(rule: Rule, name: str) -> bool:
    """No names in the rule: any request matches. Otherwise the request's name must be listed."""
    return not rule.resource_names or name in rule.resource_names


def non_resource_url_matches(rule: Rule, path: str) -> bool:
    """``*``, an exact match, or a trailing ``*`` (``/apis/*`` covers ``/apis/v1``, not ``/apis``).

    >>> r = Rule(non_resource_urls=("/apis/*",))
    >>> [non_resource_url_matches(r, p) for p in ("/apis/v1", "/apis/v1/x", "/apis")]
    [True, True, False]
    """
    for url in rule.non_resource_urls:
        if url == ALL or url == path:
            return True
        if url.endswith(ALL) and path.startswith(url.rstrip(ALL)):
            return True
    return False


def rule_allows(rule: Rule, request: Request) -> bool:
    """True when this single rule allows the request."""
    if not verb_matches(rule, request.verb):
        return False
    if not request.is_resource:
        return non_resource_url_matches(rule, request.path or "")
    return (api_group_matches(rule, request.group)
            and resource_matches(rule, request.combined_resource, request.subresource)
            and resource_name_matches(rule, request.name))


def rules_allow(rules: tuple[Rule, ...] | list[Rule], request: Request) -> bool:
    """True when any of the rules allows the request (there are no deny rules in RBAC)."""
    return any(rule_allows(rule, request) for rule in rules)


def why_not(rule: Rule, request: Request) -> str | None:
    """None if the rule allows the request, else the first part that does not match, in words."""
    if not verb_matches(rule, request.verb):
        folded = [v for v in rule.verbs if v.lower() == request.verb.lower()]
        extra = f" (verbs are case-sensitive: the rule says {brief(folded[0])})" if folded else ""
        return f"verb {brief(request.verb)} not in {fmt_list(rule.verbs)}{extra}"
    if not request.is_resource:
        if not rule.non_resource_urls:
            return "it is a resource rule; it never matches URLs such as " + repr(request.path)
        if not non_resource_url_matches(rule, request.path or ""):
            return f"URL {brief(request.path)} not matched by {fmt_list(rule.non_resource_urls)}"
        return None
    if not rule.resources and not rule.api_groups:
        return "it is a non-resource URL rule; it never matches resources"
    if not api_group_matches(rule, request.group):
        return f'API group "{request.group}" not in {fmt_list(rule.api_groups)}'
    if not resource_matches(rule, request.combined_resource, request.subresource):
        return f'resource "{request.combined_resource}" not in {fmt_list(rule.resources)}'
    if not resource_name_matches(rule, request.name):
        if not request.name:
            return (f"the rule is limited to resourceNames {fmt_list(rule.resource_names)} and the "
                    f"request names no object (as list, watch, create do)")
        return f'name "{request.name}" not in resourceNames {fmt_list(rule.resource_names)}'
    return None
