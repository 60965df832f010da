"""What a check sees: a pod's metadata and spec, and its containers in the order the API server visits them.

Checks read plain dicts (a Pod, or a workload's pod template, as loaded from YAML), never typed
objects, so a student's manifest is checked exactly as written. One visitor lists the containers —
init containers, then containers, then ephemeral containers — so no check repeats that loop, and
every container-level check covers all three kinds.

>>> pod = PodView.of({"name": "x"}, {"initContainers": [{"name": "init"}], "containers": [{"name": "app"}]})
>>> [c["name"] for c in pod.containers], [name for name, context in pod.contexts]
(['init', 'app'], ['init', 'app'])
>>> pluralize("container", "containers", 2), join_quote(["a", "b"])
('containers', '"a", "b"')
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import Any, NamedTuple

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


def named_contexts(containers: Sequence[Mapping[str, Any]]) -> tuple[tuple[str, Mapping[str, Any]], ...]:
    """``(name, securityContext)`` of each container, the context empty when unset.

    Most checks read one field of every container's security context and name the containers that
    fail; looking both up once per pod, not once per check, is most of what makes evaluation cheap.

    >>> named_contexts(({"name": "a", "securityContext": {"privileged": True}}, {"name": "b"}))
    (('a', {'privileged': True}), ('b', mappingproxy({})))
    """
    try:
        return tuple([(str(c.get("name") or ""), c.get("securityContext") or EMPTY) for c in containers])
    except AttributeError:
        return tuple(map(_named_context, containers))  # some container is not a mapping (rare: bad input)


def _named_context(container: Any) -> tuple[str, Mapping[str, Any]]:
    if isinstance(container, Mapping):
        return str(container.get("name") or ""), container.get("securityContext") or EMPTY
    return "", _Unreadable(container)


class _Unreadable(Mapping[str, Any]):
    """The security context of a container that is not a mapping (``containers: [web]``).

    Reading it fails as reading the container itself does, when a check first reads it — so the
    one-line error names the same field as it would if every check looked the context up itself.
    """

    __slots__ = ("_container",)

    def __init__(self, container: Any) -> None:
        self._container = container

    def _context(self) -> Mapping[str, Any]:
        return self._container.get("securityContext") or EMPTY

    def get(self, key: str, default: Any = None) -> Any:
        return self._context().get(key, default)

    def __getitem__(self, key: str) -> Any:
        return self._context()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._context())

    def __len__(self) -> int:
        return len(self._context())


class PodView(NamedTuple):
    """The pod (or pod template) a check judges, and what many checks read, looked up once.

    ``containers`` are the visited containers as written, ``contexts`` their ``(name,
    securityContext)``, in the same order (see :func:`named_contexts`). A named tuple, not a
    dataclass: one is built per evaluation, and a frozen dataclass costs a call per field to build.
    """

    metadata: Mapping[str, Any]
    spec: Mapping[str, Any]
    containers: tuple[Mapping[str, Any], ...]
    contexts: tuple[tuple[str, Mapping[str, Any]], ...]
    #: ``spec.securityContext`` (empty when unset).
    security_context: Mapping[str, Any]
    #: ``spec.hostUsers: false`` explicitly (unset or true keeps the host's user namespace).
    user_namespace: bool

    @classmethod
    def of(cls, metadata: Mapping[str, Any] | None, spec: Mapping[str, Any] | None) -> PodView:
        spec = spec or EMPTY
        containers = visit_containers(spec)
        return cls(metadata or EMPTY, spec, containers, named_contexts(containers),
                   spec.get("securityContext") or EMPTY, spec.get("hostUsers") is False)

    # Looked up when a check asks, not up front: a malformed value there fails only the checks that read it.
    @property
    def annotations(self) -> Mapping[str, Any]:
        return self.metadata.get("annotations") or EMPTY

    @property
    def windows(self) -> bool:
        """``spec.os.name == windows``: the pod declares it runs on Windows nodes."""
        return (self.spec.get("os") or EMPTY).get("name") == "windows"


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
    pod_bad = False
    containers: list[str] = []
    # The pod's context first (it has no name), then each container's, as the API server lists them.
    for name, context in ((None, pod.security_context), *pod.contexts):
        profile = context.get(field)
        if profile is None:
            continue
        kind = str((profile or EMPTY).get("type") or "")
        if kind in allowed:
            continue
        values.add(kind)
        if name is None:
            pod_bad = True
        else:
            containers.append(name)
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
