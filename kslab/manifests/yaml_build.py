"""Python values from composed YAML nodes, with the guards a YAML file from anyone needs.

PyYAML's C loader (``CSafeLoader``) parses in C but builds values with its Python
``SafeConstructor``. :func:`build` builds the same values (same types: ``str``, ``int``, ``bool``,
``None``, ``float``, timestamps, ``bytes``; an anchor's value shared by its aliases; merge keys
``<<`` merged by PyYAML's own rules) in one pass that also

* refuses **duplicate mapping keys**, naming both lines, as kubectl does (its YAML library reports
  ``mapping key "name" already defined at line 3``) — PyYAML keeps the last value silently. Lines
  are looked up only for the message;
* bounds **alias expansion**. An alias is one node in the file but a whole copy of its anchor's
  value for everything that walks the result (a checker, ``json.dumps``, an error message), so 8
  anchors of 10 aliases each — a 561-byte file — are 10^8 nodes to walk. go-yaml, under kubectl's
  sigs.k8s.io/yaml, refuses "excessive aliasing" by the ratio of aliases to decoded nodes; here
  the rule is simpler and bounds the work outright: the nodes aliases add may be at most
  ``EXPANSION_FLOOR`` plus ``EXPANSION_FACTOR`` times the nodes written so far, counted at each
  alias from the anchor's size (computed once per anchor, so counting never walks the expansion).
  An anchor whose value holds its own alias is refused too (go-yaml: "anchor contains itself").

:func:`loader_class` is ``CSafeLoader`` with its tag resolution remembered for short plain
scalars: the same keys and values (``name``, ``image``, ``true``) recur in every object, and
resolving each one runs PyYAML's Python resolver over a list of regular expressions.

>>> import yaml
>>> build(yaml.CSafeLoader("a: &x [1, 2]\\nb: *x\\n").get_single_node(), yaml.CSafeLoader(""))
{'a': [1, 2], 'b': [1, 2]}
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

#: Aliases may add this many nodes to a document, plus EXPANSION_FACTOR × the nodes written.
EXPANSION_FLOOR = 100_000
EXPANSION_FACTOR = 10

STR = "tag:yaml.org,2002:str"
SEQ = "tag:yaml.org,2002:seq"
MAP = "tag:yaml.org,2002:map"
MERGE = "tag:yaml.org,2002:merge"
VALUE = "tag:yaml.org,2002:value"
KEY_SHOWN = 60  # characters of a duplicate key shown in the message
_RESOLVED_MAX = 1_024  # remembered scalar resolutions (short values only): a bounded memory
_BUILDING = object()


class BuildError(Exception):
    """A document refused while building: ``line`` (1-based) and what is wrong, in one line."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


class _Merge(Exception):
    """A merge key met on the fast path: build the document again, merging as PyYAML does."""


@lru_cache(maxsize=1)
def loader_class() -> type:
    """``CSafeLoader`` (``SafeLoader`` without libyaml) resolving repeated plain scalars from memory."""
    import yaml  # noqa: PLC0415 - only when YAML is read

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    scalar_node = yaml.ScalarNode
    resolved: dict[str, str] = {}
    # PyYAML picks implicit resolvers by a plain scalar's first character: a scalar starting with
    # none of theirs (most names, images, keys) is a string without trying a single expression.
    firsts = frozenset(k for k in base.yaml_implicit_resolvers if k)
    plain_ok = None not in base.yaml_implicit_resolvers and "" in base.yaml_implicit_resolvers

    class Loader(base):  # type: ignore[misc, valid-type]
        def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
            # Safe loaders have no path resolvers, so a scalar's tag depends on its text alone.
            if kind is scalar_node and implicit[0] and len(value) <= 40:
                if plain_ok and value and value[0] not in firsts:
                    return STR
                tag = resolved.get(value)
                if tag is None:
                    tag = super().resolve(kind, value, implicit)
                    if len(resolved) < _RESOLVED_MAX:
                        resolved[value] = tag
                return tag
            return super().resolve(kind, value, implicit)

    return Loader


class _Builder:
    def __init__(self, loader: Any, merging: bool) -> None:
        import yaml  # noqa: PLC0415 - loaded already: the loader is PyYAML's

        self.sequence_node, self.mapping_node = yaml.SequenceNode, yaml.MappingNode
        self.loader = loader
        self.constructors = loader.yaml_constructors
        self.merging = merging
        self.done: dict[int, Any] = {}  # id(collection node) -> its value (or _BUILDING)
        self.sizes: dict[int, int] = {}  # id(node) -> nodes it expands to (aliases' anchors only)
        self.written = 1  # nodes in the document
        self.added = 0  # nodes added by aliases

    # ---- values --------------------------------------------------------------------------------
    def value(self, node: Any) -> Any:
        raw = node.value
        if raw.__class__ is str:  # a scalar (an alias of one costs no more than writing it again)
            return raw if node.tag == STR else self.scalar(node)
        key = id(node)
        done = self.done.get(key)
        if done is not None:
            if done is _BUILDING:
                raise BuildError(node.start_mark.line + 1, "an anchor's value contains an alias to itself")
            self.alias(node)
            return done
        self.done[key] = _BUILDING
        tag = node.tag
        if tag == SEQ and node.__class__ is self.sequence_node:
            self.written += len(raw)
            result: Any = [self.value(child) for child in raw]
        elif tag == MAP and node.__class__ is self.mapping_node:
            self.written += 2 * len(raw)
            result = self.mapping(node)
        else:  # !!set, !!omap, !!pairs, an unknown tag, a tag on the wrong kind of node: PyYAML says
            self.alias(node)  # counted as if expanded: PyYAML builds it without our budget
            result = self.construct(node, lambda: self.loader.construct_object(node, deep=True))
        self.done[key] = result
        return result

    def scalar(self, node: Any) -> Any:
        constructor = self.constructors.get(node.tag)
        if constructor is None:
            raise BuildError(node.start_mark.line + 1,
                             f"unknown tag {node.tag[:KEY_SHOWN]!r}: Kubernetes objects use plain YAML")
        return self.construct(node, lambda: constructor(self.loader, node))

    @staticmethod
    def construct(node: Any, make: Any) -> Any:
        """PyYAML's own constructor, its Python errors on bad values (``!!float x``, an integer
        of 5,000 digits, ``!!timestamp soon``) turned into a one-line refusal."""
        try:
            return make()
        except (ValueError, TypeError, AttributeError, KeyError, IndexError, OverflowError) as exc:
            text = node.value if isinstance(node.value, str) else ""
            shown = text if len(text) <= KEY_SHOWN else text[:KEY_SHOWN] + "…"
            why = "too many digits" if "digits" in str(exc) else "not a valid value"
            raise BuildError(node.start_mark.line + 1,
                             f"{shown!r} tagged {node.tag[:KEY_SHOWN]}: {why}") from None

    def mapping(self, node: Any) -> dict[Any, Any]:
        if self.merging:
            return self.merged_mapping(node)
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            tag = key_node.tag
            if tag == STR:
                key = key_node.value
            elif tag == MERGE or tag == VALUE:
                raise _Merge
            else:
                key = self.value(key_node)
            try:
                if key in out:
                    self.duplicate(node, key_node)
            except TypeError:
                raise BuildError(key_node.start_mark.line + 1,
                                 "a mapping key is a list or a mapping (unhashable)") from None
            out[key] = self.value(value_node)
        return out

    def merged_mapping(self, node: Any) -> dict[Any, Any]:
        """A mapping in a document with merge keys: explicit keys checked, then PyYAML's merge."""
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag in (MERGE, VALUE) or not isinstance(key_node.value, str):
                continue
            key = key_node.value if key_node.tag == STR else self.scalar(key_node)
            try:
                if key in seen:
                    self.duplicate(node, key_node)
                seen.add(key)
            except TypeError:
                continue  # refused below, when built
        if any(k.tag in (MERGE, VALUE) for k, _ in node.value):
            explicit = sum(1 for k, _ in node.value if k.tag != MERGE)
            self.loader.flatten_mapping(node)  # merged pairs first: explicit ones win
            # Merged pairs are copies too: a thousand merges of a big anchor are a bomb of their own.
            self.added += 2 * max(0, len(node.value) - explicit)
            self.check(node)
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = self.value(key_node)
            try:
                out[key] = self.value(value_node)
            except TypeError:
                raise BuildError(key_node.start_mark.line + 1,
                                 "a mapping key is a list or a mapping (unhashable)") from None
        return out

    # ---- guards --------------------------------------------------------------------------------
    def duplicate(self, node: Any, key_node: Any) -> None:
        """Refuse a key written twice, naming both lines (looked up only now)."""
        key = self.key_of(key_node)
        earlier = next(k for k, _ in node.value if k is not key_node and self.key_of(k) == key)
        shown = str(key) if len(str(key)) <= KEY_SHOWN else str(key)[:KEY_SHOWN] + "…"
        raise BuildError(key_node.start_mark.line + 1,
                         f'mapping key "{shown}" already defined at line {earlier.start_mark.line + 1}')

    def key_of(self, key_node: Any) -> Any:
        if not isinstance(key_node.value, str) or key_node.tag in (MERGE, VALUE):
            return _BUILDING  # equal to no scalar key
        return key_node.value if key_node.tag == STR else self.scalar(key_node)

    def alias(self, node: Any) -> None:
        self.added += self.size(node)
        self.check(node)

    def check(self, node: Any) -> None:
        limit = EXPANSION_FLOOR + EXPANSION_FACTOR * self.written
        if self.added > limit:
            raise BuildError(node.start_mark.line + 1,
                             f"aliases expand this document by more than {limit:,} nodes (it has "
                             f"{self.written:,}): refused as an alias bomb")

    def size(self, node: Any) -> int:
        """How many nodes ``node`` expands to (every alias inside counted as a copy), memoized."""
        key = id(node)
        known = self.sizes.get(key)
        if known is not None:
            return known
        raw = node.value
        if raw.__class__ is str:
            total = 1
        elif raw and raw[0].__class__ is tuple:  # a mapping's (key, value) pairs
            total = 1 + sum(self.size(k) + self.size(v) for k, v in raw)
        else:
            total = 1 + sum(self.size(child) for child in raw)
        self.sizes[key] = total
        return total


def build(node: Any, loader: Any) -> Any:
    """The document's value (PyYAML's types), or :class:`BuildError` (duplicate key, alias bomb,
    recursive anchor, unknown tag, nesting too deep)."""
    try:
        try:
            return _Builder(loader, merging=False).value(node)
        except _Merge:
            return _Builder(loader, merging=True).value(node)
    except RecursionError:
        raise BuildError(node.start_mark.line + 1, "nested too deeply") from None
    finally:
        if loader.constructed_objects:  # left by PyYAML's constructor for rare tags
            loader.constructed_objects = {}
            loader.recursive_objects = {}
