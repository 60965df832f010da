"""What a check sees: a pod's metadata and spec, and its containers in the order the API server visits them.

Checks read plain dicts (a Pod, or a workload's pod template, as loaded from YAML), never typed
objects, so a student's manifest is checked exactly as written. One visitor lists the containers —
init containers, then containers, then ephemeral containers — so no check repeats that loop, and
every container-level check covers all three kinds.

>>> pod = PodView.of({"name": "x"}, {"initContainers": [{"name": "init"}], "containers": [{"name": "app"}]})
>>> [c["name"] for c in pod.containers]
['init', 'app']
>>> pluralize("container", "containers", 2), join_quote(["a", "b"])
('containers', '"a", "b"')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from kslab.text import NAME_CHARS, clip_name

#: Stand-in for an absent (nil) object, so checks can chain ``.get`` without None tests.
EMPTY: Mapping[str, Any] = MappingProxyType({})

#: The container lists of a pod spec, in the visitor's order (upstream policy/visitor.go).
CONTAINER_FIELDS = ("initContainers", "containers", "ephemeralContainers")


def visit_containers(spec: Mapping[str, Any]) -> tuple[Mapping[str, Any], ...]:
    """Init containers, then containers, then ephemeral containers."""
    found: list[Mapping[str, Any]] = []
    for field in CONTAINER_FIELDS:
        items = spec.get(field)
        if items:
            found.extend(items)
    return tuple(found)


@dataclass(frozen=True, slots=True)
class PodView:
    """The pod (or pod template) a check judges: ``metadata``, ``spec`` and the visited ``containers``."""

    metadata: Mapping[str, Any]
    spec: Mapping[str, Any]
    containers: tuple[Mapping[str, Any], ...]

    @classmethod
    def of(cls, metadata: Mapping[str, Any] | None, spec: Mapping[str, Any] | None) -> PodView:
        spec = spec or EMPTY
        return cls(metadata or EMPTY, spec, visit_containers(spec))

    @property
    def annotations(self) -> Mapping[str, Any]:
        return self.metadata.get("annotations") or EMPTY

    @property
    def security_context(self) -> Mapping[str, Any]:
        """``spec.securityContext`` (empty when unset)."""
        return self.spec.get("securityContext") or EMPTY

    @property
    def windows(self) -> bool:
        """``spec.os.name == windows``: the pod declares it runs on Windows nodes."""
        return (self.spec.get("os") or EMPTY).get("name") == "windows"

    @property
    def user_namespace(self) -> bool:
        """``spec.hostUsers: false`` explicitly (unset or true keeps the host's user namespace)."""
        return self.spec.get("hostUsers") is False


def security_context(container: Mapping[str, Any]) -> Mapping[str, Any]:
    """A container's ``securityContext`` (empty when unset)."""
    return container.get("securityContext") or EMPTY


def name_of(container: Mapping[str, Any]) -> str:
    return str(container.get("name") or "")


def pluralize(singular: str, plural: str, count: int) -> str:
    return singular if count == 1 else plural


def join_quote(items: Sequence[str]) -> str:
    """``"a", "b"`` — how the API server lists names in a violation."""
    if not items:
        return ""
    joined = '", "'.join(items)
    if len(joined) > NAME_CHARS:  # some name may be longer than any valid one: cut those (rare, so checked late)
        joined = '", "'.join(clip_name(item) for item in items)
    return f'"{joined}"'


def containers_phrase(names: Sequence[str]) -> str:
    """``container "a"`` or ``containers "a", "b"``."""
    return f'{pluralize("container", "containers", len(names))} {join_quote(names)}'


def setters_phrase(pod_is_bad: bool, container_names: Sequence[str]) -> str:
    """``pod``, ``containers "a", "b"`` or ``pod and container "a"``: who set a forbidden value."""
    setters = ["pod"] if pod_is_bad else []
    if container_names:
        setters.append(containers_phrase(container_names))
    return " and ".join(setters)


def forbidden_profile_setters(pod: PodView, field: str,
                              allowed: frozenset[str]) -> tuple[bool, list[str], set[str]]:
    """Who sets ``<field>.type`` to a value outside ``allowed``: (the pod does, containers that do, the values).

    Used for the seccomp and AppArmor profiles, whose fields exist at pod and container level alike.
    """
    values: set[str] = set()

    def bad(context: Mapping[str, Any]) -> bool:
        profile = context.get(field)
        if profile is None:
            return False
        kind = str((profile or EMPTY).get("type") or "")
        if kind in allowed:
            return False
        values.add(kind)
        return True

    pod_bad = bad(pod.security_context)
    containers = [name_of(c) for c in pod.containers if bad(security_context(c))]
    return pod_bad, containers, values


_GO_ESCAPES = {"\a": r"\a", "\b": r"\b", "\f": r"\f", "\n": r"\n", "\r": r"\r", "\t": r"\t",
               "\v": r"\v", "\\": "\\\\", '"': '\\"'}


def go_quote(value: Any) -> str:
    """Quote a string the way Go's ``%q`` does (used in annotation violations).

    >>> go_quote('un"confined')
    '"un\\\\"confined"'
    """
    out = []
    for ch in str(value):
        if ch in _GO_ESCAPES:
            out.append(_GO_ESCAPES[ch])
        elif ch.isprintable() or ch == " ":
            out.append(ch)
        elif ord(ch) < 0x80:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) <= 0xFFFF:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    return '"' + "".join(out) + '"'
