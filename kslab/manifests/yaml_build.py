"""Python values from composed YAML nodes, with the guards a YAML file from anyone needs.

PyYAML's C loader (``CSafeLoader``) parses in C but builds values with its Python
``SafeConstructor``. :func:`build` builds the same values (same types: ``str``, ``int``, ``bool``,
``None``, ``float``, timestamps, ``bytes``; anchors shared, merge keys ``<<`` merged) in one
pass that also

* refuses **duplicate mapping keys**, naming both lines, as kubectl does (its YAML library reports
  ``mapping key "name" already defined at line 3``) — PyYAML keeps the last value silently;
* bounds **alias expansion**. An alias is one node in the file but a whole copy of its anchor's
  value for everything that walks the result (a checker, ``json.dumps``, an error message), so 8
  anchors of 10 aliases each — a 561-byte file — are 10^8 nodes to walk. go-yaml, under kubectl's
  sigs.k8s.io/yaml, refuses "excessive aliasing" by the ratio of aliases to decoded nodes; here
  the rule is simpler and bounds the work outright: a document may expand to at most
  ``EXPANSION_FLOOR`` nodes plus ``EXPANSION_FACTOR`` times the nodes written, counted as the
  document is built (each anchor's size is counted once and added per alias, so counting never
  walks the expansion). An anchor whose value contains its own alias is refused too (go-yaml:
  "anchor contains itself").

>>> import yaml
>>> build(yaml.CSafeLoader("a: &x [1, 2]\\nb: *x\\n").get_single_node(), yaml.CSafeLoader(""))
{'a': [1, 2], 'b': [1, 2]}
"""

from __future__ import annotations

from typing import Any

#: A document may expand through aliases to this many nodes plus EXPANSION_FACTOR × its own nodes.
EXPANSION_FLOOR = 100_000
EXPANSION_FACTOR = 10

STR = "tag:yaml.org,2002:str"
SEQ = "tag:yaml.org,2002:seq"
MAP = "tag:yaml.org,2002:map"
MERGE = "tag:yaml.org,2002:merge"
VALUE = "tag:yaml.org,2002:value"
KEY_SHOWN = 60  # characters of a duplicate key shown in the message


class BuildError(Exception):
    """A document refused while building: ``line`` (1-based) and what is wrong, in one line."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


class _Builder:
    def __init__(self, loader: Any) -> None:
        self.loader = loader
        self.constructors = loader.yaml_constructors
        self.done: dict[int, tuple[Any, int]] = {}  # id(node) -> (value, expanded size)
        self.building: set[int] = set()
        self.written = 0  # distinct nodes
        self.expanded = 0  # nodes counting every alias as a copy

    def grow(self, size: int, node: Any) -> None:
        self.expanded += size
        if self.expanded > EXPANSION_FLOOR + EXPANSION_FACTOR * self.written:
            raise BuildError(node.start_mark.line + 1,
                             f"aliases expand this document past {EXPANSION_FLOOR + EXPANSION_FACTOR * self.written:,} "
                             f"nodes (it has {self.written:,}): refused as an alias bomb")

    def value(self, node: Any) -> tuple[Any, int]:
        """The node's value and its expanded size (nodes, aliases counted as copies)."""
        key = id(node)
        seen = self.done.get(key)
        if seen is not None:  # an alias: the same value, as PyYAML gives
            self.grow(seen[1], node)
            return seen
        if key in self.building:
            raise BuildError(node.start_mark.line + 1, "an anchor's value contains an alias to itself")
        self.written += 1
        tag = node.tag
        raw = node.value
        if isinstance(raw, str):  # a scalar
            result = (raw if tag == STR else self.scalar(node), 1)
            self.grow(1, node)
            self.done[key] = result
            return result
        self.building.add(key)
        self.grow(1, node)
        if tag == SEQ:
            items: list[Any] = []
            size = 1
            for child in raw:
                v, s = self.value(child)
                items.append(v)
                size += s
            result = (items, size)
        elif tag == MAP:
            result = self.mapping(node)
        else:  # !!set, !!omap, !!pairs, or an unknown tag: PyYAML's own constructor says what it is
            result = (self.loader.construct_object(node, deep=True), self.sized(node))
        self.building.discard(key)
        self.done[key] = result
        return result

    def scalar(self, node: Any) -> Any:
        constructor = self.constructors.get(node.tag)
        if constructor is None:
            raise BuildError(node.start_mark.line + 1,
                             f"unknown tag {node.tag[:KEY_SHOWN]!r}: Kubernetes objects use plain YAML")
        return constructor(self.loader, node)

    def mapping(self, node: Any) -> tuple[dict[Any, Any], int]:
        pairs = node.value
        first: dict[Any, int] = {}
        merge = False
        for key_node, _ in pairs:
            tag = key_node.tag
            if tag == MERGE or tag == VALUE:
                merge = True
                continue
            if not isinstance(key_node.value, str):
                continue  # a collection as a key: refused below as unhashable
            key = key_node.value if tag == STR else self.scalar(key_node)
            try:
                earlier = first.get(key)
            except TypeError:
                continue  # an unhashable scalar value (none of PyYAML's are): refused below
            if earlier is not None:
                shown = str(key)
                shown = shown if len(shown) <= KEY_SHOWN else shown[:KEY_SHOWN] + "…"
                raise BuildError(key_node.start_mark.line + 1,
                                 f'mapping key "{shown}" already defined at line {earlier}')
            first[key] = key_node.start_mark.line + 1
        if merge:
            self.loader.flatten_mapping(node)  # PyYAML's merge: merged pairs first, explicit ones win
            pairs = node.value
        out: dict[Any, Any] = {}
        size = 1
        for key_node, value_node in pairs:
            k, ks = self.value(key_node)
            v, vs = self.value(value_node)
            size += ks + vs
            try:
                out[k] = v
            except TypeError:
                raise BuildError(key_node.start_mark.line + 1, "a mapping key is a list or a mapping "
                                 "(unhashable)") from None
        return out, size

    def sized(self, node: Any) -> int:
        """Expanded size of a subtree built by PyYAML itself (rare tags), counted into the budget."""
        stack, size = [node], 0
        while stack:
            current = stack.pop()
            size += 1
            self.grow(1, current)
            value = current.value
            if isinstance(value, list):
                for item in value:
                    stack.extend(item if isinstance(item, tuple) else (item,))
        return size


def build(node: Any, loader: Any) -> Any:
    """The document's value (PyYAML's types), or :class:`BuildError` (duplicate key, alias bomb,
    recursive anchor, unknown tag, nesting too deep)."""
    builder = _Builder(loader)
    try:
        return builder.value(node)[0]
    except RecursionError:
        raise BuildError(node.start_mark.line + 1, "nested too deeply") from None
