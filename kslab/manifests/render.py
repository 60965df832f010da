"""Objects as YAML the way a person writes it: block style, keys in the order they were built.

>>> print(to_yaml({"kind": "Pod", "metadata": {"name": "web"}}), end="")
kind: Pod
metadata:
  name: web
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def to_yaml(objects: Mapping[str, Any] | Iterable[Mapping[str, Any]]) -> str:
    """One object, or several as a multi-document stream (``---`` between them)."""
    import yaml  # noqa: PLC0415 - cheap, but only needed here

    items = [objects] if isinstance(objects, Mapping) else list(objects)
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return "---\n".join(yaml.dump(dict(obj), Dumper=dumper, sort_keys=False, default_flow_style=False)
                        for obj in items)
